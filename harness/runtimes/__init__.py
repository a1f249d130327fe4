"""Runtimes: each loads one artifact into a session that turns a batch (DataFrame) into raw named outputs.

Like Polygraphy's runners, every runtime has the same small interface (``open_session(...)`` then
``session.run(batch)``), and comparison lives elsewhere (``harness.compare``). Heavy or JVM-backed modules are
imported only when their runtime is asked for.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np
import pandas as pd

from harness.artifacts import ONNX, PMML

RUNTIME_FORMATS = {"ort-python": ONNX, "ort-java": ONNX, "jpmml": PMML}
REFERENCE = "pyfunc"
OPTIMIZATION_LEVELS = ("disable", "basic", "extended", "all")


class RawOutput(NamedTuple):
    name: str
    values: np.ndarray
    keys: list[str] | None = None  # the map keys of a sequence-of-maps output (ZipMap), one per column


class RuntimeCannotTake(Exception):
    """The runtime cannot take this artifact's inputs at all (e.g. ONNX Runtime Java and unsigned 16/32/64-bit
    tensors): the cell is ``skipped`` with this reason, not failed."""


class Session(Protocol):
    def run(self, batch: pd.DataFrame) -> list[RawOutput]: ...


@dataclass(frozen=True)
class SessionSettings:
    """The same settings go to both ONNX Runtime sides: tree sums depend on the thread count."""

    intra_op_threads: int = 1
    optimization: str = "all"


def open_session(runtime: str, path, settings: SessionSettings) -> Session:
    if runtime == "ort-python":
        from harness.runtimes.ort_python import OrtPythonSession

        return OrtPythonSession(path, settings)
    if runtime == "ort-java":
        from harness.runtimes.ort_java import OrtJavaSession

        return OrtJavaSession(path, settings)
    if runtime == "jpmml":
        from harness.runtimes.jpmml import JpmmlSession

        return JpmmlSession(path)
    raise ValueError(f"unknown runtime '{runtime}' (known: {', '.join(RUNTIME_FORMATS)})")
