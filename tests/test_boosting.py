"""Gradient-boosting models for real: XGBoost and LightGBM (native Boosters and scikit-learn API models, logged
with mlflow.xgboost / mlflow.lightgbm), an XGBClassifier inside a scikit-learn Pipeline and a
HistGradientBoostingClassifier with missing values (mlflow.sklearn), exported with onnxmltools' converters,
skl2onnx and sklearn2pmml and run on ONNX Runtime (Python and Java) and JPMML.

Two harness runs check every kind (``equivalent_kinds``, ``float64_kinds``); each kind then gets one injected
divergence, found with the expected attribution, in process. What the harness finds on its own is asserted too:
LightGBM and HistGradientBoosting split float64 inputs on float64 thresholds, and a Pipeline scales in float64
before XGBoost's float32 splits; their ONNX exports take float32 inputs (and hold thresholds rounded to the nearest
float32, or scale in float32), so they are not equivalent next to a split. Only the threshold hunt finds it
(100,000 random rows did not, for the pipeline).
"""
from __future__ import annotations

import numpy as np
import onnx
import pytest

from fixtures import boosting
from fixtures.boosting import KINDS
from harness.check import DIVERGED, ModelCheck
from harness.config import RunConfig
from tests.conftest import run_harness, use_registry

RUNTIMES = "ort-python,ort-java,jpmml"
FAST = ["--max-examples", "20", "--runtimes", RUNTIMES]
ONE_THREAD = {"OMP_NUM_THREADS": "1"}  # the models' own OpenMP threads only slow a loaded 2-core machine down
EQUIVALENT = ("xgb-classifier", "xgb-booster-multiclass", "xgb-booster-regression")
FLOAT64_SPLITS = ("lgbm-classifier-spaced", "lgbm-booster-binary", "lgbm-regressor", "hist-gradient-boosting-gaps",
                  "xgb-in-pipeline")


@pytest.fixture(scope="module")
def logged(registry_uri):
    """Every kind trained once and registered: name -> (uri, model, frame)."""
    use_registry(registry_uri)
    found = {}
    for name, kind in KINDS.items():
        model, frame = kind.build()
        found[name] = (boosting.log(kind, model, frame, registered_name=f"boost-{name}"), model, frame)
    return found


def harness_run(names, logged, registry_uri, folder, opsets: str) -> dict:
    """One `pytest --model-uri ...` run over ``names``: name -> the model's report entry."""
    args = [arg for name in names for arg in ("--model-uri", logged[name][0])]
    run = run_harness([*args, "--opsets", opsets, *FAST], folder, registry_uri, env=ONE_THREAD, timeout=900)
    assert run.report is not None, run.output
    return {name: run.report["models"][i] for i, name in enumerate(names)}


@pytest.fixture(scope="module")
def equivalent_kinds(logged, registry_uri, tmp_path_factory):
    return harness_run(EQUIVALENT, logged, registry_uri, tmp_path_factory.mktemp("equivalent"), "13,15")


@pytest.fixture(scope="module")
def float64_kinds(logged, registry_uri, tmp_path_factory):
    """At one opset: the ONNX files at 13 and 15 hold the same trees, and every diverged cell shrinks its own
    counterexample."""
    return harness_run(FLOAT64_SPLITS, logged, registry_uri, tmp_path_factory.mktemp("float64"), "15")


def cells_of(report: dict) -> dict:
    return {c["name"]: c for c in report["cells"]}


def onnx_cells(exporter: str, opsets=(13, 15)) -> set[str]:
    return {f"{runtime}[{exporter}-opset{opset}]" for runtime in ("ort-python", "ort-java") for opset in opsets}


# --- each kind, as the harness checks it ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", EQUIVALENT)
def test_xgboost_boosters_and_sklearn_api_models_pass_every_cell(equivalent_kinds, name):
    """XGBoost splits float32 values (``x < t``, DMatrix rounds inputs to float32) on float32 thresholds: the ONNX
    export computes the same thing exactly, in Python and in Java, and so does the PMML."""
    report = equivalent_kinds[name]
    kind = KINDS[name]
    assert report["error"] is None and report["flavor"] == kind.flavor, report
    cells = cells_of(report)
    expected = onnx_cells("onnxmltools")
    if kind.sklearn_api:
        expected.add("jpmml[sklearn2pmml]")  # sklearn2pmml cannot take a native Booster: no PMML for those
    assert set(cells) == expected
    for cell_name, cell in cells.items():
        assert cell["status"] == "pass", (cell_name, cell["status"], cell["reason"])
        assert cell["examples"] >= 20 and cell["max_abs"] < 1e-5, (cell_name, cell["max_abs"])


def float32_steps_from_a_split(value: float, thresholds: list[float], steps: int = 1) -> bool:
    """Is ``value`` within ``steps`` float32 steps of one of ``thresholds``?"""
    return any(abs(value - t) <= steps * abs(float(np.spacing(np.float32(t)))) for t in thresholds)


def model_thresholds(kind, model, columns: list[str]) -> dict:
    from harness.flavors import lightgbm, sklearn

    if kind.flavor == "sklearn":
        return sklearn.tree_thresholds(model, columns)
    return lightgbm.split_thresholds(lightgbm.booster_of(model), columns)


@pytest.mark.parametrize("name", FLOAT64_SPLITS)
def test_float64_splits_diverge_in_float32_onnx_next_to_a_split_while_pmml_passes(float64_kinds, logged, name):
    """LightGBM and HistGradientBoosting split with ``x <= t`` in float64, and onnxmltools/skl2onnx write t rounded
    to the nearest float32 (not down, as skl2onnx does for scikit-learn's own trees) with float32 inputs; the
    Pipeline scales in float64 and ONNX's Scaler in float32 before the XGBoost split. The harness hunts the model's
    thresholds (mapped back through the scaler) and finds an input next to one that takes the other branch in ONNX,
    in Python and Java alike (so the file is blamed); the PMML export (double) agrees with the model."""
    report = float64_kinds[name]
    kind = KINDS[name]
    _, model, frame = logged[name]
    assert report["error"] is None and report["flavor"] == kind.flavor, report
    cells = cells_of(report)
    onnx_names = onnx_cells("skl2onnx" if kind.flavor == "sklearn" else "onnxmltools", opsets=(15,))
    assert onnx_names <= set(cells)
    thresholds = model_thresholds(kind, model, [str(c) for c in frame.columns])
    for cell_name in onnx_names:
        cell = cells[cell_name]
        assert cell["status"] == "diverged", (cell_name, cell["status"], cell["reason"])
        assert cell["attribution"]["kind"] == "conversion", cell["attribution"]
        row = cell["counterexample"]["inputs"][0]
        steps = 8 if name == "xgb-in-pipeline" else 1  # float32 scaling moves the value a few steps
        assert any(value is not None and float32_steps_from_a_split(float(value), thresholds.get(column, []), steps)
                   for column, value in row.items()), (cell_name, row)
    if kind.sklearn_api:
        pmml = cells["jpmml[sklearn2pmml]"]
        assert pmml["status"] == "pass" and pmml["max_abs"] < 1e-6, (pmml["status"], pmml["reason"])


def test_lightgbm_rewrites_spaces_in_feature_names_and_the_signature_is_still_accepted(float64_kinds, logged):
    _, model, frame = logged["lgbm-classifier-spaced"]
    assert list(model.feature_names_in_) != list(frame.columns)  # 'monthly_charges' vs 'monthly charges'
    cells = cells_of(float64_kinds["lgbm-classifier-spaced"])
    assert cells["jpmml[sklearn2pmml]"]["status"] == "pass"
    assert not any("signature" in (c["reason"] or "") for c in cells.values())


def test_a_signature_the_pyfunc_rejects_is_refused_naming_both_column_lists(tmp_path):
    """The control: an XGBoost Booster trained on x0..x3, logged with a signature of other names. Its PyFunc
    refuses those columns (XGBoost checks feature names), so the harness refuses the model and says why."""
    import mlflow.xgboost
    from mlflow.models import infer_signature

    from harness import source
    from harness.inputs import SignatureError

    model, frame = KINDS["xgb-booster-regression"].build()
    renamed = frame.rename(columns=lambda c: c.replace("x", "feature_"))
    mlflow.xgboost.save_model(model, str(tmp_path / "m"), signature=infer_signature(renamed),
                              pip_requirements=boosting.PIP["xgboost"])
    resolved = source.resolve(str(tmp_path / "m"))
    with pytest.raises(SignatureError) as refused:
        resolved.family.check_signature(resolved)
    message = str(refused.value)
    assert "['x0', 'x1', 'x2', 'x3']" in message and "['feature_0', 'feature_1', 'feature_2', 'feature_3']" in message
    assert "rejects a row of the signature's columns" in message and "feature_names mismatch" in message


# --- one injected divergence per kind -----------------------------------------------------------------------------

ONNX_EDITS = {
    "xgb-classifier": boosting.onnx_leaf_nudged(),
    "xgb-booster-multiclass": boosting.onnx_threshold_moved,
    "xgb-booster-regression": boosting.onnx_leaf_nudged(),
    "xgb-in-pipeline": boosting.onnx_leaf_nudged(),
    "lgbm-booster-binary": boosting.onnx_labels_swapped,  # its ONNX export also diverges next to splits
}
PMML_EDITS = {  # kinds whose ONNX export diverges on its own: the injected divergence goes into the PMML
    "lgbm-classifier-spaced": boosting.pmml_score_nudged,
    "lgbm-regressor": boosting.pmml_score_nudged,
    "hist-gradient-boosting-gaps": boosting.pmml_missing_flipped("x0"),
}


def supplied_check(uri: str, deployed, runtimes: list[str], tmp_path) -> tuple[ModelCheck, list]:
    config = RunConfig(model_uris=[uri], runtimes=runtimes, opsets=[15], artifacts=[str(deployed)],
                       max_examples=30, work_dir=tmp_path / "work")
    check = ModelCheck(uri, config)
    supplied = [c for c in check.cells if c.artifact.origin == "supplied"]
    for cell in supplied:
        check.run_cell(cell)
    return check, supplied


@pytest.mark.parametrize("name", list(ONNX_EDITS))
def test_an_edited_onnx_file_diverges_and_is_blamed_on_the_file(logged, registry_uri, tmp_path, name):
    use_registry(registry_uri)
    uri, model, frame = logged[name]
    deployed = boosting.deployed_onnx(KINDS[name], model, frame, tmp_path / "deployed.onnx", ONNX_EDITS[name])
    _, cells = supplied_check(uri, deployed, ["ort-python", "ort-java"], tmp_path)
    by_runtime = {c.runtime: c for c in cells}
    for cell in cells:
        assert cell.status == DIVERGED, (cell.name, cell.status, cell.reason)
    assert by_runtime["ort-java"].attribution["kind"] == "conversion", by_runtime["ort-java"].attribution
    assert "ort-python" in by_runtime["ort-java"].attribution["detail"]
    if name == "lgbm-booster-binary":
        divergences = by_runtime["ort-python"].result.counterexample.divergences
        assert any(d.output == "label" and d.mismatches for d in divergences), divergences


@pytest.mark.parametrize("name", list(PMML_EDITS))
def test_an_edited_pmml_file_diverges_and_is_blamed_on_the_format(logged, registry_uri, tmp_path, name):
    use_registry(registry_uri)
    uri, model, frame = logged[name]
    deployed = boosting.deployed_pmml(model, frame, tmp_path / "deployed.pmml", PMML_EDITS[name])
    _, cells = supplied_check(uri, deployed, ["jpmml"], tmp_path)
    (cell,) = cells
    assert cell.status == DIVERGED, (cell.status, cell.reason)
    assert cell.attribution["kind"] == "format", cell.attribution
    if name == "hist-gradient-boosting-gaps":  # only a missing x0 takes the flipped branch
        assert cell.result.counterexample.batch["x0"].isna().all(), cell.result.counterexample.batch


# --- converter options ----------------------------------------------------------------------------------------------

def test_converter_options_are_recorded_and_zipmap_still_compares_equal(logged, registry_uri, tmp_path):
    run = run_harness(["--model-uri", logged["xgb-classifier"][0], "--opsets", "15", "--max-examples", "20",
                       "--runtimes", "ort-python,ort-java", "--converter-option", "onnxmltools:zipmap=true",
                       "--converter-option", "onnxmltools:ml_opset=1"], tmp_path, registry_uri, env=ONE_THREAD)
    assert run.returncode == 0, run.output
    model = run.report["models"][0]
    assert model["converter_options"] == {"onnxmltools": {"zipmap": True, "ml_opset": 1}}
    for cell in model["cells"]:
        assert cell["status"] == "pass", (cell["name"], cell["reason"])
        assert cell["artifact"]["options"] == {"zipmap": True, "ml_opset": 1}
        graph = onnx.load(cell["artifact"]["path"])
        assert "ZipMap" in [n.op_type for n in graph.graph.node]  # a list of dicts, mapped back to columns
        assert {o.domain: o.version for o in graph.opset_import}["ai.onnx.ml"] == 1


def test_skl2onnx_takes_zipmap_for_an_xgboost_in_a_pipeline_and_the_outputs_map_back(logged, tmp_path):
    """skl2onnx:zipmap=true reaches the registered onnxmltools converter: probabilities come as ZipMap's list of
    dicts, which the harness maps back to the same [N, classes] matrix as zipmap=false."""
    from harness.exporters import sklearn_onnx
    from harness.outputs import OutputSpec, from_onnx
    from harness.runtimes import SessionSettings
    from harness.runtimes.ort_python import OrtPython

    _, model, frame = logged["xgb-in-pipeline"]
    spec = OutputSpec("classifier", (0, 1))
    matrices = []
    for zipmap in (True, False):
        path = tmp_path / f"zipmap-{zipmap}.onnx"
        sklearn_onnx.export(model, boosting.columns_of(frame), 15, path, {"zipmap": zipmap})
        assert ("ZipMap" in [n.op_type for n in onnx.load(str(path)).graph.node]) is zipmap
        session = OrtPython().open(path, SessionSettings())
        matrices.append(from_onnx(spec, session.run(frame), len(frame))["probabilities"])
        session.close()
    assert np.array_equal(matrices[0], matrices[1])


def test_double_inputs_raw_scores_and_the_onnxmltools_route(logged, tmp_path):
    """input_type=double: skl2onnx makes a float64 graph of a linear model that matches scikit-learn to 1e-12;
    onnxmltools' tree converters are float-only, so the export fails with onnx's own reason. raw_scores reaches
    skl2onnx's converter. route=onnxmltools calls onnxmltools' own entry point, which stops at opset 15."""
    import onnxruntime as ort
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from harness.exporters import onnxmltools_onnx, sklearn_onnx

    frame, targets = boosting.data(9)
    linear = make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, targets["binary"])
    sklearn_onnx.export(linear, boosting.columns_of(frame), 15, tmp_path / "double.onnx", {"input_type": "double"})
    session = ort.InferenceSession(str(tmp_path / "double.onnx"))
    assert session.get_inputs()[0].type == "tensor(double)"
    probabilities = session.run(None, {"X": frame.to_numpy(np.float64)})[1]
    assert np.abs(probabilities - linear.predict_proba(frame)).max() < 1e-12

    sklearn_onnx.export(linear, boosting.columns_of(frame), 15, tmp_path / "raw.onnx", {"raw_scores": True})
    raw = ort.InferenceSession(str(tmp_path / "raw.onnx")).run(None, {"X": frame.to_numpy(np.float32)})[1]
    assert np.allclose(raw[:, 1], linear.decision_function(frame), atol=1e-4)

    _, model, frame = logged["xgb-classifier"]
    with pytest.raises(RuntimeError, match="float-only TreeEnsemble"):
        onnxmltools_onnx.export(model, 4, 15, tmp_path / "x.onnx", {"input_type": "double"})
    onnxmltools_onnx.export(model, 4, 15, tmp_path / "own.onnx", {"route": "onnxmltools"})
    own = onnx.load(str(tmp_path / "own.onnx"))
    assert {o.domain: o.version for o in own.opset_import}.get("ai.onnx.ml") == 1
    with pytest.raises(RuntimeError, match=r"target_opset 17 is higher .* converter support \(15\)"):
        onnxmltools_onnx.export(model, 4, 17, tmp_path / "17.onnx", {"route": "onnxmltools"})


# --- the model files for JVM runtimes that read XGBoost's and LightGBM's own formats --------------------------------

def test_the_model_files_the_flavors_saved_are_artifacts_of_their_own_formats(logged, registry_uri, tmp_path):
    import lightgbm as lgb
    import xgboost as xgb

    from harness import source
    from harness.check import plan
    from harness.flavors import lightgbm, xgboost as xgboost_flavor

    use_registry(registry_uri)
    for name, fmt in (("xgb-classifier", xgboost_flavor.FORMAT), ("xgb-booster-multiclass", xgboost_flavor.FORMAT),
                      ("lgbm-booster-binary", lightgbm.FORMAT)):
        uri, model, frame = logged[name]
        resolved = source.resolve(uri)
        (artifact,) = resolved.family.logged_artifacts(resolved)
        assert artifact.format == fmt and artifact.origin == "logged" and artifact.reference_file
        assert artifact.path.is_file() and artifact.path.name in ("model.ubj", "model.lgb")
        if fmt == xgboost_flavor.FORMAT:
            reloaded = xgb.Booster(model_file=str(artifact.path))
            native = model if isinstance(model, xgb.Booster) else model.get_booster()
            assert np.array_equal(reloaded.predict(xgb.DMatrix(frame)), native.predict(xgb.DMatrix(frame)))
        else:
            assert np.array_equal(lgb.Booster(model_file=str(artifact.path)).predict(frame), model.predict(frame))
        # cells exist only where a runtime reads the format: none of ONNX's or PMML's runtimes reads it
        assert artifact.format not in {a.format for a in plan.planned_artifacts(resolved, [15], {"onnx", "pmml"})}
        assert any(a.reference_file for a in plan.planned_artifacts(resolved, [15], {fmt}))

    uri, model, frame = logged["lgbm-regressor"]  # pickled: its booster's text model is written by the harness
    resolved = source.resolve(uri)
    (artifact,) = plan.planned_artifacts(resolved, [15], {lightgbm.FORMAT})
    plan.export(artifact, resolved, boosting.columns_of(frame), tmp_path)
    assert artifact.error is None, artifact.error
    assert np.array_equal(lgb.Booster(model_file=str(artifact.path)).predict(frame), model.predict(frame))
