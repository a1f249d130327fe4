"""ONNX Runtime Java returns, through the bridge, exactly what ONNX Runtime Python returns on the same file."""
from __future__ import annotations

import numpy as np
import onnx
import pandas as pd
import pytest
from onnx import TensorProto, helper

from harness.runtimes import SessionSettings, open_session

import ml_dtypes

ELEMENT_TYPES = {
    "float": (TensorProto.FLOAT, np.float32), "double": (TensorProto.DOUBLE, np.float64),
    "float16": (TensorProto.FLOAT16, np.float16),
    "int8": (TensorProto.INT8, np.int8), "uint8": (TensorProto.UINT8, np.uint8),
    "int16": (TensorProto.INT16, np.int16), "int32": (TensorProto.INT32, np.int32),
    "int64": (TensorProto.INT64, np.int64), "bool": (TensorProto.BOOL, np.bool_),
    "string": (TensorProto.STRING, object),
}


def identity_graph(types: dict, path):
    """One input per element type, each passed through Identity to an output of the same type."""
    nodes, inputs, outputs = [], [], []
    for name, (proto, _) in types.items():
        nodes.append(helper.make_node("Identity", [name], [f"{name}_out"]))
        inputs.append(helper.make_tensor_value_info(name, proto, [None, 1]))
        outputs.append(helper.make_tensor_value_info(f"{name}_out", proto, [None, 1]))
    model = helper.make_model(helper.make_graph(nodes, "identity", inputs, outputs),
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="module")
def identity_model(tmp_path_factory):
    return identity_graph(ELEMENT_TYPES, tmp_path_factory.mktemp("onnx") / "identity.onnx")


def batch(types=ELEMENT_TYPES) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = 64
    frame = {}
    for name, (_, dtype) in types.items():
        if dtype is object:
            frame[name] = pd.Series([f"s{i}é" if i % 5 else "" for i in range(rows)], dtype=object)
        elif dtype is np.bool_:
            frame[name] = rng.integers(0, 2, rows).astype(bool)
        elif np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            frame[name] = rng.integers(info.min, info.max, rows, dtype=dtype, endpoint=True)
        else:
            values = rng.normal(0, 1e3, rows).astype(dtype)
            info = ml_dtypes.finfo(dtype)
            values[:4] = [info.max, info.tiny / 4, -0.0, np.nan]  # extreme, subnormal, signed zero, NaN
            # the DataFrame holds them as float32 (pandas has no bfloat16); the feed casts them back exactly
            frame[name] = values.astype(np.float32) if dtype is ml_dtypes.bfloat16 else values
    return pd.DataFrame(frame)


def test_every_element_type_round_trips_through_ort_java_exactly(identity_model):
    data = batch()
    settings = SessionSettings()
    python = {o.name: o.values for o in open_session("ort-python", identity_model, settings).run(data)}
    java = {o.name: o.values for o in open_session("ort-java", identity_model, settings).run(data)}
    assert set(java) == set(python) == {f"{n}_out" for n in ELEMENT_TYPES}
    for name, expected in python.items():
        actual = java[name]
        assert actual.shape == expected.shape == (64, 1), name
        if expected.dtype == object:
            assert actual.tolist() == expected.tolist(), name
        else:
            assert actual.dtype == expected.dtype, name
            # bit-for-bit: compare the raw bytes (NaN and -0.0 included)
            assert actual.tobytes() == expected.tobytes(), name
        source = data[name.removesuffix("_out")].to_numpy().reshape(64, 1)
        assert expected.dtype == ELEMENT_TYPES[name.removesuffix("_out")][1] or expected.dtype == object
        if expected.dtype != object:
            assert expected.tobytes() == source.astype(expected.dtype).tobytes(), name


def test_bfloat16_crosses_both_onnx_runtimes_bit_for_bit(tmp_path):
    types = {"bf16": (TensorProto.BFLOAT16, ml_dtypes.bfloat16), "f": (TensorProto.FLOAT, np.float32)}
    model = identity_graph(types, tmp_path / "bf16.onnx")
    data = batch(types)
    python = {o.name: o.values for o in open_session("ort-python", model, SessionSettings()).run(data)}
    java = {o.name: o.values for o in open_session("ort-java", model, SessionSettings()).run(data)}
    assert python["bf16_out"].dtype == java["bf16_out"].dtype == ml_dtypes.bfloat16
    assert java["bf16_out"].tobytes() == python["bf16_out"].tobytes()
    assert python["bf16_out"].tobytes() == data["bf16"].to_numpy().astype(ml_dtypes.bfloat16).reshape(64, 1).tobytes()


def test_both_onnx_runtimes_take_the_same_session_settings(identity_model):
    settings = SessionSettings(intra_op_threads=2, optimization="disable")
    data = batch().head(3)
    for runtime in ("ort-python", "ort-java"):
        assert len(open_session(runtime, identity_model, settings).run(data)) == len(ELEMENT_TYPES)


def test_ort_java_refuses_unsigned_wide_inputs_as_a_reason_to_skip(tmp_path):
    from harness.runtimes import RuntimeCannotTake

    graph = helper.make_graph([helper.make_node("Identity", ["u"], ["v"])], "u16",
                              [helper.make_tensor_value_info("u", TensorProto.UINT16, [None, 1])],
                              [helper.make_tensor_value_info("v", TensorProto.UINT16, [None, 1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "u16.onnx"))
    with pytest.raises(RuntimeCannotTake, match="u"):
        open_session("ort-java", tmp_path / "u16.onnx", SessionSettings())
    data = pd.DataFrame({"u": np.array([0, 65535], dtype=np.uint16)})
    assert open_session("ort-python", tmp_path / "u16.onnx", SessionSettings()).run(data)[0].values.tolist() == [[0], [65535]]


def test_zipmap_sequence_of_maps_output_crosses_the_bridge(tmp_path):
    """skl2onnx's default classifier output (a sequence of maps) through ONNX Runtime Java equals Python's."""
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    model = LogisticRegression().fit(X, np.where(X[:, 0] > 0, 7, 3))
    onnx.save(to_onnx(model, X[:1], target_opset=17), str(tmp_path / "zipmap.onnx"))
    data = pd.DataFrame(X[:9], columns=["a", "b", "c"])
    python = open_session("ort-python", tmp_path / "zipmap.onnx", SessionSettings()).run(data)
    java = open_session("ort-java", tmp_path / "zipmap.onnx", SessionSettings()).run(data)
    assert python[1].keys == java[1].keys == ["3", "7"]
    np.testing.assert_array_equal(python[1].values, java[1].values)
    np.testing.assert_array_equal(python[0].values, java[0].values)
