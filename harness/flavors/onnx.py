"""Models logged with ``mlflow.onnx``: the file as logged runs on every ONNX runtime, and onnx's version converter
moves it to each opset of the sweep. Outputs keep the graph's names."""
from __future__ import annotations

from harness.artifacts import ONNX, Artifact
from harness.flavors import Flavor
from harness.onnx_versions import ORT_MAX_OPSET, OLDEST_SWEPT_OPSET, declared_opset


def logged_file(model):
    """The .onnx file as logged (the flavor's ``data`` entry)."""
    return model.local_dir / model.flavor_conf["data"]


class OnnxFlavor(Flavor):
    name = "onnx"
    priority = 5
    python_packages = ("onnx",)

    def load_native(self, model):
        import onnx

        return onnx.load(str(logged_file(model)))

    def serialization_format(self, conf: dict, local_dir) -> str | None:
        return "onnx protobuf"

    def exporters(self, model) -> list:
        from harness.exporters.onnx_opset import OnnxVersionConverter

        return [OnnxVersionConverter()]

    def default_opsets(self, model) -> list[int]:
        return list(range(OLDEST_SWEPT_OPSET, ORT_MAX_OPSET + 1))

    def logged_artifacts(self, model) -> list:
        return [Artifact(format=ONNX, origin="logged", path=logged_file(model),
                         opset_actual=declared_opset(logged_file(model)))]
