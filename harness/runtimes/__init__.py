"""Runtimes: each loads one artifact into a session that turns a batch into raw named outputs.

Like Polygraphy's runners, every runtime has the same small interface: a :class:`Runtime` says what it is (name,
the artifact format it runs, whether it lives in the JVM, its version) and ``open(path, settings)`` gives a
session with ``run(batch)`` and ``close()``. Comparison lives elsewhere (``harness.compare``). Each runtime is one
module of this package, registered under the ``jvm_equivalence.runtimes`` entry-point group (``harness.registry``);
heavy or JVM-backed modules import their libraries only when a session is opened.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np

REFERENCE = "pyfunc"  # the PyFunc model every runtime is compared with; always runs
OPTIMIZATION_LEVELS = ("disable", "basic", "extended", "all")


class RawOutput(NamedTuple):
    name: str
    values: np.ndarray
    keys: list[str] | None = None  # the map keys of a sequence-of-maps output (ZipMap), one per column


class RuntimeCannotTake(Exception):
    """The runtime cannot take this artifact's inputs at all (e.g. ONNX Runtime Java and unsigned 16/32/64-bit
    tensors): the cell is ``skipped`` with this reason, not failed."""


class Session(Protocol):
    def run(self, batch) -> list[RawOutput]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class SessionSettings:
    """The same settings go to both ONNX Runtime sides: tree sums depend on the thread count."""

    intra_op_threads: int = 1
    optimization: str = "all"


class Runtime:
    """One runtime. Subclasses set the class attributes and implement :meth:`open` (and usually :meth:`version`).

    ``named_outputs`` turns the session's raw outputs into the reference's names (``harness.outputs``); the
    default reads them by the artifact format's convention."""

    name: str = ""
    format: str = ""  # the artifact format it runs: harness.artifacts.ONNX, PMML, or a flavor's own format
    in_jvm: bool = False  # runs inside the JVM (isolated by --isolate-jvm, blamed as "jvm" by the attribution)
    description: str = ""  # one line for the README and --help, e.g. "ONNX Runtime Java 1.29 (JPype)"
    suffixes: tuple[str, ...] = ()  # file extensions of its format that --artifact accepts (".ubj", ".lgb", ...)

    def open(self, path, settings: SessionSettings) -> Session:
        raise NotImplementedError

    def version(self) -> str | None:
        """The runtime library's version, or None when it is not installed."""
        return None

    def versions(self) -> dict[str, str | None]:
        """What the report's versions table shows for this runtime."""
        return {self.name: self.version()}

    def caveat(self, path) -> str | None:
        """A known-bad pairing of this runtime's library and the file (e.g. a reader older than the library that
        wrote the model), said on every cell of the pair; None when there is none. Read without opening a session."""
        return None

    def jvm_inputs(self, path, batch) -> list[dict] | None:
        """What a JVM runtime's scorer is fed for ``batch`` ({name, element_type, shape, values} per input), for a
        counterexample the plain-Java replayer runs; None when the corpus's columns/rows say it already."""
        return None

    def scorer_outputs(self, spec, named: dict) -> dict | None:
        """Named outputs (the reference's or a cell's, as the report has them) under the names and layout the JVM
        scorer gives its own, for the plain-Java replayer; None when they are the same."""
        return None

    def named_outputs(self, spec, raw: list[RawOutput], rows: int) -> dict[str, np.ndarray]:
        from harness import outputs

        return outputs.named(spec, self.format, raw, rows)


def open_session(runtime: str, path, settings: SessionSettings) -> Session:
    """A session of the registered runtime ``runtime`` on the artifact at ``path``."""
    from harness import registry

    return registry.runtime(runtime).open(path, settings)
