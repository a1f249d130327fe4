"""Why a cell diverged, read off every runtime's outputs on its counterexample.

- ``conversion``: ONNX Runtime Python on the same file disagrees with the model too: the exported (or supplied)
  file computes something else than the trained model.
- ``jvm``: ONNX Runtime Python on the same file agrees with the model, ONNX Runtime Java does not: the JVM runs the
  file differently.
- ``format``: the PMML path (sklearn2pmml's conversion or JPMML) disagrees; ``detail`` says whether the ONNX
  artifacts agree with the model on the same input.
"""
from __future__ import annotations

from harness.compare import Tolerances, compare
from harness.runtimes import REFERENCE


def _agrees(expected: dict | None, actual: dict | None, tolerances: Tolerances) -> bool | None:
    if not expected or not actual or "error" in actual:
        return None
    return not any(d.diverged for d in compare(expected, actual, tolerances))


def attribute(cell, cells, outputs: dict, tolerances: Tolerances) -> dict:
    reference = outputs.get(REFERENCE)
    if cell.artifact.format == "pmml":
        onnx_agree = [c.name for c in cells if c.artifact.format == "onnx"
                      and _agrees(reference, outputs.get(c.name), tolerances)]
        detail = (f"the PMML path disagrees with the model; {len(onnx_agree)} ONNX cell(s) agree on the same input"
                  if onnx_agree else "the PMML path disagrees with the model; no ONNX cell agrees on this input either")
        return {"kind": "format", "detail": detail}
    if cell.runtime == "ort-python":
        return {"kind": "conversion",
                "detail": "ONNX Runtime Python on this file disagrees with the model: the file computes something else"}
    sibling = next((c for c in cells if c.artifact is cell.artifact and c.runtime == "ort-python"), None)
    python_agrees = _agrees(reference, outputs.get(sibling.name), tolerances) if sibling else None
    if python_agrees:
        return {"kind": "jvm",
                "detail": "ONNX Runtime Python on the same file agrees with the model; ONNX Runtime Java does not"}
    if python_agrees is False:
        return {"kind": "conversion",
                "detail": "ONNX Runtime Python on the same file disagrees with the model too: the file computes "
                          "something else"}
    return {"kind": "unknown", "detail": "ort-python did not run on this file, so the cause cannot be separated"}
