"""What the plugin prints and records, from the report model: the lines of the terminal summary and the JUnit
properties of a cell."""
from __future__ import annotations

import os

from harness.results.model import CellReport, Report

MARKERS = {"pass": "ok", "diverged": "DIVERGED"}


def cell_line(cell: CellReport) -> str:
    if cell.has_stats:
        metrics = (f"max_abs={cell.max_abs:.3g} max_rel={cell.max_rel:.3g} max_ulp={cell.max_ulp} "
                   f"examples={cell.examples}")
    else:
        lines = (cell.reason or "").strip().splitlines()
        metrics = lines[0][:100] if lines else ""
    if cell.finding:
        metrics = f"[{cell.finding}] {metrics}"
    return f"  {cell.name:<40} {MARKERS.get(cell.status, cell.status):<14} {metrics}".rstrip()


def summary_lines(report: Report, gate_outcomes=(), *, json_path=None, html_path=None,
                  markdown_path=None) -> list[str]:
    """The ``jvm-equivalence`` section of the terminal summary: each model's cells, its findings and verdict, the
    gate's outcomes and where the reports are."""
    lines = []
    for model in report.models:
        error = (model.error or "").strip().splitlines()
        if not error:
            lines.append(model.model_uri)
        else:  # a reason usually names the URI itself
            lines.append(error[0] if error[0].startswith(model.model_uri) else f"{model.model_uri}: {error[0]}")
        lines += [cell_line(cell) for cell in model.cells]
        lines += [f"  {f.id}: {f.summary}" for f in model.findings]
        if model.cells:
            passed, reasons = model.verdict(report.blocking)
            lines.append("  passes the policy" if passed else
                         f"  fails the policy ({len(reasons)} reason{'s' if len(reasons) != 1 else ''})")
    for outcome in gate_outcomes:
        lines.append(gate_line(outcome))
    for label, path in (("divergence report", json_path), ("HTML report", html_path),
                        ("Markdown summary", markdown_path)):
        if path:
            lines.append(f"{label}: {os.path.abspath(path)}")
    return lines


def gate_line(outcome) -> str:
    verdict = "passes" if outcome.passed else "fails"
    line = f"gate: {outcome.model_uri} (version {outcome.version or '-'}) {verdict} the policy"
    if outcome.promoted_alias:
        line += f"; alias '{outcome.promoted_alias}' now points at version {outcome.version}"
    if outcome.note:
        line += f"; {outcome.note}"
    return line


def junit_properties(cell) -> list[tuple[str, object]]:
    """The JUnit XML properties of one cell's test case: status, runtime, opsets, and its metrics when it ran.
    ``cell`` is a :class:`CellReport` (a live cell is converted)."""
    if not isinstance(cell, CellReport):
        from harness.results.build import cell_report

        cell = cell_report(cell)
    properties: list[tuple[str, object]] = [("status", cell.status), ("runtime", cell.runtime),
                                            ("opset_requested", cell.opset_requested),
                                            ("opset_actual", cell.opset_actual)]
    if cell.has_stats:
        properties += [("max_abs", cell.max_abs), ("max_rel", cell.max_rel), ("max_ulp", cell.max_ulp),
                       ("examples", cell.examples)]
    return properties
