"""An ONNX file moved to another opset with onnx's version converter (for models logged with the onnx flavor)."""
from __future__ import annotations

from pathlib import Path


def exporter_name() -> str:
    import onnx

    return f"onnx.version_converter {onnx.__version__}"


def export(source: Path, opset: int, path: Path) -> None:
    import onnx
    from onnx import version_converter

    converted = version_converter.convert_version(onnx.load(str(source)), opset)
    onnx.checker.check_model(converted)
    path.write_bytes(converted.SerializeToString())
