"""A Markdown summary of the JSON report, for a CI step summary or a pull-request comment."""
from __future__ import annotations

from harness.html_report import _artifact_label, _num

ICONS = {"pass": "✅", "diverged": "❌", "export-failed": "⚠️", "runtime-error": "💥", "skipped": "⏭️",
         "pending": "…"}


def _text(value) -> str:
    """Table-safe text: no pipes or newlines that would break the Markdown table, no raw HTML."""
    return str(value).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def render(report: dict) -> str:
    blocking = report.get("policy", {}).get("blocking_statuses", ["diverged", "export-failed", "runtime-error"])
    models = report.get("models", [])
    failing = any(m.get("error") for m in models) or any(
        c["status"] in blocking for m in models for c in m["cells"])
    lines = [f"## JVM equivalence: {'❌ FAIL' if failing else '✅ PASS'}", "",
             f"seed {report.get('seed')}, {report.get('max_examples')} examples per cell, "
             f"atol {report['tolerances']['atol']}, rtol {report['tolerances']['rtol']}; "
             f"ONNX Runtime {report['versions'].get('onnxruntime')} (Java {report['versions'].get('onnxruntime-java')}), "
             f"JPMML {report['versions'].get('jpmml-evaluator')}", ""]
    for model in models:
        lines.append(f"### `{_text(model['model_uri'])}`")
        if model.get("error"):
            lines += ["", f"❌ {_text(model['error'])}", ""]
            continue
        lines += ["", "| cell | artifact | status | max_abs | max_rel | max_ulp | examples |",
                  "|---|---|---|---|---|---|---|"]
        for cell in model["cells"]:
            lines.append(f"| `{_text(cell['name'])}` | {_text(_artifact_label(cell))} | "
                         f"{ICONS.get(cell['status'], '')} {cell['status']} | {_num(cell.get('max_abs'))} | "
                         f"{_num(cell.get('max_rel'))} | {_num(cell.get('max_ulp'))} | {cell.get('examples')} |")
        for cell in model["cells"]:
            if cell["status"] == "pass":
                continue
            detail = cell.get("reason") or ""
            if cell.get("attribution"):
                detail = f"{cell['attribution']['kind']}: {cell['attribution']['detail']}. {detail}"
            example = cell.get("counterexample")
            if example:
                detail += f" Minimal counterexample: `{_text(example['inputs'])}`"
            lines.append(f"- **{_text(cell['name'])}** {cell['status']}: {_text(detail.strip())}")
        lines.append("")
    return "\n".join(lines)
