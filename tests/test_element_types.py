"""Output element types ONNX Runtime Java cannot take as inputs: unsigned 16/32/64-bit and the four float8 types.

ONNX Runtime Java maps UINT16/32/64 outputs to its INT16/32/64 Java types (the right bits, read signed: 3e9 as
-1294967296) and every float8 output to UNKNOWN. The bridge reports each output's ONNX element type with the raw
bits, and the harness reads them with the matching numpy dtype (ml_dtypes for float8). ONNX Runtime Python is the
yardstick: its raw output bytes (``run_with_ort_values``; ``run`` itself returns FLOAT8E4M3FN as plain uint8 and
raises "No corresponding Numpy type" for the other three float8 types).
"""
from __future__ import annotations

import ctypes

import ml_dtypes
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from harness.runtimes import SessionSettings
from harness.runtimes.ort_java import OrtJavaSession

UNSIGNED = {"uint16": (TensorProto.UINT16, np.uint16), "uint32": (TensorProto.UINT32, np.uint32),
            "uint64": (TensorProto.UINT64, np.uint64)}
FLOAT8 = {"float8e4m3fn": (TensorProto.FLOAT8E4M3FN, ml_dtypes.float8_e4m3fn),
          "float8e4m3fnuz": (TensorProto.FLOAT8E4M3FNUZ, ml_dtypes.float8_e4m3fnuz),
          "float8e5m2": (TensorProto.FLOAT8E5M2, ml_dtypes.float8_e5m2),
          "float8e5m2fnuz": (TensorProto.FLOAT8E5M2FNUZ, ml_dtypes.float8_e5m2fnuz)}
# Past 2**31 and 2**32 - 1 (the signed readings of these are negative), 2**63 + 5 and 2**64 - 1 for uint64.
BIG_UINT64 = np.array([2**63 + 5, 2**64 - 1], dtype=np.uint64)
# Within every float8 type's range (E4M3FNUZ tops out at 240), a subnormal of E4M3FN, a value that rounds, and NaN.
FLOAT8_VALUES = np.array([1.5, -2.0, 96.0, 240.0, 0.0029296875, 3.3, np.nan], dtype=np.float32)


def save(nodes, inputs, outputs, path, initializers=()):
    model = helper.make_model(helper.make_graph(nodes, path.stem, inputs, outputs, initializer=list(initializers)),
                              opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="module")
def unsigned_model(tmp_path_factory):
    """int64 input -> Cast to each unsigned type; plus a uint64 constant above 2**63 through Identity."""
    nodes = [helper.make_node("Cast", ["x"], [name], to=proto) for name, (proto, _) in UNSIGNED.items()]
    nodes.append(helper.make_node("Identity", ["big"], ["uint64_constant"]))
    outputs = [helper.make_tensor_value_info(name, proto, [None]) for name, (proto, _) in UNSIGNED.items()]
    outputs.append(helper.make_tensor_value_info("uint64_constant", TensorProto.UINT64, [2]))
    big = helper.make_tensor("big", TensorProto.UINT64, [2], BIG_UINT64.tolist())
    return save(nodes, [helper.make_tensor_value_info("x", TensorProto.INT64, [None])], outputs,
                tmp_path_factory.mktemp("onnx") / "unsigned.onnx", [big])


@pytest.fixture(scope="module")
def float8_model(tmp_path_factory):
    """float input -> Cast to each float8 type; plus each type's exact bit patterns through Identity."""
    nodes, outputs, initializers = [], [], []
    for name, (proto, dtype) in FLOAT8.items():
        nodes.append(helper.make_node("Cast", ["x"], [name], to=proto))
        outputs.append(helper.make_tensor_value_info(name, proto, [None]))
        constant = FLOAT8_VALUES[:4].astype(dtype)
        initializers.append(helper.make_tensor(f"{name}_bits", proto, [4], constant.view(np.uint8).tobytes(),
                                               raw=True))
        nodes.append(helper.make_node("Identity", [f"{name}_bits"], [f"{name}_constant"]))
        outputs.append(helper.make_tensor_value_info(f"{name}_constant", proto, [4]))
    return save(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None])], outputs,
                tmp_path_factory.mktemp("onnx") / "float8.onnx", initializers)


def python_outputs(path, feed) -> dict[str, np.ndarray]:
    """ONNX Runtime Python's outputs as raw bytes read with the ONNX element type's numpy dtype."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    values = {name: ort.OrtValue.ortvalue_from_numpy(array) for name, array in feed.items()}
    names = [o.name for o in session.get_outputs()]
    dtypes = {f"tensor({name})": dtype for name, (_, dtype) in {**UNSIGNED, **FLOAT8}.items()}
    out = {}
    for name, value in zip(names, session.run_with_ort_values(names, values)):
        raw = ctypes.string_at(value.data_ptr(), value.tensor_size_in_bytes())
        out[name] = np.frombuffer(raw, dtype=dtypes[value.data_type()]).reshape(value.shape()).copy()
    return out


def java_outputs(path, feed) -> dict[str, np.ndarray]:
    session = OrtJavaSession(path, SessionSettings())
    try:
        return {o.name: o.values for o in session.run(feed)}
    finally:
        session.close()


def test_unsigned_outputs_keep_their_type_and_value(unsigned_model):
    feed = {"x": np.array([3_000_000_000, 4_294_967_295, 40_000, 65_535, 0, -1, 2**40 + 7], dtype=np.int64)}
    python, java = python_outputs(unsigned_model, feed), java_outputs(unsigned_model, feed)
    assert set(java) == set(python) == {*UNSIGNED, "uint64_constant"}
    for name, expected in python.items():
        assert java[name].dtype == expected.dtype, name
        np.testing.assert_array_equal(java[name], expected, err_msg=name)
    assert java["uint32"][0] == 3_000_000_000  # not -1294967296
    assert java["uint64"][5] == 2**64 - 1
    np.testing.assert_array_equal(java["uint64_constant"], BIG_UINT64)


def test_unsigned_outputs_match_onnx_runtime_python_run(unsigned_model):
    """ORT Python's ordinary run() reads unsigned outputs itself: the same dtypes and values as the Java side."""
    import onnxruntime as ort

    feed = {"x": np.array([3_000_000_000, -1], dtype=np.int64)}
    session = ort.InferenceSession(str(unsigned_model), providers=["CPUExecutionProvider"])
    python = dict(zip([o.name for o in session.get_outputs()], session.run(None, feed)))
    java = java_outputs(unsigned_model, feed)
    for name, expected in python.items():
        assert java[name].dtype == expected.dtype, name
        np.testing.assert_array_equal(java[name], expected, err_msg=name)


def test_float8_outputs_are_read_as_their_ml_dtypes_type(float8_model):
    feed = {"x": FLOAT8_VALUES}
    python, java = python_outputs(float8_model, feed), java_outputs(float8_model, feed)
    assert set(java) == set(python)
    for name, (_, dtype) in FLOAT8.items():
        for output in (name, f"{name}_constant"):
            assert java[output].dtype == dtype, output
            assert java[output].tobytes() == python[output].tobytes(), output  # bit for bit, NaN included
        assert java[f"{name}_constant"].tobytes() == FLOAT8_VALUES[:4].astype(dtype).tobytes(), name
        # the Cast rounds as ml_dtypes does for these in-range values
        np.testing.assert_array_equal(java[name].astype(np.float32), FLOAT8_VALUES.astype(dtype).astype(np.float32))


def test_an_output_type_onnx_runtime_java_does_not_know_is_refused_with_the_reason(tmp_path):
    """INT4 (and UINT4, FLOAT4E2M1, ...): ORT Java 1.29 maps them to UNDEFINED and returns an empty buffer."""
    path = save([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.INT4)],
                [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None])],
                [helper.make_tensor_value_info("y", TensorProto.INT4, [None])], tmp_path / "int4.onnx")
    with pytest.raises(Exception, match="does not know"):
        java_outputs(path, {"x": np.array([1.0, -3.0], dtype=np.float32)})


def test_both_onnx_runtime_sides_agree_on_float8_outputs_through_the_harness(float8_model):
    """The harness's own ORT Python session reads float8 outputs as ml_dtypes too (its run() cannot)."""
    from harness.runtimes import open_session

    feed = {"x": FLOAT8_VALUES}
    python = {o.name: o.values for o in open_session("ort-python", float8_model, SessionSettings()).run(feed)}
    java = java_outputs(float8_model, feed)
    for name in java:
        assert python[name].dtype == java[name].dtype and python[name].tobytes() == java[name].tobytes(), name


def test_a_scalar_input_stays_a_scalar_on_both_sides(tmp_path):
    """A rank-0 input fed as shape (1,) is a false divergence (Add of a [] and a [3] broadcasts differently)."""
    from harness.runtimes import open_session

    path = save([helper.make_node("Mul", ["s", "v"], ["y"])],
                [helper.make_tensor_value_info("s", TensorProto.FLOAT, []),
                 helper.make_tensor_value_info("v", TensorProto.FLOAT, [3])],
                [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])], tmp_path / "scalar.onnx")
    feed = {"s": np.array(2.5, dtype=np.float32), "v": np.array([1.0, 2.0, 4.0], dtype=np.float32)}
    for runtime in ("ort-python", "ort-java"):
        out = open_session(runtime, path, SessionSettings()).run(feed)[0].values
        assert out.shape == (3,) and out.tolist() == [2.5, 5.0, 10.0], runtime


def test_an_int4_input_is_named_in_the_skip_reason(tmp_path):
    from harness.runtimes import RuntimeCannotTake, open_session

    path = save([helper.make_node("Cast", ["q"], ["y"], to=TensorProto.FLOAT)],
                [helper.make_tensor_value_info("q", TensorProto.INT4, [None])],
                [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None])], tmp_path / "int4_in.onnx")
    with pytest.raises(RuntimeCannotTake, match=r"q \(int4\)") as caught:
        open_session("ort-java", path, SessionSettings())
    assert "UNDEFINED" not in str(caught.value)
