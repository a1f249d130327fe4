"""The report model from the live run: ``build(checks, config)`` reads each ModelCheck (or ModelFailure) and its
cells, and returns a validated :class:`harness.results.model.Report`.

Only attribute reads here: a report is built after every cell, so building never runs anything expensive (the
observed data and the typical row are read only when a counterexample needs them) and never fails because a
version cannot be found.
"""
from __future__ import annotations

import platform
import sys
from datetime import datetime, timezone
from functools import cache
from importlib import metadata
from typing import TYPE_CHECKING, Iterable

from harness.results import findings
from harness.results.io import jsonable
from harness.results.model import (DEFAULT_BLOCKING, PENDING, Artifact, Attribution, CellReport, Counterexample, Divergence,
                                   Histogram, ModelReport, Policy, Registered, Report, RuntimeInfo, Session,
                                   Tolerances, WorstInput, bound_text)
from harness.results.view import WIDE_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

BASE_PACKAGES = ("mlflow", "numpy", "pandas", "hypothesis", "JPype1", "pydantic", "jinja2", "onnx")


def build(checks: Iterable, config) -> Report:
    """The report of a run: ``checks`` are ModelCheck / ModelFailure objects, ``config`` the RunConfig."""
    checks = list(checks)
    blocking = _blocking(config)
    options = getattr(config, "converter_options", None) or {}
    return Report(**_run_fields(config, checks),
                  models=[model_report(check, blocking, options) for check in checks])


def merge(reports: Iterable[Report], config) -> Report:
    """One report from several partial ones (pytest-xdist: each worker collects every model but runs only some
    cells; the others stay pending there). Per model and cell, the entry that ran wins; findings are derived
    again over the merged cells."""
    reports = list(reports)
    blocking = _blocking(config)
    models: dict[str, ModelReport] = {}
    for report in reports:
        for model in report.models:
            kept = models.get(model.model_uri)
            if kept is None:
                models[model.model_uri] = model.model_copy(deep=True)
                continue
            if model.error and not kept.error:
                kept.error, kept.reason_log = model.error, model.reason_log
            kept.notes += [n for n in model.notes if n not in kept.notes]
            if kept.typical_row is None:
                kept.typical_row = model.typical_row
            by_name = {c.name: i for i, c in enumerate(kept.cells)}
            for cell in model.cells:
                if cell.name not in by_name:
                    kept.cells.append(cell.model_copy(deep=True))
                elif kept.cells[by_name[cell.name]].status == PENDING and cell.status != PENDING:
                    kept.cells[by_name[cell.name]] = cell.model_copy(deep=True)
    fields = _run_fields(config, ())
    seen_runtimes = {r.name for r in fields["runtimes"]}
    for report in reports:
        for name, version in report.versions.items():
            if fields["versions"].get(name) is None:
                fields["versions"][name] = version
        for runtime in report.runtimes:
            if runtime.name not in seen_runtimes:
                fields["runtimes"].append(runtime)
                seen_runtimes.add(runtime.name)
    return Report(**fields, models=[findings.attach(m, blocking) for m in models.values()])


def _blocking(config) -> tuple[str, ...]:
    return tuple(getattr(config, "blocking_statuses", None) or DEFAULT_BLOCKING)


def _run_fields(config, checks) -> dict:
    """Everything of the report but its models."""
    tolerances = config.tolerances
    session = getattr(config, "session", None)
    return dict(
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        command=" ".join(sys.argv),
        seed=config.seed,
        max_examples=config.max_examples,
        min_examples=getattr(config, "min_examples", None),
        tolerances=Tolerances(
            atol=tolerances.default.atol, rtol=tolerances.default.rtol, nan_policy=tolerances.nan_policy,
            per_output={n: {"atol": t.atol, "rtol": t.rtol} for n, t in tolerances.per_output.items()}),
        session=Session(intra_op_threads=getattr(session, "intra_op_threads", None),
                        optimization=getattr(session, "optimization", None)),
        policy=Policy(source=_str(getattr(config, "policy_source", None)), blocking_statuses=list(_blocking(config))),
        versions=versions(getattr(config, "runtimes", None)),
        runtimes=runtimes(getattr(config, "runtimes", None), checks),
    )


# --- one model ------------------------------------------------------------------------------------------------
def model_report(check, blocking: Iterable[str] = DEFAULT_BLOCKING, converter_options: dict | None = None
                 ) -> ModelReport:
    """One ModelCheck (or ModelFailure), with its findings under ``blocking``. ``converter_options``: the run's,
    shown when the check does not say which it used."""
    model = getattr(check, "model", None)  # a ModelFailure has none
    registered = getattr(model, "registered", None) if model is not None else None
    cells = list(getattr(check, "cells", ()) or ())
    observed = _observed(check, cells)
    report = ModelReport(
        model_uri=check.uri,
        flavor=_str(getattr(model, "flavor", None)) if model is not None else None,
        serialization_format=_str(getattr(model, "serialization_format", None)) if model is not None else None,
        registered=Registered(name=str(registered[0]), version=str(registered[1])) if registered else None,
        error=getattr(check, "error", None) or None,
        reason_log=_str(getattr(check, "reason_log", None)) if getattr(check, "error", None) else None,
        notes=[str(n) for n in (getattr(check, "notes", None) or [])],
        converter_options=jsonable(getattr(check, "converter_options", converter_options) or {}),
        cells=[cell_report(cell, observed) for cell in cells],
    )
    if any(_wide(c) for c in report.cells):
        report.typical_row = typical_row(check)
    return findings.attach(report, blocking)


def _observed(check, cells) -> "pd.DataFrame | None":
    """The observed data (for in_observed_range), read only when some cell has a counterexample."""
    if not any(getattr(c.result, "counterexample", None) is not None for c in cells if c.result is not None):
        return None
    try:
        return check.observed
    except Exception:
        return None


def _wide(cell: CellReport) -> bool:
    batches = [cell.counterexample.inputs] if cell.counterexample else []
    batches += [w.inputs for w in cell.worst_inputs]
    return any(isinstance(b, list) and b and len(b[0]) > WIDE_COLUMNS for b in batches)


def typical_row(check) -> dict | None:
    """Per column, the value a column that does not matter takes in a minimal counterexample: what the search
    shrinks toward (missing for an optional column, else 0 within the column's range, False, the first category).
    The reports list the columns of a wide counterexample that differ from it first."""
    try:
        columns = check.columns
    except Exception:
        return None
    if not columns:
        return None
    row = {}
    for column in columns:
        kind = getattr(column, "type", None)
        if not getattr(column, "required", True):
            row[column.name] = None
        elif kind == "boolean":
            row[column.name] = False
        elif kind == "string":
            categories = getattr(column, "categories", None) or ()
            row[column.name] = categories[0] if categories else ""
        elif kind in ("double", "float", "long", "integer"):
            low, high = getattr(column, "low", None), getattr(column, "high", None)
            value = 0.0
            if low is not None and high is not None:
                value = min(max(0.0, float(low)), float(high))
            row[column.name] = int(value) if kind in ("long", "integer") else value
    return jsonable(row)


# --- one cell -------------------------------------------------------------------------------------------------
def cell_report(cell, observed: "pd.DataFrame | None" = None) -> CellReport:
    """One live cell (runtime x artifact) as its report entry."""
    from harness.batch import records
    from harness.compare import HISTOGRAM_EDGES

    artifact = cell.artifact
    result = cell.result
    stats = getattr(result, "stats", None) if result is not None else None
    example = getattr(result, "counterexample", None) if result is not None else None
    entry = {
        "name": cell.name,
        "runtime": cell.runtime,
        "format": artifact.format,
        "artifact": Artifact(format=artifact.format, path=_str(getattr(artifact, "path", None)),
                             uri=_str(getattr(artifact, "source_uri", None)), origin=artifact.origin,
                             exporter=getattr(artifact, "exporter", None),
                             options=jsonable(getattr(artifact, "options", None)) or None),
        "opset_requested": getattr(artifact, "opset_requested", None),
        "opset_actual": getattr(artifact, "opset_actual", None),
        "status": cell.status,
        "reason": cell.reason,
        "reason_log": _str(getattr(cell, "reason_log", None)),
        "attribution": Attribution(**jsonable(cell.attribution)) if getattr(cell, "attribution", None) else None,
        "replayed": getattr(result, "replayed", 0) if result is not None else 0,
        "first_divergence_at": getattr(result, "first_divergence_at", None) if result is not None else None,
        "corpus_file": _str(getattr(cell, "corpus_file", None)),
    }
    if stats is not None:
        entry.update(
            max_abs=stats.max_abs, max_rel=stats.max_rel, max_ulp=stats.max_ulp, mismatches=stats.mismatches,
            ties=stats.ties, examples=stats.examples, rows=stats.rows,
            error_histogram=Histogram(upper_edges=list(HISTOGRAM_EDGES), counts=list(stats.histogram)),
            worst_inputs=[WorstInput(max_abs=err, inputs=jsonable(records(batch))) for err, batch in stats.worst])
    if example is not None:
        entry["counterexample"] = Counterexample(
            inputs=jsonable(records(example.batch)),
            in_observed_range=observed_share(example.batch, observed),
            error=example.error,
            divergences=[Divergence(**jsonable(d.to_json())) for d in example.divergences],
            outputs=_bounded_outputs(jsonable(example.outputs)))
    return CellReport(**entry)


def _bounded_outputs(outputs: dict) -> dict:
    """A runtime that raised on the counterexample shows {"error": text}: bounded like every reason."""
    return {runtime: ({**values, "error": bound_text(values["error"])} if isinstance(values, dict)
                      and isinstance(values.get("error"), str) else values)
            for runtime, values in outputs.items()}


def observed_share(batch, observed) -> dict | None:
    """Per numeric column, the share of the counterexample's rows inside the observed data's [min, max]."""
    import pandas as pd

    if observed is None or not isinstance(batch, pd.DataFrame) or not isinstance(observed, pd.DataFrame):
        return None
    shares = {}
    for column in batch.columns:
        if column in observed and pd.api.types.is_numeric_dtype(observed[column]) and \
                pd.api.types.is_numeric_dtype(batch[column]):
            low, high = observed[column].min(), observed[column].max()
            values = batch[column].astype("float64")
            shares[str(column)] = float(((values >= low) & (values <= high)).mean())
    return shares


# --- the run's runtimes and versions ----------------------------------------------------------------------------
def _registry_runtimes() -> dict:
    try:
        from harness import registry

        return registry.runtimes()
    except Exception:
        return {}


def runtimes(names: Iterable[str] | None, checks: Iterable = ()) -> list[RuntimeInfo]:
    """The runtimes of the run (the registered ones named by the config, in the registry's order), then any runtime
    a cell names that the registry does not know (so no column of the matrix vanishes)."""
    names = list(names) if names is not None else None
    found: dict[str, RuntimeInfo] = {}
    for name, runtime in _registry_runtimes().items():
        if names is None or name in names:
            found[name] = RuntimeInfo(name=name, format=_str(getattr(runtime, "format", None)),
                                      in_jvm=bool(getattr(runtime, "in_jvm", False)), version=_version(runtime))
    for check in checks:
        for cell in getattr(check, "cells", ()) or ():
            if cell.runtime not in found:
                found[cell.runtime] = RuntimeInfo(name=cell.runtime, format=_str(cell.artifact.format))
    for name in names or ():
        found.setdefault(name, RuntimeInfo(name=name))
    return list(found.values())


def _version(runtime) -> str | None:
    try:
        return _str(runtime.version())
    except Exception:
        return None


@cache
def package_versions(packages: tuple[str, ...]) -> dict:
    found = {}
    for package in packages:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def versions(runtime_names: Iterable[str] | None = None) -> dict:
    """Python, the base packages, every flavor's packages, every runtime's own versions and Java's."""
    packages = list(BASE_PACKAGES)
    try:
        from harness import registry

        for flavor in registry.flavors().values():
            packages += [p for p in getattr(flavor, "python_packages", ()) if p not in packages]
    except Exception:
        pass
    found = {"python": platform.python_version(), **package_versions(tuple(packages))}
    names = list(runtime_names) if runtime_names is not None else None
    for name, runtime in _registry_runtimes().items():
        if names is None or name in names:
            try:
                found.update({str(k): _str(v) for k, v in runtime.versions().items()})
            except Exception:
                found.setdefault(name, None)
    found["java"] = java_version()
    return found


def java_version() -> str | None:
    """The JVM's version, when the harness has started one (never starts it)."""
    try:
        import jpype

        if not jpype.isJVMStarted():
            return None
        from harness.runtimes import jvm

        return jvm.java_version()
    except Exception:
        return None


def _str(value) -> str | None:
    return None if value is None else str(value)
