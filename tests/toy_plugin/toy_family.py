"""A model family and a runtime that live outside ``harness/``: registered only through entry-point metadata
(``tests/test_plugins.py`` writes a dist-info for them), the way a separate package would add its own.

The "toy-linear" family: an MLflow model whose flavor ``toy_linear`` holds weights in ``weights.json``; its PyFunc
computes ``x . w + b``. Its exporter writes the weights as a ``toyjson`` artifact, which the ``toy-scorer`` runtime
scores (with ``TOY_SCORER_BUG`` set, it adds 0.5 to every prediction: an injected divergence).
"""
from __future__ import annotations

import json
import os
import shutil

import numpy as np

from harness.exporters import Exporter
from harness.flavors import Flavor
from harness.outputs import PREDICTION, OutputSpec
from harness.runtimes import RawOutput, Runtime

FORMAT = "toyjson"


class ToyExporter(Exporter):
    name = "toy-export"
    format = FORMAT

    def version(self):
        return "0.1"

    def export(self, model, inputs, opset, path, options):
        if os.environ.get("TOY_EXPORT_HUGE_ERROR"):  # a converter that dumps a megabyte, the real cause inside
            try:
                raise TypeError("Field onnx.AttributeProto.ints: Expected an int, got a boolean")
            except TypeError as cause:
                raise RuntimeError("could not convert node attributes: " + "x" * 1_000_000) from cause
        shutil.copyfile(model.local_dir / model.flavor_conf["data"], path)


class ToyFlavor(Flavor):
    name = "toy-linear"
    mlflow_flavors = ("toy_linear",)

    def load_native(self, model):
        return json.loads((model.local_dir / model.flavor_conf["data"]).read_text())

    def output_spec(self, model):
        return OutputSpec("regressor")

    def reference_outputs(self, model, spec, batch):
        return {PREDICTION: np.asarray(model.pyfunc.predict(batch), dtype=np.float64).reshape(len(batch))}

    def exporters(self, model):
        return [ToyExporter()]


class ToySession:
    def __init__(self, path):
        self.weights = json.loads(open(path).read())

    def run(self, batch):
        w = self.weights
        values = batch[w["columns"]].to_numpy(dtype=np.float64) @ np.asarray(w["w"]) + w["b"]
        if os.environ.get("TOY_SCORER_BUG"):
            values = values + 0.5
        return [RawOutput(PREDICTION, values)]

    def close(self):
        pass


class ToyScorer(Runtime):
    name = "toy-scorer"
    format = FORMAT
    description = "a toy scorer registered by a separate package"

    def open(self, path, settings):
        return ToySession(path)

    def version(self):
        return "0.1"


class _Loaded:
    def __init__(self, weights):
        self.weights = weights

    def predict(self, frame, params=None):
        w = self.weights
        return frame[w["columns"]].to_numpy(dtype=np.float64) @ np.asarray(w["w"]) + w["b"]


def _load_pyfunc(path):
    """MLflow's python_function loader for the toy flavor (``loader_module``)."""
    from pathlib import Path

    path = Path(path)
    return _Loaded(json.loads((path if path.is_file() else path / "weights.json").read_text()))
