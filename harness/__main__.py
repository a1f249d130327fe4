"""``python -m harness``:

- ``schema``: print the JSON Schema of the report (``harness.results.model.Report``);
- ``options``: print the table of options and policy keys (``harness.options``; the README's table);
- ``runtimes``: list the registered runtimes and flavors (entry points and their versions);
- ``report REPORT.json [--html OUT.html] [--markdown OUT.md] [--json OUT.json]``: validate a JSON report (a
  version-1 file is upgraded) and re-render it. Nothing is re-run: the HTML and Markdown are made from the JSON
  alone. An invalid report exits with status 2 and names the first invalid field.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("schema", help="print the JSON Schema of the JSON report")
    commands.add_parser("options", help="print the options and policy keys as a Markdown table")
    commands.add_parser("runtimes", help="list the registered runtimes and flavors")
    render = commands.add_parser("report", help="validate a JSON divergence report and render HTML and/or Markdown")
    render.add_argument("json_report", type=Path)
    render.add_argument("--html", type=Path, help="write the self-contained HTML report here")
    render.add_argument("--markdown", type=Path, help="write the Markdown summary here ('-' for stdout)")
    render.add_argument("--json", type=Path, help="write the report here as the current schema version "
                                                  "(upgrades a version-1 file)")
    args = parser.parse_args(argv)

    from harness.results import html, io, markdown
    from harness.results.model import SCHEMA_VERSION, Report

    if args.command == "options":
        from harness.options import markdown_table

        print(markdown_table())
        return 0
    if args.command == "runtimes":
        from harness import registry

        for runtime in registry.runtimes().values():
            print(f"runtime {runtime.name}: format {runtime.format}, {'JVM' if runtime.in_jvm else 'Python'}, "
                  f"{runtime.description}")
        for flavor in registry.flavors().values():
            print(f"flavor {flavor.name}: MLflow flavor(s) {', '.join(flavor.handles())}")
        return 0
    if args.command == "schema":
        print(json.dumps(Report.model_json_schema(), indent=2))
        return 0
    try:
        report = io.read(args.json_report)
    except io.ReportError as error:
        parser.error(str(error))
    if args.html:
        io.write_text(args.html, html.render(report))
        print(f"HTML report: {args.html.resolve()}")
    if args.markdown:
        text = markdown.render(report)
        if str(args.markdown) == "-":
            sys.stdout.write(text)
        else:
            io.write_text(args.markdown, text)
            print(f"Markdown summary: {args.markdown.resolve()}")
    if args.json:
        io.write(args.json, report)
        print(f"JSON report (schema version {SCHEMA_VERSION}): {args.json.resolve()}")
    if not (args.html or args.markdown or args.json):
        cells = report.cells()
        print(f"{args.json_report}: a valid report: {len(report.models)} model(s), {len(cells)} cell(s), "
              f"{sum(len(m.findings) for m in report.models)} finding(s); {'PASS' if report.passed else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
