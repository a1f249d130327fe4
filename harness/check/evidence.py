"""Why a cell diverged, read off every runtime's outputs on its counterexample.

The rules use only what each runtime says of itself (the artifact format it runs and whether it lives in the
JVM), never runtime names, so a newly registered runtime is attributed like the others:

- ``conversion``: a Python-side runtime on the same file disagrees with the model too (or the cell *is* one): the
  exported (or supplied) file computes something else than the trained model.
- ``jvm``: a Python-side runtime on the same file agrees with the model and the JVM runtime does not; or the JVM
  runtime reads the very file the reference loads (a flavor's native model file) and computes something else.
- ``format``: no Python-side runtime reads this format, so the converter and the JVM runtime cannot be
  separated; ``detail`` says whether artifacts of other formats agree with the model on the same input.
- ``unknown``: the Python-side twin did not run on this file.
"""
from __future__ import annotations

import numpy as np

from harness import batch as batches
from harness.compare import Tolerances, compare
from harness.runtimes import REFERENCE


def _agrees(expected: dict | None, actual: dict | None, tolerances: Tolerances) -> bool | None:
    if not expected or not actual or "error" in actual:
        return None
    return not any(d.diverged for d in compare(expected, actual, tolerances))


def attribute(cell, cells, outputs: dict, tolerances: Tolerances, runtimes: dict) -> dict:
    reference = outputs.get(REFERENCE)
    this = runtimes[cell.runtime]
    fmt = cell.artifact.format.upper()
    if not this.in_jvm:
        return {"kind": "conversion",
                "detail": f"{cell.runtime} (Python) on this file disagrees with the model: the file computes "
                          "something else"}
    twins = [c for c in cells if c.artifact is cell.artifact and c is not cell and not runtimes[c.runtime].in_jvm]
    verdicts = {twin.name: _agrees(reference, outputs.get(twin.name), tolerances) for twin in twins}
    agreeing = [name for name, agrees in verdicts.items() if agrees]
    disagreeing = [name for name, agrees in verdicts.items() if agrees is False]
    if agreeing:
        return {"kind": "jvm", "detail": f"{agreeing[0]} on the same file agrees with the model; {cell.runtime} "
                                         "(in the JVM) does not: the JVM runs the file differently"}
    if disagreeing:
        return {"kind": "conversion", "detail": f"{disagreeing[0]} on the same file disagrees with the model too: "
                                                "the file computes something else"}
    own = outputs.get(cell.name) or {}
    raised = [t.name for t in twins if "error" in (outputs.get(t.name) or {})]
    if raised and "error" in own:
        return {"kind": "conversion",
                "detail": f"both {fmt} runtimes raise on this input ({raised[0]}: {outputs[raised[0]]['error']}): "
                          "the file cannot compute it"}
    if raised:
        return {"kind": "unknown", "detail": f"{raised[0]} raised on this input ({outputs[raised[0]]['error']}), "
                                             "so the cause cannot be separated"}
    if cell.artifact.reference_file:
        return {"kind": "jvm", "detail": f"{cell.runtime} reads the very file the reference loads and computes "
                                         "something else: the JVM library disagrees with the Python library"}
    if twins:
        return {"kind": "unknown", "detail": f"{twins[0].name} did not run on this file, so the cause cannot be "
                                             "separated"}
    others = [c.name for c in cells if c.artifact.format != cell.artifact.format
              and _agrees(reference, outputs.get(c.name), tolerances)]
    detail = (f"no Python runtime reads {fmt} files, so the conversion and {cell.runtime} cannot be separated; "
              + (f"{len(others)} cell(s) of other formats agree with the model on the same input" if others
                 else "no cell of another format agrees on this input either"))
    return {"kind": "format", "detail": detail}


def batch_size_dependence(run, example) -> dict:
    """Does the divergence depend on the batch? Each row of the counterexample run alone vs in its batch."""
    from harness.check.isolated import RuntimeFault

    count = batches.rows(example.batch)
    if example.error or count < 2:
        return {}
    try:
        together = run(example.batch)
        alone = [run(batches.take_rows(example.batch, [i])) for i in range(count)]
    except (Exception, RuntimeFault):
        return {}
    for name, values in together.items():
        stacked = np.concatenate([np.asarray(a[name]).reshape(1, -1) for a in alone])
        if np.asarray(values).dtype.kind in "fc" and not np.array_equal(
                np.asarray(values).reshape(stacked.shape), stacked, equal_nan=True):
            return {"batch_size_dependent": True,
                    "batch_detail": f"output '{name}' differs when the rows run one at a time"}
    return {"batch_size_dependent": False}
