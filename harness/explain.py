"""The text a person reads when a cell fails: what diverged, on which minimal input, and what each runtime said."""
from __future__ import annotations

import numpy as np

from harness import batch as batches
from harness.runtimes import REFERENCE

_MAX_SHOWN = 6


def describe_cell(cell) -> str:
    artifact = cell.artifact
    where = f"{cell.runtime} on {artifact.format.upper()} {artifact.path or artifact.source_uri or ''}".rstrip()
    opset = ""
    if artifact.opset_requested or artifact.opset_actual:
        opset = f" (opset requested {artifact.opset_requested or '-'}, declared {artifact.opset_actual or '-'})"
    lines = [f"{cell.status}: {where}{opset}"]
    if cell.result is None or cell.result.counterexample is None:
        lines.append(f"reason: {cell.reason}")
        return "\n".join(lines)
    example = cell.result.counterexample
    stats = cell.result.stats
    lines.append(
        f"over {stats.examples} examples ({stats.rows} rows): max_abs={stats.max_abs:.3g} "
        f"max_rel={stats.max_rel:.3g} max_ulp={stats.max_ulp} mismatches={stats.mismatches} ties={stats.ties}"
    )
    count = batches.rows(example.batch)
    lines.append(f"minimal counterexample ({count} row{'s' if count != 1 else ''}):")
    lines += ["  " + line for line in batches.describe(example.batch).splitlines()]
    if example.error:
        lines.append(f"{cell.runtime} raised where the reference did not: {example.error}")
    for d in example.divergences:
        if d.diverged:
            detail = d.detail or (
                f"max_abs={d.max_abs:.3g} max_rel={d.max_rel:.3g} max_ulp={d.max_ulp} mean_abs={d.mean_abs:.3g} "
                f"p99_abs={d.p99_abs:.3g}, worst at index {d.worst_index}"
                if d.kind == "numeric" and d.mean_abs is not None
                else f"{d.ties} tie(s) excused")
            lines.append(f"output '{d.output}': {d.mismatches}/{d.elements} elements differ ({detail}),"
                         f" first at row {d.worst_row}")
    if cell.attribution:
        lines.append(f"attribution: {cell.attribution['kind']}: {cell.attribution['detail']}")
    lines.append("outputs on the counterexample:")
    for runtime, outputs in _ordered(example.outputs, cell.name):
        lines.append(f"  {runtime}:")
        for name, values in outputs.items():
            lines.append(f"    {name}: {_short(values)}")
    return "\n".join(lines)


def _ordered(outputs: dict, this_cell: str):
    first = [k for k in (REFERENCE, this_cell) if k in outputs]
    rest = [k for k in outputs if k not in first]
    return [(k, outputs[k]) for k in first + rest[:_MAX_SHOWN]]


def _short(values) -> str:
    if isinstance(values, str):
        return values
    array = np.asarray(values)
    with np.printoptions(precision=9, threshold=24, linewidth=160):
        return np.array2string(array, separator=", ") if array.dtype != object else repr(array.tolist())
