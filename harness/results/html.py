"""The HTML report: one self-contained file (inline CSS and SVG, no scripts, a Content-Security-Policy that forbids
fetching anything), rendered from the report model alone by ``templates/report.html.j2``.

The Jinja2 environment autoescapes everything: model names, string inputs and error texts cannot inject markup.
"""
from __future__ import annotations

from functools import cache

import jinja2

from harness.results import view
from harness.results.model import Report


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("harness.results", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False)
    env.globals.update(num=view.num, percent=view.percent, colour=view.colour, artifact_label=view.artifact_label,
                       histogram=view.histogram, inputs_view=view.inputs_view, outputs_view=view.outputs_view)
    return env


def render(report) -> str:
    """The HTML page of a report (a :class:`Report`, or its JSON data: validated, version 1 upgraded)."""
    from harness.results.io import load

    report = load(report) if not isinstance(report, Report) else report
    models = []
    for index, model in enumerate(report.models):
        passed, reasons = model.verdict(report.blocking)
        columns = view.matrix_columns(report, model)
        by_name = {c.name: c for c in model.cells}
        models.append({
            "model": model, "index": index, "passed": passed, "reasons": reasons, "columns": columns,
            "rows": view.matrix_rows(model, columns), "typical": view.typical(model),
            "index_of": {c.name: i for i, c in enumerate(model.cells)},
            "divergences": {f.id: [(name, d) for name in f.cells for d in _diverged(by_name.get(name))]
                            for f in model.findings},
            "cell_divergences": {c.name: [(c.name, d) for d in _diverged(c)] for c in model.cells},
        })
    return environment().get_template("report.html.j2").render(report=report, models=models)


def _diverged(cell) -> list:
    if cell is None or cell.counterexample is None:
        return []
    return [d for d in cell.counterexample.divergences if d.mismatches]
