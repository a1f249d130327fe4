"""Each search component finds a divergence that uniform random inputs (Polygraphy's default loader) miss at
the same budget, and what is found once is replayed first next time and reproduces in plain Java."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np

from bench.detect import save_case, uniform_baseline
from fixtures.divergent import cases
from harness.config import RunConfig
from harness.check import DIVERGED, PASS, ModelCheck
from harness.runtimes import jvm

BUDGET = 100


def checked(name: str, tmp_path: Path, saved=None, **config):
    case = next(c for c in cases() if c.name == name)
    model_dir, onnx_path = saved or save_case(case, tmp_path)
    settings = dict(model_uris=[str(model_dir)], runtimes=["ort-python"], opsets=[17],
                    artifacts=[str(onnx_path)], max_examples=BUDGET, work_dir=tmp_path / "artifacts")
    settings.update(config)
    check = ModelCheck(str(model_dir), RunConfig(**settings))
    cell = next(c for c in check.cells if c.artifact.origin == "supplied")
    check.run_cell(cell)
    return check, cell


def test_thresholds_read_from_the_artifact_find_a_split_moved_by_one_float32_step(tmp_path):
    check, cell = checked("forest: a threshold +1 float32 step", tmp_path)
    assert cell.status == DIVERGED
    moved = {v for column in check.hunting_columns for v in column.suspicious}
    assert any(float(v) in moved for v in cell.result.counterexample.batch.to_numpy().ravel())
    assert uniform_baseline(check, cell, BUDGET, seed=0) is None


def test_missing_values_where_the_signature_allows_them_find_nan_routed_the_other_way(tmp_path):
    check, cell = checked("tree-with-gaps: NaN routed to the other branch", tmp_path)
    assert cell.status == DIVERGED and cell.result.counterexample.batch["x0"].isna().any()
    assert uniform_baseline(check, cell, BUDGET, seed=0) is None


def test_data_rows_find_a_divergence_in_the_domain_the_model_serves(tmp_path):
    check, cell = checked("event-time: float32 timestamps", tmp_path)
    assert cell.status == DIVERGED
    times = cell.result.counterexample.batch["event_time"]
    assert (times > 1.7e9).all(), "found among real timestamps, not at uniform [0, 1)"
    assert uniform_baseline(check, cell, BUDGET, seed=0) is None


def test_targeted_search_and_edges_find_a_nudged_leaf_the_baseline_misses(tmp_path):
    check, cell = checked("boosting: a leaf value +0.1%", tmp_path)
    assert cell.status == DIVERGED
    assert uniform_baseline(check, cell, BUDGET, seed=0) is None


def test_an_equivalent_model_raises_no_alarm_with_every_component_on(tmp_path):
    for name in ("forest (faithful export)", "churn (faithful export)"):
        folder = tmp_path / name.split()[0]
        folder.mkdir()
        assert checked(name, folder)[1].status == PASS


def test_a_divergence_found_once_is_replayed_first_and_reproduces_in_plain_java(tmp_path):
    corpus = tmp_path / "corpus"
    name = "tree: root threshold +1 float32 step"
    saved = save_case(next(c for c in cases() if c.name == name), tmp_path)
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    _, first = checked(name, first_dir, saved, corpus_dir=corpus)
    assert first.status == DIVERGED and first.corpus_file
    _, again = checked(name, second_dir, saved, corpus_dir=corpus)
    assert again.result.replayed >= 1 and again.result.first_divergence_at == 1, "the corpus ran before any search"

    entry = json.loads(Path(first.corpus_file).read_text())
    assert entry["format"] == "jvm-equivalence-counterexample" and entry["onnx_inputs"][0]["name"] == "X"
    moved = tmp_path / "elsewhere"
    shutil.copytree(Path(first.corpus_file).parent, moved)  # the corpus folder alone, anywhere
    classpath = ":".join(jvm.bridge_classpath())
    done = subprocess.run(["java", "-cp", classpath, "harness.bridge.ReplayCounterexample",
                           str(moved / Path(first.corpus_file).name)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "REPRODUCED" in done.stdout, done.stdout + done.stderr
    reported = max(d["max_abs"] for d in entry["divergences"] if d.get("max_abs") is not None)
    assert np.isclose(float(done.stdout.split("max_abs=")[1]), reported, rtol=1e-6)


def test_a_divergence_that_needs_a_batch_is_attributed_to_the_batch_size(tmp_path):
    """A deployed graph that adds 1% of (x - the batch's mean of x): one row alone agrees with the model, rows
    together do not. The attribution says the divergence depends on the batch."""
    import onnx
    from onnx import TensorProto, helper

    case = next(c for c in cases() if c.name == "linear (faithful export)")
    model_dir, onnx_path = save_case(case, tmp_path)
    graph = onnx.load(str(onnx_path))
    output = graph.graph.output[0].name
    graph.graph.node[-1].output[0] = "faithful"
    graph.graph.node.extend([
        helper.make_node("ReduceMean", ["X"], ["batch_mean"], axes=[0], keepdims=1),
        helper.make_node("Sub", ["X", "batch_mean"], ["centred"]),
        helper.make_node("ReduceSum", ["centred", "one_axis"], ["row_sum"], keepdims=1),
        helper.make_node("Mul", ["row_sum", "hundredth"], ["shift"]),
        helper.make_node("Add", ["faithful", "shift"], [output]),
    ])
    graph.graph.initializer.extend([helper.make_tensor("one_axis", TensorProto.INT64, [1], [1]),
                                    helper.make_tensor("hundredth", TensorProto.FLOAT, [], [0.01])])
    onnx.checker.check_model(graph)
    onnx.save(graph, str(onnx_path))
    check, cell = checked(case.name, tmp_path, (model_dir, onnx_path))
    assert cell.status == DIVERGED and len(cell.result.counterexample.batch) >= 2
    assert cell.attribution["batch_size_dependent"] is True and cell.attribution["kind"] == "conversion"


def test_a_row_by_row_divergence_is_not_called_batch_dependent(tmp_path):
    check, cell = checked("scaled-linear: scaler offset +0.1%", tmp_path)
    assert cell.status == DIVERGED
    assert cell.attribution.get("batch_size_dependent") in (False, None)  # None: a one-row counterexample
    example = cell.result.counterexample
    if len(example.batch) >= 2:
        assert cell.attribution["batch_size_dependent"] is False
