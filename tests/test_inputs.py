import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mlflow.models import infer_signature
from mlflow.types import ColSpec, Schema
from mlflow.models.signature import ModelSignature

from harness.inputs import (BATCH_SIZE_EDGES, DEFAULT_RANGE, UNSEEN_CATEGORY, Column, SignatureError, batches,
                            columns_from_signature, float_edges, value_strategy)

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
    assert 1 <= len(data.draw(batches(columns))) <= max(BATCH_SIZE_EDGES)
    frame = data.draw(batches(columns, hunt=False))
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


def test_strings_come_from_known_categories_plus_unseen_and_empty_when_hunting():
    seen = set()

    @settings(max_examples=100, deadline=None)
    @given(plain=value_strategy(Column("c", "string", categories=("a", "b")), hunt=False),
           hunting=value_strategy(Column("c", "string", categories=("a", "b"))))
    def check(plain, hunting):
        assert plain in ("a", "b")
        seen.add(hunting)

    check()
    assert seen == {"a", "b", UNSEEN_CATEGORY, ""}


def test_numeric_edges_include_what_float32_gets_wrong_and_interesting_values():
    column = Column("x", "double", low=-10, high=10, interesting=(2.5,))
    edges = float_edges(column)
    assert {0.0, float("inf"), float("-inf"), -10, 10} <= set(edges)
    assert 16777217.0 not in edges, "out of this column's range"
    assert 16777217.0 in float_edges(Column("x", "double", low=0, high=1e8))
    assert float(np.finfo(np.float32).max) in float_edges(Column("x", "float"))
    assert any(e != 0 and abs(e) < 1e-300 for e in edges), "a float64 subnormal"
    halfway = [e for e in edges if -10 < e < 10 and float(np.float32(e)) != e]
    assert halfway, "a value float32 cannot hold"
    seen = set()

    @settings(max_examples=300, deadline=None)
    @given(value=value_strategy(column))
    def draw(value):
        seen.add(value)

    draw()
    assert 2.5 in seen and float("inf") in seen


def test_boundary_rows_lie_on_the_decision_boundary():
    columns = [Column("a", "double", low=-10, high=10), Column("b", "double", low=-10, high=10)]
    w, b = np.array([2.0, -1.0]), 0.5

    @settings(max_examples=50, deadline=None)
    @given(frame=batches(columns, boundary=(w, b)))
    def check(frame):
        margins = np.abs(frame[["a", "b"]].to_numpy() @ w + b)
        finite = np.isfinite(margins)
        hits.append(bool((margins[finite] < 1e-6).any()))

    hits = []
    check()
    assert any(hits)


def test_tensor_batches_vary_dynamic_dimensions_and_share_them_by_axis():
    from harness.inputs import TensorInput, tensor_batches

    tensors = [TensorInput("seq", np.dtype("float32"), (-1, -1, 3)), TensorInput("mask", np.dtype("bool"), (-1, -1)),
               TensorInput("h", np.dtype("float16"), (-1, 4))]
    batch_sizes, lengths = set(), set()

    @settings(max_examples=80, deadline=None)
    @given(batch=tensor_batches(tensors))
    def check(batch):
        assert batch["seq"].shape[:2] == batch["mask"].shape and batch["h"].shape[0] == batch["seq"].shape[0]
        assert batch["seq"].shape[2] == 3 and batch["h"].dtype == np.float16 and batch["mask"].dtype == bool
        batch_sizes.add(batch["seq"].shape[0])
        lengths.add(batch["seq"].shape[1])

    check()
    assert 1 in batch_sizes and max(batch_sizes) > 1 and len(lengths) > 2
