"""ONNX Runtime in Python."""
from __future__ import annotations

import numpy as np

from harness.runtimes import RawOutput, SessionSettings
from harness.runtimes.onnx_feed import InputSpec, build_feed

PYTHON_OPT_LEVELS = {
    "disable": "ORT_DISABLE_ALL", "basic": "ORT_ENABLE_BASIC", "extended": "ORT_ENABLE_EXTENDED",
    "all": "ORT_ENABLE_ALL",
}


def version() -> str:
    import onnxruntime

    return onnxruntime.__version__


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
        self._bfloat16 = "tensor(bfloat16)" in types

    def run(self, batch) -> list[RawOutput]:
        names = [o.name for o in self._session.get_outputs()]
        feed = build_feed(batch, self._inputs)
        if self._bfloat16:
            return self._run_bfloat16(names, feed)
        values = self._session.run(names, feed)
        return [_raw(name, value) for name, value in zip(names, values)]

    def _run_bfloat16(self, names, feed) -> list[RawOutput]:
        """numpy has no bfloat16 ONNX Runtime Python accepts or returns: cross as raw 16-bit values instead."""
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
            if value.data_type() == "tensor(bfloat16)":
                data = ctypes.string_at(value.data_ptr(), value.tensor_size_in_bytes())
                raw.append(RawOutput(name, np.frombuffer(data, ml_dtypes.bfloat16).reshape(value.shape()).copy()))
            else:
                raw.append(_raw(name, value.numpy()))
        return raw


def _raw(name: str, value) -> RawOutput:
    if isinstance(value, list) and (not value or isinstance(value[0], dict)):  # ZipMap: a list of {class: p}
        keys = list(value[0]) if value else []
        matrix = np.array([[row.get(k, np.nan) for k in keys] for row in value], dtype=np.float64)
        return RawOutput(name, matrix.reshape(len(value), len(keys)), [str(k) for k in keys])
    return RawOutput(name, np.asarray(value))
