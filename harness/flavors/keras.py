"""Keras 3 models, logged with ``mlflow.keras`` or ``mlflow.tensorflow``, exported with tf2onnx at each opset.
The PyFunc takes the one tensor as a plain array; outputs are named by the signature."""
from __future__ import annotations

from harness.flavors import Flavor


class KerasFlavor(Flavor):
    name = "keras"
    mlflow_flavors = ("keras", "tensorflow")
    priority = 5
    python_packages = ("tensorflow-cpu", "keras", "tf2onnx")
    array_in_array_out = True

    def load_native(self, model):
        if model.flavor == "tensorflow":
            import mlflow.tensorflow

            return mlflow.tensorflow.load_model(str(model.local_dir))
        import mlflow.keras

        return mlflow.keras.load_model(str(model.local_dir))

    def prepare_pyfunc(self) -> None:
        import keras

        keras.utils.disable_interactive_logging()  # Keras prints a progress bar on every predict otherwise

    def serialization_format(self, conf: dict, local_dir) -> str | None:
        return conf.get("serialization_format") or "keras archive"

    def exporters(self, model) -> list:
        from harness.exporters.tf_onnx import Tf2Onnx

        return [Tf2Onnx()]

    def default_opsets(self, model) -> list[int]:
        return [13, 15, 17, 18]  # tf2onnx 1.17's range
