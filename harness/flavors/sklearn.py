"""scikit-learn models (``mlflow.sklearn``): estimators and pipelines, exported with skl2onnx at each opset and
with sklearn2pmml. The reference is the PyFunc prediction plus what the estimator's kind computes natively
(``sklearn_model.kind``): a classifier's ``predict_proba`` (or, without it, ``decision_function``), an outlier
detector's ``decision_function`` and ``score_samples``, a clusterer's distances to its centres (``transform``).
A transformer-only pipeline (no predict; MLflow logs it without a PyFunc flavor) is checked on its ``transform``."""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from harness.flavors import Flavor, InputHints, sklearn_model
from harness.onnx_versions import ORT_MAX_OPSET, OLDEST_SWEPT_OPSET
from harness.outputs import (DECISION, DISTANCES, LABEL, PREDICTION, PROBABILITIES, SCORES, TRANSFORMED, OutputSpec,
                             squeeze_rows)

TRANSFORMER_PMML_NOTE = (
    "no PMML artifact is planned: the model was logged without predict (a transformer-only pipeline, which MLflow "
    "logs with no PyFunc flavor), and sklearn2pmml writes a transformer-only pipeline as a PMML file with no model "
    "element (only a TransformationDictionary), which JPMML-Evaluator refuses to load (\"Required element "
    "PMML/<Model>@isScorable=true is not defined\"). Its ONNX artifacts are checked on the transformed columns.")


class SklearnFlavor(Flavor):
    name = "sklearn"
    priority = 10
    python_packages = ("scikit-learn", "skl2onnx", "sklearn2pmml")

    def load_native(self, model):
        import mlflow.sklearn

        return mlflow.sklearn.load_model(str(model.local_dir))

    def check_signature(self, model) -> None:
        sklearn_model.check_signature(model.native, model.signature, model.uri, sklearn_model.pyfunc_probe(model))

    def reference_without_pyfunc(self, mlmodel_flavors: dict) -> bool:
        return True  # a transformer-only pipeline: mlflow.sklearn logs no PyFunc flavor for it

    def load_reference(self, model) -> None:
        if sklearn_model.kind(model.native) != "transformer":
            model.pyfunc  # every other kind's label or prediction is the PyFunc model's
            return
        if not hasattr(model.native, "transform"):
            raise ValueError("the pipeline has neither predict nor transform")

    def output_spec(self, model) -> OutputSpec:
        native = model.native
        kind = sklearn_model.kind(native)
        if kind in ("classifier", "decision"):
            return OutputSpec(kind, tuple(sklearn_model.classes(native).tolist()))
        if kind == "clusterer":
            clusters = sklearn_model.n_clusters(native)
            return OutputSpec(kind, tuple(range(clusters)) if clusters else None)
        if kind == "outlier":
            return OutputSpec(kind, (-1, 1))
        if kind == "transformer":
            return OutputSpec(kind)
        return OutputSpec("regressor", columns=sklearn_model.n_outputs(native))

    def reference_outputs(self, model, spec: OutputSpec, batch) -> dict:
        native = model.native
        if spec.kind == "transformer":
            return {TRANSFORMED: _dense(native.transform(batch)).reshape(len(batch), -1)}
        predicted = np.asarray(model.pyfunc.predict(batch))
        if spec.kind == "regressor":
            return {PREDICTION: squeeze_rows(predicted, len(batch))}
        outputs = {LABEL: predicted.reshape(len(batch))}
        if spec.kind == "classifier" and hasattr(native, "predict_proba"):
            outputs[PROBABILITIES] = np.asarray(native.predict_proba(batch), dtype=np.float64)
        if spec.kind in ("decision", "outlier"):
            outputs[DECISION] = _dense(native.decision_function(batch))
        if spec.kind == "outlier" and hasattr(native, "score_samples"):
            outputs[SCORES] = _dense(native.score_samples(batch))
        if spec.kind == "clusterer" and spec.classes and hasattr(native, "transform"):
            outputs[DISTANCES] = _dense(native.transform(batch)).reshape(len(batch), -1)
        return outputs

    def exporters(self, model) -> list:
        from harness.exporters.sklearn_onnx import Skl2Onnx
        from harness.exporters.sklearn_pmml import Sklearn2Pmml

        if logged_as_transformer(model):
            return [Skl2Onnx()]
        return [Skl2Onnx(), Sklearn2Pmml()]

    def notes(self, model) -> list[str]:
        return [TRANSFORMER_PMML_NOTE] if logged_as_transformer(model) else []

    def default_opsets(self, model) -> list[int]:
        import skl2onnx

        return list(range(OLDEST_SWEPT_OPSET, min(skl2onnx.__max_supported_opset__, ORT_MAX_OPSET) + 1))

    def input_hints(self, model, columns: list[str]) -> InputHints:
        return InputHints(categories=sklearn_model.categories_by_column(model.native),
                          thresholds=tree_thresholds(model.native, columns),
                          boundary=linear_boundary(model.native, columns))


def _dense(values) -> np.ndarray:
    """float64 values (a sparse transformer output made dense)."""
    return np.asarray(values.toarray() if hasattr(values, "toarray") else values, dtype=np.float64)


def logged_as_transformer(model) -> bool:
    """Read off the MLmodel file (cheap, at collection): mlflow.sklearn logs a model without predict (a
    transformer-only pipeline) with no PyFunc flavor, or with predict_fn "transform" when asked to."""
    from mlflow.models import Model

    pyfunc = Model.load(str(model.local_dir / "MLmodel")).flavors.get("python_function")
    return pyfunc is None or pyfunc.get("predict_fn") == "transform"


def tree_thresholds(estimator, columns: list[str]) -> dict[str, list[float]]:
    """Split thresholds of every tree that reads the raw columns, directly or through a StandardScaler (whose
    thresholds are mapped back to the raw column: t * scale + mean)."""
    from sklearn.preprocessing import StandardScaler

    model = sklearn_model.final_estimator(estimator)
    steps = [s for _, s in getattr(estimator, "steps", [])]
    scaler = None
    if len(steps) == 2 and isinstance(steps[0], StandardScaler):
        scaler = steps[0]
    elif len(steps) > 1:
        return {}  # another transformer changes the feature space: thresholds do not map to columns
    trees = []
    for member in getattr(model, "estimators_", None) if hasattr(model, "estimators_") else [model]:
        for tree in np.ravel(member) if isinstance(member, np.ndarray) else [member]:
            if hasattr(tree, "tree_"):
                trees.append(tree.tree_)
    pairs = [(feature, threshold) for tree in trees for feature, threshold in zip(tree.feature, tree.threshold)]
    if not trees:
        pairs = boosting_splits(model, len(columns))
    found = defaultdict(list)
    for feature, threshold in pairs:
        if 0 <= feature < len(columns):
            if scaler is not None:
                scale = scaler.scale_[feature] if scaler.scale_ is not None else 1.0
                mean = scaler.mean_[feature] if scaler.mean_ is not None else 0.0
                threshold = threshold * scale + mean
            found[columns[feature]].append(float(threshold))
    return dict(found)


def boosting_splits(model, features: int) -> list[tuple[int, float]]:
    """(feature index, threshold) of a HistGradientBoosting model, or of an XGBoost or LightGBM estimator at the
    end of a pipeline (read by those flavors' own modules), so its splits are hunted like other trees'."""
    predictors = getattr(model, "_predictors", None)  # HistGradientBoosting: per iteration, per class
    if predictors:
        return [(int(node["feature_idx"]), float(node["num_threshold"])) for iteration in predictors
                for predictor in iteration for node in predictor.nodes
                if not node["is_leaf"] and not node["is_categorical"]]
    names = [f"#{i}" for i in range(features)]
    if hasattr(model, "get_booster"):
        from harness.flavors.xgboost import split_thresholds
    elif hasattr(model, "booster_") and hasattr(model.booster_, "dump_model"):
        from harness.flavors.lightgbm import split_thresholds
    else:
        return []
    booster = model.get_booster() if hasattr(model, "get_booster") else model.booster_
    try:
        by_name = split_thresholds(booster, names)
    except Exception:  # hints only: an unreadable booster costs the hunt its thresholds, never the run
        return []
    return [(names.index(name), t) for name, values in by_name.items() for t in values]


def linear_boundary(estimator, columns: list[str]) -> tuple[np.ndarray, float] | None:
    """(w, b) of a binary linear decision function over the raw columns: LogisticRegression / linear SVM,
    alone or after a StandardScaler."""
    from sklearn.preprocessing import StandardScaler

    steps = [s for _, s in getattr(estimator, "steps", [])] or [estimator]
    model = steps[-1]
    coef = getattr(model, "coef_", None)
    if coef is None or np.ndim(coef) != 2 or coef.shape != (1, len(columns)) or not hasattr(model, "classes_"):
        return None
    w, b = coef[0].astype(np.float64), float(np.ravel(model.intercept_)[0])
    for step in reversed(steps[:-1]):
        if not isinstance(step, StandardScaler):
            return None
        scale = step.scale_ if step.scale_ is not None else np.ones_like(w)
        mean = step.mean_ if step.mean_ is not None else np.zeros_like(w)
        b -= float(np.sum(w * mean / scale))
        w = w / scale
    return w, b
