"""scikit-learn estimator or pipeline -> PMML, with sklearn2pmml (which runs its own Java converter).

sklearn2pmml's converter POSTs a failure report (error text and environment) to a third-party host when a
conversion fails. Nothing the harness runs may send data off the machine, so the converter's JVM gets a proxy
on a dead loopback port: the report goes nowhere. ``tests/test_network.py`` proves it.
"""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

from harness.artifacts import PMML
from harness.exporters import Exporter
from harness.offline import java_proxy_options

TARGET_FIELD = "y"


class Sklearn2Pmml(Exporter):
    name = "sklearn2pmml"
    format = PMML
    package = "sklearn2pmml"

    def export(self, model, inputs, opset, path: Path, options: dict) -> None:
        export(model.native, inputs, path)


class PmmlExportError(RuntimeError):
    pass


def export(estimator, columns, path: Path) -> None:
    """Write the PMML file; raises :class:`PmmlExportError` with the converter's own reason when it fails."""
    from sklearn2pmml import make_pmml_pipeline, sklearn2pmml

    pipeline = make_pmml_pipeline(
        estimator, active_fields=[c.name for c in columns], target_fields=target_fields(estimator)
    )
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured):
            sklearn2pmml(pipeline, str(path), java_opts=java_proxy_options())
    except RuntimeError as error:
        raise PmmlExportError(_converter_reason(captured.getvalue()) or str(error)) from error


def target_fields(estimator) -> list[str]:
    """One target field, or one per output of a multi-output regressor (y0, y1, ...): sklearn2pmml refuses a
    multi-output regressor with one ("Expected multiple labels, got continuous label")."""
    from harness.flavors import sklearn_model

    outputs = sklearn_model.n_outputs(estimator) if sklearn_model.kind(estimator) == "regressor" else 1
    return [TARGET_FIELD] if outputs == 1 else [f"{TARGET_FIELD}{i}" for i in range(outputs)]


def _converter_reason(output: str) -> str:
    """The Java exception lines of the converter's output (its first line is the useful one)."""
    lines = [line.strip() for line in output.splitlines()]
    reasons = [
        line for line in lines
        if ("Exception" in line or "Error" in line) and not line.startswith("at ") and "SEVERE" not in line
    ]
    return " | ".join(dict.fromkeys(reasons[:3]))
