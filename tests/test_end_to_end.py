"""The core loop for real: a sqlite MLflow registry, skl2onnx and sklearn2pmml exports, ONNX Runtime in Python,
and ONNX Runtime Java and JPMML in a JVM, driven by `pytest --model-uri` run in an empty directory."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pytest

from fixtures.models import churn_pipeline, log_sklearn, numeric_data
from harness.exporters import sklearn_onnx
from harness.inputs import columns_from_signature
from harness.runtimes.onnx_feed import InputSpec, build_feed
from tests.conftest import run_harness, use_registry

FAST = ["--opsets", "15,17", "--max-examples", "40"]


@pytest.fixture(scope="module")
def churn(registry_uri):
    use_registry(registry_uri)
    model, frame = churn_pipeline()
    uri = log_sklearn(model, frame, registered_name="churn", alias="candidate")
    return uri, model, frame


def test_collects_one_item_per_cell_in_an_empty_directory(tmp_path, tracking_uri, churn):
    run = run_harness(["--model-uri", churn[0], "--opsets", "13,17", "--collect-only", "-q"], tmp_path, tracking_uri)
    items = [line for line in run.output.splitlines() if "::" in line]
    assert "5 tests collected" in run.output
    assert items == [f"{churn[0]}::{cell}" for cell in (
        "ort-python[skl2onnx-opset13]", "ort-java[skl2onnx-opset13]",
        "ort-python[skl2onnx-opset17]", "ort-java[skl2onnx-opset17]", "jpmml[sklearn2pmml]")], run.output


def test_equivalent_model_passes_every_cell_and_writes_the_report(tmp_path, tracking_uri, churn):
    run = run_harness(["--model-uri", churn[0], *FAST, "--junitxml", str(tmp_path / "junit.xml")],
                      tmp_path, tracking_uri)
    assert run.returncode == 0, run.output
    model = run.report["models"][0]
    assert model["model_uri"] == "models:/churn@candidate" and model["flavor"] == "sklearn"
    cells = run.cells()
    assert {c["status"] for c in cells.values()} == {"pass"}
    assert set(cells) == {"ort-python[skl2onnx-opset15]", "ort-java[skl2onnx-opset15]",
                          "ort-python[skl2onnx-opset17]", "ort-java[skl2onnx-opset17]", "jpmml[sklearn2pmml]"}
    for cell in cells.values():
        assert cell["examples"] >= 20 and cell["counterexample"] is None
        assert cell["max_abs"] < 1e-5 and cell["artifact"]["origin"] == "exported"
    onnx_cell = cells["ort-java[skl2onnx-opset17]"]
    assert onnx_cell["opset_requested"] == 17
    declared = onnx.load(onnx_cell["artifact"]["path"]).opset_import
    assert onnx_cell["opset_actual"] == next(o.version for o in declared if o.domain in ("", "ai.onnx"))
    assert cells["jpmml[sklearn2pmml]"]["artifact"]["exporter"].startswith("sklearn2pmml ")
    versions = run.report["versions"]
    for key in ("onnxruntime", "onnxruntime-java", "jpmml-evaluator", "java", "scikit-learn", "skl2onnx",
                "sklearn2pmml", "mlflow"):
        assert versions[key], key
    assert versions["onnxruntime"] == versions["onnxruntime-java"]
    junit = (tmp_path / "junit.xml").read_text()
    assert 'name="max_abs"' in junit and 'tests="5"' in junit


def nudged_onnx(model, frame, path):
    """The model's own ONNX export with one logistic-regression coefficient moved by 0.01."""
    from mlflow.models import infer_signature

    columns = columns_from_signature(infer_signature(frame), model_uri="churn")
    sklearn_onnx.export(model, columns, 17, path)
    graph = onnx.load(str(path))
    node = next(n for n in graph.graph.node if n.op_type == "LinearClassifier")
    coefficients = next(a for a in node.attribute if a.name == "coefficients")
    coefficients.floats[0] += 0.01
    onnx.save(graph, str(path))
    return path


def test_altered_artifact_diverges_with_a_real_counterexample_while_own_exports_pass(tmp_path, tracking_uri, churn):
    import mlflow

    uri, model, frame = churn
    altered = nudged_onnx(model, frame, tmp_path / "altered.onnx")
    with mlflow.start_run() as run_info:  # supplied as an MLflow artifact URI, as a team would
        mlflow.log_artifact(str(altered))
    artifact_uri = f"runs:/{run_info.info.run_id}/altered.onnx"
    workdir = tmp_path / "run"
    workdir.mkdir()
    run = run_harness(["--model-uri", uri, *FAST, "--artifact", artifact_uri], workdir, tracking_uri)
    assert run.returncode == 1, run.output
    cells = run.cells()
    for name, cell in cells.items():
        assert cell["status"] == ("diverged" if "supplied" in name else "pass"), (name, cell["status"])
    supplied = cells["ort-java[supplied-altered.onnx]"]
    assert supplied["artifact"]["origin"] == "supplied" and supplied["artifact"]["uri"] == artifact_uri
    example = supplied["counterexample"]
    assert example and len(example["inputs"]) == 1, "Hypothesis shrinks to one row"
    assert "pyfunc" in example["outputs"] and "ort-python[supplied-altered.onnx]" in example["outputs"]
    # The counterexample is evidence: replayed outside the harness, the altered file really differs.
    batch = pd.DataFrame(example["inputs"])
    session = ort.InferenceSession(str(altered))
    inputs = [InputSpec(i.name, i.type[7:-1], len(i.shape)) for i in session.get_inputs()]
    altered_p = session.run(None, build_feed(batch, inputs))[1]
    assert np.abs(altered_p - model.predict_proba(batch)).max() > 1e-5
    # The failure message shows the input, the divergence and every runtime's outputs.
    assert "minimal counterexample (1 row)" in run.output and "pyfunc:" in run.output
    assert "output 'probabilities'" in run.output

    again = run_harness(["--model-uri", uri, *FAST, "--artifact", artifact_uri], workdir, tracking_uri)
    assert {n: c["status"] for n, c in again.cells().items()} == {n: c["status"] for n, c in cells.items()}
    assert again.cells()["ort-java[supplied-altered.onnx]"]["counterexample"]["inputs"] == example["inputs"]
    assert "seed=0" in again.output


@pytest.mark.parametrize("estimator, failing, reason", [
    ("KernelRidge", "onnx", "KernelRidge"),
    ("GaussianProcessRegressor", "pmml", "not a supported Estimator"),
])
def test_unconvertible_model_gets_export_failed_cells_and_the_rest_still_run(
        tmp_path, tracking_uri, estimator, failing, reason):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.kernel_ridge import KernelRidge

    frame, target = numeric_data(rows=80)
    model = {"KernelRidge": KernelRidge(), "GaussianProcessRegressor": GaussianProcessRegressor()}[estimator]
    uri = log_sklearn(model.fit(frame, target), frame)
    run = run_harness(["--model-uri", uri, "--opsets", "17", "--max-examples", "20",
                       "--output-tolerance", "prediction:atol=1e-3,rtol=1e-3"], tmp_path, tracking_uri)
    cells = run.cells()
    for name, cell in cells.items():
        if cell["format"] == failing:
            assert cell["status"] == "export-failed" and reason in cell["reason"], cell
        else:
            assert cell["status"] in ("pass", "diverged") and cell["examples"] > 0, cell
    assert run.returncode == 1  # an artifact that cannot be made is not a pass
    assert "export-failed" in run.output


def test_bad_model_uri_fails_with_a_clear_message_and_other_models_still_run(tmp_path, tracking_uri, churn):
    run = run_harness(["--model-uri", "models:/no-such-model@candidate", "--model-uri", churn[0],
                       "--runtimes", "ort-python", "--opsets", "17", "--max-examples", "10"], tmp_path, tracking_uri)
    assert run.returncode == 1
    assert "no-such-model" in run.output and "--tracking-uri" in run.output
    failed, ok = run.report["models"]
    assert failed["error"] and failed["cells"] == []
    assert [c["status"] for c in ok["cells"]] == ["pass"]


def test_bad_option_is_a_usage_error_naming_the_option(tmp_path, tracking_uri, churn):
    run = run_harness(["--model-uri", churn[0], "--atol", "small"], tmp_path, tracking_uri)
    assert run.returncode == 4 and "--atol 'small' is not a number" in run.output


def test_onnx_flavor_model_runs_as_logged_and_at_converted_opsets(tmp_path, tracking_uri):
    import mlflow
    from mlflow.models import infer_signature
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LinearRegression

    frame, target = numeric_data(rows=50)
    frame = frame.astype(np.float32)
    estimator = LinearRegression().fit(frame, target)
    graph = to_onnx(estimator, initial_types=[("X", FloatTensorType([None, 4]))], target_opset=15)
    with mlflow.start_run():
        info = mlflow.onnx.log_model(graph, name="onnx_model", pip_requirements=["onnx"],
                                     signature=infer_signature(frame, estimator.predict(frame).astype(np.float32)))
    run = run_harness(["--model-uri", info.model_uri, "--opsets", "13,18", "--max-examples", "20"],
                      tmp_path, tracking_uri)
    assert run.returncode == 0, run.output
    cells = run.cells()
    logged = cells["ort-java[logged-opset15]"]
    assert logged["artifact"]["origin"] == "logged" and logged["opset_actual"] == 15
    converted = cells["ort-java[onnx.version_converter-opset18]"]
    assert converted["opset_requested"] == 18 and converted["opset_actual"] == 18
    assert converted["status"] == "pass" and converted["examples"] == 20


def test_tensor_signature_models_run_through_both_onnx_runtimes_at_converted_opsets(tmp_path, tracking_uri):
    from fixtures.tensor_models import float16_scaler, log_onnx, two_in_two_out

    two = log_onnx(two_in_two_out(), {"a": ("float32", (-1, 3)), "b": ("float32", (-1, -1))},
                   {"y": ("float32", (-1, 2)), "s": ("float32", (-1, 1))})
    half = log_onnx(float16_scaler(), {"h": ("float16", (-1, 4))}, {"y": ("float16", (-1, 4))})
    run = run_harness(["--model-uri", two, "--model-uri", half, "--opsets", "13,18", "--max-examples", "25"],
                      tmp_path, tracking_uri)
    for index in (0, 1):
        cells = run.cells(index)
        for runtime in ("ort-python", "ort-java"):
            assert cells[f"{runtime}[logged-opset15]"]["status"] == "pass"
            up = cells[f"{runtime}[onnx.version_converter-opset18]"]
            assert up["status"] == "pass" and (up["opset_requested"], up["opset_actual"]) == (18, 18)
            down = cells[f"{runtime}[onnx.version_converter-opset13]"]
            assert down["status"] == "export-failed" and "from opset 15 to 13" in down["reason"]
    assert run.returncode == 1
