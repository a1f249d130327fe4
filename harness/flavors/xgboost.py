"""XGBoost models (``mlflow.xgboost``): a native ``Booster`` or a scikit-learn API model (``XGBClassifier``,
``XGBRegressor``), exported to ONNX with onnxmltools' converters at each opset and, for the scikit-learn API
models, to PMML with sklearn2pmml. The model file the flavor logged (``model.ubj`` by default, or JSON) is an
artifact of format ``xgboost`` that the reference itself loads, for JVM runtimes that read XGBoost's own format.

What the reference is, by kind (``mlflow.xgboost``'s PyFunc calls ``predict``):

- ``XGBClassifier``: PyFunc = class labels; plus the native ``predict_proba``.
- ``XGBRegressor`` (and other XGBModels): PyFunc = the prediction.
- ``Booster``: PyFunc = ``Booster.predict(DMatrix(frame))``, which depends on the objective: ``binary:logistic``
  gives P(class 1) (N,), ``multi:softprob`` the class probabilities (N, K), ``multi:softmax`` the class index as
  a float (N,), a regression objective the value. Classifier objectives are compared as probabilities (two columns
  for binary) and the label of those probabilities; ``multi:softmax`` as the label only (its ONNX "probabilities"
  are the raw margins). Any other objective is compared as a plain prediction.
"""
from __future__ import annotations

import json

import numpy as np

from harness.artifacts import Artifact
from harness.flavors import Flavor, InputHints, boosting, sklearn_model
from harness.outputs import OutputSpec, squeeze_rows

FORMAT = "xgboost"  # the artifact format of XGBoost's own model files (UBJ/JSON), for JVM runtimes (XGBoost4J)
CLASSIFIER_OBJECTIVES = ("binary:logistic", "multi:softprob", "multi:softmax")
# The raw margin (Booster.predict(..., output_margin=True): the trees' sum and the base score, before the objective's
# transform), compared wherever a runtime reads XGBoost's own model file (XGBoost4J); ONNX and PMML exports have no
# such output (not-in-artifact, a note).
MARGIN = "margin"


def is_booster(native) -> bool:
    import xgboost

    return isinstance(native, xgboost.Booster)


def booster_of(native):
    return native if is_booster(native) else native.get_booster()


def learner(booster) -> dict:
    return json.loads(booster.save_config())["learner"]


def objective(booster) -> str:
    return learner(booster)["objective"]["name"]


def class_count(booster) -> int:
    return int(learner(booster)["learner_model_param"].get("num_class", "0") or 0)


class XgboostFlavor(Flavor):
    name = "xgboost"
    priority = 10
    python_packages = ("xgboost-cpu", "onnxmltools", "skl2onnx", "sklearn2pmml")  # xgboost-cpu: the pinned build

    def load_native(self, model):
        import mlflow.xgboost

        return mlflow.xgboost.load_model(str(model.local_dir))

    def serialization_format(self, conf: dict, local_dir) -> str | None:
        return f"XGBoost {conf.get('model_format', 'model')} file (no pickle)"

    def check_signature(self, model) -> None:
        native = model.native
        names = booster_of(native).feature_names
        sklearn_model.check_names(list(names) if names else None, model.signature, model.uri,
                                  sklearn_model.pyfunc_probe(model))

    # --- the reference ------------------------------------------------------------------------------------------
    def output_spec(self, model) -> OutputSpec:
        native = model.native
        if not is_booster(native):
            if hasattr(native, "classes_"):
                return OutputSpec("classifier", tuple(np.asarray(native.classes_).tolist()), native_only=(MARGIN,))
            return OutputSpec("regressor", native_only=(MARGIN,))
        name = objective(native)
        if name in CLASSIFIER_OBJECTIVES:
            return OutputSpec("classifier", tuple(range(max(class_count(native), 2))), native_only=(MARGIN,))
        return OutputSpec("regressor", native_only=(MARGIN,))

    def reference_outputs(self, model, spec: OutputSpec, batch) -> dict:
        if not is_booster(model.native):
            found = boosting.sklearn_api_reference(model, spec, batch)
        else:
            labels_only = spec.kind == "classifier" and objective(model.native) == "multi:softmax"
            found = boosting.booster_reference(model.pyfunc.predict(boosting.model_input(batch)), spec,
                                          len(boosting.model_input(batch)), labels_only)
        return {**found, MARGIN: margin(model.native, batch)}

    # --- artifacts ----------------------------------------------------------------------------------------------
    def exporters(self, model) -> list:
        return boosting.exporters(model, sklearn_api=not is_booster(model.native))

    def default_opsets(self, model) -> list[int]:
        return boosting.default_opsets()

    def logged_artifacts(self, model) -> list:
        """The model file mlflow.xgboost saved (``data`` in the flavor conf): the file the reference loads."""
        data = model.flavor_conf.get("data")
        path = model.local_dir / data if data else None
        if path is None or not path.is_file():
            return []
        return [Artifact(format=FORMAT, origin="logged", path=path, reference_file=True)]

    def input_hints(self, model, columns: list[str]) -> InputHints:
        return InputHints(thresholds=split_thresholds(booster_of(model.native), columns))


def margin(native, batch) -> np.ndarray:
    """The raw margin of a batch, called as mlflow.xgboost's PyFunc calls ``predict`` (a Booster on
    ``DMatrix(frame)``, a scikit-learn API model on the frame): (N,) for one output group, (N, K) for K classes."""
    import xgboost

    batch = boosting.model_input(batch)
    if is_booster(native):
        values = native.predict(xgboost.DMatrix(batch), output_margin=True, validate_features=True)
    else:
        values = native.predict(batch, output_margin=True, validate_features=True)
    return squeeze_rows(np.asarray(values), len(batch))


def split_thresholds(booster, columns: list[str]) -> dict[str, list[float]]:
    """Every numeric split of every tree, by signature column. XGBoost splits on float32 values (``x < t``); the
    dump prints them with 9 significant digits, so each is read back as the float32 the tree holds."""
    frame = booster.trees_to_dataframe()
    if frame.empty:
        return {}
    splits = frame[frame["Feature"] != "Leaf"]
    if "Category" in splits:
        splits = splits[splits["Category"].isna()]  # categorical splits have no threshold
    names = list(booster.feature_names or [])

    def index(feature: str):
        if feature in names:
            return names.index(feature)
        if feature.startswith("f") and feature[1:].isdigit():
            return int(feature[1:])
        return None

    pairs = [(index(str(f)), float(np.float32(s))) for f, s in zip(splits["Feature"], splits["Split"])]
    return boosting.thresholds_by_column(pairs, columns)
