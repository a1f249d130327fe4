import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mlflow.models import infer_signature
from mlflow.types import ColSpec, Schema
from mlflow.models.signature import ModelSignature

from harness.inputs import DEFAULT_RANGE, Column, SignatureError, batches, columns_from_signature, value_strategy

ALL_TYPES = ["double", "float", "long", "integer", "boolean", "string"]


def signature(*specs):
    return ModelSignature(inputs=Schema(list(specs)))


def test_no_signature_error_says_how_to_fix_it():
    with pytest.raises(SignatureError, match="infer_signature"):
        columns_from_signature(None, model_uri="models:/m/1")


def test_tensor_signature_is_refused_with_the_reason():
    from mlflow.types import TensorSpec

    sig = ModelSignature(inputs=Schema([TensorSpec(np.dtype("float32"), (-1, 3))]))
    with pytest.raises(SignatureError, match="column-based"):
        columns_from_signature(sig, model_uri="m")


def test_columns_take_ranges_from_the_input_example_and_categories_from_model_and_example():
    frame = pd.DataFrame({"a": [1.0, 3.0], "c": ["x", "y"]})
    sig = infer_signature(frame)
    columns = {c.name: c for c in columns_from_signature(sig, model_uri="m", categories={"c": ["z"]}, example=frame)}
    assert (columns["a"].low, columns["a"].high) == (-1.0, 5.0)  # [1, 3] widened by its span, 2
    assert columns["c"].categories == ("z", "x", "y")
    plain = columns_from_signature(sig, model_uri="m")
    assert (plain[0].low, plain[0].high) == DEFAULT_RANGE


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_batches_have_the_signature_dtypes(data):
    columns = [Column(f"c_{t}", t) for t in ALL_TYPES]
    frame = data.draw(batches(columns))
    assert 1 <= len(frame) <= 8
    assert frame["c_double"].dtype == np.float64 and frame["c_float"].dtype == np.float32
    assert frame["c_long"].dtype == np.int64 and frame["c_integer"].dtype == np.int32
    assert frame["c_boolean"].dtype == np.bool_ and frame["c_string"].dtype == object
    assert frame["c_double"].between(*DEFAULT_RANGE).all()


def test_optional_columns_produce_missing_values_and_required_ones_never_do():
    seen = {t: False for t in ALL_TYPES}

    @settings(max_examples=200, deadline=None)
    @given(data=st.data())
    def draw(data):
        for t in ALL_TYPES:
            frame = data.draw(batches([Column("v", t, required=False)]))
            seen[t] |= bool(frame["v"].isna().any())
            required = data.draw(batches([Column("v", t)]))
            assert not required["v"].isna().any()

    draw()
    assert all(seen.values()), seen


def test_signature_with_optional_column_is_read_as_optional():
    sig = signature(ColSpec("double", "a"), ColSpec("string", "b", required=False))
    columns = columns_from_signature(sig, model_uri="m")
    assert [(c.name, c.type, c.required) for c in columns] == [("a", "double", True), ("b", "string", False)]


def test_strings_come_from_known_categories_when_there_are_some():
    @settings(max_examples=50, deadline=None)
    @given(value=value_strategy(Column("c", "string", categories=("a", "b"))))
    def check(value):
        assert value in ("a", "b")

    check()
