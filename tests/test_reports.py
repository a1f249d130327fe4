"""HTML and Markdown reports: rendered from the JSON alone, self-contained, escaped, and readable in a real
headless Chromium."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness import html_report, markdown_report

REPO = Path(__file__).resolve().parents[1]
SCREENSHOT_DIR = REPO / ".test-output"
EVIL = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def cell(name, runtime, status, opset=17, max_abs=1e-7, **extra):
    return {"name": name, "runtime": runtime, "format": "pmml" if runtime == "jpmml" else "onnx",
            "artifact": {"format": "pmml" if runtime == "jpmml" else "onnx", "path": f"/tmp/{name}",
                         "uri": None, "origin": "exported", "exporter": "skl2onnx 1.20.0"},
            "opset_requested": None if runtime == "jpmml" else opset, "opset_actual": 11,
            "status": status, "reason": extra.pop("reason", None), "max_abs": max_abs, "max_rel": 1e-6,
            "max_ulp": 3, "mismatches": 0, "ties": 0, "examples": 100, "rows": 400,
            "error_histogram": {"upper_edges": [0.0, 1e-15, 1e-12, 1e-9, 1e-7, 1e-5, 1e-3, 1e-1, "inf"],
                                "counts": [10, 0, 0, 40, 50, 0, 0, 0, 0]},
            "worst_inputs": [], "attribution": None, "counterexample": None, **extra}


def sample_report() -> dict:
    diverged = cell("ort-java[skl2onnx-opset17]", "ort-java", "diverged", max_abs=0.004,
                    attribution={"kind": "jvm", "detail": "ONNX Runtime Python agrees; Java does not"},
                    counterexample={"inputs": [{"contract": EVIL, "tenure": 1.5}], "error": None,
                                    "divergences": [{"output": "probabilities", "kind": "numeric", "elements": 2,
                                                     "mismatches": 1, "max_abs": 0.004, "max_rel": 0.01,
                                                     "max_ulp": 9000, "worst_row": 0}],
                                    "outputs": {"pyfunc": {"label": [0]}, "ort-java[skl2onnx-opset17]": {"label": [1]}}})
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


def test_html_report_is_self_contained_and_escapes_everything_from_the_report():
    page = html_report.render(sample_report())
    assert EVIL not in page and "<script" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert not re.search(r"""(src|href)\s*=\s*['"]?(https?:)?//""", page), "nothing may be fetched"
    assert page.count("class='cell'") == 3 and "data-status='diverged'" in page
    assert "attribution: jvm" in page and "Minimal counterexample" in page and "no such model" in page
    assert ">FAIL<" in page


def test_reports_render_tensor_counterexamples():
    report = sample_report()
    cell_with_tensors = report["models"][0]["cells"][1]
    tensors = {"input": {"dtype": "int64", "shape": [1, 4], "values": [[-1, -1, 0, 5]]}}
    cell_with_tensors["counterexample"]["inputs"] = tensors
    cell_with_tensors["worst_inputs"] = [{"max_abs": 1.0, "inputs": tensors}]
    page = html_report.render(report)
    assert "<td>input</td><td>int64</td><td>[1, 4]</td><td>[[-1, -1, 0, 5]]</td>" in page
    assert "[[-1, -1, 0, 5]]" in markdown_report.render(report)


def test_markdown_summary_lists_every_cell_and_explains_failures():
    text = markdown_report.render(sample_report())
    assert text.startswith("## JVM equivalence: ❌ FAIL")
    assert "| `ort-java[skl2onnx-opset17]` |" in text and "❌ diverged" in text and "⚠️ export-failed" in text
    assert "jvm: ONNX Runtime Python agrees" in text and "<script>" not in text


def test_reports_are_re_rendered_from_json_without_running_anything(tmp_path):
    source = tmp_path / "r.json"
    source.write_text(json.dumps(sample_report()))
    done = subprocess.run([sys.executable, "-m", "harness", "report", str(source), "--html", str(tmp_path / "r.html"),
                           "--markdown", str(tmp_path / "r.md")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r.html").read_text() == html_report.render(sample_report())
    assert (tmp_path / "r.md").read_text() == markdown_report.render(sample_report())
    missing = subprocess.run([sys.executable, "-m", "harness", "report", str(tmp_path / "nope.json"), "--html", "x"],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no such file" in missing.stderr


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
