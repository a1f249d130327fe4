"""Whole harness sessions as CI runs them: the exit code is the verdict, under load and under pytest-xdist."""
from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time

import pytest

from fixtures.models import (churn_pipeline, event_time_regressor, log_sklearn, log_sklearn_small_example,
                             three_class_pipeline)
from tests.conftest import run_harness


def _burn(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sum(i * i for i in range(10_000))


def test_passing_sessions_exit_0_under_load(tmp_path, tracking_uri):
    """Three harness sessions at once (two models, JVM runtimes, hundreds of examples) beside a CPU burner on the
    2-core machine: each must exit 0 with a passing report. JPype's JVM teardown used to race with native threads
    here and turn a pass into exit 139."""
    first = log_sklearn_small_example(*three_class_pipeline())
    second = log_sklearn(*churn_pipeline())
    burner = multiprocessing.get_context("spawn").Process(target=_burn, args=(600,), daemon=True)
    burner.start()
    try:
        env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri}
        env.pop("PYTEST_XDIST_WORKER", None)
        runs = []
        for i in range(3):
            folder = tmp_path / f"session{i}"
            folder.mkdir()
            command = [sys.executable, "-m", "pytest", "-p", "no:faulthandler", "-p", "no:cacheprovider", "-q",
                       "--model-uri", first, "--model-uri", second, "--runtimes", "ort-python,ort-java,jpmml",
                       "--opsets", "13,17,21", "--max-examples", "100", "--divergence-report",
                       str(folder / "r.json")]
            runs.append(subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True))
        outputs = [run.communicate(timeout=1200)[0] for run in runs]
    finally:
        burner.kill()
    for run, output in zip(runs, outputs):
        assert run.returncode == 0, output[-3000:]
        assert "Segmentation fault" not in output and "Fatal Python error" not in output


def test_a_failing_session_exits_1_not_0(tmp_path, tracking_uri):
    """The control: the same way of running, with a divergence (float32 ONNX on Unix timestamps), exits 1."""
    uri = log_sklearn(*event_time_regressor())
    run = run_harness(["--model-uri", uri, "--runtimes", "ort-java,jpmml", "--opsets", "17", "--max-examples", "30"],
                      tmp_path, tracking_uri)
    assert run.returncode == 1, run.output
    assert run.cells()["ort-java[skl2onnx-opset17]"]["status"] == "diverged"


@pytest.fixture(scope="module")
def two_models(registry_uri):
    from tests.conftest import use_registry

    use_registry(registry_uri)
    return (log_sklearn(*churn_pipeline(), registered_name="xdist_pass", alias="candidate"),
            log_sklearn(*event_time_regressor(), registered_name="xdist_fail", alias="candidate"))


def test_xdist_runs_each_model_on_one_worker_and_merges_one_report(tmp_path, tracking_uri, two_models):
    passing, failing = two_models
    html, markdown = tmp_path / "r.html", tmp_path / "r.md"
    run = run_harness(["-n", "2", "--model-uri", passing, "--model-uri", failing, "--runtimes", "ort-java,jpmml",
                       "--opsets", "17", "--max-examples", "30", "--html-report", str(html),
                       "--markdown-report", str(markdown), "--promote-alias", "approved"], tmp_path, tracking_uri)
    assert run.returncode == 1, run.output
    assert [m["model_uri"] for m in run.report["models"]] == [passing, failing]
    for model in run.report["models"]:
        assert model["cells"] and all(c["status"] != "pending" for c in model["cells"]), model
    assert {c["status"] for c in run.cells(0).values()} == {"pass"}
    assert run.cells(1)["ort-java[skl2onnx-opset17]"]["status"] == "diverged"
    # one terminal summary over both models, written by the controller
    assert run.output.count("jvm-equivalence ===") == 1 and passing in run.output and failing in run.output
    assert passing in html.read_text() and failing in markdown.read_text()
    # the gate decided once, in the controller, over every cell
    from mlflow import MlflowClient

    client = MlflowClient()
    assert str(client.get_model_version_by_alias("xdist_pass", "approved").version) == "1"
    with pytest.raises(Exception):
        client.get_model_version_by_alias("xdist_fail", "approved")
    assert client.get_model_version("xdist_fail", "1").tags["equivalence.status"] == "fail"
    assert run.output.count("gate: ") == 2
