"""What the HTML and Markdown templates show, computed from the report model (the templates only lay it out).

Nothing here knows a runtime or flavor by name: the matrix's columns are the report's runtimes, formats and
whether a runtime runs in the JVM come from the report.
"""
from __future__ import annotations

import json
import math
from collections import Counter

from harness.runtimes import REFERENCE
from harness.results.model import CellReport, Histogram, ModelReport, Report

STATUS_COLOURS = {"pass": "#1a7f37", "diverged": "#cf222e", "insufficient": "#bc4c00", "export-failed": "#9a6700",
                  "runtime-error": "#8250df", "skipped": "#6e7781", "pending": "#6e7781"}
ICONS = {"pass": "✅", "diverged": "❌", "insufficient": "🔸", "export-failed": "⚠️", "runtime-error": "💥",
         "skipped": "⏭️", "pending": "…"}
WIDE_COLUMNS = 20  # a counterexample with more columns shows the ones that differ from the typical row first
PREVIEW = 400  # characters of a tensor's values shown in a table cell
OUTPUT_PREVIEW = 2000  # characters of one output's values shown


def num(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if value == 0:
        return "0"
    return f"{value:.3g}" if math.isfinite(value) else str(value)


def percent(share) -> str:
    return "–" if share is None or not math.isfinite(share) else f"{100 * share:.0f}%"


def preview(value, limit: int = PREVIEW) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + f" … ({len(text) - limit} more characters)"


def cell_value(value) -> str:
    """A value in a table of inputs: null is shown as 'missing'."""
    if value is None:
        return "missing"
    return value if isinstance(value, str) else preview(value)


def artifact_label(cell: CellReport) -> str:
    artifact = cell.artifact
    name = artifact.exporter or artifact.uri or artifact.path or artifact.format
    opset = ""
    if cell.opset_requested or cell.opset_actual:
        opset = f" · opset requested {cell.opset_requested or '–'}, declared {cell.opset_actual or '–'}"
    return f"{artifact.format.upper()} ({artifact.origin}) {name}{opset}"


def colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "#6e7781")


# --- the matrix -----------------------------------------------------------------------------------------------
def matrix_columns(report: Report, model: ModelReport) -> list[dict]:
    """The runtimes of the run that this model has cells of, in the report's order (then any other a cell names)."""
    present = list(dict.fromkeys(c.runtime for c in model.cells))
    known = [r for r in report.runtimes if r.name in present]
    names = [r.name for r in known]
    columns = [{"name": r.name, "format": r.format, "in_jvm": r.in_jvm, "version": r.version} for r in known]
    columns += [{"name": n, "format": None, "in_jvm": None, "version": None} for n in present if n not in names]
    return columns


def matrix_rows(model: ModelReport, columns: list[dict]) -> list[dict]:
    """One row per artifact: its label and, per runtime column, the cell's index and cell (or None)."""
    rows: dict[str, dict] = {}
    for index, cell in enumerate(model.cells):
        rows.setdefault(artifact_label(cell), {})[cell.runtime] = (index, cell)
    return [{"label": label, "cells": [by_runtime.get(c["name"]) for c in columns]}
            for label, by_runtime in rows.items()]


# --- the histogram --------------------------------------------------------------------------------------------
def histogram(h: Histogram) -> dict:
    """Bars of the error distribution (an inline SVG)."""
    counts, edges = h.counts, h.upper_edges
    labels = ["0"] + [f"≤{num(e)}" for e in edges[1:-1]] + [f">{num(edges[-2])}" if len(edges) > 1 else ""]
    bar = 32
    top = max(counts, default=0) or 1
    bars = []
    for i, (count, label) in enumerate(zip(counts, labels)):
        height = 0 if not count else max(2, 95 * count / top)
        x = 10 + i * 40
        bars.append({"x": x, "y": f"{120 - height:.1f}", "height": f"{height:.1f}", "count": count, "label": label,
                     "middle": x + bar / 2, "count_y": f"{116 - height:.1f}"})
    return {"width": 40 * len(counts) + 20, "height": 150, "bar": bar, "bars": bars}


# --- inputs ---------------------------------------------------------------------------------------------------
def _same(a, b) -> bool:
    if a == b:
        return True
    nan = ("nan", None)
    if isinstance(a, float) and isinstance(b, float):
        return math.isnan(a) and math.isnan(b)
    return (a in nan or (isinstance(a, float) and math.isnan(a))) and \
        (b in nan or (isinstance(b, float) and math.isnan(b)))


def typical(model: ModelReport) -> dict | None:
    """The model's typical row; for a report without one, the most common value of each column over every input
    row the model's report holds (when there are at least three)."""
    if model.typical_row is not None:
        return model.typical_row
    pool = []
    for cell in model.cells:
        for inputs in ([cell.counterexample.inputs] if cell.counterexample else []) + [w.inputs for w in
                                                                                         cell.worst_inputs]:
            if isinstance(inputs, list):
                pool += inputs
    if len(pool) < 3:
        return None
    columns = list(dict.fromkeys(k for row in pool for k in row))
    mode = {}
    for column in columns:
        counted = Counter(json.dumps(row.get(column), default=str) for row in pool)
        value, times = counted.most_common(1)[0]
        if times * 2 > len(pool):
            mode[column] = json.loads(value)
    return mode


def inputs_view(inputs, typical_row: dict | None = None) -> dict:
    """A batch for a table. Rows with many columns: the columns that differ from the typical row first (up to
    WIDE_COLUMNS), the rest folded (as column -> value per row)."""
    if isinstance(inputs, dict):
        return {"kind": "tensors", "tensors": [
            {"name": name, "dtype": t.dtype, "shape": list(t.shape), "preview": preview(t.values)}
            for name, t in inputs.items()]}
    rows = inputs or []
    columns = list(dict.fromkeys(k for row in rows for k in row))
    shown, folded, note = columns, [], ""
    if len(columns) > WIDE_COLUMNS:
        if typical_row:
            differ = [c for c in columns
                      if c not in typical_row or any(not _same(r.get(c), typical_row[c]) for r in rows)]
        else:
            differ = []
        if differ and len(differ) <= WIDE_COLUMNS:
            shown = differ
            note = (f"{len(differ)} of {len(columns)} columns differ from the typical row; the other "
                    f"{len(columns) - len(differ)} are folded below")
        else:
            shown = (differ or columns)[:WIDE_COLUMNS]
            note = f"the first {len(shown)} of {len(columns)} columns; the other {len(columns) - len(shown)} " \
                   "are folded below"
        folded = [c for c in columns if c not in shown]
    return {"kind": "rows", "columns": shown, "rows": [[cell_value(r.get(c)) for c in shown] for r in rows],
            "records": [{c: r.get(c) for c in shown} for r in rows],
            "folded": [{"column": c, "cells": [cell_value(r.get(c)) for r in rows]} for c in folded],
            "count": len(rows), "note": note}


def inputs_text(inputs, typical_row: dict | None = None, limit: int = 1500) -> str:
    """A batch in one line (Markdown): the shown columns of each row, or each tensor's dtype, shape and values."""
    view = inputs_view(inputs, typical_row)
    if view["kind"] == "tensors":
        text = "; ".join(f"{t['name']} {t['dtype']}{t['shape']}: {t['preview']}" for t in view["tensors"])
    else:
        text = json.dumps(view["records"], ensure_ascii=False, default=str)
        if view["folded"]:
            text += f" (+{len(view['folded'])} more columns)"
    return preview(text, limit)


def outputs_view(outputs: dict, first: str | None = None) -> list[dict]:
    """Every runtime's outputs on one input, the reference first (then the given cell)."""
    names = list(outputs)
    ordered = [n for n in names if n == REFERENCE] + [n for n in names if n == first and n != REFERENCE]
    ordered += [n for n in names if n not in ordered]
    return [{"runtime": n, "text": "\n".join(f"{k}: {preview(v, OUTPUT_PREVIEW)}" for k, v in outputs[n].items())}
            for n in ordered]
