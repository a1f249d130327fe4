"""One place for ONNX version facts: the opset a file declares, and the IR version and ``ai.onnx.ml`` opset that go
with a default-domain opset (from onnx's own release table)."""
from __future__ import annotations

from pathlib import Path

ORT_MAX_OPSET = 26  # ONNX Runtime 1.29 (Python and Java) loads default-domain opsets up to 26
ORT_MAX_IR = 13  # ... and IR versions up to 13
OLDEST_SWEPT_OPSET = 13  # the oldest opset current exporters default to; older ones are asked for explicitly


def declared_opset(path: Path, domain: str = "") -> int | None:
    """The opset an ONNX file declares for ``domain`` (which can differ from the one its exporter was asked for)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    domains = ("", "ai.onnx") if domain in ("", "ai.onnx") else (domain,)
    return next((entry.version for entry in model.opset_import if entry.domain in domains), None)


def _release_rows(opset: int) -> list[tuple]:
    import onnx.helper

    return [row for row in onnx.helper.VERSION_TABLE if row[2] == opset]


def ir_version_for(opset: int) -> int | None:
    """The IR version of the first onnx release that introduced ``opset`` (what a file at that opset needs)."""
    rows = _release_rows(opset)
    return rows[0][1] if rows else None


def ml_opset_for(opset: int) -> int | None:
    """The ``ai.onnx.ml`` opset released together with default-domain ``opset``."""
    rows = _release_rows(opset)
    return rows[0][3] if rows else None
