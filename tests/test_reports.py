"""The typed report model and everything that reads it: JSON (schema, validation, version-1 files, atomic 0644
writes), findings, the HTML and Markdown reports (self-contained, escaped, bounded; readable in a real headless
Chromium), the terminal summary, the JUnit properties and the gate's tags."""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from harness.artifacts import Artifact
from harness.compare import CellStats, OutputDivergence, Tolerances
from harness.results import gate, html, io, markdown, terminal
from harness.results.build import build, merge
from harness.results.model import MAX_TEXT, SCHEMA_VERSION, Report
from harness.search import Counterexample, SearchResult

REPO = Path(__file__).resolve().parents[1]
SCREENSHOT_DIR = REPO / ".test-output"
EVIL = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def cell(name, runtime, status, opset=17, max_abs=1e-7, **extra):
    return {"name": name, "runtime": runtime, "format": "pmml" if runtime == "jpmml" else "onnx",
            "artifact": {"format": "pmml" if runtime == "jpmml" else "onnx", "path": f"/tmp/{name}",
                         "uri": None, "origin": "exported", "exporter": "skl2onnx 1.20.0"},
            "opset_requested": None if runtime == "jpmml" else opset, "opset_actual": None if runtime == "jpmml" else 11,
            "status": status, "reason": extra.pop("reason", None), "max_abs": max_abs, "max_rel": 1e-6,
            "max_ulp": 3, "mismatches": 0, "ties": 0, "examples": 100, "rows": 400,
            "error_histogram": {"upper_edges": [0.0, 1e-15, 1e-12, 1e-9, 1e-7, 1e-5, 1e-3, 1e-1, "inf"],
                                "counts": [10, 0, 0, 40, 50, 0, 0, 0, 0]},
            "worst_inputs": [], "attribution": None, "counterexample": None, **extra}


def example(inputs=None, error=None):
    return {"inputs": inputs if inputs is not None else [{"contract": EVIL, "tenure": 1.5}], "error": error,
            "divergences": [{"output": "probabilities", "kind": "numeric", "elements": 2, "mismatches": 1,
                             "max_abs": 0.004, "max_rel": 0.01, "max_ulp": 9000, "worst_row": 0}],
            "outputs": {"pyfunc": {"label": [0]}, "ort-java[skl2onnx-opset17]": {"label": [1]}}}


def sample_report() -> dict:
    """A version-1 report, as the harness wrote them before schema version 2."""
    diverged = cell("ort-java[skl2onnx-opset17]", "ort-java", "diverged", max_abs=0.004,
                    attribution={"kind": "jvm", "detail": "ONNX Runtime Python agrees; Java does not"},
                    counterexample=example())
    return {
        "schema_version": 1, "created": "2026-11-28T00:00:00+00:00", "command": "pytest --model-uri x",
        "seed": 0, "max_examples": 100,
        "tolerances": {"atol": 1e-5, "rtol": 1e-5, "nan_policy": "equal", "per_output": {}},
        "session": {"intra_op_threads": 1, "optimization": "all"},
        "policy": {"source": None, "blocking_statuses": ["diverged", "export-failed", "runtime-error"]},
        "versions": {"onnxruntime": "1.29.0", "onnxruntime-java": "1.29.0", "jpmml-evaluator": "1.7.7"},
        "models": [
            {"model_uri": f"models:/{EVIL}@candidate", "flavor": "sklearn", "serialization_format": "cloudpickle",
             "error": None, "cells": [
                 cell("ort-python[skl2onnx-opset17]", "ort-python", "pass"), diverged,
                 cell("jpmml[sklearn2pmml]", "jpmml", "export-failed", max_abs=None, reason=f"failed: {EVIL}")]},
            {"model_uri": "models:/missing@x", "error": "no such model", "cells": []},
        ],
    }


def v2_report() -> dict:
    return json.loads(io.dumps(io.load(sample_report())))


# --- the model, JSON, schema, validation ----------------------------------------------------------------------
def test_version_1_reports_are_read_and_upgraded():
    report = io.load(sample_report())
    assert report.schema_version == SCHEMA_VERSION == 2
    assert [r.name for r in report.runtimes] == ["ort-python", "ort-java", "jpmml"]  # derived from the cells
    assert [r.format for r in report.runtimes] == ["onnx", "onnx", "pmml"] and report.runtimes[0].in_jvm is None
    model = report.models[0]
    assert [f.cells for f in model.findings] == [["ort-java[skl2onnx-opset17]"], ["jpmml[sklearn2pmml]"]]
    assert model.cells[1].finding == "F1" and model.cells[0].finding is None
    assert not report.passed and model.verdict(report.blocking) == (
        False, ["ort-java[skl2onnx-opset17]: diverged", "jpmml[sklearn2pmml]: export-failed"])
    assert report.models[1].verdict(report.blocking) == (False, ["model could not be checked: no such model"])


def test_json_round_trip_keeps_version_1_field_names_and_non_finite_strings():
    data = v2_report()
    assert data["schema_version"] == 2 and "runtimes" in data and "findings" in data["models"][0]
    entry = data["models"][0]["cells"][1]
    for key in ("name", "runtime", "format", "artifact", "opset_requested", "opset_actual", "status", "reason",
                "max_abs", "max_rel", "max_ulp", "mismatches", "ties", "examples", "rows", "error_histogram",
                "worst_inputs", "attribution", "replayed", "first_divergence_at", "corpus_file", "counterexample"):
        assert key in entry, key
    assert set(entry["counterexample"]) >= {"inputs", "in_observed_range", "error", "divergences", "outputs"}
    assert entry["error_histogram"]["upper_edges"][-1] == "inf"
    data["models"][0]["cells"][0]["max_abs"] = "nan"
    again = io.load(data)
    assert np.isnan(again.models[0].cells[0].max_abs)
    assert json.loads(io.dumps(again))["models"][0]["cells"][0]["max_abs"] == "nan"
    assert io.loads(io.dumps(again)) == again


def test_jsonable_handles_numpy_scalars_zero_dim_arrays_and_non_finite_values():
    assert io.jsonable(np.array(3.5)) == 3.5 and io.jsonable(np.array(np.inf)) == "inf"
    assert io.jsonable({"a": np.float32(np.nan), "b": np.int64(2), "c": np.bool_(True), "d": (np.array([1, 2]),)}) \
        == {"a": "nan", "b": 2, "c": True, "d": [[1, 2]]}
    assert io.jsonable([pd.NA, None, float("-inf"), np.str_("x")]) == [None, None, "-inf", "x"]


def test_schema_command_prints_the_json_schema():
    done = subprocess.run([sys.executable, "-m", "harness", "schema"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    schema = json.loads(done.stdout)
    assert schema["properties"]["schema_version"]["const"] == 2
    assert {"CellReport", "ModelReport", "Finding", "Counterexample", "RuntimeInfo"} <= set(schema["$defs"])
    assert "insufficient" in json.dumps(schema["$defs"]["CellReport"]["properties"]["status"])


def test_validation_names_the_first_invalid_field(tmp_path):
    data = v2_report()
    data["models"][0]["cells"][2]["status"] = "divergd"
    data["models"][0]["cells"][2]["examples"] = "many"
    with pytest.raises(io.ReportError, match=r"^models\[0\]\.cells\[2\]\.status: Input should be 'pass', .*\(got \"divergd\"\) "
                                             r"\(and 1 more error\)$"):
        io.load(data)
    data = v2_report()
    del data["models"][0]["cells"][1]["runtime"]
    with pytest.raises(io.ReportError, match=r"^models\[0\]\.cells\[1\]\.runtime: Field required"):
        io.load(data)
    data = v2_report()
    data["models"][0]["cells"][1]["counterexample"]["inputs"] = {"x": {"dtype": "int64", "shape": "wide"}}
    with pytest.raises(io.ReportError, match=r"^models\[0\]\.cells\[1\]\.counterexample\.inputs\.x\.shape"):
        io.load(data)
    with pytest.raises(io.ReportError, match="schema_version: 7"):
        io.load({**data, "schema_version": 7})

    bad = tmp_path / "bad.json"
    data = v2_report()
    data["models"][0]["cells"][1]["status"] = "divergd"
    bad.write_text(json.dumps(data))
    done = subprocess.run([sys.executable, "-m", "harness", "report", str(bad), "--html", str(tmp_path / "x.html")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "models[0].cells[1].status" in done.stderr, done.stderr
    assert not (tmp_path / "x.html").exists()


def test_reports_are_written_atomically_and_readable_by_everyone(tmp_path):
    old = os.umask(0o077)
    try:
        path = io.write(tmp_path / "sub" / "report.json", io.load(sample_report()))
        text = io.write_text(tmp_path / "page.html", "<p>x</p>")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644 and stat.S_IMODE(text.stat().st_mode) == 0o644
    assert io.read(path).models[0].model_uri.startswith("models:/")
    assert not [p for p in tmp_path.rglob(".*") if p.is_file()], "no temporary file left behind"


# --- findings -------------------------------------------------------------------------------------------------
def findings_report(cells) -> dict:
    data = v2_report()
    data["models"][0]["cells"] = cells
    return data


def conversion(name, runtime, opset, inputs=None, kind="conversion"):
    return cell(name, runtime, "diverged", opset=opset, max_abs=0.5, counterexample=example(inputs),
                attribution={"kind": kind, "detail": "the file computes something else"})


def test_cells_with_the_same_minimal_input_and_attribution_are_one_finding():
    cells = [conversion(f"{runtime}[skl2onnx-opset{opset}]", runtime, opset)
             for opset in (13, 14, 15) for runtime in ("ort-python", "ort-java")]
    cells.append(cell("jpmml[sklearn2pmml]", "jpmml", "pass"))
    model = io.load(findings_report(cells)).models[0]
    assert len(model.findings) == 1
    finding = model.findings[0]
    assert finding.summary == "the ONNX files compute something else: 6 cells, opsets 13–15, both ONNX runtimes"
    assert finding.cells == [c["name"] for c in cells[:6]] and finding.opsets == [13, 14, 15]
    assert finding.counterexample.inputs == [{"contract": EVIL, "tenure": 1.5}]
    assert all(c.finding == "F1" for c in model.cells[:6]) and model.cells[6].finding is None

    page, text = html.render(model_report(model)), markdown.render(model_report(model))
    assert page.count("<h4>Minimal counterexample</h4>") == 1, "the counterexample is shown once"
    assert page.count("<th>contract</th>") == 1
    assert page.count('part of finding <a href="#m0-F1">F1</a>') == 6, "each cell links to its finding"
    assert text.count("minimal counterexample") == 1 and "opsets 13–15, both ONNX runtimes" in text


def model_report(model):
    data = v2_report()
    data["models"] = [model.model_dump(mode="json")]
    return io.load(data)


def test_a_different_input_or_attribution_is_another_finding():
    cells = [conversion("ort-python[skl2onnx-opset13]", "ort-python", 13),
             conversion("ort-python[skl2onnx-opset14]", "ort-python", 14, inputs=[{"contract": "a", "tenure": 2}]),
             conversion("ort-java[skl2onnx-opset13]", "ort-java", 13, kind="jvm"),
             cell("jpmml[sklearn2pmml]", "jpmml", "export-failed", max_abs=None, reason="no converter"),
             cell("jpmml[supplied-m.pmml]", "jpmml", "export-failed", max_abs=None, reason="no converter"),
             cell("ort-java[skl2onnx-opset14]", "ort-java", "skipped", max_abs=None, reason="uint32"),
             cell("ort-java[skl2onnx-opset15]", "ort-java", "runtime-error", max_abs=None, opset=15,
                  reason="could not load /tmp/ort-java[skl2onnx-opset15]: JvmUnavailable: no JVM"),
             cell("ort-java[skl2onnx-opset16]", "ort-java", "runtime-error", max_abs=None, opset=16,
                  reason="could not load /tmp/ort-java[skl2onnx-opset16]: JvmUnavailable: no JVM")]
    model = io.load(findings_report(cells)).models[0]
    assert [f.cells for f in model.findings] == [
        ["ort-python[skl2onnx-opset13]"], ["ort-python[skl2onnx-opset14]"], ["ort-java[skl2onnx-opset13]"],
        ["jpmml[sklearn2pmml]", "jpmml[supplied-m.pmml]"], ["ort-java[skl2onnx-opset15]", "ort-java[skl2onnx-opset16]"]]
    assert model.findings[0].summary == "the ONNX file computes something else: 1 cell, opset 13, ort-python"
    assert model.findings[2].summary.startswith("the JVM computes something else on the same ONNX file")
    assert model.findings[3].summary == "the export failed (no converter): 2 cells, jpmml"
    assert model.cells[5].finding is None  # skipped does not block
    assert model.findings[4].summary == ("runtime error (could not load <artifact>: JvmUnavailable: no JVM): 2 cells, "
                                         "opsets 15, 16, ort-java")
    assert model.findings[4].reason.startswith("could not load /tmp/ort-java[skl2onnx-opset15]")


# --- HTML and Markdown ----------------------------------------------------------------------------------------
def test_html_report_is_self_contained_and_escapes_everything_from_the_report():
    page = html.render(sample_report())
    assert EVIL not in page and "<script" not in page and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"""(src|href)\s*=\s*['"]?(https?:)?//""", page), "nothing may be fetched"
    assert page.count('class="cell"') == 3 and 'data-status="diverged"' in page
    assert "attribution: jvm" in page and "Minimal counterexample" in page and "no such model" in page
    assert ">FAIL<" in page and "<svg" in page and "<rect" in page


def test_hostile_strings_anywhere_are_escaped_in_html_and_markdown():
    data = sample_report()
    data["models"][0]["cells"][1]["runtime"] = EVIL
    data["models"][0]["cells"][1]["attribution"]["detail"] = EVIL
    data["models"][0]["cells"][1]["counterexample"]["outputs"][EVIL] = {EVIL: [EVIL]}
    data["models"][0]["notes"] = [EVIL]
    data["versions"][EVIL] = EVIL
    page, text = html.render(data), markdown.render(data)
    assert "<script" not in page and "<img" not in page
    assert "<script" not in text and "<img" not in text and "![" not in text


def test_matrix_columns_come_from_the_reports_runtimes():
    data = v2_report()
    data["runtimes"].append({"name": "my-scorer", "format": "onnx", "in_jvm": True, "version": "2.0"})
    data["models"][0]["cells"].append(cell("my-scorer[skl2onnx-opset17]", "my-scorer", "pass"))
    page = html.render(data)
    header = re.search(r'<table class="matrix"><tr>(.*?)</tr>', page).group(1)
    assert re.findall(r"<th>([^<]+)", header) == ["artifact", "ort-python", "ort-java", "jpmml", "my-scorer "]
    assert page.count('class="cell"') == 4


def test_reports_render_tensor_counterexamples():
    report = sample_report()
    cell_with_tensors = report["models"][0]["cells"][1]
    tensors = {"input": {"dtype": "int64", "shape": [1, 4], "values": [[-1, -1, 0, 5]]}}
    cell_with_tensors["counterexample"]["inputs"] = tensors
    cell_with_tensors["worst_inputs"] = [{"max_abs": 1.0, "inputs": tensors}]
    page = html.render(report)
    assert "<td>input</td><td>int64</td><td>[1, 4]</td><td>[[-1, -1, 0, 5]]</td>" in page
    assert "[[-1, -1, 0, 5]]" in markdown.render(report)


def test_wide_counterexamples_show_the_columns_that_differ_from_the_typical_row_first():
    row = {f"c{i:03d}": 0.0 for i in range(300)}
    row.update(c123=7.5, c250=-1.0)
    data = v2_report()
    data["models"][0]["typical_row"] = {f"c{i:03d}": 0.0 for i in range(300)}
    data["models"][0]["cells"][1]["counterexample"]["inputs"] = [row]
    page = html.render(data)
    shown = re.search(r"<h4>Minimal counterexample</h4>\s*<p[^>]*>([^<]*)</p><table><tr>(.*?)</tr>", page)
    assert "2 of 300 columns differ from the typical row" in shown.group(1)
    assert re.findall(r"<th>([^<]+)</th>", shown.group(2)) == ["c123", "c250"]
    assert "298 more columns</summary>" in page and "<td>c299</td>" in page
    assert '"c123": 7.5' in markdown.render(data) and "(+298 more columns)" in markdown.render(data)


def test_markdown_summary_lists_every_cell_and_each_finding_once():
    text = markdown.render(sample_report())
    assert text.startswith("## JVM equivalence: ❌ FAIL")
    assert "| `ort-java[skl2onnx-opset17]` |" in text and "❌ diverged (F1)" in text and "⚠️ export-failed (F2)" in text
    assert "jvm: ONNX Runtime Python agrees" in text and "<script>" not in text
    assert "- **F1** the JVM computes something else on the same ONNX file" in text


def test_a_megabyte_reason_gives_small_reports(tmp_path):
    data = sample_report()
    huge = "ValueError: the root cause\n" + "x" * 1_000_000
    data["models"][0]["cells"][2]["reason"] = huge
    data["models"][0]["cells"][2]["reason_log"] = "/var/log/harness/export.log"
    data["models"][0]["cells"][1]["counterexample"]["error"] = huge
    data["models"][1]["error"] = huge
    report = io.load(data)
    reason = report.models[0].cells[2].reason
    assert len(reason.encode()) <= MAX_TEXT and reason.startswith("ValueError: the root cause\n")
    assert reason.endswith("more characters; full text in /var/log/harness/export.log)")
    io.write(tmp_path / "r.json", report)
    io.write_text(tmp_path / "r.html", html.render(report))
    io.write_text(tmp_path / "r.md", markdown.render(report))
    for name in ("r.json", "r.html", "r.md"):
        assert (tmp_path / name).stat().st_size < 100_000, name


def test_reports_are_re_rendered_from_json_without_running_anything(tmp_path):
    source = tmp_path / "r.json"
    source.write_text(json.dumps(sample_report()))
    done = subprocess.run([sys.executable, "-m", "harness", "report", str(source), "--html", str(tmp_path / "r.html"),
                           "--markdown", str(tmp_path / "r.md"), "--json", str(tmp_path / "v2.json")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r.html").read_text() == html.render(sample_report())
    assert (tmp_path / "r.md").read_text() == markdown.render(sample_report())
    assert json.loads((tmp_path / "v2.json").read_text())["schema_version"] == 2
    missing = subprocess.run([sys.executable, "-m", "harness", "report", str(tmp_path / "nope.json"), "--html", "x"],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_no_runtime_or_flavor_name_is_written_into_the_results_package():
    package = REPO / "harness" / "results"
    for path in [*package.glob("*.py"), *package.glob("templates/*")]:
        source = path.read_text()
        for name in ("ort-python", "ort-java", "jpmml", "sklearn", "pytorch", "keras"):
            assert not re.search(rf"""['"]{name}['"]""", source), f"{path.name} names {name}"


# --- built from the live objects --------------------------------------------------------------------------------
def live_cell(runtime, artifact, status="pass", batch=None, **extra):
    stats = CellStats()
    stats.add(2, [OutputDivergence("prediction", "numeric", 2, 0, max_abs=np.float64(1e-9), max_rel=1e-9, max_ulp=2)],
              batch)
    result = SearchResult(stats, replayed=1)
    if batch is not None:
        result.counterexample = Counterexample(batch, [OutputDivergence(
            "prediction", "numeric", 2, 1, max_abs=np.float32(0.25), max_rel=np.inf, max_ulp=np.int64(7),
            worst_row=0, worst_index=(0,))], outputs={"pyfunc": {"prediction": np.array([1.0, 2.0])}})
    return SimpleNamespace(name=f"{runtime}[{artifact.label}]", runtime=runtime, artifact=artifact, status=status,
                           reason=extra.pop("reason", None), result=result, corpus_file=None, **extra)


def live_run(tmp_path, runtime_names=("py-runtime", "jvm-runtime")):
    onnx17 = Artifact("onnx", "exported", "conv 1.0", 17, tmp_path / "m17.onnx", opset_actual=17)
    onnx18 = Artifact("onnx", "exported", "conv 1.0", 18, tmp_path / "m18.onnx", opset_actual=18)
    batch = pd.DataFrame({f"f{i}": [0.0, 0.0] for i in range(30)} | {"f7": [3.0, 0.0]})
    attribution = {"kind": "conversion", "detail": "the file computes something else", "batch_size_dependent": False}
    cells = [live_cell(r, a, "diverged", batch, attribution=dict(attribution))
             for a in (onnx17, onnx18) for r in runtime_names]
    cells.append(live_cell(runtime_names[0], Artifact("onnx", "supplied", path=tmp_path / "x.onnx", source_uri="x"),
                           "runtime-error", reason="could not load\n" + "y" * 10_000, reason_log="/tmp/cell.log"))
    columns = [SimpleNamespace(name=f"f{i}", type="double", low=-5.0, high=5.0, required=True) for i in range(30)]
    check = SimpleNamespace(uri="models:/m/3", error=None, cells=cells, columns=columns,
                            observed=pd.DataFrame({"f7": [0.0, 1.0]}), notes=["a note"],
                            model=SimpleNamespace(flavor="some-flavor", serialization_format="cloudpickle",
                                                  registered=("m", "3")))
    failure = SimpleNamespace(uri="runs:/nope/model", error="MLflow could not resolve it", cells=())
    config = SimpleNamespace(tolerances=Tolerances(), seed=3, max_examples=50, min_examples=10,
                             session=SimpleNamespace(intra_op_threads=1, optimization="all"),
                             blocking_statuses=("diverged", "export-failed", "runtime-error"), policy_source=None,
                             runtimes=list(runtime_names), converter_options={"conv": {"zipmap": False}})
    return [check, failure], config


def test_build_reads_the_live_run(tmp_path):
    checks, config = live_run(tmp_path)
    report = build(checks, config)
    assert isinstance(report, Report) and report.seed == 3 and report.min_examples == 10
    assert [r.name for r in report.runtimes] == ["py-runtime", "jvm-runtime"]  # unknown to the registry: from cells
    model, failure = report.models
    assert model.registered.name == "m" and model.registered.version == "3" and model.notes == ["a note"]
    assert model.converter_options == {"conv": {"zipmap": False}}
    assert model.typical_row["f7"] == 0.0  # the counterexample has 30 columns: the typical row is recorded
    first = model.cells[0]
    assert first.max_ulp == 2 and first.replayed == 1 and first.counterexample.divergences[0].max_rel == float("inf")
    assert first.counterexample.in_observed_range == {"f7": 0.5}
    assert [f.summary for f in model.findings] == [
        "the ONNX files compute something else: 4 cells, opsets 17, 18, both ONNX runtimes",
        "runtime error (could not load): 1 cell, py-runtime"]
    assert model.cells[4].reason.endswith("more characters; full text in /tmp/cell.log)")
    assert failure.error == "MLflow could not resolve it" and failure.cells == []
    data = json.loads(io.dumps(report))
    assert data["models"][0]["cells"][0]["counterexample"]["divergences"][0]["max_rel"] == "inf"
    page = html.render(report)
    assert "1 of 30 columns differ from the typical row" in page


def test_merge_takes_each_cell_from_the_worker_that_ran_it(tmp_path):
    checks, config = live_run(tmp_path)
    one, two = build(checks, config), build(checks, config)
    for index, cell_report in enumerate(one.models[0].cells):
        (two if index % 2 else one).models[0].cells[index].status = "pending"
        (two if index % 2 else one).models[0].cells[index].finding = None
    merged = merge([one, two], config)
    assert [c.status for c in merged.models[0].cells] == [c.status for c in build(checks, config).models[0].cells]
    assert len(merged.models) == 2 and [f.id for f in merged.models[0].findings] == ["F1", "F2"]


def test_terminal_summary_junit_properties_and_gate_tags(tmp_path):
    checks, config = live_run(tmp_path)
    report = build(checks, config)
    lines = terminal.summary_lines(report, [gate.GateOutcome("models:/m/3", False, ["x"], "3", None, "left")])
    assert lines[0] == "models:/m/3" and "DIVERGED" in lines[1] and "[F1]" in lines[1]
    assert any(line.startswith("  F1: the ONNX files compute something else") for line in lines)
    assert "  fails the policy (5 reasons)" in lines
    assert lines[-1] == "gate: models:/m/3 (version 3) fails the policy; left"
    properties = dict(terminal.junit_properties(checks[0].cells[0]))
    assert properties["status"] == "diverged" and properties["opset_requested"] == 17 and properties["examples"] == 1
    tags = gate.tags(report.models[0], report.blocking)
    assert tags["status"] == "fail" and "py-runtime[conv-opset17]: diverged" in tags["failing"]
    assert set(tags) == {"status", "failing", "worst_max_abs.py-runtime", "worst_max_abs.jvm-runtime"}
    assert gate.metrics(report.models[0])["equivalence/py-runtime_conv-opset17/max_abs"] == pytest.approx(1e-9)


# --- a real run, in a real browser -------------------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.skipif(CHROMIUM is None, reason="`make test` installs Debian's chromium; run it through make")
def test_html_report_of_several_models_runtimes_and_opsets_renders_in_headless_chromium(tmp_path, tracking_uri):
    from fixtures.models import churn_pipeline, event_time_regressor, log_sklearn
    from tests.conftest import run_harness

    churn = log_sklearn(*churn_pipeline())
    timestamps = log_sklearn(*event_time_regressor())
    run = run_harness(["--model-uri", churn, "--model-uri", timestamps, "--opsets", "15,17", "--max-examples", "25",
                       "--html-report", "report.html"], tmp_path, tracking_uri)
    assert run.returncode == 1, run.output  # the timestamp model diverges in float32
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == 0o644
    assert run.report["schema_version"] == 2 and run.report["models"][1]["findings"]
    page = tmp_path / "report.html"
    dom = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert dom.count("<table class=\"matrix\">") == 2, dom[:2000]
    assert len(re.findall(r'data-status="pass"', dom)) >= 5 and len(re.findall(r'data-status="diverged"', dom)) == 4
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    shot = SCREENSHOT_DIR / "html-report.png"
    subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile2'}", "--hide-scrollbars",
                    "--window-size=1280,1600", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
