"""The one matrix a JVM scorer of a gradient-boosting model file is fed (XGBoost4J, lightgbm4j).

A batch crosses the bridge once, as a row-major matrix in a direct buffer that shares the array's memory: columns in
the model's feature order (matched to the signature's columns by name, else by the name the library rewrote, else
by position), NaN = missing, categorical features as numbers (their codes). The row loop is the library's, in Java.
The same matrix is what a counterexample records as ``jvm_inputs`` (``harness.results.corpus``), so the plain-Java
replayer feeds exactly what the harness fed.
"""
from __future__ import annotations

import re
from typing import Callable

import numpy as np
import pandas as pd

from harness.runtimes import RawOutput

JVM_INPUT_NAME = "features"  # the one [rows, features] input of a recorded jvm_inputs entry
OUTPUT_DTYPES = {"FLOAT": np.float32, "DOUBLE": np.float64}


class FeatureMismatch(ValueError):
    """The batch's columns cannot be matched to the model's features."""


def column_order(columns: list[str], features: list[str], rewrite: Callable[[str], str] | None = None) -> list:
    """For each model feature in order, the batch column that feeds it (an index when matched by position).

    By name first; then by the name the library rewrote the signature's column to (``rewrite``: LightGBM turns
    spaces into underscores); then by position, when the counts agree (a model trained without names has
    ``f0, f1, ...`` or ``Column_0, ...``)."""
    if set(features) <= set(columns):
        return list(features)
    if rewrite is not None:
        rewritten = {rewrite(c): c for c in columns}
        if set(features) <= set(rewritten):
            return [rewritten[f] for f in features]
    if len(columns) == len(features):
        return list(range(len(columns)))
    raise FeatureMismatch(f"the model's {len(features)} features {features} cannot be matched to the batch's "
                          f"{len(columns)} columns {columns}, by name or by position")


def spaces_to_underscores(name: str) -> str:
    """LightGBM's rewrite of a feature name (``monthly charges`` -> ``monthly_charges``)."""
    return re.sub(r"\s", "_", name)


def matrix(batch, features: list[str], dtype, encode: Callable[[int, str, pd.Series], np.ndarray] | None = None,
           rewrite: Callable[[str], str] | None = None) -> np.ndarray:
    """The C-contiguous ``[rows, features]`` matrix of ``dtype`` for a batch (a DataFrame, or a dict holding one
    ``[rows, features]`` tensor). Missing values (None, NaN, pd.NA) become NaN; booleans 0/1; a string column goes
    through ``encode(feature_index, feature_name, column)`` (e.g. pandas categories to codes), or is refused."""
    if isinstance(batch, dict):
        if len(batch) != 1:
            raise FeatureMismatch(f"the model takes one [rows, {len(features)}] matrix; the batch has tensors "
                                  f"{sorted(batch)}")
        array = np.asarray(next(iter(batch.values())))
        array = array.reshape(len(array), -1)
        if array.shape[1] != len(features):
            raise FeatureMismatch(f"the model has {len(features)} features, the batch's tensor {array.shape[1]} "
                                  "columns")
        return np.ascontiguousarray(array.astype(dtype))
    columns = [str(c) for c in batch.columns]
    order = column_order(columns, features, rewrite)
    out = np.empty((len(batch), len(features)), dtype=dtype)
    for index, (feature, source) in enumerate(zip(features, order)):
        column = batch.iloc[:, source] if isinstance(source, int) else batch[batch.columns[columns.index(source)]]
        out[:, index] = numeric(column, index, feature, encode)
    return out


def numeric(column: pd.Series, index: int, feature: str, encode=None) -> np.ndarray:
    """One column as float64 (a float32 column as float32: casting it later to float32 changes nothing)."""
    if pd.api.types.is_bool_dtype(column):
        return column.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.is_numeric_dtype(column):
        if column.dtype == np.float32:
            return column.to_numpy()
        if pd.api.types.is_integer_dtype(column) and not pd.api.types.is_extension_array_dtype(column):
            return column.to_numpy()  # int64 -> the matrix's type in one cast (no detour through float64)
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    if encode is None:
        raise FeatureMismatch(f"feature '{feature}' arrived as {column.dtype} values; the model takes numbers "
                              "(pass categorical features as their category codes)")
    return encode(index, feature, column)


def direct_buffer(array: np.ndarray):
    """A direct java.nio.ByteBuffer over the array's memory (no copy): keep the array alive until Java returns."""
    import jpype

    return jpype.nio.convertToDirectBuffer(memoryview(np.ascontiguousarray(array)).cast("B"))


def read_outputs(result) -> list[RawOutput]:
    """A harness.bridge.BatchOutputs of numeric outputs, copied out of its direct buffers."""
    raw = []
    for index in range(result.size()):
        name = str(result.names.get(index))
        element_type = str(result.elementTypes.get(index))
        dtype = OUTPUT_DTYPES.get(element_type)
        if dtype is None:
            raise ValueError(f"the scorer returned output '{name}' of element type {element_type}, which the harness "
                             "does not read here")
        shape = [int(d) for d in result.shapes.get(index)]
        raw.append(RawOutput(name, np.frombuffer(memoryview(result.data.get(index)), dtype=dtype).reshape(shape).copy()))
    return raw


def recorded(array: np.ndarray) -> list[dict]:
    """The ``jvm_inputs`` entry of a corpus file: the matrix the scorer was fed, in the ``onnx_inputs`` layout."""
    element_type = "FLOAT" if array.dtype == np.float32 else "DOUBLE"
    values = [None if np.isnan(v) else float(v) for v in array.astype(np.float64).ravel()]
    return [{"name": JVM_INPUT_NAME, "element_type": element_type, "shape": list(array.shape), "values": values}]


def version_key(version: str | None) -> tuple[int, ...]:
    """``3.2.0`` -> (3, 2, 0); ``4.3.0-1`` -> (4, 3, 0, 1)."""
    return tuple(int(part) for part in re.findall(r"\d+", version or ""))


def first_line(text: str) -> str:
    """A native library's message without its stack trace."""
    text = str(text).split("Stack trace:")[0].strip()
    return text.splitlines()[0].strip() if text else text


def scorer_prediction(spec, named: dict):
    """A boosting scorer's ``prediction`` recovered from named outputs: the positive class's probability of a binary
    classifier (one column), every class's for more, the class index when there is only a label (XGBoost's
    multi:softmax), the value of a regressor; None when the outputs do not say it."""
    from harness.outputs import LABEL, PREDICTION, PROBABILITIES

    if spec.kind != "classifier":
        return np.asarray(named[PREDICTION], dtype=np.float64).reshape(len(named[PREDICTION]), -1) \
            if PREDICTION in named else None
    if PROBABILITIES in named:
        probabilities = np.asarray(named[PROBABILITIES], dtype=np.float64)
        return probabilities[:, 1:] if probabilities.shape[1] == 2 else probabilities
    if LABEL in named:
        position = {str(c): i for i, c in enumerate(spec.classes)}
        return np.array([[position.get(str(v), np.nan)] for v in named[LABEL]], dtype=np.float64)
    return None


def time_inside_java(scorer, matrix: np.ndarray, repeats: int) -> list[int]:
    """Nanoseconds of each of ``repeats`` predict() calls of a scorer on a ready-made matrix, timed by Java around
    its own call (no feed building, no output conversion: what the bridge adds is the rest)."""
    buffer = direct_buffer(matrix)
    nanos = list(scorer.timePredict(buffer, matrix.shape[0], matrix.shape[1], matrix.dtype == np.float64, repeats))
    del buffer
    return [int(n) for n in nanos]
