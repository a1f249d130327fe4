"""LightGBM models (``mlflow.lightgbm``): a native ``Booster`` (saved as LightGBM's text model ``model.lgb``) or a
scikit-learn API model (``LGBMClassifier``, ``LGBMRegressor``; pickled or skops), exported to ONNX with onnxmltools'
converters at each opset and, for the scikit-learn API models, to PMML with sklearn2pmml.

Artifacts of format ``lightgbm`` (LightGBM's text model, for JVM runtimes that read it, e.g. lightgbm4j): a
Booster's logged ``model.lgb`` is the very file the reference loads; a scikit-learn API model has no such file
logged, so its booster's text model (the same model string its pickle holds) is written by ``LightgbmTextModel``.

What the reference is, by kind (``mlflow.lightgbm``'s PyFunc calls ``predict``):

- ``LGBMClassifier``: PyFunc = class labels; plus the native ``predict_proba``.
- ``LGBMRegressor``: PyFunc = the prediction.
- ``Booster``: PyFunc = ``Booster.predict(frame)``: P(class 1) (N,) for ``binary``, the class probabilities (N, K)
  for ``multiclass``/``multiclassova``, the value for regression objectives. Classifier objectives are compared as
  probabilities (two columns for binary) and the label of those probabilities.

LightGBM compares in float64 (``x <= t`` with double thresholds); ONNX TreeEnsemble nodes hold float32 thresholds
and take float32 inputs, so inputs within a float32 step of a split can take the other branch: the harness hunts
exactly there (the thresholds below are its hints) and reports it when it happens.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.artifacts import Artifact
from harness.exporters import Exporter
from harness.flavors import Flavor, InputHints, boosting, sklearn_model
from harness.outputs import OutputSpec

FORMAT = "lightgbm"  # the artifact format of LightGBM's text model files, for JVM runtimes (lightgbm4j)
CLASSIFIER_OBJECTIVES = ("binary", "multiclass", "multiclassova", "softmax", "ova", "multiclass_ova")


def is_booster(native) -> bool:
    import lightgbm

    return isinstance(native, lightgbm.Booster)


def booster_of(native):
    return native if is_booster(native) else native.booster_


def objective(booster) -> tuple[str, int]:
    """The objective's name (``binary``, ``multiclass``, ``regression``, ...) and the class count."""
    dump = booster.dump_model(num_iteration=1)
    return str(dump.get("objective", "")).split()[0] if dump.get("objective") else "", int(dump.get("num_class", 1))


class LightgbmFlavor(Flavor):
    name = "lightgbm"
    priority = 10
    python_packages = ("lightgbm", "onnxmltools", "skl2onnx", "sklearn2pmml")

    def load_native(self, model):
        import mlflow.lightgbm

        return mlflow.lightgbm.load_model(str(model.local_dir))

    def serialization_format(self, conf: dict, local_dir) -> str | None:
        if str(conf.get("data", "")).endswith(".lgb"):
            return "LightGBM text model (no pickle)"
        return conf.get("serialization_format")

    def check_signature(self, model) -> None:
        """LightGBM rewrites spaces (and JSON special characters) in feature names, so its names can differ from
        the signature of a model logged exactly as advised: the PyFunc model decides (``check_names``)."""
        native = model.native
        names = native.feature_name() if is_booster(native) else getattr(native, "feature_names_in_", None)
        sklearn_model.check_names([str(n) for n in names] if names is not None else None, model.signature,
                                  model.uri, sklearn_model.pyfunc_probe(model))

    # --- the reference ------------------------------------------------------------------------------------------
    def output_spec(self, model) -> OutputSpec:
        native = model.native
        if not is_booster(native):
            if hasattr(native, "classes_"):
                return OutputSpec("classifier", tuple(np.asarray(native.classes_).tolist()))
            return OutputSpec("regressor")
        name, classes = objective(native)
        if name in CLASSIFIER_OBJECTIVES:
            return OutputSpec("classifier", tuple(range(max(classes, 2))))
        return OutputSpec("regressor")

    def reference_outputs(self, model, spec: OutputSpec, batch) -> dict:
        if not is_booster(model.native):
            return boosting.sklearn_api_reference(model, spec, batch)
        return boosting.booster_reference(model.pyfunc.predict(boosting.model_input(batch)), spec,
                                          len(boosting.model_input(batch)))

    # --- artifacts ----------------------------------------------------------------------------------------------
    def exporters(self, model) -> list:
        sklearn_api = not is_booster(model.native)
        return boosting.exporters(model, sklearn_api) + ([LightgbmTextModel()] if sklearn_api else [])

    def default_opsets(self, model) -> list[int]:
        return boosting.default_opsets()

    def logged_artifacts(self, model) -> list:
        """A Booster's ``model.lgb`` as mlflow.lightgbm saved it: the file the reference loads."""
        data = str(model.flavor_conf.get("data", ""))
        path = model.local_dir / data if data.endswith(".lgb") else None
        if path is None or not path.is_file():
            return []
        return [Artifact(format=FORMAT, origin="logged", path=path, reference_file=True)]

    def input_hints(self, model, columns: list[str]) -> InputHints:
        return InputHints(thresholds=split_thresholds(booster_of(model.native), columns))


class LightgbmTextModel(Exporter):
    """A scikit-learn API model's booster as LightGBM's text model (``Booster.save_model``)."""

    name = "lightgbm-text"
    format = FORMAT
    package = "lightgbm"

    def export(self, model, inputs, opset, path: Path, options: dict) -> None:
        booster_of(model.native).save_model(str(path))


def split_thresholds(booster, columns: list[str]) -> dict[str, list[float]]:
    """Every numeric split (``decision_type`` ``<=``) of every tree, by signature column (LightGBM numbers
    features in training order; names are not used, since LightGBM rewrites them)."""
    pairs = []

    def walk(node: dict) -> None:
        if "split_feature" not in node:
            return
        if node.get("decision_type") == "<=" and not isinstance(node.get("threshold"), str):
            pairs.append((int(node["split_feature"]), float(node["threshold"])))
        walk(node.get("left_child", {}))
        walk(node.get("right_child", {}))

    for tree in booster.dump_model().get("tree_info", []):
        walk(tree.get("tree_structure", {}))
    return boosting.thresholds_by_column(pairs, columns)
