"""Keras 3 model -> ONNX with tf2onnx, through ``tf2onnx.convert.from_function`` on a ``tf.function`` with the
signature's input specs (``from_keras`` breaks on Keras 3). TensorFlow is imported only here, only when used."""
from __future__ import annotations

from pathlib import Path

from harness.artifacts import ONNX
from harness.exporters import Exporter


class Tf2Onnx(Exporter):
    name = "tf2onnx"
    format = ONNX
    package = "tf2onnx"
    sweeps_opsets = True

    def export(self, model, inputs, opset, path: Path, options: dict) -> None:
        export(model.native, inputs, opset, path)


def export(model, tensors, opset: int, path: Path) -> None:
    import tensorflow as tf
    import tf2onnx

    specs = [tf.TensorSpec([None if d == -1 else d for d in t.shape], tf.as_dtype(t.dtype), name=t.name)
             for t in tensors]

    @tf.function(input_signature=specs)
    def forward(*inputs):
        return model(inputs[0] if len(inputs) == 1 else list(inputs))

    tf2onnx.convert.from_function(forward, input_signature=specs, opset=opset, output_path=str(path))
