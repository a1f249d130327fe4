"""Hooks a conftest.py or plugin can implement to extend a run (``pytest_addhooks`` registers them)."""
from __future__ import annotations

import pytest

hookspec = pytest.hookspec


@hookspec
def pytest_jvm_equivalence_flavors():
    """Return Flavor classes or instances (``harness.flavors.Flavor``) to add to the registry for this run."""


@hookspec
def pytest_jvm_equivalence_runtimes():
    """Return Runtime classes or instances (``harness.runtimes.Runtime``) to add to the registry for this run."""


@hookspec
def pytest_jvm_equivalence_cell_done(check, cell):
    """Called after each cell has run (``cell.status`` is final): e.g. to stream results elsewhere."""


@hookspec
def pytest_jvm_equivalence_report(report):
    """Called with the final typed report (``harness.results.model.Report``) before it is written."""
