"""Bad models, bad input and crashing runtimes: each ends in a specific answer, nothing computed is lost, and
nothing is read or fetched that should not be."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from fixtures.models import PIP_REQUIREMENTS, churn_pipeline, event_time_regressor, log_sklearn, numeric_data
from tests.conftest import run_harness

FAST = ["--opsets", "17", "--max-examples", "15"]


@pytest.fixture(scope="module")
def churn_dir(tmp_path_factory):
    """The churn model saved as a local model directory (no registry needed)."""
    import mlflow.sklearn
    from mlflow.models import infer_signature

    model, frame = churn_pipeline()
    path = tmp_path_factory.mktemp("churn") / "model"
    mlflow.sklearn.save_model(model, str(path), signature=infer_signature(frame, model.predict(frame)),
                              pip_requirements=PIP_REQUIREMENTS, serialization_format="cloudpickle")
    return path


def test_jvm_out_of_memory_crash_under_isolation_costs_one_cell(tmp_path, tracking_uri):
    from sklearn.ensemble import RandomForestRegressor

    from harness.exporters import sklearn_onnx
    from harness.inputs import Column

    frame, target = numeric_data(rows=3000)
    forest = RandomForestRegressor(n_estimators=150, random_state=0).fit(frame, target)
    uri = log_sklearn(forest, frame)
    onnx_copy = tmp_path / "forest.onnx"  # a supplied artifact: its cells run after the crash, in a new worker
    sklearn_onnx.export(forest, [Column(c, "double") for c in frame.columns], 17, onnx_copy)
    run = run_harness(["--model-uri", uri, *FAST, "--artifact", str(onnx_copy), "--isolate-jvm",
                       "--jvm-option=-Xmx48m", "--jvm-option=-XX:+CrashOnOutOfMemoryError"], tmp_path, tracking_uri)
    cells = run.cells()
    crashed = cells["jpmml[sklearn2pmml]"]
    assert crashed["status"] == "runtime-error", crashed
    assert "JVM worker process died (signal SIGABRT)" in crashed["reason"]
    assert "OutOfMemoryError" in crashed["reason"]
    for name in ("ort-python[skl2onnx-opset17]", "ort-java[skl2onnx-opset17]", "ort-java[supplied-forest.onnx]",
                 "ort-python[supplied-forest.onnx]"):
        assert cells[name]["status"] == "pass" and cells[name]["examples"] == 15, (name, cells[name])
    assert run.returncode == 1 and not list(tmp_path.glob("hs_err*")), "crash files stay out of the user's directory"


def test_cell_timeout_turns_a_slow_cell_into_a_runtime_error(tmp_path, churn_dir):
    run = run_harness(["--model-uri", str(churn_dir), "--opsets", "17", "--runtimes", "ort-java",
                       "--max-examples", "100000", "--cell-timeout", "2"], tmp_path)
    cell = run.cells()["ort-java[skl2onnx-opset17]"]
    assert cell["status"] == "runtime-error" and "--cell-timeout 2" in cell["reason"], cell


def test_a_killed_run_leaves_a_valid_report_of_the_finished_cells(tmp_path, tracking_uri):
    uri = log_sklearn(*event_time_regressor())  # its ONNX cells diverge: counterexamples must survive the kill
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "pytest", "-p", "no:faulthandler", "-p", "no:cacheprovider", "--model-uri", uri,
               "--opsets", "13,14,15,16,17,18,19,20,21,22", "--max-examples", "300", "--divergence-report", str(report)]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "MLFLOW_TRACKING_URI": tracking_uri})
    finished = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if report.exists():
            cells = json.loads(report.read_text())["models"][0]["cells"]  # always complete JSON
            finished = [c for c in cells if c["status"] != "pending"]
            if len(finished) >= 2:
                break
        time.sleep(0.2)
    assert process.poll() is None, "the run ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    cells = json.loads(report.read_text())["models"][0]["cells"]
    done = [c for c in cells if c["status"] != "pending"]
    assert len(done) >= 2 and any(c["status"] == "pending" for c in cells)
    assert all(c["status"] == "diverged" and c["counterexample"]["inputs"] for c in done), done


def test_pmml_with_external_entities_is_refused_without_reading_or_fetching(tmp_path, churn_dir):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    hostile = tmp_path / "hostile.pmml"
    hostile.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE PMML [<!ENTITY leak SYSTEM "{secret.as_uri()}"><!ENTITY fetch SYSTEM "http://127.0.0.1:18098/x">]>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4"><Header description="&leak; &fetch;"/>
<DataDictionary/><RegressionModel functionName="regression"><MiningSchema/><RegressionTable intercept="1"/>
</RegressionModel></PMML>""")
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 18098))
    listener.listen()
    listener.settimeout(0.1)
    try:
        run = run_harness(["--model-uri", str(churn_dir), *FAST, "--runtimes", "jpmml", "--artifact", str(hostile)],
                          tmp_path)
        with pytest.raises(socket.timeout):
            listener.accept()  # nothing tried to fetch the URL entity
    finally:
        listener.close()
    cell = run.cells()["jpmml[supplied-hostile.pmml]"]
    assert cell["status"] == "runtime-error" and "DOCTYPE" in cell["reason"]
    assert "TOP-SECRET" not in run.output and "TOP-SECRET" not in json.dumps(run.report)
    assert run.cells()["jpmml[sklearn2pmml]"]["status"] == "pass"


# --- every bad input of the README's table, with the error it gets ----------------------------------------------

def test_unreachable_registry(tmp_path):
    run = run_harness(["--model-uri", "models:/churn@candidate", "--tracking-uri", "http://127.0.0.1:9"], tmp_path)
    assert run.returncode == 1 and "cannot be reached" in run.output and "--tracking-uri" in run.output


def test_unsupported_flavor(tmp_path):
    import mlflow.pyfunc

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input):
            return model_input

    mlflow.pyfunc.save_model(str(tmp_path / "custom"), python_model=Echo(), pip_requirements=["mlflow"])
    run = run_harness(["--model-uri", str(tmp_path / "custom")], tmp_path)
    assert run.returncode == 1 and "custom python_function model" in run.output and "not supported" in run.output


def test_corrupt_onnx_and_pmml_files(tmp_path, churn_dir):
    (tmp_path / "broken.onnx").write_bytes(b"\x08\x07garbage" * 10)
    (tmp_path / "broken.pmml").write_text("<PMML><DataDictionary>")
    run = run_harness(["--model-uri", str(churn_dir), *FAST, "--artifact", str(tmp_path / "broken.onnx"),
                       "--artifact", str(tmp_path / "broken.pmml")], tmp_path)
    cells = run.cells()
    assert "not a readable ONNX file" in cells["ort-java[supplied-broken.onnx]"]["reason"]
    assert cells["ort-java[supplied-broken.onnx]"]["status"] == "runtime-error"
    assert "not well-formed XML" in cells["jpmml[supplied-broken.pmml]"]["reason"]
    assert cells["ort-java[skl2onnx-opset17]"]["status"] == "pass"


def test_onnx_external_data_outside_its_directory(tmp_path, churn_dir):
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.ones(4, np.float32), "w")
    graph = helper.make_graph([helper.make_node("Add", ["X", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 4])], [weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    (tmp_path / "inner").mkdir()
    onnx.save(model, str(tmp_path / "inner" / "m.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
              location="outside.bin", size_threshold=0)
    (tmp_path / "inner" / "outside.bin").rename(tmp_path / "outside.bin")
    saved = onnx.load(str(tmp_path / "inner" / "m.onnx"), load_external_data=False)
    entry = next(e for e in saved.graph.initializer[0].external_data if e.key == "location")
    entry.value = "../outside.bin"  # what a hostile or careless exporter could write
    (tmp_path / "inner" / "m.onnx").write_bytes(saved.SerializeToString())
    run = run_harness(["--model-uri", str(churn_dir), *FAST, "--runtimes", "ort-python",
                       "--artifact", str(tmp_path / "inner" / "m.onnx")], tmp_path)
    cell = run.cells()["ort-python[supplied-m.onnx]"]
    assert cell["status"] == "runtime-error" and "outside its own directory" in cell["reason"]


def test_java_missing_too_old_and_bridge_not_built(tmp_path, churn_dir):
    missing = run_harness(["--model-uri", str(churn_dir), *FAST, "--java-home", str(tmp_path / "nojdk")], tmp_path)
    assert "no JVM there" in missing.cells()["ort-java[skl2onnx-opset17]"]["reason"]
    assert missing.cells()["ort-python[skl2onnx-opset17]"]["status"] == "pass"

    old = tmp_path / "jdk8"
    (old / "lib" / "server").mkdir(parents=True)
    (old / "lib" / "server" / "libjvm.so").write_bytes(b"")
    (old / "release").write_text('JAVA_VERSION="1.8.0_392"\n')
    too_old = run_harness(["--model-uri", str(churn_dir), *FAST, "--java-home", str(old)], tmp_path)
    assert "Java 1.8.0_392" in too_old.cells()["jpmml[sklearn2pmml]"]["reason"]
    assert "too old" in too_old.cells()["jpmml[sklearn2pmml]"]["reason"]

    unbuilt = run_harness(["--model-uri", str(churn_dir), *FAST], tmp_path,
                          env={"HARNESS_BRIDGE_CLASSPATH": str(tmp_path / "harness-bridge.jar")})
    assert "make java" in unbuilt.cells()["ort-java[skl2onnx-opset17]"]["reason"]


def test_unsupported_opset_and_bad_numbers_are_usage_errors(tmp_path, churn_dir):
    opset = run_harness(["--model-uri", str(churn_dir), "--opsets", "17,99"], tmp_path)
    assert opset.returncode == 4 and "runs opsets up to 26" in opset.output
    timeout = run_harness(["--model-uri", str(churn_dir), "--cell-timeout", "soon"], tmp_path)
    assert timeout.returncode == 4 and "--cell-timeout 'soon'" in timeout.output


def test_signature_that_does_not_match_the_model(tmp_path):
    import mlflow.sklearn
    from mlflow.models import infer_signature

    model, frame = churn_pipeline()
    wrong = frame.rename(columns={"contract": "plan"})  # the model selects 'contract' by name
    mlflow.sklearn.save_model(model, str(tmp_path / "m"), signature=infer_signature(wrong),
                              pip_requirements=PIP_REQUIREMENTS, serialization_format="cloudpickle")
    run = run_harness(["--model-uri", str(tmp_path / "m"), *FAST, "--runtimes", "ort-python"], tmp_path)
    cell = next(iter(run.cells().values()))
    assert cell["status"] == "runtime-error", cell
    assert "the signature does not match the model" in cell["reason"] and "'plan'" in cell["reason"], cell
