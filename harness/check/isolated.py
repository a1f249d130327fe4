"""JVM runtimes in a worker process, so a JVM crash, OutOfMemoryError or hang costs one cell, not the run.

The worker is started with multiprocessing's "spawn" context (a JVM does not survive fork), hosts every JVM
session of a model, and is started again after it dies. Its stderr goes to a file, so the cause of a death (the
JVM's "Terminating due to java.lang.OutOfMemoryError", an hs_err summary, a signal) reaches the report.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import tempfile
from pathlib import Path

from harness.runtimes import RawOutput, RuntimeCannotTake, SessionSettings


class RuntimeFault(BaseException):
    """The runtime itself failed (crashed, ran out of memory, hung): a runtime-error, never a divergence.

    A BaseException so that Hypothesis stops at once instead of shrinking toward it."""


class JvmWorker:
    def __init__(self, jvm_options: tuple[str, ...] = (), call_timeout: float | None = None):
        self.jvm_options = tuple(jvm_options)
        self.call_timeout = call_timeout
        self._process = None
        self._connection = None
        self._stderr = None
        self._opened: dict[str, tuple] = {}  # key -> open arguments, to reopen after a restart
        self._live: set[str] = set()

    def session(self, key: str, runtime: str, path, settings: SessionSettings) -> "IsolatedSession":
        self._opened[key] = (runtime, str(path), settings)
        self._call(("open", key, runtime, str(path), settings))
        self._live.add(key)
        return IsolatedSession(self, key)

    def run(self, key: str, batch, timeout: float | None = None) -> list[RawOutput]:
        if key not in self._live:  # the worker was restarted since this session was opened
            self._call(("open", key, *self._opened[key]))
            self._live.add(key)
        return self._call(("run", key, batch), timeout)

    def close_session(self, key: str) -> None:
        self._opened.pop(key, None)
        if key in self._live and self._process is not None and self._process.is_alive():
            self._live.discard(key)
            try:
                self._call(("close", key))
            except (RuntimeFault, RuntimeError, OSError):
                pass

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        handle, self._stderr = tempfile.mkstemp(prefix="harness-jvm-worker-", suffix=".log")
        os.close(handle)
        self._process = context.Process(target=_serve, args=(child, self.jvm_options, self._stderr), daemon=True)
        self._process.start()
        child.close()
        self._live.clear()

    def _call(self, message, timeout: float | None = None):
        if self._process is None or not self._process.is_alive():
            self._start()
        timeout = timeout if timeout is not None else self.call_timeout
        self._connection.send(message)
        if not self._connection.poll(timeout):
            self._process.kill()
            self._process.join()
            raise RuntimeFault(f"the JVM did not answer within {timeout:g} s (killed; --cell-timeout)")
        try:
            status, value = self._connection.recv()
        except (EOFError, ConnectionError):
            self._process.join(timeout=10)
            raise RuntimeFault(self._death()) from None
        if status == "fault":
            raise RuntimeFault(value)
        if status == "cannot-take":
            raise RuntimeCannotTake(value)
        if status == "error":
            raise RuntimeError(value)
        return value

    def _death(self) -> str:
        code = self._process.exitcode
        how = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
        log = Path(self._stderr).read_text(errors="replace") if self._stderr else ""
        cause = [line.strip() for line in log.splitlines()
                 if any(w in line for w in ("OutOfMemoryError", "SIGSEGV", "SIGBUS", "Error", "Exception", "fatal",
                                            "Aborting"))]
        return f"the JVM worker process died ({how})" + (f": {' | '.join(cause[:3])}" if cause else "")

    def close(self) -> None:
        if self._process is not None and self._process.is_alive():
            try:
                self._connection.send(("stop",))
            except OSError:
                pass
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()


class IsolatedSession:
    def __init__(self, worker: JvmWorker, key: str):
        self._worker, self._key = worker, key

    def run(self, batch) -> list[RawOutput]:
        return self._worker.run(self._key, batch)

    def close(self) -> None:
        self._worker.close_session(self._key)


def _serve(connection, jvm_options, stderr_path) -> None:
    """The worker's loop: open sessions and run batches in this process's own JVM."""
    log = os.open(stderr_path, os.O_WRONLY | os.O_APPEND)
    os.dup2(log, 1)  # the JVM reports a fatal OutOfMemoryError on stdout,
    os.dup2(log, 2)  # and everything else on stderr
    from harness.runtimes import jvm, open_session

    # A crash report goes beside the log, not into the user's working directory.
    jvm.EXTRA_OPTIONS = (f"-XX:ErrorFile={stderr_path}.hs_err_%p.log", *jvm_options)
    sessions = {}
    while True:
        try:
            message = connection.recv()
        except EOFError:
            return
        if message[0] == "stop":
            for session in sessions.values():
                session.close()
            return
        try:
            if message[0] == "close":
                sessions.pop(message[1]).close()
                connection.send(("ok", None))
            elif message[0] == "open":
                _, key, runtime, path, settings = message
                sessions[key] = open_session(runtime, path, settings)
                connection.send(("ok", None))
            else:
                _, key, batch = message
                connection.send(("ok", sessions[key].run(batch)))
        except RuntimeCannotTake as error:
            connection.send(("cannot-take", str(error)))
        except Exception as error:
            connection.send(("fault" if jvm.is_jvm_error(error) else "error", f"{type(error).__name__}: {error}"))
