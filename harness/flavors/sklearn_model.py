"""What the harness reads off a fitted scikit-learn estimator: its task, classes, and the categories it knows."""
from __future__ import annotations

import numpy as np


def final_estimator(estimator):
    """The last step of a Pipeline (recursively), or the estimator itself."""
    steps = getattr(estimator, "steps", None)
    return final_estimator(steps[-1][1]) if steps else estimator


def is_classifier(estimator) -> bool:
    return getattr(final_estimator(estimator), "_estimator_type", None) == "classifier" or hasattr(
        final_estimator(estimator), "classes_"
    )


def classes(estimator) -> np.ndarray | None:
    return getattr(final_estimator(estimator), "classes_", None)


def kind(estimator) -> str:
    """What the model computes, as ``harness.outputs.OutputSpec`` kinds: "classifier" (with predict_proba),
    "decision" (a classifier without predict_proba, with decision_function: SVC, LinearSVC, RidgeClassifier),
    "outlier" (IsolationForest, OneClassSVM, LocalOutlierFactor(novelty=True)), "clusterer" (KMeans, ...),
    "transformer" (no predict, a transform: e.g. StandardScaler + PCA) or "regressor"."""
    from sklearn.base import is_clusterer, is_outlier_detector

    final = final_estimator(estimator)
    if is_classifier(estimator):
        if not hasattr(estimator, "predict_proba") and hasattr(estimator, "decision_function"):
            return "decision"
        return "classifier"
    if is_outlier_detector(final):
        return "outlier"
    if is_clusterer(final):
        return "clusterer"
    if not hasattr(estimator, "predict") and hasattr(estimator, "transform"):
        return "transformer"
    return "regressor"


def n_clusters(estimator) -> int | None:
    """A centroid clusterer's number of clusters (its transform gives the distance to each centre)."""
    centres = getattr(final_estimator(estimator), "cluster_centers_", None)
    return len(centres) if centres is not None else None


def n_outputs(estimator) -> int:
    """How many values a regressor predicts per row (a multi-output regressor: more than one)."""
    from sklearn.multioutput import MultiOutputRegressor, RegressorChain

    final = final_estimator(estimator)
    if isinstance(final, (MultiOutputRegressor, RegressorChain)):
        return len(final.estimators_)
    count = getattr(final, "n_outputs_", None)
    if count is None and np.ndim(getattr(final, "coef_", None)) == 2:
        count = np.shape(final.coef_)[0]
    if count is None and np.ndim(getattr(final, "_y", None)) == 2:  # k-nearest neighbours
        count = np.shape(final._y)[1]
    return int(count or 1)


def selects_columns_by_name(estimator) -> bool:
    """True when a ColumnTransformer picks DataFrame columns by name, so the ONNX graph needs one input per column."""
    from sklearn.compose import ColumnTransformer

    return any(isinstance(step, ColumnTransformer) for step in _walk(estimator))


def categories_by_column(estimator) -> dict[str, list]:
    """Categories a OneHotEncoder/OrdinalEncoder learned, keyed by the DataFrame column they were fitted on."""
    from sklearn.compose import ColumnTransformer

    found: dict[str, list] = {}
    for step in _walk(estimator):
        if not isinstance(step, ColumnTransformer):
            continue
        for _, transformer, columns in step.transformers_:
            if isinstance(columns, str):
                columns = [columns]
            for encoder in _walk(transformer):
                learned = getattr(encoder, "categories_", None)
                if learned is None or not all(isinstance(c, str) for c in columns):
                    continue
                for column, values in zip(columns, learned):
                    found.setdefault(column, [v for v in values.tolist() if v is not None])
                break
    return found


def _walk(estimator):
    """The estimator and every estimator nested in it (pipeline steps, column-transformer parts)."""
    yield estimator
    for _, step in getattr(estimator, "steps", None) or []:
        yield from _walk(step)
    for _, transformer, _ in getattr(estimator, "transformers_", None) or getattr(estimator, "transformers", []):
        if not isinstance(transformer, str):
            yield from _walk(transformer)


def check_signature(estimator, signature, model_uri: str, probe=None) -> None:
    """The signature's input columns must be what the model takes.

    When the columns the estimator was fitted on (``feature_names_in_``) differ from the signature's, the names
    alone do not prove a mismatch: LightGBM, for one, rewrites spaces in feature names, so a model logged exactly
    as advised (``infer_signature(X, model.predict(X))``) has other names than its signature. ``probe`` (see
    ``pyfunc_probe``) runs the PyFunc model on one typical row of the signature's columns and returns its error,
    or None when it accepts them; only a rejection is a SignatureError. Without a probe, differing names refuse.
    """
    fitted = getattr(estimator, "feature_names_in_", None)
    check_names([str(c) for c in fitted] if fitted is not None else None, signature, model_uri, probe)


def check_names(fitted: list[str] | None, signature, model_uri: str, probe=None) -> None:
    """``fitted``: the feature names the model knows (None when it knows none)."""
    from harness.inputs import SignatureError

    if fitted is None or signature is None or signature.inputs is None or not signature.inputs.has_input_names():
        return
    declared = [str(c) for c in signature.inputs.input_names()]
    if declared == list(fitted):
        return
    rejected = probe() if probe is not None else "no probe"
    if rejected is None:
        return  # the PyFunc model takes the signature's columns: the names differ, the inputs do not
    raise SignatureError(
        f"{model_uri}: the signature does not match the model. The model was fitted on columns {list(fitted)}, "
        f"the signature declares {declared}"
        + (f", and the PyFunc model rejects a row of the signature's columns ({rejected})" if probe else "")
        + ". Log the model again with `signature=infer_signature(X, model.predict(X))` on the training frame X."
    )


def pyfunc_probe(model):
    """A probe for ``check_signature``: the PyFunc model's error on one typical row of the signature's columns
    (as a DataFrame), or None when it accepts the row."""
    def probe() -> str | None:
        from harness import inputs

        try:
            columns = inputs.columns_from_signature(model.signature, model_uri=model.uri,
                                                    example=model.input_example)
            row = inputs.to_frame({c.name: [inputs.typical_value(c)] for c in columns}, columns)
            model.pyfunc.predict(row)
        except Exception as error:  # the PyFunc's own reason is the evidence
            return f"{type(error).__name__}: {str(error).strip()[:400]}"
        return None
    return probe
