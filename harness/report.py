"""The JSON divergence report (schema in the README), written atomically whenever a cell finishes."""
from __future__ import annotations

import json
import math
import os
import platform
import re
import sys
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from harness.batch import records
from harness.compare import HISTOGRAM_EDGES
from harness.config import RunConfig

SCHEMA_VERSION = 1
PYTHON_PACKAGES = ("mlflow", "scikit-learn", "skl2onnx", "sklearn2pmml", "onnx", "onnxruntime", "numpy",
                   "pandas", "hypothesis", "JPype1", "torch", "onnxscript", "tensorflow-cpu", "keras", "tf2onnx")


def versions() -> dict:
    """The version of every runtime and converter involved; Java ones from the jars the JVM loads."""
    found = {"python": platform.python_version()}
    for package in PYTHON_PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    found.update(java_versions())
    return found


def java_versions() -> dict:
    from harness.runtimes import jvm

    try:
        jars = [Path(p).name for p in jvm.bridge_classpath()]
    except jvm.JvmUnavailable:
        return {"onnxruntime-java": None, "jpmml-evaluator": None, "java": None}

    def jar_version(artifact):
        return next((m.group(1) for j in jars if (m := re.fullmatch(rf"{artifact}-(.+)\.jar", j))), None)

    import jpype

    java = None
    if jpype.isJVMStarted():
        java = jvm.java_version()
    return {"onnxruntime-java": jar_version("onnxruntime"), "jpmml-evaluator": jar_version("pmml-evaluator"),
            "java": java}


def observed_share(batch: pd.DataFrame, observed: pd.DataFrame | None) -> dict | None:
    """Per numeric column, the share of the counterexample's rows inside the observed data's [min, max]."""
    if observed is None or not isinstance(batch, pd.DataFrame):
        return None
    shares = {}
    for column in batch.columns:
        if column in observed and pd.api.types.is_numeric_dtype(observed[column]) and \
                pd.api.types.is_numeric_dtype(batch[column]):
            low, high = observed[column].min(), observed[column].max()
            values = batch[column].astype("float64")
            shares[column] = float(((values >= low) & (values <= high)).mean())
    return shares


def cell_json(cell, observed: pd.DataFrame | None = None) -> dict:
    artifact = cell.artifact
    result = cell.result
    stats = result.stats if result else None
    entry = {
        "name": cell.name,
        "runtime": cell.runtime,
        "format": artifact.format,
        "artifact": artifact.to_json(),
        "opset_requested": artifact.opset_requested,
        "opset_actual": artifact.opset_actual,
        "status": cell.status,
        "reason": cell.reason,
        "max_abs": stats.max_abs if stats else None,
        "max_rel": stats.max_rel if stats else None,
        "max_ulp": stats.max_ulp if stats else None,
        "mismatches": stats.mismatches if stats else None,
        "ties": stats.ties if stats else None,
        "examples": stats.examples if stats else 0,
        "rows": stats.rows if stats else 0,
        "error_histogram": {"upper_edges": list(HISTOGRAM_EDGES), "counts": stats.histogram} if stats else None,
        "worst_inputs": [{"max_abs": err, "inputs": records(batch)} for err, batch in stats.worst] if stats else [],
        "attribution": cell.attribution,
        "replayed": result.replayed if result else 0,
        "first_divergence_at": result.first_divergence_at if result else None,
        "corpus_file": cell.corpus_file,
        "counterexample": None,
    }
    if result and result.counterexample is not None:
        example = result.counterexample
        entry["counterexample"] = {
            "inputs": records(example.batch),
            "in_observed_range": observed_share(example.batch, observed),
            "error": example.error,
            "divergences": [d.to_json() for d in example.divergences],
            "outputs": example.outputs,
        }
    return entry


def model_json(check) -> dict:
    """``check`` is a ModelCheck, or a ModelFailure for a URI that could not be resolved."""
    if getattr(check, "error", None):
        return {"model_uri": check.uri, "error": check.error, "cells": []}
    return {
        "model_uri": check.uri,
        "flavor": check.model.flavor,
        "serialization_format": check.model.serialization_format,
        "error": None,
        "cells": [cell_json(c, _observed(check)) for c in check.cells],
    }


def _observed(check):
    try:
        return check.observed if any(c.result and c.result.counterexample for c in check.cells) else None
    except Exception:
        return None


def build(checks: list, config: RunConfig) -> dict:
    tolerances = config.tolerances
    return {
        "schema_version": SCHEMA_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "seed": config.seed,
        "max_examples": config.max_examples,
        "tolerances": {
            "atol": tolerances.default.atol, "rtol": tolerances.default.rtol, "nan_policy": tolerances.nan_policy,
            "per_output": {n: {"atol": t.atol, "rtol": t.rtol} for n, t in tolerances.per_output.items()},
        },
        "session": {"intra_op_threads": config.session.intra_op_threads, "optimization": config.session.optimization},
        "policy": {"source": config.policy_source, "blocking_statuses": list(config.blocking_statuses)},
        "versions": versions(),
        "models": [model_json(c) for c in checks],
    }


def write(path: Path, report: dict) -> None:
    """Write the JSON report atomically: readers (and a killed run) only ever see a complete report."""
    write_text(path, json.dumps(jsonable(report), indent=2, allow_nan=False))


def write_text(path: Path, text: str) -> None:
    """Write a file atomically (a temporary file beside it, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


def jsonable(value):
    """Plain JSON values; non-finite numbers become the strings "nan", "inf" and "-inf"."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else str(value)
    if value is None or value is pd.NA:
        return None
    return str(value)
