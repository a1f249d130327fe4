"""scikit-learn estimator or pipeline -> ONNX, with skl2onnx, at one requested opset.

Two things skl2onnx 1.20 cannot do on its own with the pinned versions, done here:

- XGBoost and LightGBM estimators inside a pipeline (``XGBClassifier``, ``XGBRegressor``, ``LGBMClassifier``,
  ``LGBMRegressor``): skl2onnx has no converter for them (``MissingShapeCalculator``). onnxmltools' converters are
  registered with skl2onnx (``register_boosting_converters``) the way skl2onnx's own XGBoost/LightGBM pipeline
  tutorials do, lazily and only for the libraries that import.
- HistGradientBoostingClassifier/Regressor: skl2onnx's ``add_tree_to_attribute_pairs_hist_gradient_boosting``
  (``skl2onnx/common/tree_ensemble.py``) passes a Python ``False`` as ``nodes_missing_value_tracks_true`` for every
  leaf (branch nodes get numpy ``uint8``); onnx 1.23 with protobuf 7 refuses a bool in an ``ints`` attribute
  (``TypeError: Field onnx.AttributeProto.ints: Expected an int, got a boolean``). ``_missing_tracks_as_ints``
  wraps skl2onnx's ``add_node`` for the duration of one conversion so the flag arrives as an int (same meaning,
  0/1). No pin changes: ONNX Runtime stays 1.29.0 on both sides.

Converter options (``--converter-option skl2onnx:KEY=VALUE``): ``ml_opset`` (the ``ai.onnx.ml`` opset),
``input_type`` (``float``, the default, or ``double``), and any other key is an option of the final estimator's
converter (``zipmap``, ``raw_scores``, ``nocl``, ...; skl2onnx refuses the ones the converter does not know).
"""
from __future__ import annotations

import contextlib
import functools
from pathlib import Path

from harness.artifacts import ONNX
from harness.exporters import Exporter
from harness.flavors import sklearn_model
from harness.onnx_versions import ml_opset_for

SKL2ONNX_MAX_ML_OPSET = 3  # the newest ai.onnx.ml opset skl2onnx 1.20's tree converters write
HARNESS_KEYS = ("ml_opset", "input_type")  # options the exporter reads itself; the rest go to the converter


class Skl2Onnx(Exporter):
    name = "skl2onnx"
    format = ONNX
    package = "skl2onnx"
    sweeps_opsets = True

    def export(self, model, inputs, opset, path: Path, options: dict) -> None:
        export(model.native, inputs, opset, path, options)


def initial_types(estimator, columns, dtype: str = "float"):
    """One float/string input per column when a ColumnTransformer selects columns by name, else one matrix.

    Float32 inputs are what skl2onnx users deploy, and what scikit-learn's trees compare in; ``dtype="double"``
    (converter option ``input_type=double``) gives DoubleTensorType inputs instead.
    """
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, StringTensorType

    numeric = input_tensor_type(dtype, DoubleTensorType, FloatTensorType)
    if sklearn_model.selects_columns_by_name(estimator):
        return [(c.name, StringTensorType([None, 1]) if c.type == "string" else numeric([None, 1])) for c in columns]
    return [("X", numeric([None, len(columns)]))]


def input_tensor_type(dtype, double_type, float_type):
    if str(dtype).lower() not in ("float", "double"):
        raise ValueError(f"converter option input_type={dtype!r}: use input_type=float or input_type=double")
    return double_type if str(dtype).lower() == "double" else float_type


def target_opsets(opset: int, options: dict) -> dict:
    """The default domain at ``opset``, ``ai.onnx.ml`` at the version released with it (capped at what skl2onnx
    writes) unless ``options`` names one: skl2onnx needs both for trees and IsolationForest."""
    ml = options.get("ml_opset") or min(ml_opset_for(opset) or SKL2ONNX_MAX_ML_OPSET, SKL2ONNX_MAX_ML_OPSET)
    return {"": opset, "ai.onnx.ml": int(ml)}


def estimator_options(estimator, options: dict) -> dict:
    """The converter options of the final estimator: every key but the exporter's own; a classifier gets plain
    ``[N, classes]`` probabilities (``zipmap=False``) unless the user asked otherwise."""
    chosen = dict(options.get("estimator_options") or {})
    chosen.update({k: v for k, v in options.items() if k not in HARNESS_KEYS and k != "estimator_options"})
    allowed = _allowed_options(sklearn_model.final_estimator(estimator))
    for key, value in KIND_OPTIONS.get(sklearn_model.kind(estimator), {}).items():
        # only options the converter declares (LinearSVC's refuses zipmap, OneClassSVM's declares none); a
        # converter that declares none still gets zipmap=False for a classifier, as ever
        if key in (allowed if allowed is not None else ("zipmap",) if sklearn_model.is_classifier(estimator) else ()):
            chosen.setdefault(key, value)
    return chosen


# Per estimator kind (``sklearn_model.kind``), the converter options that make the outputs mean what the reference's
# do (``harness.outputs``): plain [N, classes] probabilities; a classifier's decision scores per class, (-df, +df)
# for a binary one (binary SVC otherwise writes (+df, -df)); an outlier detector's score_samples beside its
# decision function (IsolationForest, LocalOutlierFactor).
KIND_OPTIONS = {"classifier": {"zipmap": False}, "decision": {"zipmap": False, "raw_scores": True},
                "outlier": {"score_samples": True}}


def _allowed_options(final) -> dict | None:
    """The options the estimator's registered converter declares (None when it declares none or is unknown)."""
    try:
        from skl2onnx import get_model_alias
        from skl2onnx.common._registration import get_converter

        return get_converter(get_model_alias(type(final))).get_allowed_options()
    except Exception:
        return None


def export(estimator, columns, opset: int, path: Path, options: dict | None = None) -> None:
    """Write the ONNX file; raises whatever skl2onnx raises when it cannot convert."""
    from skl2onnx import convert_sklearn

    options = options or {}
    register_boosting_converters()
    final = sklearn_model.final_estimator(estimator)
    chosen = estimator_options(estimator, options)
    with _missing_tracks_as_ints():
        onnx_model = convert_sklearn(estimator, initial_types=initial_types(estimator, columns,
                                                                            options.get("input_type", "float")),
                                     target_opset=target_opsets(opset, options),
                                     options={id(final): chosen} if chosen else {})
    path.write_bytes(onnx_model.SerializeToString())


# --- HistGradientBoosting: bools where onnx wants ints ------------------------------------------------------------

@contextlib.contextmanager
def _missing_tracks_as_ints():
    """skl2onnx 1.20 writes ``nodes_missing_value_tracks_true=False`` (a bool) for the leaves of a
    HistGradientBoosting tree; onnx 1.23 / protobuf 7 reject bools in integer attributes. For one conversion,
    skl2onnx's ``add_node`` gets the flag as an int (0/1, the same meaning). Other converters never pass bools,
    so the wrap changes nothing for them; it is undone afterwards."""
    from skl2onnx.common import tree_ensemble

    original = tree_ensemble.add_node

    @functools.wraps(original)
    def add_node(*args, nodes_missing_value_tracks_true=0, **kwargs):
        return original(*args, nodes_missing_value_tracks_true=int(nodes_missing_value_tracks_true), **kwargs)

    tree_ensemble.add_node = add_node
    try:
        yield
    finally:
        tree_ensemble.add_node = original


# --- XGBoost and LightGBM estimators inside pipelines -------------------------------------------------------------

CLASSIFIER_OPTIONS = {"zipmap": [True, False, "columns"], "nocl": [True, False]}


@functools.cache
def register_boosting_converters() -> tuple[str, ...]:
    """Register onnxmltools' XGBoost/LightGBM converters with skl2onnx, once, for whichever of xgboost, lightgbm
    and onnxmltools import (returns the registered class names). Without them nothing is registered and skl2onnx
    reports its own MissingShapeCalculator for such a pipeline."""
    try:
        from skl2onnx import update_registered_converter
        from skl2onnx.common.shape_calculator import (
            calculate_linear_classifier_output_shapes,
            calculate_linear_regressor_output_shapes,
        )
    except ImportError:
        return ()
    registered = []
    for classifier, regressor, converter in _boosting_classes():
        alias = classifier.__module__.split(".")[0]
        update_registered_converter(classifier, f"{alias}{classifier.__name__}",
                                    calculate_linear_classifier_output_shapes, converter,
                                    options=dict(CLASSIFIER_OPTIONS))
        update_registered_converter(regressor, f"{alias}{regressor.__name__}",
                                    calculate_linear_regressor_output_shapes, converter)
        registered += [classifier.__name__, regressor.__name__]
    return tuple(registered)


def _boosting_classes():
    """(classifier class, regressor class, onnxmltools converter) for each library that imports."""
    found = []
    try:
        from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
        from xgboost import XGBClassifier, XGBRegressor

        found.append((XGBClassifier, XGBRegressor, xgboost_by_index(convert_xgboost)))
    except ImportError:
        pass
    try:
        from lightgbm import LGBMClassifier, LGBMRegressor
        from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm

        found.append((LGBMClassifier, LGBMRegressor, convert_lightgbm))
    except ImportError:
        pass
    return found


def xgboost_by_index(convert):
    """onnxmltools' XGBoost converter reads feature indices off the booster's dump and refuses named features
    ("Unable to interpret 'x1', feature names should follow pattern 'f%d'"): while it converts, the booster's
    feature names are cleared (the dump then says f0, f1, ... in the training column order) and then restored."""
    @functools.wraps(convert)
    def converter(scope, operator, container):
        with feature_names_cleared(operator.raw_operator.get_booster()):
            return convert(scope, operator, container)
    return converter


@contextlib.contextmanager
def feature_names_cleared(booster):
    """An XGBoost booster without feature names (its dump then says f0, f1, ...), restored afterwards."""
    names = booster.feature_names
    booster.feature_names = None
    try:
        yield booster
    finally:
        booster.feature_names = names
