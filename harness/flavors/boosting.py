"""What the gradient-boosting flavors (``harness.flavors.xgboost``, ``harness.flavors.lightgbm``) share: the
reference of a native Booster, whose PyFunc returns the Booster's raw ``predict`` output, and the exporters and
opsets of both."""
from __future__ import annotations

import numpy as np

from harness.onnx_versions import ORT_MAX_OPSET, OLDEST_SWEPT_OPSET
from harness.outputs import LABEL, PREDICTION, PROBABILITIES, OutputSpec, squeeze_rows


def booster_reference(predicted, spec: OutputSpec, rows: int, labels_only: bool = False) -> dict:
    """A Booster's PyFunc output as the outputs an exported classifier has.

    ``predicted`` is what the PyFunc returned: the positive class's probability (N,) for a binary objective, the
    class probabilities (N, K) for a multiclass one, the class index as a float (N,) when ``labels_only`` (XGBoost's
    ``multi:softmax``), the value for a regressor. The label of probabilities is the class with the highest one, the
    first on a tie (what ``XGBClassifier.predict``/``LGBMClassifier.predict`` and the ONNX TreeEnsembleClassifier
    compute from the same probabilities)."""
    predicted = np.asarray(predicted)
    if spec.kind != "classifier":
        return {PREDICTION: squeeze_rows(predicted, rows)}
    classes = np.asarray(spec.classes)
    if labels_only:
        return {LABEL: classes[np.rint(predicted.reshape(rows)).astype(np.int64)]}
    probabilities = predicted.astype(np.float64).reshape(rows, -1)
    if probabilities.shape[1] == 1:
        probabilities = np.column_stack([1.0 - probabilities[:, 0], probabilities[:, 0]])
    return {LABEL: classes[np.argmax(probabilities, axis=1)], PROBABILITIES: probabilities}


def model_input(batch):
    """A column batch as it is; a tensor signature's batch (one matrix) as that matrix."""
    return next(iter(batch.values())) if isinstance(batch, dict) and len(batch) == 1 else batch


def sklearn_api_reference(model, spec: OutputSpec, batch) -> dict:
    """XGBClassifier/LGBMClassifier/...: the PyFunc prediction (labels or values), and the native
    ``predict_proba`` of a classifier."""
    batch = model_input(batch)
    predicted = np.asarray(model.pyfunc.predict(batch))
    if spec.kind != "classifier":
        return {PREDICTION: squeeze_rows(predicted, len(batch))}
    return {LABEL: predicted.reshape(len(batch)),
            PROBABILITIES: np.asarray(model.native.predict_proba(batch), dtype=np.float64)}


def exporters(model, sklearn_api: bool) -> list:
    """onnxmltools' converters at each opset; sklearn2pmml (its bundled JPMML-XGBoost/JPMML-LightGBM) for the
    scikit-learn API models. sklearn2pmml cannot take a native Booster: its PMMLPipeline needs an estimator with
    ``fit`` ("Last step of Pipeline should implement fit ... <xgboost.core.Booster ...> doesn't"), so a Booster
    gets no PMML artifact."""
    from harness.exporters.onnxmltools_onnx import OnnxmltoolsOnnx

    found = [OnnxmltoolsOnnx()]
    if sklearn_api:
        from harness.exporters.sklearn_pmml import Sklearn2Pmml

        found.append(Sklearn2Pmml())
    return found


def default_opsets() -> list[int]:
    """Every opset from the oldest swept to the newest skl2onnx writes and ONNX Runtime runs (13-22 with the
    pinned versions). onnxmltools' converters run inside skl2onnx (``harness.exporters.onnxmltools_onnx``) work at
    all of them; onnxmltools' own ``convert_xgboost``/``convert_lightgbm`` stop at 15 (``route=onnxmltools``, asked
    for with --opsets 13,14,15)."""
    import skl2onnx

    return list(range(OLDEST_SWEPT_OPSET, min(skl2onnx.__max_supported_opset__, ORT_MAX_OPSET) + 1))


def thresholds_by_column(pairs, columns: list[str]) -> dict[str, list[float]]:
    """(feature index, threshold) pairs -> {signature column: thresholds}; indices outside the signature drop."""
    found: dict[str, list[float]] = {}
    for index, threshold in pairs:
        if index is not None and 0 <= index < len(columns) and np.isfinite(threshold):
            found.setdefault(columns[index], []).append(float(threshold))
    return found
