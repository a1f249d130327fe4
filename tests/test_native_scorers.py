"""The native JVM scorers of gradient-boosting model files, end to end through `pytest --model-uri` against a sqlite
registry: XGBoost4J on the model file mlflow.xgboost saves (``xgboost4j``) and lightgbm4j on mlflow.lightgbm's text
model (``lightgbm-jvm``), beside ONNX Runtime Python on the ONNX exports (which shows the attribution).

For each runtime: equivalent models pass (XGBoost: margins and probabilities both compared; LightGBM: binary,
multiclass, regression, a categorical feature with missing values); a model file with an injected divergence is
found; a file the library cannot read, and a class path without the library's jar, are runtime-errors that say
why. The version rule: XGBoost4J 3.0.4 on a model xgboost 3.2.0 wrote shifts every margin (it misreads
``base_score``): diverged, blamed on the JVM runtime, with the version pair named; the counterexample replays in
plain Java with the same jars and does not with XGBoost4J 3.4.0. Found on the way: XGBoost4J's dense DMatrix refuses
±inf, which xgboost's Python package scores.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from fixtures import boosting, native_models
from harness.runtimes import jvm
from tests.conftest import run_harness, use_registry

FAST = ["--opsets", "15", "--max-examples", "40"]
JAVA = Path(__file__).resolve().parents[1] / "java" / "target"
XGBOOST4J_NEW = "xgboost4j_2.12-3.4.0.jar"
XGBOOST4J_OLD = JAVA / "alt-lib" / "xgboost4j_2.12-3.0.4.jar"
LOGGED = "logged"
ONNX_CELL = "ort-python[onnxmltools-opset15]"
XGB_EQUIVALENT = ("xgb-int-binary", "xgb-int-multiclass", "xgb-booster-multiclass", "xgb-booster-regression")
LGBM_KINDS = {"lgbm-booster-binary": "lightgbm-jvm[logged]",  # a Booster: its logged model.lgb
              "lgbm-classifier-spaced": "lightgbm-jvm[lightgbm-text]",  # LGBMClassifier, 3 classes: the text export
              "lgbm-regressor": "lightgbm-jvm[lightgbm-text]",
              "lgbm-categorical": "lightgbm-jvm[logged]"}


def classpath(*, without: tuple[str, ...] = (), extra: tuple[Path, ...] = ()) -> str:
    """The bridge jar and java/target/lib's jars, some left out, some added (what HARNESS_BRIDGE_CLASSPATH takes)."""
    jars = [JAVA / "harness-bridge.jar"] + [j for j in sorted((JAVA / "lib").glob("*.jar"))
                                            if not any(j.name.startswith(w) for w in without)]
    return os.pathsep.join(str(j) for j in [*jars, *extra])


OLD_XGBOOST4J = classpath(without=(XGBOOST4J_NEW,), extra=(XGBOOST4J_OLD,))


@pytest.fixture(scope="module")
def logged(registry_uri, tmp_path_factory):
    """Every model trained once, registered, and its model file saved aside: name -> (uri, model, frame, file)."""
    use_registry(registry_uri)
    files = tmp_path_factory.mktemp("model-files")
    reused = [n for n in (*XGB_EQUIVALENT, "xgb-classifier", *LGBM_KINDS) if n in boosting.KINDS]
    kinds = {**native_models.KINDS, **{name: boosting.KINDS[name] for name in reused}}
    found = {}
    for name, kind in kinds.items():
        model, frame = kind.build()
        uri = boosting.log(kind, model, frame, registered_name=f"native-{name}")
        booster = model if not kind.sklearn_api else (model.get_booster() if kind.flavor == "xgboost"
                                                      else model.booster_)
        path = files / f"{name}.{'ubj' if kind.flavor == 'xgboost' else 'lgb'}"
        booster.save_model(str(path))
        found[name] = (uri, model, frame, path)
    return found


def harness(logged, names, args, tmp_path_factory, registry_uri, env=None, label="run"):
    uris = [arg for name in names for arg in ("--model-uri", logged[name][0])]
    run = run_harness([*uris, *args], tmp_path_factory.mktemp(label), registry_uri, env=env, timeout=600)
    assert run.report is not None, run.output
    return run


def cells(run, index: int = 0) -> dict:
    return run.cells(index)


def divergence(cell: dict, output: str) -> dict:
    return next(d for d in cell["counterexample"]["divergences"] if d["output"] == output)


# --- XGBoost4J ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def xgboost_run(logged, tmp_path_factory, registry_uri):
    return harness(logged, XGB_EQUIVALENT, [*FAST, "--runtimes", "xgboost4j,ort-python"], tmp_path_factory,
                   registry_uri, label="xgboost")


@pytest.mark.parametrize("index,name", list(enumerate(XGB_EQUIVALENT)))
def test_xgboost4j_computes_what_xgboost_computes_on_its_own_model_file(xgboost_run, index, name):
    """Binary (base_score 0.6) and three classes (an XGBClassifier) on integer features, three classes and
    regression (Boosters) on float features: the very model.ubj the reference loads, scored by XGBoost4J 3.4.0,
    margins and probabilities (or values) equal to the last bit."""
    found = cells(xgboost_run, index)
    assert set(found) == {f"xgboost4j[{LOGGED}]", ONNX_CELL}
    cell = found[f"xgboost4j[{LOGGED}]"]
    assert cell["status"] == "pass" and cell["format"] == "xgboost", (cell["status"], cell["reason"])
    assert cell["examples"] >= 20 and cell["max_abs"] == 0.0, cell["max_abs"]
    assert cell["reason"] is None  # no version-pair note: XGBoost4J 3.4.0 is newer than xgboost 3.2.0
    # ONNX has no margin: compared without it, and said so
    onnx_cell = found[ONNX_CELL]
    assert onnx_cell["status"] == "pass", onnx_cell["reason"]
    assert "margin: not in this artifact" in onnx_cell["reason"]


def test_the_report_names_xgboost4j_its_format_and_version(xgboost_run):
    report = xgboost_run.report
    assert report["versions"]["xgboost4j"] == "3.4.0" and report["versions"]["xgboost-cpu"] == "3.2.0"
    runtime = next(r for r in report["runtimes"] if r["name"] == "xgboost4j")
    assert runtime["format"] == "xgboost" and runtime["in_jvm"] is True and runtime["version"] == "3.4.0"


@pytest.fixture(scope="module")
def xgboost_files_run(logged, tmp_path_factory, registry_uri):
    """The binary model, plus two files of it given with --artifact: every leaf of the first tree moved by 0.1
    (XGBoost JSON), and the UBJ file cut in half; the JVM runtime in a worker process (--isolate-jvm)."""
    _, _, _, path = logged["xgb-int-binary"]
    folder = tmp_path_factory.mktemp("xgboost-files")
    moved = native_models.xgboost_leaves_moved(path, folder / "leaves-moved.json")
    cut = native_models.truncated(path, folder / "cut.ubj")
    return harness(logged, ["xgb-int-binary"], [*FAST, "--runtimes", "xgboost4j", "--isolate-jvm",
                                                "--artifact", str(moved), "--artifact", str(cut)],
                   tmp_path_factory, registry_uri, label="xgboost-files")


def test_an_injected_divergence_in_an_xgboost_model_file_is_found_in_margin_and_probabilities(xgboost_files_run):
    found = cells(xgboost_files_run)
    assert found[f"xgboost4j[{LOGGED}]"]["status"] == "pass"  # the control, on the same run
    cell = found["xgboost4j[supplied-leaves-moved.json]"]
    assert cell["status"] == "diverged", cell["reason"]
    assert divergence(cell, "margin")["max_abs"] == pytest.approx(0.1, abs=1e-6)
    assert divergence(cell, "probabilities")["mismatches"] > 0
    # no Python runtime reads XGBoost files: the file and XGBoost4J cannot be told apart, and the report says so
    assert cell["attribution"]["kind"] == "format"


def test_an_xgboost_file_xgboost4j_cannot_read_is_a_runtime_error_with_the_library_message(xgboost_files_run):
    cell = cells(xgboost_files_run)["xgboost4j[supplied-cut.ubj]"]
    assert cell["status"] == "runtime-error"
    assert "XGBoost4J 3.4.0 cannot read" in cell["reason"] and "cut.ubj" in cell["reason"]
    assert "Stack trace" not in cell["reason"]  # the library's message, without its native stack


def test_with_isolate_jvm_xgboost4j_runs_in_the_worker_process(xgboost_files_run):
    """Every JVM session of the run opened in the worker: the harness's own process never started a JVM."""
    assert cells(xgboost_files_run)[f"xgboost4j[{LOGGED}]"]["status"] == "pass"
    assert xgboost_files_run.report["versions"].get("java") is None


# --- the version rule: an older Java reader on a newer model --------------------------------------------------------

@pytest.fixture(scope="module")
def old_reader_run(logged, tmp_path_factory, registry_uri):
    """XGBoost4J 3.0.4 (alt-lib) in place of 3.4.0, on the binary model xgboost 3.2.0 wrote with base_score 0.6."""
    corpus = tmp_path_factory.mktemp("old-reader-corpus")
    run = harness(logged, ["xgb-int-binary"], [*FAST, "--runtimes", "xgboost4j,ort-python", "--corpus",
                                               str(corpus)], tmp_path_factory, registry_uri,
                  env={jvm.CLASSPATH_ENV: OLD_XGBOOST4J}, label="old-reader")
    return run, corpus


def test_an_older_xgboost4j_on_a_newer_model_diverges_blamed_on_the_jvm_with_the_version_pair(old_reader_run):
    run, _ = old_reader_run
    assert run.report["versions"]["xgboost4j"] == "3.0.4"
    found = cells(run)
    cell = found[f"xgboost4j[{LOGGED}]"]
    assert cell["status"] == "diverged"
    assert cell["attribution"]["kind"] == "jvm"
    assert "XGBoost4J 3.0.4" in cell["attribution"]["version_pair"]
    assert "older than xgboost 3.2.0" in cell["attribution"]["detail"] and "older than" in cell["reason"]
    # a constant shift of every margin: logit(0.6) = log(0.6 / 0.4), what the misread base_score loses
    assert divergence(cell, "margin")["max_abs"] == pytest.approx(np.log(0.6 / 0.4), abs=1e-5)
    assert found[ONNX_CELL]["status"] == "pass"  # the model is fine: its ONNX export agrees


def replay(corpus_file: Path, java_classpath: str) -> subprocess.CompletedProcess:
    return subprocess.run(["java", "-cp", java_classpath, "harness.bridge.ReplayCounterexample", str(corpus_file)],
                          capture_output=True, text=True, timeout=120)


def test_the_old_reader_counterexample_replays_in_plain_java_with_the_same_jars_only(old_reader_run):
    _, corpus = old_reader_run
    saved = next(corpus.glob("*/xgboost4j_logged-*.json"))
    entry = json.loads(saved.read_text())
    inputs = entry["jvm_inputs"][0]  # the float32 matrix XGBoost4J was fed, columns in the model's order
    assert inputs["element_type"] == "FLOAT" and inputs["shape"][1] == 3
    assert set(entry["expected"]) == {"margin", "prediction"}  # under the scorer's own output names
    same_jars = replay(saved, OLD_XGBOOST4J)
    assert same_jars.returncode == 0 and "Xgboost4jScorer 3.0.4" in same_jars.stdout, same_jars.stdout
    assert "REPRODUCED" in same_jars.stdout
    newer = replay(saved, f"{JAVA / 'harness-bridge.jar'}{os.pathsep}{JAVA / 'lib'}/*")
    assert newer.returncode == 1 and "NOT REPRODUCED: max_abs=0.0" in newer.stdout, newer.stdout


def test_the_version_pair_is_named_only_when_the_reader_is_older_than_the_writer(logged, monkeypatch):
    from harness.runtimes.xgboost4j import Xgboost4j, written_by

    path = logged["xgb-int-binary"][3]
    assert written_by(path) == "3.2.0"
    assert Xgboost4j().caveat(path) is None  # the default class path: XGBoost4J 3.4.0
    monkeypatch.setenv(jvm.CLASSPATH_ENV, OLD_XGBOOST4J)
    caveat = Xgboost4j().caveat(path)
    assert "XGBoost4J 3.0.4" in caveat and "xgboost 3.2.0" in caveat and "supported" in caveat


# --- found on the way: XGBoost4J refuses infinities -----------------------------------------------------------------

@pytest.fixture(scope="module")
def float_features_run(logged, tmp_path_factory, registry_uri):
    return harness(logged, ["xgb-classifier"], [*FAST, "--runtimes", "xgboost4j,ort-python"],
                   tmp_path_factory, registry_uri, label="float-features")


def test_xgboost4j_refuses_infinity_where_the_scikit_learn_api_model_scores_it(float_features_run):
    """An XGBClassifier's PyFunc calls ``XGBClassifier.predict`` (``inplace_predict`` on the DataFrame), which scores
    a row holding ±inf; XGBoost4J's dense DMatrix (``new DMatrix(float[], rows, cols, NaN)``, what the scorer and most
    Java services build) checks its data and throws. A Java service fed the same row fails: the harness reports the
    JVM runtime raising where the model does not. (A Booster's PyFunc builds a DMatrix and refuses ±inf itself: the
    harness then stops drawing it, and XGBoost4J agrees, as the controls above show.)"""
    found = cells(float_features_run)
    cell = found[f"xgboost4j[{LOGGED}]"]
    assert cell["status"] == "diverged"
    assert "Input data contains `inf`" in cell["counterexample"]["error"]
    assert cell["attribution"]["kind"] == "jvm"
    assert any(value in ("inf", "-inf") for row in cell["counterexample"]["inputs"] for value in row.values())
    assert found[ONNX_CELL]["status"] == "pass"


# --- lightgbm4j ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lightgbm_run(logged, tmp_path_factory, registry_uri):
    """The runtimes come from the policy ([tool.harness] of the directory pytest runs in), not --runtimes."""
    folder = tmp_path_factory.mktemp("lightgbm")
    (folder / "pyproject.toml").write_text('[tool.harness]\nruntimes = ["lightgbm-jvm", "ort-python"]\n'
                                           'opsets = [15]\nmax_examples = 40\n')
    uris = [arg for name in LGBM_KINDS for arg in ("--model-uri", logged[name][0])]
    run = run_harness(uris, folder, registry_uri, timeout=600)
    assert run.report is not None, run.output
    return run


@pytest.mark.parametrize("index,name", list(enumerate(LGBM_KINDS)))
def test_lightgbm4j_computes_what_lightgbm_computes_on_its_text_model(lightgbm_run, index, name):
    """Binary (a Booster's logged model.lgb), three classes and regression (scikit-learn API models: their booster's
    text model), a categorical feature with missing values: LightGBM 4.3.0 (lightgbm4j 4.3.0-1) reads LightGBM
    4.7.0's text models and computes the same numbers, in float64 like the Python package."""
    found = cells(lightgbm_run, index)
    assert set(found) == {LGBM_KINDS[name], ONNX_CELL}  # the policy's runtimes and opsets
    cell = found[LGBM_KINDS[name]]
    assert cell["status"] == "pass" and cell["format"] == "lightgbm", (cell["status"], cell["reason"])
    assert cell["examples"] >= 20 and cell["max_abs"] == 0.0, cell["max_abs"]


def test_the_report_names_lightgbm4j_and_its_version(lightgbm_run):
    report = lightgbm_run.report
    assert report["versions"]["lightgbm4j"] == "4.3.0-1" and report["versions"]["lightgbm"] == "4.7.0"
    runtime = next(r for r in report["runtimes"] if r["name"] == "lightgbm-jvm")
    assert runtime["format"] == "lightgbm" and runtime["in_jvm"] is True


CATEGORY_SCRIPT = """
import json, sys
import numpy as np, pandas as pd, lightgbm
from harness.runtimes import SessionSettings, jvm, open_session
path = sys.argv[1]
values = [0, 1, 2, 3, 4, 5, 7, -1, 2.5, 0.99999, np.nan, 1e10, -1e10, np.inf, -np.inf, 2.0 ** 31]
frame = pd.DataFrame({"x0": np.linspace(-3, 3, len(values)), "color": values, "x1": np.zeros(len(values))})
session = open_session("lightgbm-jvm", path, SessionSettings())
java = next(r.values for r in session.run(frame) if r.name == "prediction").ravel()
session.close()
python = lightgbm.Booster(model_file=path).predict(frame)
print(json.dumps({"java": java.tolist(), "python": python.tolist()}))
jvm.exit_without_teardown(0)
"""


def test_lightgbm4j_routes_category_codes_unseen_codes_and_missing_values_as_lightgbm_does(logged):
    """The categorical model's own splits on every kind of value a categorical column can hold: each code, codes
    never seen (5, 7, 2**31), negative ones, non-integers, NaN and infinities (in a fresh process: the JVM stays out
    of the test runner's)."""
    import sys

    path = logged["lgbm-categorical"][3]
    done = subprocess.run([sys.executable, "-c", CATEGORY_SCRIPT, str(path)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(set(np.round(result["python"], 6))) > 2  # the codes really take different branches
    assert result["java"] == result["python"]


@pytest.fixture(scope="module")
def lightgbm_files_run(logged, tmp_path_factory, registry_uri):
    _, _, _, path = logged["lgbm-booster-binary"]
    folder = tmp_path_factory.mktemp("lightgbm-files")
    moved = native_models.lightgbm_leaves_moved(path, folder / "leaves-moved.txt")
    cut = native_models.truncated(path, folder / "cut.lgb")
    other = folder / "not-a-model.txt"
    other.write_text("feature_names=x0 x1 x2 x3\n")
    return harness(logged, ["lgbm-booster-binary"], [*FAST, "--runtimes", "lightgbm-jvm", "--artifact", str(moved),
                                                     "--artifact", str(cut), "--artifact", str(other)],
                   tmp_path_factory, registry_uri, label="lightgbm-files")


def test_an_injected_divergence_in_a_lightgbm_text_model_is_found(lightgbm_files_run):
    found = cells(lightgbm_files_run)
    assert found[f"lightgbm-jvm[{LOGGED}]"]["status"] == "pass"  # the control, on the same run
    cell = found["lightgbm-jvm[supplied-leaves-moved.txt]"]
    assert cell["status"] == "diverged", cell["reason"]
    assert divergence(cell, "probabilities")["mismatches"] > 0
    assert cell["attribution"]["kind"] == "format"


def test_a_file_that_is_no_lightgbm_model_is_a_runtime_error_with_the_library_message(lightgbm_files_run):
    cell = cells(lightgbm_files_run)["lightgbm-jvm[supplied-not-a-model.txt]"]
    assert cell["status"] == "runtime-error"
    assert "lightgbm4j 4.3.0-1 cannot read" in cell["reason"] and "Unknown model format" in cell["reason"]


def test_a_lightgbm_text_model_cut_short_is_refused_before_lightgbm_aborts_the_process(lightgbm_files_run):
    """LightGBM (4.3 in lightgbm4j, and 4.7's Python package) calls std::terminate on a text model cut short: the
    whole process dies. The harness checks the file first; the run goes on and the cell says why."""
    assert lightgbm_files_run.returncode == 1  # failed cells, not a killed process
    cell = cells(lightgbm_files_run)["lightgbm-jvm[supplied-cut.lgb]"]
    assert cell["status"] == "runtime-error"
    assert "lightgbm4j 4.3.0-1 cannot read" in cell["reason"] and "incomplete (cut short?)" in cell["reason"]
    assert "aborts the whole process" in cell["reason"]


# --- a class path without the libraries --------------------------------------------------------------------------

def test_without_the_library_jar_on_the_class_path_the_cells_say_which_jar_is_missing(logged, tmp_path_factory,
                                                                                      registry_uri):
    run = harness(logged, ["xgb-int-binary", "lgbm-booster-binary"],
                  ["--opsets", "15", "--max-examples", "20", "--runtimes", "xgboost4j,lightgbm-jvm,ort-python"],
                  tmp_path_factory, registry_uri, env={jvm.CLASSPATH_ENV: classpath(without=("xgboost4j_",
                                                                                            "lightgbm4j-"))},
                  label="no-jars")
    xgb, lgbm = cells(run, 0), cells(run, 1)
    for cell, jar in ((xgb[f"xgboost4j[{LOGGED}]"], "xgboost4j_2.12"), (lgbm[f"lightgbm-jvm[{LOGGED}]"], "lightgbm4j")):
        assert cell["status"] == "runtime-error"
        assert f"{jar} is not on the bridge's class path" in cell["reason"] and "make java" in cell["reason"]
    assert xgb[ONNX_CELL]["status"] == "pass"  # the Python side still runs
    assert run.report["versions"]["xgboost4j"] is None


def test_an_xgboost_or_lightgbm_model_file_is_accepted_by_artifact(tmp_path):
    from harness.artifacts import supplied

    for name, fmt in (("m.ubj", "xgboost"), ("m.json", "xgboost"), ("m.lgb", "lightgbm"), ("m.txt", "lightgbm")):
        (tmp_path / name).write_text("x")
        assert supplied(str(tmp_path / name), tmp_path).format == fmt
    (tmp_path / "m.bin").write_text("x")
    with pytest.raises(ValueError, match=r"\.ubj"):
        supplied(str(tmp_path / "m.bin"), tmp_path)
