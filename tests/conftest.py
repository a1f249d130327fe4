"""Shared fixtures: a real sqlite-backed MLflow registry, and running the harness as a user does (a subprocess
``pytest --model-uri ...`` in an empty directory, through the installed pytest11 entry point)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@pytest.fixture(scope="session")
def registry_uri(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('registry') / 'mlflow.db'}"


@pytest.fixture
def tracking_uri(registry_uri) -> str:
    """The session's sqlite registry, made current for this test (another test may have pointed MLflow elsewhere)."""
    return use_registry(registry_uri)


def use_registry(uri: str) -> str:
    """Point MLflow at ``uri``, with run artifacts beside the database (never in the working directory)."""
    import mlflow

    mlflow.set_tracking_uri(uri)
    if mlflow.get_experiment_by_name("harness-tests") is None:
        database = Path(uri.removeprefix("sqlite:///"))
        mlflow.create_experiment("harness-tests", artifact_location=(database.parent / "artifacts").as_uri())
    mlflow.set_experiment("harness-tests")
    return uri


@dataclass
class HarnessRun:
    returncode: int
    output: str
    report: dict | None

    def cells(self, model_index: int = 0) -> dict[str, dict]:
        return {c["name"]: c for c in self.report["models"][model_index]["cells"]}


def run_harness(args: list[str], cwd: Path, tracking_uri: str | None = None, env: dict | None = None,
                timeout: int = 600) -> HarnessRun:
    """``pytest --model-uri ...`` in ``cwd`` (an empty directory), with a JSON report."""
    report = cwd / "report.json"
    command = [sys.executable, "-m", "pytest", "-p", "no:faulthandler", "-p", "no:cacheprovider",
               "--divergence-report", str(report), *args]
    full_env = {**os.environ, **(env or {})}
    full_env.pop("PYTEST_XDIST_WORKER", None)
    if tracking_uri:
        full_env["MLFLOW_TRACKING_URI"] = tracking_uri
    done = subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)
    return HarnessRun(done.returncode, done.stdout + done.stderr,
                      json.loads(report.read_text()) if report.exists() else None)


def jvms_of_run(token: str, marker: bytes) -> set[int]:
    """Process ids of live JVMs whose command line holds ``marker`` and whose environment carries
    ``HARNESS_TEST_RUN=token``: the JVMs one harness run started (inherited environment), not those of a test
    running beside it on another xdist worker."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in command and f"HARNESS_TEST_RUN={token}".encode() in environment:
            found.add(int(entry.name))
    return found
