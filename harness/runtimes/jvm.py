"""The one JVM of this process, started once through JPype, with the bridge jar and its dependencies.

JPype cannot restart a JVM, and a JVM does not survive ``fork``: anything that needs worker processes
must use the multiprocessing "spawn" context.
"""
from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from harness.offline import java_proxy_options

JAVA_DIR = Path(__file__).resolve().parents[2] / "java"
CLASSPATH_ENV = "HARNESS_BRIDGE_CLASSPATH"
MIN_JAVA = 11  # JPMML-Evaluator 1.7 and ONNX Runtime Java need Java 11+
EXTRA_OPTIONS: tuple[str, ...] = ()  # --jvm-option values, set before the JVM starts
JAVA_HOME: str | None = None  # --java-home; else JAVA_HOME, else JPype's search


class JvmUnavailable(RuntimeError):
    """The JVM runtimes cannot run here; the message says why and how to fix it."""


def bridge_classpath() -> list[str]:
    """The bridge jar and every runtime jar Maven copied beside it (``java/target/lib``)."""
    if os.environ.get(CLASSPATH_ENV):
        jars = os.environ[CLASSPATH_ENV].split(os.pathsep)
        missing = [j for j in jars if not Path(j).is_file()]
        if missing:
            raise JvmUnavailable(f"{CLASSPATH_ENV} names jars that do not exist: {', '.join(missing)}. Build them "
                                 "with `make java` in the harness checkout, or fix the variable.")
        return jars
    target = JAVA_DIR / "target"
    bridge = target / "harness-bridge.jar"
    jars = sorted((target / "lib").glob("*.jar"))
    if not bridge.is_file() or not jars:
        raise JvmUnavailable(
            f"the Java bridge is not built: {bridge} or its jars in {target / 'lib'} are missing. "
            "Run `make java` (or `make setup`) in the harness checkout, or point "
            f"{CLASSPATH_ENV} at the bridge jar and its dependencies."
        )
    return [str(bridge), *map(str, jars)]


@cache
def start() -> None:
    """Start the JVM (idempotent). Raises :class:`JvmUnavailable` with a fix when it cannot start."""
    import jpype

    if jpype.isJVMStarted():
        return
    classpath = bridge_classpath()
    jvm_path = _jvm_library()
    _check_java_version(jvm_path)
    jpype.startJVM(
        jvm_path,
        *EXTRA_OPTIONS,
        "-Xss8m",
        "-Djava.awt.headless=true",
        # Nothing the harness runs may reach the network: any HTTP(S) client in the JVM goes to a dead local port.
        *java_proxy_options(),
        classpath=classpath,
        convertStrings=False,
    )


def _jvm_library() -> str:
    import jpype

    home = JAVA_HOME
    if home:
        candidates = [Path(home) / "lib" / "server" / "libjvm.so", Path(home) / "jre" / "lib" / "server" / "libjvm.so",
                      Path(home) / "lib" / "server" / "libjvm.dylib"]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise JvmUnavailable(f"--java-home {home}: no JVM there (no lib/server/libjvm.so). Point it at a JDK 17+.")
        return str(found)
    try:
        return jpype.getDefaultJVMPath()
    except jpype.JVMNotFoundException as error:
        raise JvmUnavailable(
            f"no Java runtime found ({error}). Install a JDK 17 or newer and set JAVA_HOME (or --java-home) to it."
        ) from error


def _check_java_version(jvm_path: str) -> None:
    """Refuse a Java older than MIN_JAVA before starting it (a JVM cannot be restarted)."""
    for home in Path(jvm_path).parents:
        release = home / "release"
        if release.is_file():
            for line in release.read_text(errors="replace").splitlines():
                if line.startswith("JAVA_VERSION="):
                    version = line.split("=", 1)[1].strip().strip('"')
                    major = int(version.split(".")[1] if version.startswith("1.") else version.split(".")[0])
                    if major < MIN_JAVA:
                        raise JvmUnavailable(
                            f"Java {version} at {home} is too old: the harness needs Java {MIN_JAVA}+ (17 "
                            "recommended). Set JAVA_HOME or --java-home to a newer JDK.")
            return


def jar_version(artifact: str) -> str | None:
    """The version of a runtime jar on the bridge's classpath (``onnxruntime-1.29.0.jar`` -> ``1.29.0``)."""
    import re

    try:
        jars = [Path(p).name for p in bridge_classpath()]
    except JvmUnavailable:
        return None
    return next((m.group(1) for j in jars if (m := re.fullmatch(rf"{re.escape(artifact)}-(\d.*)\.jar", j))), None)


def close_quietly(java_object) -> None:
    """Close a Java AutoCloseable if it is one and the JVM still runs; a close that fails costs nothing."""
    import jpype

    if not jpype.isJVMStarted():
        return
    try:
        if isinstance(java_object, jpype.JClass("java.lang.AutoCloseable")):
            java_object.close()
    except Exception:
        pass


def utf8_strings(values, keep_alive: list):
    """Strings for the bridge as one ``Object[]{utf8Bytes, int32Lengths}`` of two direct buffers (no per-string
    bridge call); a missing value (None, NaN, pd.NA) has length -1 and arrives as Java ``null``. The buffers share
    the memory of objects appended to ``keep_alive``: keep it until Java returns."""
    import jpype
    import numpy as np
    import pandas as pd

    encoded = [None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v).encode("utf-8")
               for v in values]
    blob = bytearray(b"".join(e for e in encoded if e is not None) or b"\0")
    lengths = np.fromiter((-1 if e is None else len(e) for e in encoded), dtype=np.int32, count=len(encoded))
    keep_alive += [blob, lengths]
    return jpype.JArray(jpype.JObject)([jpype.nio.convertToDirectBuffer(blob),
                                        jpype.nio.convertToDirectBuffer(memoryview(lengths).cast("B"))])


def end_process(process, timeout: float = 15) -> None:
    """End a JVM process the harness started beside its own (H2O's cluster, Spark's driver): SIGTERM, then SIGKILL
    when it does not stop within ``timeout`` seconds. Does nothing when it has already ended."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except Exception:
        process.kill()
        process.wait(timeout=timeout)


def exit_without_teardown(status: int) -> None:
    """End the process with ``status`` at interpreter exit without tearing the JVM down.

    JPype's own exit handler shuts the JVM down while native threads (ONNX Runtime's, JNI libraries') may still
    run; on a loaded machine that races and crashes (SIGSEGV in ``_JTerminate``), turning a passing run into exit
    139. Every session is closed before this point and every report written, so after flushing the streams the
    process ends here, with the verdict's exit code. Registered last, so it runs before JPype's handler."""
    import atexit
    import sys

    import jpype

    if not jpype.isJVMStarted():
        return

    def _exit():
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        try:
            system = jpype.JClass("java.lang.System")
            system.out.flush()
            system.err.flush()
        except Exception:
            pass
        os._exit(status)

    atexit.register(_exit)


def is_jvm_error(error: BaseException) -> bool:
    """A java.lang.Error (OutOfMemoryError, StackOverflowError, ...): the runtime broke, the model did not."""
    try:
        import jpype

        return jpype.isJVMStarted() and isinstance(error, jpype.JClass("java.lang.Error"))
    except Exception:
        return False


def java_version() -> str:
    start()
    import jpype

    System = jpype.JClass("java.lang.System")
    return f"{System.getProperty('java.vendor')} {System.getProperty('java.version')}"


def bridge_class(name: str):
    """A class of the ``harness.bridge`` package, with the JVM started."""
    start()
    import jpype

    return jpype.JClass(f"harness.bridge.{name}")
