"""The promotion gate against a real `mlflow server` (sqlite backend) on loopback: the alias moves for a model
that passes and stays for one that diverges; both versions carry the outcome tags and the reports."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from fixtures.models import churn_pipeline, event_time_regressor, log_sklearn
from harness import results
from tests.conftest import run_harness


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("mlflow")), "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}", "--artifacts-destination", str(root / "artifacts"),
         "--workers", "1"],
        stdout=(root / "server.log").open("w"), stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"mlflow server did not start: {(root / 'server.log').read_text()[-2000:]}")
        time.sleep(0.5)
    yield url
    server.terminate()
    server.wait(timeout=30)


def test_alias_moves_for_a_passing_version_and_stays_for_a_diverging_one(tmp_path, mlflow_server):
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(mlflow_server)
    mlflow.set_experiment("gate")
    client = MlflowClient()
    churn, churn_frame = churn_pipeline()
    log_sklearn(churn, churn_frame, registered_name="scoring", alias="production")  # version 1 serves today
    log_sklearn(churn, churn_frame, registered_name="scoring")                      # version 2: equivalent
    timestamps, timestamp_frame = event_time_regressor()
    log_sklearn(timestamps, timestamp_frame, registered_name="scoring")             # version 3: float32 diverges
    args = ["--opsets", "17", "--max-examples", "30", "--promote-alias", "production",
            "--html-report", "report.html"]

    (tmp_path / "v2").mkdir()
    passing = run_harness(["--model-uri", "models:/scoring/2", *args], tmp_path / "v2", mlflow_server)
    assert passing.returncode == 0, passing.output
    assert client.get_model_version_by_alias("scoring", "production").version == "2"
    assert "alias 'production' now points at version 2" in passing.output

    (tmp_path / "v3").mkdir()
    diverging = run_harness(["--model-uri", "models:/scoring/3", *args], tmp_path / "v3", mlflow_server)
    assert diverging.returncode == 1, diverging.output
    assert client.get_model_version_by_alias("scoring", "production").version == "2", "a failing gate never moves it"
    assert "alias 'production' left where it was" in diverging.output

    for version, status in (("2", "pass"), ("3", "fail")):
        tags = client.get_model_version("scoring", version).tags
        assert tags["equivalence.status"] == status
        assert "equivalence.worst_max_abs.ort-java" in tags and "equivalence.worst_max_abs.jpmml" in tags
        run_id = client.get_model_version("scoring", version).run_id
        artifacts = {a.path for a in client.list_artifacts(run_id, "equivalence")}
        assert artifacts == {"equivalence/report.json", "equivalence/report.html"}
        report = json.loads(Path(mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path="equivalence/report.json", dst_path=str(tmp_path / version))).read_text())
        assert report["models"][0]["model_uri"] == f"models:/scoring/{version}"
        model = results.load(report).models[0]  # the published report is a valid version-2 report
        assert model.registered.name == "scoring" and model.registered.version == version
        assert model.verdict(report["policy"]["blocking_statuses"])[0] is (status == "pass")
        metrics = client.get_run(run_id).data.metrics
        assert "equivalence/ort-java_skl2onnx-opset17/max_abs" in metrics
    failing = client.get_model_version("scoring", "3").tags["equivalence.failing"]
    assert "ort-java[skl2onnx-opset17]: diverged" in failing and "jpmml" not in failing
    assert "fails the policy" in diverging.output and "  F1: " in diverging.output  # the terminal summary's finding
