"""Estimator kinds beyond classifiers and regressors, each compared on the outputs that mean the same thing in the
model, the ONNX file and the PMML file; an output an artifact does not have is a note ("not in this artifact"),
never a mismatch, and a cell that compared none of the model's outputs is an error, never a silent pass.

Per kind: the harness's own exports pass on ort-python, ort-java and jpmml, and a supplied ONNX file with one
parameter nudged (a centre, a coefficient, a threshold, an offset) diverges, blamed on the conversion. And a model
with hundreds of columns runs end to end with a readable report."""
from __future__ import annotations

import re

import pytest

from fixtures import kinds
from harness.exporters import sklearn_pmml
from harness.inputs import Column
from tests.conftest import run_harness, use_registry

RUN = ["--runtimes", "ort-python,ort-java,jpmml", "--opsets", "15", "--max-examples", "30", "--no-corpus"]
ONNX_CELLS = ("ort-python[skl2onnx-opset15]", "ort-java[skl2onnx-opset15]")
PMML_CELL = "jpmml[sklearn2pmml]"

# kind -> (outputs compared on the ONNX file, on the PMML file (None: no PMML cell passes), not in the ONNX file,
#          not in the PMML file)
EXPECTED = {
    "kmeans": (["label", "distances"], ["label", "distances"], [], []),
    "minibatch-kmeans": (["label", "distances"], ["label", "distances"], [], []),
    "isolation-forest": (["label", "decision_function", "score_samples"], ["label", "decision_function"], [],
                         ["score_samples"]),
    "one-class-svm": (["label", "decision_function"], ["label", "decision_function"], ["score_samples"],
                      ["score_samples"]),
    "local-outlier-factor": (["label", "decision_function", "score_samples"], None, [], []),
    "svc": (["label", "decision_function"], ["label"], [], ["decision_function"]),
    "linear-svc": (["label", "decision_function"], ["label"], [], ["decision_function"]),
    "ridge-classifier": (["label", "decision_function"], ["label"], [], ["decision_function"]),
    "scaler-pca": (["transformed"], None, [], []),
    "multi-output": (["prediction"], ["prediction"], [], []),
}


@pytest.fixture(scope="module")
def logged(registry_uri, tmp_path_factory):
    """Every kind logged once, with its nudged ONNX file."""
    use_registry(registry_uri)
    folder = tmp_path_factory.mktemp("nudged")
    found = {}
    for name in kinds.KINDS:
        estimator, frame = kinds.fitted(name)
        found[name] = (kinds.log(name, estimator, frame), kinds.nudged_onnx(name, estimator, frame, folder),
                       estimator, frame)
    return found


def _compared(cell) -> list[str]:
    """What a cell's note says it compared (a cell with outputs not in its artifact says so)."""
    match = re.match(r"compared ([^;]+);", cell["reason"] or "")
    return match.group(1).split(", ") if match else []


@pytest.mark.parametrize("name", kinds.KINDS)
def test_each_kind_passes_where_equivalent_and_diverges_where_nudged(name, logged, tmp_path, tracking_uri):
    uri, nudged, estimator, frame = logged[name]
    onnx_outputs, pmml_outputs, not_in_onnx, not_in_pmml = EXPECTED[name]
    extra = []
    if name == "isolation-forest":  # a PMML file with only the raw anomaly score: none of the model's outputs
        exported = tmp_path / "files" / "isolation-forest.pmml"
        exported.parent.mkdir()
        sklearn_pmml.export(estimator, [Column(c, "double") for c in frame.columns], exported)
        extra = ["--artifact", str(kinds.raw_score_pmml(exported, tmp_path / "files" / "raw-score.pmml"))]
    run = run_harness(["--model-uri", uri, "--artifact", str(nudged), *extra, *RUN], tmp_path, tracking_uri)
    cells = run.cells()

    for cell_name in ONNX_CELLS:  # the harness's own ONNX export is equivalent
        cell = cells[cell_name]
        assert cell["status"] == "pass" and cell["max_abs"] < 1e-5, (cell_name, cell["reason"])
        if not_in_onnx:
            assert _compared(cell) == onnx_outputs and all(f"{o}: not in this artifact" in cell["reason"]
                                                          for o in not_in_onnx), cell["reason"]
    model = run.report["models"][0]
    if pmml_outputs is None:
        if name == "scaler-pca":  # transformer-only: no PMML cell, one note
            assert PMML_CELL not in cells and "transformer-only" in model["notes"][0]
        else:  # sklearn2pmml cannot convert it: its own reason
            assert cells[PMML_CELL]["status"] == "export-failed"
            assert "is not a supported Transformer or Estimator" in cells[PMML_CELL]["reason"]
    else:
        pmml = cells[PMML_CELL]
        assert pmml["status"] == "pass" and pmml["max_abs"] < 1e-5, pmml["reason"]
        if not_in_pmml:
            assert _compared(pmml) == pmml_outputs, pmml["reason"]
            assert all(f"{o}: not in this artifact" in pmml["reason"] for o in not_in_pmml), pmml["reason"]
        else:
            assert pmml["reason"] is None

    for runtime in ("ort-python", "ort-java"):  # the nudged file diverges, blamed on the conversion
        cell = cells[f"{runtime}[supplied-{nudged.name}]"]
        assert cell["status"] == "diverged" and cell["attribution"]["kind"] == "conversion", cell
        divergences = {d["output"]: d for d in cell["counterexample"]["divergences"]}
        assert [o for o in divergences if divergences[o]["kind"] != "not-in-artifact"] == onnx_outputs
        assert [o for o in divergences if divergences[o]["kind"] == "not-in-artifact"] == not_in_onnx
        assert any(d["mismatches"] for d in divergences.values())
        shown = cell["counterexample"]["outputs"]
        assert set(shown["pyfunc"]) == set(onnx_outputs + not_in_onnx)
        if pmml_outputs is not None:  # every runtime's outputs on the counterexample: what the PMML gave
            assert list(shown[PMML_CELL]) == pmml_outputs

    if name == "isolation-forest":
        raw = cells["jpmml[supplied-raw-score.pmml]"]
        assert raw["status"] == "runtime-error" and raw["reason"].startswith("nothing was compared"), raw
        assert all(f"{o}: not in this artifact" in raw["reason"]
                   for o in ("label", "decision_function", "score_samples")), raw["reason"]


def test_a_pmml_file_without_probabilities_compares_labels_and_says_so(tmp_path, tracking_uri):
    """sklearn2pmml's k-nearest-neighbours PMML has the label and the neighbours, no probabilities."""
    use_registry(tracking_uri)
    estimator, frame = kinds.knn_classifier()
    run = run_harness(["--model-uri", kinds.log("knn", estimator, frame), *RUN], tmp_path, tracking_uri)
    assert run.returncode == 0, run.output
    pmml = run.cells()[PMML_CELL]
    assert pmml["status"] == "pass" and _compared(pmml) == ["label"]
    assert "probabilities: not in this artifact — the PMML file has no probability(<class>) output field" \
        in pmml["reason"]
    for cell_name in ONNX_CELLS:
        assert run.cells()[cell_name]["reason"] is None  # probabilities and label both compared


def test_a_model_with_hundreds_of_columns_runs_with_a_readable_report(tmp_path, tracking_uri):
    """A 300-pixel classifier logged with a column signature: the exports pass; a file that weighs the border pixels
    (0 in every real row, weight 0 in the model) diverges, and the HTML shows the counterexample's columns that
    differ from the typical row, the others folded in a <details>."""
    use_registry(tracking_uri)
    estimator, frame = kinds.wide_classifier()
    nudged = kinds.wide_nudged_onnx(estimator, frame, tmp_path / "files")
    html = tmp_path / "report.html"
    run = run_harness(["--model-uri", kinds.log("wide", estimator, frame), "--artifact", str(nudged), *RUN,
                       "--html-report", str(html)], tmp_path, tracking_uri)
    cells = run.cells()
    for cell_name in (*ONNX_CELLS, PMML_CELL):
        assert cells[cell_name]["status"] == "pass", cells[cell_name]["reason"]
    diverged = cells["ort-python[supplied-wide-nudged.onnx]"]
    assert diverged["status"] == "diverged" and diverged["attribution"]["kind"] == "conversion"
    typical = run.report["models"][0]["typical_row"]
    [row] = diverged["counterexample"]["inputs"][:1]
    differ = [c for c in row if row[c] != typical[c]]
    assert differ and len(differ) <= 10 and any(int(c.removeprefix("pixel")) < 20 for c in differ), differ

    text = html.read_text()
    note = f"{len(differ)} of 300 columns differ from the typical row; the other {300 - len(differ)} are folded"
    assert note in text
    table = text[text.index(note):]
    header = re.search(r"<table><tr>(.*?)</tr>", table).group(1)
    assert re.findall(r"<th>(.*?)</th>", header) == differ  # the columns that matter, outside the fold
    fold = table[table.index('<details class="fold">'):table.index("</details>")]
    folded = re.findall(r"<tr><td>(pixel\d+)</td>", fold)
    assert len(folded) == 300 - len(differ) and not set(folded) & set(differ)
    # nothing grows with the columns beyond reason: a few worst inputs of one row each, and bounded files
    assert all(len(w["inputs"]) * 300 <= 2000 or len(w["inputs"]) == 1 for w in diverged["worst_inputs"])
    assert len(text) < 1_000_000 and (tmp_path / "report.json").stat().st_size < 1_000_000
