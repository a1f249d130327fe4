"""An ONNX file moved to another opset with onnx's version converter (for models logged with the onnx flavor)."""
from __future__ import annotations

from pathlib import Path


def exporter_name() -> str:
    import onnx

    return f"onnx.version_converter {onnx.__version__}"


def export(source: Path, opset: int, path: Path) -> None:
    import onnx
    from onnx import version_converter

    model = onnx.load(str(source))
    declared = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    try:
        converted = version_converter.convert_version(model, opset)
    except Exception as error:
        direction = "down" if declared and opset < declared else "up"
        raise RuntimeError(f"onnx's version converter could not move the graph {direction} from opset {declared} to "
                           f"{opset} (no adapter for one of its ops there): {str(error).strip()[:300]}") from None
    onnx.checker.check_model(converted)
    path.write_bytes(converted.SerializeToString())
