"""XGBoost and LightGBM models -> ONNX with onnxmltools' converters, at one requested opset.

Two ways to run onnxmltools' converters, chosen with the converter option ``route``:

- ``route=skl2onnx`` (default): onnxmltools' XGBoost/LightGBM converters registered with skl2onnx and run by
  ``skl2onnx.convert_sklearn`` (the route skl2onnx's and onnxmltools' pipeline tutorials document). It takes a
  target-opset dict, ``{"": opset, "ai.onnx.ml": ml}``, and works at every opset skl2onnx writes (13-22 here).
  A native Booster is converted through a subclass of onnxmltools' own ``WrappedBooster`` (which onnxmltools uses
  for Boosters itself), registered as a classifier or regressor by its objective.
- ``route=onnxmltools``: ``onnxmltools.convert_xgboost`` / ``convert_lightgbm`` as called directly. They take one
  integer target opset, refuse anything above 15 ("target_opset 17 is higher than the number of the installed
  onnx package or the converter support (15)."), write ``ai.onnx.ml`` opset 1 and the same graph at every opset
  they accept (measured: 9-15 give byte-identical graphs declaring opset 9 or none).

Converter options (``--converter-option onnxmltools:KEY=VALUE``), the same kinds as skl2onnx's:
``ml_opset`` (default: the ai.onnx.ml opset released with the requested opset, capped at 3, which skl2onnx writes),
``input_type`` (``float``; ``double`` is refused by onnx's checker: the converters write float-only TreeEnsemble
nodes), ``route``, and any other key is an option of the estimator's converter (``zipmap``, ``nocl``; with
``route=onnxmltools``: LightGBM's ``zipmap`` and ``split``). Classifiers get ``zipmap=False`` unless asked.
"""
from __future__ import annotations

import functools
from pathlib import Path

from harness.artifacts import ONNX
from harness.exporters import Exporter
from harness.exporters.sklearn_onnx import (
    CLASSIFIER_OPTIONS,
    HARNESS_KEYS,
    feature_names_cleared,
    input_tensor_type,
    register_boosting_converters,
    target_opsets,
)

ROUTES = ("skl2onnx", "onnxmltools")
OWN_KEYS = HARNESS_KEYS + ("route",)


class OnnxmltoolsOnnx(Exporter):
    name = "onnxmltools"
    format = ONNX
    package = "onnxmltools"
    sweeps_opsets = True

    def export(self, model, inputs, opset, path: Path, options: dict) -> None:
        export(model.native, feature_count(model.native, inputs), opset, path, options)


def feature_count(model, inputs) -> int:
    """How many features the model takes: its own count (``num_features()``, ``num_feature()``,
    ``n_features_in_``), else the signature's columns."""
    for read in (lambda: model.num_features(), lambda: model.num_feature(), lambda: model.n_features_in_):
        try:
            return int(read())
        except (AttributeError, TypeError):
            continue
    return len(inputs)


def export(model, features: int, opset: int, path: Path, options: dict | None = None) -> None:
    """Write the ONNX file of an XGBoost/LightGBM model (Booster or scikit-learn API) taking one
    ``[N, features]`` matrix; raises the converter's own error when it cannot."""
    options = dict(options or {})
    route = str(options.get("route", "skl2onnx"))
    if route not in ROUTES:
        raise ValueError(f"converter option route={route!r}: use route=skl2onnx or route=onnxmltools")
    onnx_model = (_through_skl2onnx if route == "skl2onnx" else _through_onnxmltools)(model, features, opset, options)
    _check(onnx_model, options)
    path.write_bytes(onnx_model.SerializeToString())


def _through_skl2onnx(model, features, opset, options):
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    register_boosting_converters()
    target = wrapped(model)
    converter_options = {k: v for k, v in options.items() if k not in OWN_KEYS}
    if hasattr(target, "classes_"):
        converter_options.setdefault("zipmap", False)
    tensor = input_tensor_type(options.get("input_type", "float"), DoubleTensorType, FloatTensorType)
    return convert_sklearn(target, initial_types=[("X", tensor([None, features]))],
                           target_opset=target_opsets(opset, options),
                           options={id(target): converter_options} if converter_options else {})


def _through_onnxmltools(model, features, opset, options):
    import onnxmltools
    from onnxmltools.convert.common.data_types import DoubleTensorType, FloatTensorType

    if options.get("ml_opset") not in (None, 1):
        raise ValueError(f"ml_opset={options['ml_opset']}: onnxmltools' own convert_xgboost/convert_lightgbm take "
                         "one integer target_opset and write ai.onnx.ml opset 1; use route=skl2onnx to choose it")
    tensor = input_tensor_type(options.get("input_type", "float"), DoubleTensorType, FloatTensorType)
    types = [("X", tensor([None, features]))]
    extra = {k: v for k, v in options.items() if k not in OWN_KEYS}
    if _is_xgboost(model):
        if extra:
            raise ValueError(f"onnxmltools.convert_xgboost takes no converter options (got {sorted(extra)})")
        with feature_names_cleared(_xgboost_booster(model)):  # it refuses named features
            return onnxmltools.convert_xgboost(model, initial_types=types, target_opset=opset)
    unknown = set(extra) - {"zipmap", "split"}
    if unknown:
        raise ValueError(f"onnxmltools.convert_lightgbm takes zipmap and split, not {sorted(unknown)}")
    return onnxmltools.convert_lightgbm(model, initial_types=types, target_opset=opset,
                                        zipmap=extra.get("zipmap", False), split=extra.get("split"))


def _check(onnx_model, options) -> None:
    """onnx's full check (types included): a graph ONNX Runtime would refuse is an export failure here, with
    onnx's reason, not a runtime error in every cell."""
    import onnx

    try:
        onnx.checker.check_model(onnx_model, full_check=True)
    except Exception as error:
        hint = (" onnxmltools' XGBoost/LightGBM converters write float-only TreeEnsemble nodes, so a double input "
                "makes an invalid graph; use input_type=float." if options.get("input_type") == "double" else "")
        raise RuntimeError(f"the converter wrote an invalid ONNX graph ({str(error).strip()[:400]}).{hint}") from None


# --- what skl2onnx converts -------------------------------------------------------------------------------------

def _is_xgboost(model) -> bool:
    try:
        import xgboost
    except ImportError:
        return False
    return isinstance(model, (xgboost.Booster, xgboost.XGBModel))


def _xgboost_booster(model):
    return model if type(model).__name__ == "Booster" else model.get_booster()


def wrapped(model):
    """What skl2onnx converts: a scikit-learn API model as it is; a native Booster wrapped in onnxmltools'
    ``WrappedBooster`` (as onnxmltools' own convert functions wrap it), as a registered classifier or regressor."""
    if type(model).__name__ != "Booster":
        return model
    classifier, regressor = _booster_wrappers()[type(model)]
    probe = classifier(model)
    return probe if probe.operator_name.endswith("Classifier") else regressor(model)


@functools.cache
def _booster_wrappers() -> dict:
    """{Booster class: (classifier wrapper class, regressor wrapper class)}, registered with skl2onnx once, for
    the libraries that import."""
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )
    from sklearn.base import ClassifierMixin, RegressorMixin

    found = {}
    for booster, wrapper, converter in _wrappable():
        prefix = booster.__module__.split(".")[0]
        classifier = type(f"{prefix}BoosterClassifier", (wrapper, ClassifierMixin), {})
        regressor = type(f"{prefix}BoosterRegressor", (wrapper, RegressorMixin), {})
        update_registered_converter(classifier, classifier.__name__, calculate_linear_classifier_output_shapes,
                                    converter, options=dict(CLASSIFIER_OPTIONS))
        update_registered_converter(regressor, regressor.__name__, calculate_linear_regressor_output_shapes,
                                    converter)
        found[booster] = (classifier, regressor)
    return found


def _wrappable():
    """(Booster class, onnxmltools' WrappedBooster for it, onnxmltools' converter) per library that imports."""
    from harness.exporters.sklearn_onnx import xgboost_by_index

    found = []
    try:
        from onnxmltools.convert.xgboost._parse import WrappedBooster as XgbWrapped
        from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
        from xgboost import Booster as XgbBooster

        found.append((XgbBooster, XgbWrapped, xgboost_by_index(convert_xgboost)))
    except ImportError:
        pass
    try:
        from lightgbm import Booster as LgbBooster
        from onnxmltools.convert.lightgbm._parse import WrappedBooster as LgbWrapped
        from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm

        found.append((LgbBooster, LgbWrapped, convert_lightgbm))
    except ImportError:
        pass
    return found
