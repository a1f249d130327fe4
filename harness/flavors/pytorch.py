"""PyTorch models (``mlflow.pytorch``, pt2 or pickle), exported with both of torch.onnx's exporters at each opset.
The PyFunc takes the one tensor as a plain array; outputs are named by the signature.

A pt2 model (MLflow 3's default) loads as a torch.export program: the dynamo exporter always applies; the
TorchScript exporter is planned only when one export of the program's module to memory works (tried at
collection, a fraction of a second once torch is loaded), otherwise the report says once why it is not planned
(``--converter-option torch.onnx-torchscript:force=true`` plans it anyway)."""
from __future__ import annotations

from harness.flavors import Flavor

FORCE_HINT = "--converter-option torch.onnx-torchscript:force=true plans it anyway"


class PytorchFlavor(Flavor):
    name = "pytorch"
    priority = 5
    python_packages = ("torch", "onnxscript")
    array_in_array_out = True

    def __init__(self):
        self._problems: dict[str, str | None] = {}  # model directory -> why TorchScript cannot export its pt2 program

    def load_native(self, model):
        import mlflow.pytorch

        return mlflow.pytorch.load_model(str(model.local_dir))

    def serialization_format(self, conf: dict, local_dir) -> str | None:
        data = local_dir / conf.get("model_data", "data")
        return "pt2 (torch.export)" if any(data.glob("*.pt2")) else "pickle (torch.save)"

    def exporters(self, model) -> list:
        from harness.exporters.torch_onnx import TorchOnnx

        return [TorchOnnx("torchscript", not_planned=self.torchscript_problem(model)), TorchOnnx("dynamo")]

    def notes(self, model) -> list[str]:
        problem = self.torchscript_problem(model)
        if not problem:
            return []
        return [f"the TorchScript exporter (torch.onnx-torchscript) is not planned for this pt2 model: exporting the "
                f"torch.export program's module failed with {problem}. The dynamo exporter's cells check the program "
                f"as logged; {FORCE_HINT}."]

    def torchscript_problem(self, model) -> str | None:
        """For a pt2 model, why the TorchScript exporter cannot export it (None: it can, or not a pt2 model)."""
        if not str(model.serialization_format or "").startswith("pt2"):
            return None
        key = str(model.local_dir)
        if key not in self._problems:
            self._problems[key] = _probe(model)
        return self._problems[key]

    def default_opsets(self, model) -> list[int]:
        return [13, 17, 18, 20]  # two exporters each: a representative sweep (dynamo builds at 18)


def _probe(model) -> str | None:
    from harness import inputs, reasons
    from harness.exporters.torch_onnx import torchscript_problem

    try:
        tensors = inputs.tensors_from_signature(model.signature, model_uri=model.uri)
        module = model.native
    except Exception as error:
        return f"the model could not be loaded to try it ({reasons.describe(error, 600)})"
    return torchscript_problem(module, tensors, model.signature)
