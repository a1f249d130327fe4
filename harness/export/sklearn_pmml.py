"""scikit-learn estimator or pipeline -> PMML, with sklearn2pmml (which runs its own Java converter).

sklearn2pmml's converter POSTs a failure report (error text and environment) to a third-party host when a
conversion fails. Nothing the harness runs may send data off the machine, so the converter's JVM gets a proxy
on a dead loopback port: the report goes nowhere. ``tests/test_network.py`` proves it.
"""
from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

from harness.inputs import Column

TARGET_FIELD = "y"
DEAD_PROXY_PORT = int(os.environ.get("HARNESS_DEAD_PROXY_PORT", "9"))  # tests point it at a listener


def exporter_name() -> str:
    import sklearn2pmml

    return f"sklearn2pmml {sklearn2pmml.__version__}"


def java_opts() -> list[str]:
    return [
        f"-D{scheme}.{key}={value}"
        for scheme in ("http", "https")
        for key, value in (("proxyHost", "127.0.0.1"), ("proxyPort", DEAD_PROXY_PORT))
    ]


class PmmlExportError(RuntimeError):
    pass


def export(estimator, columns: list[Column], path: Path) -> None:
    """Write the PMML file; raises :class:`PmmlExportError` with the converter's own reason when it fails."""
    from sklearn2pmml import make_pmml_pipeline, sklearn2pmml

    pipeline = make_pmml_pipeline(
        estimator, active_fields=[c.name for c in columns], target_fields=[TARGET_FIELD]
    )
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured):
            sklearn2pmml(pipeline, str(path), java_opts=java_opts())
    except RuntimeError as error:
        raise PmmlExportError(_converter_reason(captured.getvalue()) or str(error)) from error


def _converter_reason(output: str) -> str:
    """The Java exception lines of the converter's output (its first line is the useful one)."""
    lines = [line.strip() for line in output.splitlines()]
    reasons = [
        line for line in lines
        if ("Exception" in line or "Error" in line) and not line.startswith("at ") and "SEVERE" not in line
    ]
    return " | ".join(dict.fromkeys(reasons[:3]))
