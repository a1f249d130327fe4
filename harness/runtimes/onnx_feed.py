"""Batch (DataFrame) -> ONNX input tensors, the same way for both ONNX Runtime sides.

An input whose name is a column gets that column as ``[N, 1]`` (or ``[N]`` for a rank-1 input); a single
input that matches no column gets all columns stacked as ``[N, columns]``. Values are cast to the element
type the graph declares.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import ml_dtypes  # onnx's own dependency: numpy's bfloat16

# ONNX element type -> numpy dtype, keyed by both sides' spellings (Python 'tensor(float)', Java 'FLOAT').
ELEMENT_DTYPES = {
    "float": np.float32, "double": np.float64, "float16": np.float16, "bfloat16": ml_dtypes.bfloat16,
    "int8": np.int8, "uint8": np.uint8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
    "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
    "bool": np.bool_, "string": object,
}
# The types ONNX Runtime Java can create input tensors of (it has no unsigned 16/32/64-bit ones).
JAVA_ELEMENT_TYPES = {
    "FLOAT": "float", "DOUBLE": "double", "FLOAT16": "float16", "BFLOAT16": "bfloat16", "INT8": "int8", "UINT8": "uint8",
    "INT16": "int16", "INT32": "int32", "INT64": "int64", "BOOL": "bool", "STRING": "string",
}
# An output's element type as the Java bridge reports it (the ONNX name, raw bits in the buffer) -> numpy dtype.
# Wider than the inputs: ONNX Runtime Java returns unsigned 16/32/64-bit and float8 outputs it cannot take as inputs.
OUTPUT_DTYPES = {
    **{java: ELEMENT_DTYPES[onnx] for java, onnx in JAVA_ELEMENT_TYPES.items() if onnx != "string"},
    "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
    "FLOAT8E4M3FN": ml_dtypes.float8_e4m3fn, "FLOAT8E4M3FNUZ": ml_dtypes.float8_e4m3fnuz,
    "FLOAT8E5M2": ml_dtypes.float8_e5m2, "FLOAT8E5M2FNUZ": ml_dtypes.float8_e5m2fnuz,
}


@dataclass(frozen=True)
class InputSpec:
    name: str
    element_type: str  # a key of ELEMENT_DTYPES
    rank: int


class FeedError(ValueError):
    pass


def build_feed(batch, inputs: list[InputSpec]) -> dict[str, np.ndarray]:
    """A DataFrame by the rules above; a dict of tensors by name (a single tensor also to a single input)."""
    if isinstance(batch, dict):
        return _tensor_feed(batch, inputs)
    columns = list(batch.columns)
    if len(inputs) == 1 and inputs[0].name not in columns:
        spec = inputs[0]
        return {spec.name: _cast(batch.to_numpy(), spec).reshape(len(batch), len(columns))}
    feed = {}
    for spec in inputs:
        if spec.name not in columns:
            raise FeedError(
                f"the ONNX graph has an input '{spec.name}' that is not a column of the model's signature "
                f"({', '.join(map(str, columns))})"
            )
        values = _cast(batch[spec.name].to_numpy(), spec)
        feed[spec.name] = values.reshape(len(batch), 1) if spec.rank != 1 else values.reshape(len(batch))
    return feed


def _tensor_feed(batch: dict, inputs: list[InputSpec]) -> dict[str, np.ndarray]:
    if len(inputs) == 1 and len(batch) == 1 and inputs[0].name not in batch:
        return {inputs[0].name: _cast(next(iter(batch.values())), inputs[0])}
    missing = [spec.name for spec in inputs if spec.name not in batch]
    if missing:
        raise FeedError(f"the ONNX graph has inputs {missing} that the model's signature does not name "
                        f"({', '.join(batch)})")
    return {spec.name: _cast(batch[spec.name], spec) for spec in inputs}


def _cast(values: np.ndarray, spec: InputSpec) -> np.ndarray:
    dtype = ELEMENT_DTYPES.get(spec.element_type)
    if dtype is None:
        raise FeedError(f"ONNX input '{spec.name}' has element type {spec.element_type}, which the harness cannot feed")
    if dtype is object:
        strings = ["" if v is None or v is pd.NA else str(v) for v in values.ravel()]
        return np.array(strings, dtype=object).reshape(values.shape)
    if values.dtype == object:  # nullable pandas columns: missing becomes NaN
        values = pd.DataFrame(values).astype("float64").to_numpy().reshape(values.shape)
    # astype(order="C") keeps a 0-d (scalar) input 0-d; np.ascontiguousarray would make it shape (1,)
    return np.asarray(values).astype(dtype, order="C")
