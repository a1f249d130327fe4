"""JPMML-Evaluator, in this process's JVM. A batch crosses the bridge once, column-major; the row loop is Java's."""
from __future__ import annotations

import numpy as np
import pandas as pd

from harness.artifacts import PMML
from harness.runtimes import RawOutput, Runtime, SessionSettings, jvm


class Jpmml(Runtime):
    name = "jpmml"
    format = PMML
    in_jvm = True
    description = "JPMML-Evaluator (JPype, rows looped in Java)"

    def open(self, path, settings: SessionSettings) -> "JpmmlSession":
        return JpmmlSession(path)

    def version(self) -> str | None:
        return jvm.jar_version("pmml-evaluator")

    def versions(self) -> dict:
        return {"jpmml-evaluator": self.version()}


class JpmmlSession:
    def __init__(self, path):
        self._evaluator = jvm.bridge_class("PmmlBatchEvaluator")(str(path))
        self._result_names = [str(n) for n in self._evaluator.resultNames()]
        import jpype

        self._jpype = jpype

    def close(self) -> None:
        if self._evaluator is not None:
            jvm.close_quietly(self._evaluator)
            self._evaluator = None

    def run(self, batch: pd.DataFrame) -> list[RawOutput]:
        jpype = self._jpype
        names, columns, keep_alive = [], [], []
        for name in batch.columns:
            series = batch[name]
            names.append(str(name))
            if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
                values = np.ascontiguousarray(series.astype("float64").to_numpy(na_value=np.nan))
                keep_alive.append(values)
                columns.append(jpype.nio.convertToDirectBuffer(memoryview(values).cast("B")))
            else:
                columns.append(jpype.JArray(jpype.JString)([None if pd.isna(v) else str(v) for v in series]))
        results = self._evaluator.evaluate(names, columns, len(batch))
        return [RawOutput(name, _column(values)) for name, values in zip(self._result_names, results)]


def _column(values) -> np.ndarray:
    if values is None:
        return np.array([])
    if str(values.getClass().getComponentType()) == "double":
        return np.array(values, dtype=np.float64)
    return np.array([None if v is None else str(v) for v in values], dtype=object)
