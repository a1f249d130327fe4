"""ONNX Runtime in Python."""
from __future__ import annotations

import numpy as np

from harness.artifacts import ONNX
from harness.runtimes import RawOutput, Runtime, SessionSettings
from harness.runtimes.onnx_feed import InputSpec, build_feed

# ONNX types numpy has no dtype for: ONNX Runtime Python's value -> the ml_dtypes type of the same bits
RAW_BIT_TYPES = {"tensor(bfloat16)": "bfloat16", "tensor(float8e4m3fn)": "float8_e4m3fn",
                 "tensor(float8e4m3fnuz)": "float8_e4m3fnuz", "tensor(float8e5m2)": "float8_e5m2",
                 "tensor(float8e5m2fnuz)": "float8_e5m2fnuz"}
PYTHON_OPT_LEVELS = {
    "disable": "ORT_DISABLE_ALL", "basic": "ORT_ENABLE_BASIC", "extended": "ORT_ENABLE_EXTENDED",
    "all": "ORT_ENABLE_ALL",
}


class OrtPython(Runtime):
    name = "ort-python"
    format = ONNX
    description = "ONNX Runtime in Python (the same file's Python twin of the JVM runtime)"

    def open(self, path, settings: SessionSettings) -> "OrtPythonSession":
        return OrtPythonSession(path, settings)

    def version(self) -> str | None:
        try:
            import onnxruntime
        except ImportError:
            return None
        return onnxruntime.__version__

    def versions(self) -> dict:
        return {"onnxruntime": self.version()}


class OrtPythonSession:
    def __init__(self, path, settings: SessionSettings):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = settings.intra_op_threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = getattr(ort.GraphOptimizationLevel, PYTHON_OPT_LEVELS[settings.optimization])
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._inputs = [
            InputSpec(i.name, i.type.removeprefix("tensor(").removesuffix(")"), len(i.shape or []))
            for i in self._session.get_inputs()
        ]

        types = [i.type for i in self._session.get_inputs()] + [o.type for o in self._session.get_outputs()]
        self._raw_bits = any(t in RAW_BIT_TYPES for t in types)

    def close(self) -> None:
        self._session = None

    def run(self, batch) -> list[RawOutput]:
        names = [o.name for o in self._session.get_outputs()]
        feed = build_feed(batch, self._inputs)
        if self._raw_bits:
            return self._run_raw_bits(names, feed)
        values = self._session.run(names, feed)
        return [_raw(name, value) for name, value in zip(names, values)]

    def _run_raw_bits(self, names, feed) -> list[RawOutput]:
        """numpy has no bfloat16 or float8 ONNX Runtime Python accepts or returns (float8 outputs come back as
        uint8 or raise "No corresponding Numpy type"): cross as raw bits instead, read with ml_dtypes."""
        import ctypes

        import ml_dtypes
        import onnxruntime as ort
        from onnx import TensorProto

        values = {
            name: ort.OrtValue.ortvalue_from_numpy_with_onnx_type(
                np.ascontiguousarray(array).view(np.uint16), onnx_element_type=TensorProto.BFLOAT16)
            if array.dtype == ml_dtypes.bfloat16 else ort.OrtValue.ortvalue_from_numpy(array)
            for name, array in feed.items()
        }
        outputs = self._session.run_with_ort_values(names, values)
        raw = []
        for name, value in zip(names, outputs):
            if value.data_type() in RAW_BIT_TYPES:
                data = ctypes.string_at(value.data_ptr(), value.tensor_size_in_bytes())
                dtype = getattr(ml_dtypes, RAW_BIT_TYPES[value.data_type()])
                raw.append(RawOutput(name, np.frombuffer(data, dtype).reshape(value.shape()).copy()))
            else:
                raw.append(_raw(name, value.numpy()))
        return raw


def _raw(name: str, value) -> RawOutput:
    if isinstance(value, list) and (not value or isinstance(value[0], dict)):  # ZipMap: a list of {class: p}
        keys = list(value[0]) if value else []
        matrix = np.array([[row.get(k, np.nan) for k in keys] for row in value], dtype=np.float64)
        return RawOutput(name, matrix.reshape(len(value), len(keys)), [str(k) for k in keys])
    return RawOutput(name, np.asarray(value))
