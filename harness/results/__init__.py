"""The results of a run: one typed report model (``harness.results.model``) that every consumer reads.

What the plugin calls:
- ``build(checks, config) -> Report``; ``merge(reports, config) -> Report`` (pytest-xdist workers' reports);
- ``write(path, report)``, ``write_text(path, text)``, ``dumps(report) -> str``, ``loads(text) -> Report``,
  ``read(path) -> Report``, ``load(data) -> Report``, ``temp_dir()`` (``io``: atomic 0644 writes; reading validates,
  names the first invalid field, upgrades version-1 reports);
- ``render_html(report)``, ``render_markdown(report)`` (Jinja2 templates, autoescaped);
- ``summary_lines(report, gate_outcomes)``, ``junit_properties(cell)`` (``terminal``);
- ``publish(report, files, promote_alias) -> [GateOutcome]`` (``gate``: the MLflow promotion gate).
``corpus`` keeps minimal counterexamples; ``findings`` groups failing cells into findings.
"""
from harness.results.build import build, cell_report, merge, model_report
from harness.results.gate import GateOutcome
from harness.results.gate import publish_all as publish
from harness.results.html import render as render_html
from harness.results.io import ReportError, dumps, jsonable, load, loads, read, temp_dir, write, write_text
from harness.results.markdown import render as render_markdown
from harness.results.model import (DEFAULT_BLOCKING, SCHEMA_VERSION, STATUSES, CellReport, Finding, ModelReport,
                                   Report, blocks, verdict)
from harness.results.terminal import junit_properties, summary_lines

__all__ = ["build", "cell_report", "merge", "model_report", "GateOutcome", "publish", "render_html", "ReportError",
           "dumps", "jsonable", "load", "loads", "read", "temp_dir", "write", "write_text", "render_markdown",
           "DEFAULT_BLOCKING", "SCHEMA_VERSION", "STATUSES", "CellReport", "Finding", "ModelReport", "Report",
           "blocks", "verdict", "junit_properties", "summary_lines"]
