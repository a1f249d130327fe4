"""The Markdown summary of a report, for a CI step summary or a pull-request comment: every cell in a table, each
finding once. Rendered by ``templates/summary.md.j2`` with autoescaping; report text is also defused for Markdown
(``md``: punctuation escaped, on one line; ``code``: a code span it cannot break out of)."""
from __future__ import annotations

import re
from functools import cache

import jinja2
from markupsafe import Markup, escape

from harness.results import view
from harness.results.model import Report

_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")  # emphasis, code, links and images, tables


def md(value) -> Markup:
    """Plain text in Markdown: on one line, Markdown punctuation escaped, HTML escaped."""
    text = " ".join(str(value).split())
    return escape(_MARKDOWN_PUNCTUATION.sub(r"\\\1", text))


def code(value, table: bool = False) -> Markup:
    """A code span: fenced by more backticks than the text has in a row, on one line (pipes escaped in a table).
    A code span's text is never markup, so only ``<`` and ``>`` are escaped (a renderer that ignored the span
    still finds no tag); quotes and ampersands stay readable."""
    text = " ".join(str(value).split()).replace("<", "&lt;").replace(">", "&gt;")
    if table:
        text = text.replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return Markup(f"{fence}{pad}{text}{pad}{fence}")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("harness.results", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters.update(md=md, code=code)
    env.globals.update(num=view.num, artifact_label=view.artifact_label, inputs_text=view.inputs_text,
                       icons=view.ICONS)
    return env


def render(report) -> str:
    """The Markdown summary of a report (a :class:`Report`, or its JSON data: validated, version 1 upgraded)."""
    from harness.results.io import load

    report = load(report) if not isinstance(report, Report) else report
    models = []
    for model in report.models:
        passed, reasons = model.verdict(report.blocking)
        models.append({"model": model, "passed": passed, "reasons": reasons, "typical": view.typical(model),
                       "others": [c for c in model.cells if c.status != "pass" and not c.finding]})
    text = environment().get_template("summary.md.j2").render(report=report, models=models)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"
