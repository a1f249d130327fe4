"""ONNX Runtime Java, in this process's JVM. Numeric tensors cross the bridge as direct buffers (no copy in,
one copy out), never element by element."""
from __future__ import annotations

import numpy as np

from harness.artifacts import ONNX
from harness.runtimes import RawOutput, Runtime, RuntimeCannotTake, SessionSettings, jvm
from harness.runtimes.onnx_feed import JAVA_ELEMENT_TYPES, OUTPUT_DTYPES, InputSpec, build_feed

JAVA_OPT_LEVELS = {"disable": "NO_OPT", "basic": "BASIC_OPT", "extended": "EXTENDED_OPT", "all": "ALL_OPT"}


class OrtJava(Runtime):
    name = "ort-java"
    format = ONNX
    in_jvm = True
    description = "ONNX Runtime Java (JPype, direct buffers)"

    def open(self, path, settings: SessionSettings) -> "OrtJavaSession":
        return OrtJavaSession(path, settings)

    def version(self) -> str | None:
        return jvm.jar_version("onnxruntime")

    def versions(self) -> dict:
        return {"onnxruntime-java": self.version()}


class OrtJavaSession:
    def __init__(self, path, settings: SessionSettings):
        OrtBatchSession = jvm.bridge_class("OrtBatchSession")
        self._session = OrtBatchSession(str(path), settings.intra_op_threads, 1, JAVA_OPT_LEVELS[settings.optimization])
        import jpype

        self._jpype = jpype
        # Ranks (and the names of types ONNX Runtime Java calls UNDEFINED, e.g. int4) come from the same file
        # through the Python API's graph reader: the Java API does not need them.
        graph = _graph_inputs(path)
        self._inputs = [
            InputSpec(str(name), JAVA_ELEMENT_TYPES.get(str(kind), graph.get(str(name), (str(kind), 0))[0]),
                      graph.get(str(name), ("", 0))[1])
            for name, kind in zip(self._session.inputNames(), self._session.inputTypes())
        ]
        unsupported = [f"{s.name} ({s.element_type})" for s in self._inputs if s.element_type not in JAVA_ELEMENT_TYPES.values()]
        if unsupported:
            self._session.close()
            raise RuntimeCannotTake(f"ONNX Runtime Java cannot create input tensors of these types: "
                                    f"{', '.join(unsupported)}")
        # Constant per session: converted to Java arrays once, not on every run.
        self._java_names = jpype.JArray(jpype.JString)([s.name for s in self._inputs])
        self._java_types = jpype.JArray(jpype.JString)(
            ["STRING" if s.element_type == "string" else _java_type(s.element_type) for s in self._inputs])

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def run(self, batch) -> list[RawOutput]:
        arguments, feed = self.java_arguments(batch)
        result = self._session.run(*arguments)
        del feed  # the direct buffers shared its memory until run() returned
        return [_raw(result, i) for i in range(result.size())]

    def java_arguments(self, batch):
        """The bridge's run() arguments for a batch, and the arrays whose memory they share (keep them alive)."""
        jpype = self._jpype
        feed = build_feed(batch, self._inputs)
        data, shapes = [], []
        for spec in self._inputs:
            array = feed[spec.name]
            shapes.append(array.shape)
            if spec.element_type == "string":
                data.append(jvm.utf8_strings(array.ravel(), feed.setdefault("_keep_alive", [])))
            else:
                # as raw bytes: the buffer protocol has no format for bfloat16
                data.append(jpype.nio.convertToDirectBuffer(memoryview(array.reshape(-1).view(np.uint8))))
        shapes = jpype.JArray(jpype.JLong, 2)(shapes)
        return (self._java_names, data, self._java_types, shapes), feed

    def time_inside_java(self, batch, repeats: int) -> list[int]:
        """Nanoseconds of each of ``repeats`` runs of this batch, timed by Java around its own run()."""
        arguments, feed = self.java_arguments(batch)
        nanos = list(self._session.timeRuns(*arguments, repeats))
        del feed
        return nanos


def _java_type(element_type: str) -> str:
    return next(java for java, onnx in JAVA_ELEMENT_TYPES.items() if onnx == element_type)


def _graph_inputs(path) -> dict[str, tuple[str, int]]:
    """Each graph input's ONNX element type name (``int4``, ``uint32``, ...) and rank."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    initializers = {i.name for i in graph.initializer}
    return {i.name: (onnx.TensorProto.DataType.Name(i.type.tensor_type.elem_type).lower(),
                     len(i.type.tensor_type.shape.dim)) for i in graph.input if i.name not in initializers}


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
    # the ONNX element type (UINT32, FLOAT8E4M3FN, ...), not the signed/UNKNOWN Java type ORT Java maps it to
    dtype = OUTPUT_DTYPES.get(element_type)
    if dtype is None:
        raise ValueError(f"ONNX Runtime Java returned output '{name}' with element type {element_type}, "
                         "which the harness cannot read")
    return RawOutput(name, np.frombuffer(memoryview(data), dtype=dtype).reshape(shape).copy())
