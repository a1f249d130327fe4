"""An ONNX file moved to another opset with onnx's version converter (for models logged with the onnx flavor)."""
from __future__ import annotations

from pathlib import Path

from harness.artifacts import ONNX
from harness.exporters import Exporter
from harness.onnx_versions import ORT_MAX_IR, ir_version_for


class OnnxVersionConverter(Exporter):
    name = "onnx.version_converter"
    format = ONNX
    package = "onnx"
    sweeps_opsets = True

    def export(self, model, inputs, opset, path: Path, options: dict) -> None:
        from harness.flavors.onnx import logged_file

        convert(logged_file(model), opset, path)


def convert(source: Path, opset: int, path: Path) -> None:
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
    # The converter keeps the source's IR version: a model saved at IR 14 stays at 14 at every opset, and ONNX
    # Runtime (IR <= 13) then loads none of them. Each opset gets the IR version its onnx release introduced.
    # (If the graph uses something that IR version lacks, the newest IR ONNX Runtime reads is kept instead.)
    needed = ir_version_for(opset)
    if needed is not None and converted.ir_version > needed:
        original = converted.ir_version
        converted.ir_version = needed
        try:
            onnx.checker.check_model(converted)
        except onnx.checker.ValidationError:
            converted.ir_version = min(original, max(ORT_MAX_IR, needed))
    onnx.checker.check_model(converted)
    path.write_bytes(converted.SerializeToString())
