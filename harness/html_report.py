"""The HTML divergence report: one self-contained file (inline CSS and SVG, no scripts, nothing fetched), rendered
from the JSON report alone, so it can be re-rendered later without re-running anything.

Every value from the report goes through ``html.escape``: model names and string inputs cannot inject markup.
"""
from __future__ import annotations

import math
from html import escape

STATUS_COLOURS = {"pass": "#1a7f37", "diverged": "#cf222e", "export-failed": "#9a6700", "runtime-error": "#8250df",
                  "skipped": "#6e7781", "pending": "#6e7781"}
RUNTIME_ORDER = ("ort-python", "ort-java", "jpmml")

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1f2328;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #d0d7de}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;
vertical-align:top}th{background:#f6f8fa}.matrix td.cell{color:#fff;font-weight:600;min-width:130px}
.matrix td.cell a{color:#fff;text-decoration:none}.matrix td.none{background:#f6f8fa;color:#8c959f}
.small{color:#57606a;font-size:12px}code,pre{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
pre{background:#f6f8fa;padding:8px;overflow:auto}.verdict{font-size:16px;font-weight:700;padding:6px 10px;
color:#fff;display:inline-block;border-radius:4px}details{margin:8px 0;border:1px solid #d0d7de;padding:6px 10px}
summary{cursor:pointer;font-weight:600}
"""


def render(report: dict) -> str:
    models = report.get("models", [])
    failing = [c for m in models for c in m["cells"] if c["status"] in report.get("policy", {}).get(
        "blocking_statuses", ("diverged", "export-failed", "runtime-error"))] + [m for m in models if m.get("error")]
    verdict = ("FAIL", STATUS_COLOURS["diverged"]) if failing else ("PASS", STATUS_COLOURS["pass"])
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">",
        f"<title>Equivalence report: {escape(', '.join(m['model_uri'] for m in models))}</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Does the JVM compute what the trained model computes?</h1>",
        f"<p><span class='verdict' style='background:{verdict[1]}'>{verdict[0]}</span> "
        f"<span class='small'>{len(models)} model(s), "
        f"{sum(len(m['cells']) for m in models)} cell(s), created {escape(str(report.get('created')))}</span></p>",
        _settings(report),
    ]
    for index, model in enumerate(models):
        parts.append(_model(model, index))
    parts.append("<h2>Versions</h2>" + _table(["component", "version"],
                                               [[k, v] for k, v in report.get("versions", {}).items()]))
    parts.append("</body></html>")
    return "\n".join(parts)


def _settings(report: dict) -> str:
    t = report.get("tolerances", {})
    session, policy = report.get("session", {}), report.get("policy", {})
    rows = [["command", f"<code>{escape(str(report.get('command', '')))}</code>"],
            ["seed / examples per cell", f"{report.get('seed')} / {report.get('max_examples')}"],
            ["tolerance", f"atol {t.get('atol')}, rtol {t.get('rtol')}, NaN policy {escape(str(t.get('nan_policy')))}"
             + "".join(f"; {escape(n)}: atol {v['atol']}, rtol {v['rtol']}" for n, v in t.get("per_output", {}).items())],
            ["ONNX Runtime session (both sides)",
             f"{session.get('intra_op_threads')} intra-op thread(s), optimisation {escape(str(session.get('optimization')))}"],
            ["blocking statuses", escape(", ".join(policy.get("blocking_statuses", [])))
             + f" <span class='small'>(policy: {escape(str(policy.get('source') or 'defaults'))})</span>"]]
    return _table(["setting", "value"], rows, raw=True)


def _model(model: dict, index: int) -> str:
    head = f"<h2 id='m{index}'>{escape(model['model_uri'])}</h2>"
    if model.get("error"):
        return head + f"<p style='color:{STATUS_COLOURS['diverged']}'>{escape(model['error'])}</p>"
    head += (f"<p class='small'>flavor {escape(str(model.get('flavor')))}, serialization "
             f"{escape(str(model.get('serialization_format')))}</p>")
    return head + _matrix(model, index) + "".join(_cell_details(c, index, i) for i, c in enumerate(model["cells"]))


def _artifact_label(cell: dict) -> str:
    artifact = cell["artifact"]
    name = artifact.get("exporter") or artifact.get("uri") or artifact.get("path") or artifact["format"]
    opset = ""
    if cell.get("opset_requested") or cell.get("opset_actual"):
        opset = f" · opset requested {cell.get('opset_requested') or '–'}, declared {cell.get('opset_actual') or '–'}"
    return f"{artifact['format'].upper()} ({artifact['origin']}) {name}{opset}"


def _matrix(model: dict, index: int) -> str:
    rows: dict[str, dict] = {}
    for i, cell in enumerate(model["cells"]):
        rows.setdefault(_artifact_label(cell), {})[cell["runtime"]] = (i, cell)
    runtimes = [r for r in RUNTIME_ORDER if any(r in row for row in rows.values())]
    html = ["<table class='matrix'><tr><th>artifact</th>"
            + "".join(f"<th>{escape(r)}</th>" for r in runtimes) + "</tr>"]
    for label, row in rows.items():
        html.append(f"<tr><td>{escape(label)}</td>")
        for runtime in runtimes:
            if runtime not in row:
                html.append("<td class='none'>–</td>")
                continue
            i, cell = row[runtime]
            metric = f"<br><span style='font-weight:400'>max_abs {_num(cell['max_abs'])}</span>" \
                if cell.get("max_abs") is not None else ""
            html.append(f"<td class='cell' data-status='{escape(cell['status'])}' "
                        f"style='background:{STATUS_COLOURS.get(cell['status'], '#6e7781')}'>"
                        f"<a href='#c{index}-{i}'>{escape(cell['status'])}{metric}</a></td>")
        html.append("</tr>")
    return "".join(html) + "</table>"


def _cell_details(cell: dict, model_index: int, index: int) -> str:
    opened = " open" if cell["status"] not in ("pass",) else ""
    parts = [f"<details id='c{model_index}-{index}'{opened}><summary>{escape(cell['name'])}: "
             f"<span style='color:{STATUS_COLOURS.get(cell['status'], '#000')}'>{escape(cell['status'])}</span>"
             "</summary>"]
    parts.append(f"<p class='small'>{escape(_artifact_label(cell))}<br>file: "
                 f"<code>{escape(str(cell['artifact'].get('path')))}</code></p>")
    if cell.get("reason"):
        parts.append(f"<p><b>reason:</b> {escape(str(cell['reason']))}</p>")
    if cell.get("attribution"):
        a = cell["attribution"]
        parts.append(f"<p><b>attribution: {escape(a['kind'])}</b> — {escape(a['detail'])}</p>")
    parts.append(_table(["examples", "rows", "max_abs", "max_rel", "max_ulp", "mismatches", "ties"],
                        [[cell.get(k) if k in ("examples", "rows", "max_ulp", "mismatches", "ties")
                          else _num(cell.get(k)) for k in
                          ("examples", "rows", "max_abs", "max_rel", "max_ulp", "mismatches", "ties")]]))
    if cell.get("error_histogram"):
        parts.append("<h3>Error distribution (largest absolute error of each example)</h3>"
                     + _histogram_svg(cell["error_histogram"]))
    example = cell.get("counterexample")
    if example:
        parts.append("<h3>Minimal counterexample</h3>" + _records(example["inputs"]))
        if example.get("error"):
            parts.append(f"<p><b>{escape(cell['runtime'])} raised:</b> <code>{escape(example['error'])}</code></p>")
        diverged = [d for d in example.get("divergences", []) if d.get("mismatches")]
        if diverged:
            parts.append(_table(["output", "kind", "mismatches", "max_abs", "max_rel", "max_ulp", "first row"],
                                [[d["output"], d["kind"], f"{d['mismatches']}/{d['elements']}", _num(d.get("max_abs")),
                                  _num(d.get("max_rel")), d.get("max_ulp"), d.get("worst_row")] for d in diverged]))
        parts.append("<h3>Every runtime on this input</h3>" + _table(
            ["runtime", "outputs"],
            [[name, "<pre>" + escape("\n".join(f"{k}: {v}" for k, v in outs.items())) + "</pre>"]
             for name, outs in example.get("outputs", {}).items()], raw_columns={1}))
    if cell.get("worst_inputs"):
        parts.append("<h3>Worst inputs</h3>" + "".join(
            f"<p class='small'>max_abs {_num(w['max_abs'])}</p>" + _records(w["inputs"]) for w in cell["worst_inputs"]))
    parts.append("</details>")
    return "".join(parts)


def _histogram_svg(histogram: dict) -> str:
    counts, edges = histogram["counts"], histogram["upper_edges"]
    labels = ["0"] + [f"≤{_num(e)}" for e in edges[1:-1]] + [f">{_num(edges[-2])}"]
    width, height, bar = 40 * len(counts) + 20, 150, 32
    top = max(counts) or 1
    shapes = []
    for i, (count, label) in enumerate(zip(counts, labels)):
        h = 0 if not count else max(2, 95 * count / top)
        x = 10 + i * 40
        shapes.append(f"<rect x='{x}' y='{120 - h:.1f}' width='{bar}' height='{h:.1f}' fill='#0969da'/>"
                      f"<text x='{x + bar / 2}' y='{116 - h:.1f}' font-size='10' text-anchor='middle'>{count}</text>"
                      f"<text x='{x + bar / 2}' y='136' font-size='9' text-anchor='middle'>{escape(label)}</text>")
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img' "
            f"aria-label='error distribution'>{''.join(shapes)}</svg>")


def _records(rows) -> str:
    """A batch: rows of a column signature (a list of records), or named tensors ({name: {dtype, shape, values}})."""
    if isinstance(rows, dict):
        return _table(["tensor", "dtype", "shape", "values"],
                      [[name, t.get("dtype"), t.get("shape"), _preview(t.get("values"))] for name, t in rows.items()])
    if not rows:
        return "<p class='small'>(no rows)</p>"
    columns = list(rows[0])
    return _table(columns, [[r.get(c) for c in columns] for r in rows])


def _preview(values, limit: int = 400) -> str:
    text = str(values)
    return text if len(text) <= limit else text[:limit] + " …"


def _num(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if value == 0:
        return "0"
    return f"{value:.3g}" if math.isfinite(value) else str(value)


def _table(header, rows, raw: bool = False, raw_columns: set = frozenset()) -> str:
    def cell(i, value):
        return str(value) if raw or i in raw_columns else escape(str(value))

    return ("<table><tr>" + "".join(f"<th>{escape(str(h))}</th>" for h in header) + "</tr>"
            + "".join("<tr>" + "".join(f"<td>{cell(i, v)}</td>" for i, v in enumerate(row)) + "</tr>" for row in rows)
            + "</table>")
