"""Small truths a user sees: bounded reasons with the root cause first, attribution when both ONNX runtimes raise,
item ids, file modes, and nothing left in the working directory."""
from __future__ import annotations

import os
import stat

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from fixtures.models import log_sklearn, numeric_data
from tests.conftest import run_harness
from tests.test_plugins import install_metadata, toy_model, TESTS


def test_a_megabyte_exception_gives_small_reports_that_lead_with_the_root_cause(tmp_path):
    site = tmp_path / "site"
    install_metadata(site)
    env = {"PYTHONPATH": os.pathsep.join([str(site), str(TESTS.parent)]), "TOY_EXPORT_HUGE_ERROR": "1"}
    model = toy_model(tmp_path / "toy")
    html, markdown = tmp_path / "r.html", tmp_path / "r.md"
    run = run_harness(["--model-uri", str(model), "--runtimes", "toy-scorer", "--work-dir", str(tmp_path / "work"),
                       "--html-report", str(html), "--markdown-report", str(markdown)], tmp_path, env=env)
    assert run.returncode == 1
    cell = run.cells()["toy-scorer[toy-export]"]
    assert cell["status"] == "export-failed"
    assert cell["reason"].startswith("TypeError: Field onnx.AttributeProto.ints: Expected an int, got a boolean")
    for report in (tmp_path / "report.json", html, markdown):
        assert report.stat().st_size < 100_000, report
    assert len(run.output) < 100_000
    log = cell["reason_log"]
    assert log and "x" * 100_000 in open(log).read()  # the whole text is kept, where the report says


def test_reports_are_0644_and_no_hypothesis_directory_is_left(tmp_path):
    run = run_harness(["--model-uri", str(toy_model(tmp_path / "toy")), "--runtimes", "ort-python",
                       "--html-report", str(tmp_path / "r.html")], tmp_path)
    for name in ("report.json", "r.html"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name
    assert not (tmp_path / ".hypothesis").exists()
    assert run.returncode == 1  # no runtime takes the toy flavor without its plugin: still a clean verdict


def test_a_bad_model_uri_is_named_once(tmp_path):
    run = run_harness(["--model-uri", str(tmp_path / "nowhere")], tmp_path)
    assert run.returncode == 1
    line = next(line for line in run.output.splitlines() if "no such local model directory" in line
                and line.startswith(str(tmp_path)))
    assert line.count(str(tmp_path / "nowhere")) == 1


def trap(onnx_path, out_path, column: int = 0, above: float = 5.0) -> None:
    """Add an output that gathers index 10 from a 2-row table whenever X[:, column] > above: both ONNX Runtime
    sides raise on such rows, the model does not."""
    model = onnx.load(str(onnx_path))
    graph = model.graph
    x = graph.input[0].name
    graph.initializer.extend([
        numpy_helper.from_array(np.array([column], np.int64), "trap_col"),
        numpy_helper.from_array(np.array(above, np.float32), "trap_at"),
        numpy_helper.from_array(np.array(10, np.int64), "trap_ten"),
        numpy_helper.from_array(np.array([1.0, 2.0], np.float32), "trap_table")])
    graph.node.extend([
        helper.make_node("Gather", [x, "trap_col"], ["trap_x"], axis=1),
        helper.make_node("Greater", ["trap_x", "trap_at"], ["trap_gt"]),
        helper.make_node("Cast", ["trap_gt"], ["trap_i"], to=TensorProto.INT64),
        helper.make_node("Mul", ["trap_i", "trap_ten"], ["trap_idx"]),
        helper.make_node("Gather", ["trap_table", "trap_idx"], ["trap"], axis=0)])
    graph.output.append(helper.make_tensor_value_info("trap", TensorProto.FLOAT, None))
    onnx.save(model, str(out_path))


def test_both_onnx_runtimes_raising_is_attributed_to_the_file(tmp_path, tracking_uri):
    from sklearn.linear_model import LinearRegression

    from harness.exporters.sklearn_onnx import export
    from harness.inputs import Column

    frame, target = numeric_data()
    model = LinearRegression().fit(frame, target)
    uri = log_sklearn(model, frame)
    export(model, [Column(c, "double") for c in frame.columns], 17, tmp_path / "plain.onnx")
    trap(tmp_path / "plain.onnx", tmp_path / "trapped.onnx")
    run = run_harness(["--model-uri", uri, "--runtimes", "ort-python,ort-java", "--opsets", "17",
                       "--artifact", str(tmp_path / "trapped.onnx"), "--max-examples", "40"], tmp_path, tracking_uri)
    assert run.returncode == 1
    java = run.cells()["ort-java[supplied-trapped.onnx]"]
    assert java["status"] == "diverged" and java["counterexample"]["error"]
    assert java["attribution"]["kind"] == "conversion"
    assert java["attribution"]["detail"].startswith("both ONNX runtimes raise on this input")
    assert run.cells()["ort-java[skl2onnx-opset17]"]["status"] == "pass"  # the control: the plain export


def test_item_ids_stay_model_uri_and_cell_with_an_artifact_elsewhere(tmp_path, tracking_uri):
    from sklearn.linear_model import LinearRegression

    from harness.exporters.sklearn_onnx import export
    from harness.inputs import Column

    frame, target = numeric_data()
    model = LinearRegression().fit(frame, target)
    uri = log_sklearn(model, frame)
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    elsewhere.mkdir()
    export(model, [Column(c, "double") for c in frame.columns], 17, elsewhere / "deployed.onnx")
    work = tmp_path / "run"
    work.mkdir()
    run = run_harness(["--model-uri", uri, "--runtimes", "ort-python", "--opsets", "17", "--max-examples", "10",
                       "--artifact", str(elsewhere / "deployed.onnx"), "-rA"], work, tracking_uri)
    assert run.returncode == 0, run.output
    assert f"PASSED {uri}::ort-python[supplied-deployed.onnx]" in run.output
    assert "../" not in run.output.split("short test summary info")[-1]
