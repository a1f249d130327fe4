"""The open sessions of one model's cells: opened on first use, each closed when the model is done.

JVM runtimes run in this process's JVM, or in a worker process with ``--isolate-jvm`` (``harness.check.isolated``).
Closing every Java session before the process exits is what keeps JVM shutdown deterministic.
"""
from __future__ import annotations

from harness.check.isolated import JvmWorker


class Sessions:
    def __init__(self, runtimes: dict, config):
        self._runtimes = runtimes
        self._config = config
        self._open: dict[str, object] = {}
        self._worker: JvmWorker | None = None

    def get(self, cell):
        if cell.name not in self._open:
            self._open[cell.name] = self._start(cell)
        return self._open[cell.name]

    def _start(self, cell):
        runtime = self._runtimes[cell.runtime]
        if self._config.isolate_jvm and runtime.in_jvm:
            if self._worker is None:
                self._worker = JvmWorker(self._config.jvm_options, self._config.cell_timeout)
            return self._worker.session(cell.name, cell.runtime, cell.artifact.path, self._config.session)
        return runtime.open(cell.artifact.path, self._config.session)

    def close(self) -> None:
        """Close every session (and stop the worker). Idempotent; a failing close costs nothing."""
        open_sessions, self._open = self._open, {}
        for session in open_sessions.values():
            close = getattr(session, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    pass
        if self._worker is not None:
            self._worker.close()
            self._worker = None
