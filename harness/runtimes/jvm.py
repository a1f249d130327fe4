"""The one JVM of this process, started once through JPype, with the bridge jar and its dependencies.

JPype cannot restart a JVM, and a JVM does not survive ``fork``: anything that needs worker processes
must use the multiprocessing "spawn" context.
"""
from __future__ import annotations

import os
from functools import cache
from pathlib import Path

JAVA_DIR = Path(__file__).resolve().parents[2] / "java"
CLASSPATH_ENV = "HARNESS_BRIDGE_CLASSPATH"


class JvmUnavailable(RuntimeError):
    """The JVM runtimes cannot run here; the message says why and how to fix it."""


def bridge_classpath() -> list[str]:
    """The bridge jar and every runtime jar Maven copied beside it (``java/target/lib``)."""
    if os.environ.get(CLASSPATH_ENV):
        return os.environ[CLASSPATH_ENV].split(os.pathsep)
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
    try:
        jvm_path = jpype.getDefaultJVMPath()
    except jpype.JVMNotFoundException as error:
        raise JvmUnavailable(
            f"no Java runtime found ({error}). Install a JDK 17 or newer and set JAVA_HOME to it."
        ) from error
    jpype.startJVM(
        jvm_path,
        "-Xss8m",
        "-Djava.awt.headless=true",
        # Nothing the harness runs may reach the network: any HTTP(S) client in the JVM goes to a dead local port.
        "-Dhttp.proxyHost=127.0.0.1", "-Dhttp.proxyPort=9",
        "-Dhttps.proxyHost=127.0.0.1", "-Dhttps.proxyPort=9",
        classpath=classpath,
        convertStrings=False,
    )


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
