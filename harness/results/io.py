"""Reading and writing reports: atomic writes (mode 0644), JSON-ready values, and reading with validation.

A report file is validated against :class:`harness.results.model.Report` when read; a version-1 file is upgraded to
version 2 first. An invalid file is a :class:`ReportError` that names the first invalid field, e.g.
``models[0].cells[3].status: Input should be 'pass', 'diverged', ... (got 'divergd')``.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

from harness.results.model import SCHEMA_VERSION, Report

FILE_MODE = 0o644


class ReportError(ValueError):
    """A report that cannot be read: no such file, not JSON, or invalid (the message names the first bad field)."""


# --- writing --------------------------------------------------------------------------------------------------
def write_text(path, text: str) -> Path:
    """Write a file atomically (a temporary file beside it, then a rename), readable by everyone (0644)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, FILE_MODE)  # mkstemp makes it 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def dumps(report: Report) -> str:
    """The report as JSON text (non-finite numbers as "nan", "inf", "-inf")."""
    return json.dumps(jsonable(report.model_dump(mode="json")), indent=2, ensure_ascii=False, allow_nan=False)


def write(path, report: Report) -> Path:
    """Write the JSON report atomically: readers (and a killed run) only ever see a complete report."""
    return write_text(path, dumps(report))


def jsonable(value):
    """Plain JSON values (numpy and pandas ones included); non-finite numbers become "nan", "inf" and "-inf"."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, str):
        return value
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    try:
        import numpy as np
        import pandas as pd
    except ImportError:  # pragma: no cover
        return str(value)
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())  # a 0-d array's tolist() is a scalar
    if isinstance(value, np.generic):
        if isinstance(value, (np.bytes_, np.str_)):
            return str(value)
        return jsonable(value.item())
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# --- reading --------------------------------------------------------------------------------------------------
def read(path) -> Report:
    """A report file, validated (version-1 files upgraded)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ReportError(f"{path}: cannot be read ({error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ReportError(f"{path}: not a JSON report ({error})") from None
    try:
        return load(data)
    except ReportError as error:
        raise ReportError(f"{path}: {error}") from None


def loads(text: str) -> Report:
    """A report from JSON text (e.g. what ``dumps`` gave a pytest-xdist worker), validated."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ReportError(f"not a JSON report ({error})") from None
    return load(data)


def temp_dir() -> Path:
    """A new directory for reports that have no path of their own (published to MLflow only)."""
    return Path(tempfile.mkdtemp(prefix="harness-report-"))


def load(data) -> Report:
    """A report from its JSON data (a dict), validated; a version-1 report is upgraded to version 2. Findings are
    derived again from the cells."""
    from harness.results import findings

    if isinstance(data, Report):
        return data
    if not isinstance(data, dict):
        raise ReportError(f"(top level): a report is a JSON object, not {type(data).__name__}")
    version = data.get("schema_version")
    if version == 1:
        data = upgrade_v1(data)
    elif version != SCHEMA_VERSION:
        if version is None:
            raise ReportError("schema_version: missing; this is not a divergence report")
        raise ReportError(f"schema_version: {version!r} is not a version this harness reads (1 or {SCHEMA_VERSION})")
    try:
        report = Report.model_validate(data)
    except ValidationError as error:
        raise ReportError(first_error(error, data)) from None
    for model in report.models:  # derived from the cells (so a recorded list can never disagree with them)
        findings.attach(model, report.blocking)
    return report


def upgrade_v1(data: dict) -> dict:
    """A version-1 report as version 2: the same cells, plus the run's runtimes (from the cells; whether each runs
    in the JVM is not known) and each model's findings (derived on load)."""
    data = dict(data)
    data["schema_version"] = SCHEMA_VERSION
    if "runtimes" not in data:
        runtimes: dict[str, dict] = {}
        for model in data.get("models") or []:
            for cell in (model.get("cells") if isinstance(model, dict) else None) or []:
                if isinstance(cell, dict) and isinstance(cell.get("runtime"), str):
                    artifact = cell.get("artifact") if isinstance(cell.get("artifact"), dict) else {}
                    runtimes.setdefault(cell["runtime"], {
                        "name": cell["runtime"], "format": cell.get("format") or artifact.get("format"),
                        "in_jvm": None, "version": None})
        data["runtimes"] = list(runtimes.values())
    return data


def first_error(error: ValidationError, data) -> str:
    """``path: message (got value)`` for the first invalid field, plus how many more there are."""
    errors = error.errors(include_url=False)
    first = errors[0]
    path, value, resolved = _path(first["loc"], data)
    if not resolved:  # a union: prefer the branch error that got deepest into the data
        same = [e for e in errors if _path(e["loc"], data)[0].startswith(path)]
        first = max(same, key=lambda e: len(_path(e["loc"], data)[0]))
        path, value, _ = _path(first["loc"], data)
    message = f"{path or '(top level)'}: {first['msg']}"
    if first["type"] not in ("missing",) and value is not _MISSING:
        shown = json.dumps(value, default=str)
        message += f" (got {shown[:80] + '…' if len(shown) > 80 else shown})"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
    return message


_MISSING = object()


def _path(loc, data) -> tuple[str, object, bool]:
    """The JSON path of a pydantic location, following the data (union branch tags are skipped)."""
    text, node, resolved = "", data, True
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            text += f"[{part}]"
            node = node[part]
        elif isinstance(node, dict) and part in node:
            text += f".{part}" if text else str(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part.isidentifier() and part not in (
                "rows", "tensors"):
            text += f".{part}" if text else str(part)  # a missing (or extra) field
            node = _MISSING
        else:
            resolved = False  # a union branch's tag, e.g. 'tensors'
    return text, node, resolved
