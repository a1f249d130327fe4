"""The counterexample corpus: every minimal divergent input, kept as a language-neutral JSON file, replayed first
on the next run, and loadable by a plain Java program (``java/.../ReplayCounterexample.java``).

Layout: ``<corpus>/<model>/<cell>-<hash>.json``. One file (schema ``jvm-equivalence-counterexample`` v1):
  model_uri, cell, runtime, artifact {format, path (a copy beside the corpus file, relative to it), original_path,
  origin, exporter, opset_requested, opset_actual},
  columns [{name, type}], rows [[value per column]] (null = missing; "nan", "inf", "-inf" for non-finite) for a
  column signature, or tensors {name: {dtype, shape, values}} for a tensor signature,
  onnx_inputs [{name, element_type, shape, values (flattened, row-major)}] (ONNX cells: exactly what the runtime
  was fed), jvm_inputs (the same layout: what another format's JVM scorer was fed, when its runtime says, e.g. the
  XGBoost4J feature matrix), expected {output: values} (the reference's outputs the cell compared), actual
  {output: values} (the cell) -- both under the JVM scorer's own output names when its runtime maps them
  (``Runtime.scorer_outputs``), divergences [...],
  tolerance {atol, rtol}.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from harness.batch import records
from harness.results.io import jsonable, write_text
from harness.runtimes import REFERENCE

SCHEMA = "jvm-equivalence-counterexample"


def slug(text: str) -> str:
    """A URI or cell name as a file name."""
    return re.sub(r"[^A-Za-z0-9_.@-]+", "_", text).strip("_")


def _value(v):
    if isinstance(v, str) and v in ("nan", "inf", "-inf"):
        return float(v)
    return v


def save(corpus_dir: Path, check, cell) -> Path:
    """Save the cell's minimal counterexample; the entry's artifact, outputs, error and divergences are read off the
    cell's report entry (``harness.results.build.cell_report``), the batch itself off the live cell."""
    from harness.artifacts import ONNX
    from harness.results.build import cell_report

    example = cell.result.counterexample
    entry_cell = cell_report(cell)
    reported = entry_cell.counterexample
    tensors = rows = columns = None
    if isinstance(example.batch, pd.DataFrame):
        names = [c.name for c in check.columns]
        rows = example.batch[names].astype(object).where(example.batch[names].notna(), None).values.tolist()
        columns = [{"name": c.name, "type": c.type} for c in check.columns]
    else:
        tensors = records(example.batch)
    tolerance = check.config.tolerances.default
    folder = Path(corpus_dir) / slug(check.uri)
    entry = {
        "format": SCHEMA, "version": 1, "model_uri": check.uri, "cell": cell.name, "runtime": cell.runtime,
        "artifact": {**entry_cell.artifact.model_dump(mode="json"),
                     "opset_requested": cell.artifact.opset_requested,
                     "opset_actual": cell.artifact.opset_actual,
                     "original_path": str(cell.artifact.path),
                     "path": _keep_artifact(Path(cell.artifact.path), folder)},
        "columns": columns,
        "rows": rows,
        "tensors": tensors,
        "onnx_inputs": onnx_inputs(cell.artifact.path, example.batch) if cell.artifact.format == ONNX else None,
        "jvm_inputs": _jvm_inputs(check, cell, example.batch) if cell.artifact.format != ONNX else None,
        # the reference's outputs this cell compared (not those its artifact does not have: not-in-artifact)
        "expected": _as_scorer(check, cell, {name: values for name, values in reported.outputs.get(REFERENCE, {}).items()
                                             if name not in cell.result.stats.absent}),
        "actual": _as_scorer(check, cell, reported.outputs.get(cell.name, {})),
        "error": reported.error,
        "divergences": [d.model_dump(mode="json", exclude_none=True) for d in reported.divergences],
        "tolerance": {"atol": tolerance.atol, "rtol": tolerance.rtol},
    }
    text = json.dumps(jsonable(entry), indent=1, allow_nan=False)
    digest = hashlib.sha256(json.dumps(jsonable(rows if rows is not None else tensors)).encode()).hexdigest()[:12]
    path = folder / f"{slug(cell.name)}-{digest}.json"
    write_text(path, text)
    return path


def _jvm_inputs(check, cell, batch) -> list[dict] | None:
    """What the cell's JVM scorer was fed (``Runtime.jvm_inputs``: e.g. XGBoost4J's feature matrix), if the runtime
    says; the replayer feeds exactly that."""
    runtime = check.runtimes.get(cell.runtime)
    try:
        return runtime.jvm_inputs(cell.artifact.path, batch) if runtime is not None else None
    except Exception:
        return None


def _as_scorer(check, cell, outputs: dict) -> dict:
    """Outputs under the names the cell's JVM scorer gives its own (``Runtime.scorer_outputs``, e.g. XGBoost4J's
    ``margin`` and ``prediction``), so the replayer compares like with like; as they are otherwise."""
    from harness.artifacts import ONNX

    runtime = check.runtimes.get(cell.runtime)
    if runtime is None or cell.artifact.format == ONNX or not outputs or "error" in outputs:
        return outputs
    try:
        return runtime.scorer_outputs(check.output_spec, outputs) or outputs
    except Exception:
        return outputs


def _keep_artifact(source: Path, folder: Path) -> str:
    """A copy of the artifact beside the corpus files (content-addressed), so the corpus needs nothing else.
    Returns its path relative to the corpus file."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    kept = folder / "artifacts" / f"{digest}{source.suffix}"
    if not kept.exists():
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, kept)
    return f"artifacts/{kept.name}"


def onnx_inputs(path: Path, batch: pd.DataFrame) -> list[dict]:
    """The tensors an ONNX runtime is fed for this batch, as plain lists (what the Java replayer feeds)."""
    import onnxruntime as ort

    from harness.runtimes.onnx_feed import InputSpec, build_feed

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    specs = [InputSpec(i.name, i.type.removeprefix("tensor(").removesuffix(")"), len(i.shape or []))
             for i in session.get_inputs()]
    return [{"name": s.name, "element_type": s.element_type, "shape": list(array.shape),
             "values": array.ravel().tolist()} for s, array in
            ((s, build_feed(batch, specs)[s.name]) for s in specs)]


def load(corpus_dir: Path, model_uri: str, columns: list | None, tensors=None) -> list:
    """Every saved counterexample of this model that still fits its signature, as batches."""
    folder = Path(corpus_dir) / slug(model_uri)
    batches, seen = [], set()
    for path in sorted(folder.glob("*.json")):
        try:
            entry = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if entry.get("format") != SCHEMA:
            continue
        key = json.dumps([entry.get("rows"), entry.get("tensors")])
        if key in seen:  # the same input broke several cells: replay it once
            continue
        batch = _tensor_batch(entry, tensors) if tensors is not None else _row_batch(entry, columns)
        if batch is not None:
            seen.add(key)
            batches.append(batch)
    return batches


def _row_batch(entry: dict, columns: list):
    from harness.inputs import to_frame

    if not entry.get("columns") or [(c["name"], c["type"]) for c in entry["columns"]] != [
            (c.name, c.type) for c in columns]:
        return None
    return to_frame({c.name: [_value(row[i]) for row in entry["rows"]] for i, c in enumerate(columns)}, columns)


def _tensor_batch(entry: dict, tensors) -> dict | None:
    saved = entry.get("tensors") or {}
    if sorted(saved) != sorted(t.name for t in tensors):
        return None
    out = {}
    for tensor in tensors:
        values = saved[tensor.name]
        if values["dtype"] != str(tensor.dtype):
            return None
        out[tensor.name] = np.array(_floats(values["values"]), dtype=tensor.dtype).reshape(values["shape"])
    return out


def _floats(values):
    if isinstance(values, list):
        return [_floats(v) for v in values]
    return _value(values)
