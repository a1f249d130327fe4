"""Findings: failing cells that are one problem, shown once.

Cells that fail (a blocking status other than pending) on the same minimal input with the same attribution are one
finding, e.g. "the ONNX file computes something else: 4 cells, opsets 13–17, both ONNX runtimes". Cells without a
counterexample (an export that failed, a runtime that could not load the file) group by status and identical
reason. Every failing cell belongs to exactly one finding; the reports show each finding once and link each cell
to it.
"""
from __future__ import annotations

import json
from typing import Iterable

from harness.results.model import PENDING, CellReport, Finding, ModelReport

# how each attribution kind reads; {format} is the artifact format (upper case), {file} "file" or "files"
KIND_WORDING = {
    "conversion": "the {format} {file} {compute} something else",
    "jvm": "the JVM computes something else on the same {format} {file} (ONNX Runtime Python agrees with the model)",
    "format": "the {format} path disagrees with the model",
    "unknown": "the {format} {cells} diverge (the cause could not be separated)",
}
STATUS_WORDING = {
    "diverged": "diverged",
    "export-failed": "the export failed",
    "runtime-error": "runtime error",
    "insufficient": "too few valid examples",
    "skipped": "skipped",
}


def group(model: ModelReport, blocking: Iterable[str]) -> list[Finding]:
    """The findings of one model's failing cells, in the order of their first cell."""
    blocking = tuple(blocking)
    groups: dict[tuple, list[CellReport]] = {}
    for cell in model.cells:
        if cell.status == PENDING or not cell.blocks(blocking):
            continue
        groups.setdefault(_key(cell), []).append(cell)
    return [_finding(f"F{i}", cells, model) for i, cells in enumerate(groups.values(), 1)]


def attach(model: ModelReport, blocking: Iterable[str]) -> ModelReport:
    """Set ``model.findings`` and each failing cell's ``finding``."""
    model.findings = group(model, blocking)
    by_cell = {name: f.id for f in model.findings for name in f.cells}
    for cell in model.cells:
        cell.finding = by_cell.get(cell.name)
    return model


def _key(cell: CellReport) -> tuple:
    if cell.counterexample is not None:
        inputs = json.dumps(cell.counterexample.model_dump(mode="json")["inputs"], sort_keys=True)
        return ("input", inputs, cell.attribution.kind if cell.attribution else None)
    return ("reason", cell.status, generic_reason(cell))


def generic_reason(cell: CellReport) -> str:
    """The reason with the cell's own artifact named generically, so the same failure on several files (e.g. the
    JVM missing: "could not load /tmp/.../m-opset13.onnx: ...") reads the same for each."""
    text = cell.reason or ""
    for own in sorted({p for p in (cell.artifact.path, cell.artifact.uri) if p}, key=len, reverse=True):
        text = text.replace(own, "<artifact>")
    return text


def _finding(finding_id: str, cells: list[CellReport], model: ModelReport) -> Finding:
    first = cells[0]
    formats = _unique(c.format for c in cells)
    opsets = sorted({c.opset_requested if c.opset_requested is not None else c.opset_actual for c in cells} - {None})
    artifacts = _unique(_artifact_name(c) for c in cells)
    kind = first.attribution.kind if first.attribution else first.status
    return Finding(
        id=finding_id,
        summary=f"{_head(first, cells, formats)}: {coverage(cells, model, formats, opsets)}",
        kind=kind, status=first.status, cells=[c.name for c in cells], runtimes=_unique(c.runtime for c in cells),
        formats=formats, opsets=opsets, artifacts=artifacts, attribution=first.attribution,
        reason=first.reason if first.counterexample is None else None, counterexample=first.counterexample)


def _head(first: CellReport, cells: list[CellReport], formats: list[str]) -> str:
    fmt = "/".join(f.upper() for f in formats)
    several = len({(c.artifact.path, c.artifact.uri, c.artifact.exporter, c.opset_requested) for c in cells}) > 1
    if first.counterexample is not None and first.counterexample.error and all(
            c.counterexample is not None and c.counterexample.error for c in cells):
        head = f"raises where the model does not ({_first_line(first.counterexample.error, 160)})"
    elif first.attribution is not None:
        wording = KIND_WORDING.get(first.attribution.kind)
        head = wording.format(format=fmt, file="files" if several else "file", compute="compute" if several
                              else "computes", cells="cells") if wording else \
            f"{first.attribution.kind}: {_first_line(first.attribution.detail, 160)}"
    elif first.counterexample is not None:
        head = f"the {fmt} {'cells diverge' if len(cells) > 1 else 'cell diverges'}"
    else:
        head = STATUS_WORDING.get(first.status, first.status)
        if first.reason:
            head += f" ({_first_line(generic_reason(first) if len(cells) > 1 else first.reason, 160)})"
    if first.attribution is not None and first.attribution.batch_size_dependent:
        head += ", and it depends on the batch (the rows alone give other numbers)"
    return head


def coverage(cells: list[CellReport], model: ModelReport, formats: list[str], opsets: list[int]) -> str:
    """e.g. '4 cells, opsets 13–17, both ONNX runtimes'."""
    parts = [f"{len(cells)} cell{'s' if len(cells) != 1 else ''}"]
    if opsets:
        parts.append(f"opset{'s' if len(opsets) > 1 else ''} {opset_range(opsets)}")
    covered = _unique(c.runtime for c in cells)
    for fmt in formats:
        every = _unique(c.runtime for c in model.cells if c.format == fmt)
        mine = [r for r in covered if r in every]
        if len(every) > 1 and mine == every:
            parts.append(f"{'both' if len(every) == 2 else f'all {len(every)}'} {fmt.upper()} runtimes")
        else:
            parts.append(", ".join(mine))
    return ", ".join(p for p in parts if p)


def opset_range(opsets: list[int]) -> str:
    """13–17 for a contiguous run of three or more, else 13, 15, 17."""
    opsets = sorted(set(opsets))
    if len(opsets) >= 3 and opsets[-1] - opsets[0] == len(opsets) - 1:
        return f"{opsets[0]}–{opsets[-1]}"
    return ", ".join(map(str, opsets))


def _artifact_name(cell: CellReport) -> str:
    a = cell.artifact
    return a.exporter or a.uri or a.path or a.format


def _first_line(text: str | None, limit: int) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[:limit] + "…"


def _unique(values) -> list:
    return list(dict.fromkeys(v for v in values if v is not None))
