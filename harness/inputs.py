"""MLflow signature -> Hypothesis strategies that produce batches (DataFrames) the model accepts.

One strategy per column type an MLflow column signature allows (double, float, long, integer, boolean,
string), optional columns drawing missing values too, composed into a strategy of whole batches.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from hypothesis import strategies as st

DEFAULT_RANGE = (-100.0, 100.0)
MAX_ROWS = 8
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-"


class SignatureError(ValueError):
    """The model's signature cannot drive input generation; the message says how to fix it."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # an MLflow DataType name: double, float, long, integer, boolean, string
    required: bool = True
    low: float = DEFAULT_RANGE[0]
    high: float = DEFAULT_RANGE[1]
    categories: tuple = ()

    @property
    def dtype(self):
        return _DTYPES[self.type]


_DTYPES = {
    "double": np.float64,
    "float": np.float32,
    "long": np.int64,
    "integer": np.int32,
    "boolean": np.bool_,
    "string": object,
}


def columns_from_signature(
    signature,
    *,
    model_uri: str,
    categories: dict[str, list] | None = None,
    example: pd.DataFrame | None = None,
    value_range: tuple[float, float] | None = None,
) -> list[Column]:
    """The input columns the signature declares, with value ranges and categories from what we know."""
    if signature is None or signature.inputs is None:
        raise SignatureError(
            f"{model_uri} has no signature, so the harness cannot know what inputs it takes. Log the model "
            "with one: `mlflow.sklearn.log_model(model, name=..., signature=infer_signature(X, model.predict(X)))` "
            "or pass `input_example=X[:5]`."
        )
    if signature.inputs.is_tensor_spec() or not signature.inputs.has_input_names():
        raise SignatureError(
            f"{model_uri}: the signature's inputs are {signature.inputs}; the harness generates named columns "
            "only. Log the model with a column-based signature (from a DataFrame)."
        )
    categories = categories or {}
    columns = []
    for spec in signature.inputs.inputs:
        type_name = getattr(spec.type, "name", str(spec.type))
        if type_name not in _DTYPES:
            raise SignatureError(
                f"{model_uri}: input column '{spec.name}' has type {type_name}, which the harness cannot "
                f"generate (supported: {', '.join(_DTYPES)})."
            )
        low, high = value_range or _observed_range(example, spec.name) or DEFAULT_RANGE
        known = list(categories.get(spec.name, []))
        if example is not None and spec.name in example and type_name == "string":
            known += [v for v in example[spec.name].dropna().unique().tolist() if v not in known]
        columns.append(
            Column(spec.name, type_name, required=spec.required, low=low, high=high, categories=tuple(known))
        )
    return columns


def _observed_range(example: pd.DataFrame | None, name: str) -> tuple[float, float] | None:
    """The input example's range for a numeric column, widened by its span on each side."""
    if example is None or name not in example or not pd.api.types.is_numeric_dtype(example[name]):
        return None
    values = example[name].dropna().astype(float)
    if values.empty:
        return None
    low, high = float(values.min()), float(values.max())
    span = high - low if high > low else max(abs(high) * 0.1, 1.0)  # one distinct value: 10% around it
    return low - span, high + span


def value_strategy(column: Column) -> st.SearchStrategy:
    """Values of one column. Missing values (NaN / None) only where the signature marks the column optional."""
    if column.type in ("double", "float"):
        width = 32 if column.type == "float" else 64
        values = st.floats(column.low, column.high, allow_nan=False, allow_infinity=False, width=width)
        missing = st.just(float("nan"))
    elif column.type in ("long", "integer"):
        values = st.integers(int(np.floor(column.low)), int(np.ceil(column.high)))
        missing = st.none()
    elif column.type == "boolean":
        values, missing = st.booleans(), st.none()
    else:
        values = st.sampled_from(column.categories) if column.categories else st.text(_LETTERS, max_size=8)
        missing = st.none()
    return values if column.required else st.one_of(missing, values)


@st.composite
def batches(draw, columns: list[Column], max_rows: int = MAX_ROWS) -> pd.DataFrame:
    """A batch of 1..max_rows rows; shrinks toward one row of simple values."""
    rows = draw(st.integers(1, max_rows))
    data = {c.name: draw(st.lists(value_strategy(c), min_size=rows, max_size=rows)) for c in columns}
    return to_frame(data, columns)


def to_frame(data: dict[str, list], columns: list[Column]) -> pd.DataFrame:
    """A DataFrame with the signature's dtypes (nullable integer/boolean dtypes where values are missing)."""
    frame = {}
    for column in columns:
        values = data[column.name]
        if column.type == "string":
            frame[column.name] = pd.Series(values, dtype=object)
        elif any(v is None for v in values):
            nullable = {"long": "Int64", "integer": "Int32", "boolean": "boolean"}[column.type]
            frame[column.name] = pd.Series(values, dtype=nullable)
        else:
            frame[column.name] = pd.Series(values, dtype=column.dtype)
    return pd.DataFrame(frame)
