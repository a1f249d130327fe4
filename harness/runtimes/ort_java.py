"""ONNX Runtime Java, in this process's JVM. Numeric tensors cross the bridge as direct buffers (no copy in,
one copy out), never element by element."""
from __future__ import annotations

import numpy as np

from harness.runtimes import RawOutput, SessionSettings, jvm
from harness.runtimes.onnx_feed import ELEMENT_DTYPES, JAVA_ELEMENT_TYPES, InputSpec, build_feed

JAVA_OPT_LEVELS = {"disable": "NO_OPT", "basic": "BASIC_OPT", "extended": "EXTENDED_OPT", "all": "ALL_OPT"}


def version() -> str:
    return str(jvm.bridge_class("OrtBatchSession").version())


class OrtJavaSession:
    def __init__(self, path, settings: SessionSettings):
        OrtBatchSession = jvm.bridge_class("OrtBatchSession")
        self._session = OrtBatchSession(str(path), settings.intra_op_threads, 1, JAVA_OPT_LEVELS[settings.optimization])
        import jpype

        self._jpype = jpype
        # Ranks come from the same file through the Python API's graph reader: the Java API does not need them.
        self._inputs = [
            InputSpec(str(name), JAVA_ELEMENT_TYPES.get(str(kind), str(kind)), rank)
            for name, kind, rank in zip(self._session.inputNames(), self._session.inputTypes(), _input_ranks(path))
        ]

    def run(self, batch) -> list[RawOutput]:
        jpype = self._jpype
        feed = build_feed(batch, self._inputs)
        names, data, types, shapes = [], [], [], []
        for spec in self._inputs:
            array = feed[spec.name]
            names.append(spec.name)
            shapes.append(jpype.JArray(jpype.JLong)(list(array.shape)))
            if spec.element_type == "string":
                types.append("STRING")
                data.append(jpype.JArray(jpype.JString)(array.ravel().tolist()))
            else:
                types.append(_java_type(spec.element_type))
                data.append(jpype.nio.convertToDirectBuffer(memoryview(array).cast("B")))
        result = self._session.run(names, data, types, shapes)
        del feed  # the direct buffers shared its memory until run() returned
        return [_raw(result, i) for i in range(result.size())]


def _java_type(element_type: str) -> str:
    return next(java for java, onnx in JAVA_ELEMENT_TYPES.items() if onnx == element_type)


def _input_ranks(path) -> list[int]:
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    initializers = {i.name for i in graph.initializer}
    return [len(i.type.tensor_type.shape.dim) for i in graph.input if i.name not in initializers]


def _raw(result, index: int) -> RawOutput:
    name = str(result.names.get(index))
    element_type = str(result.elementTypes.get(index))
    shape = [int(d) for d in result.shapes.get(index)]
    data = result.data.get(index)
    if element_type == "STRING":
        return RawOutput(name, np.array([str(s) for s in data], dtype=object).reshape(shape))
    if element_type == "SEQUENCE_OF_MAPS":
        matrix = np.frombuffer(memoryview(data), dtype=np.float64).reshape(shape).copy()
        return RawOutput(name, matrix, [str(k) for k in result.keys.get(index)])
    dtype = ELEMENT_DTYPES[JAVA_ELEMENT_TYPES[element_type]]
    return RawOutput(name, np.frombuffer(memoryview(data), dtype=dtype).reshape(shape).copy())
