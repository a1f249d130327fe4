"""Nothing the harness runs may send data off the machine. Every JVM it starts (its own, and converters' JVMs such
as sklearn2pmml's) gets an HTTP(S) proxy on a dead loopback port, so a library that phones home reaches nothing.
``tests/test_network.py`` proves it with a listener on that port."""
from __future__ import annotations

import os

DEAD_PROXY_PORT = int(os.environ.get("HARNESS_DEAD_PROXY_PORT", "9"))  # tests point it at a listener


def java_proxy_options() -> list[str]:
    return [f"-D{scheme}.{key}={value}" for scheme in ("http", "https")
            for key, value in (("proxyHost", "127.0.0.1"), ("proxyPort", DEAD_PROXY_PORT))]


def disable_python_telemetry() -> None:
    """MLflow's usage telemetry off in this process (and its children)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
