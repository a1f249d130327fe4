"""``python -m harness report REPORT.json --html OUT.html --markdown OUT.md``: re-render a JSON report.

Nothing is re-run: the HTML and Markdown are made from the JSON alone.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness import html_report, markdown_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness")
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("report", help="render HTML and/or Markdown from a JSON divergence report")
    render.add_argument("json_report", type=Path)
    render.add_argument("--html", type=Path, help="write the self-contained HTML report here")
    render.add_argument("--markdown", type=Path, help="write the Markdown summary here ('-' for stdout)")
    args = parser.parse_args(argv)
    try:
        report = json.loads(args.json_report.read_text())
    except FileNotFoundError:
        parser.error(f"{args.json_report}: no such file")
    except json.JSONDecodeError as error:
        parser.error(f"{args.json_report}: not a JSON report ({error})")
    if not args.html and not args.markdown:
        parser.error("nothing to render: pass --html PATH and/or --markdown PATH")
    if args.html:
        args.html.write_text(html_report.render(report), encoding="utf-8")
        print(f"HTML report: {args.html.resolve()}")
    if args.markdown:
        text = markdown_report.render(report)
        if str(args.markdown) == "-":
            print(text)
        else:
            args.markdown.write_text(text, encoding="utf-8")
            print(f"Markdown summary: {args.markdown.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
