"""The promotion gate on the MLflow registry: publish the outcome, and move an alias only on a pass.

For a model named by the registry (``models:/NAME/VERSION`` or ``models:/NAME@ALIAS``), read off its report:
- log the JSON and HTML reports as artifacts (under ``equivalence/``) and per-cell metrics to the version's
  source run, so the reports travel with the version;
- tag the model version: ``equivalence.status`` (pass / fail), ``equivalence.worst_max_abs.<runtime>``,
  ``equivalence.failing`` (the reasons it fails), ``equivalence.report`` (the JSON report's artifact URI);
- with ``--promote-alias ALIAS``, point ALIAS at the tested version only when the model passes the policy
  (:meth:`harness.results.model.ModelReport.verdict`), never otherwise.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from harness.results.model import DEFAULT_BLOCKING, ModelReport, Report

TAG_PREFIX = "equivalence."
METRICS = ("max_abs", "max_rel", "max_ulp")


@dataclass
class GateOutcome:
    model_uri: str
    passed: bool
    reasons: list
    version: str | None = None
    promoted_alias: str | None = None
    note: str | None = None


def metric_key(*parts: str) -> str:
    return "/".join(re.sub(r"[^A-Za-z0-9_\-. /]+", "_", p).strip("_") for p in parts)


def tags(model: ModelReport, blocking) -> dict[str, str]:
    """The version tags (without the prefix) a model's report gives."""
    passed, reasons = model.verdict(blocking)
    found = {"status": "pass" if passed else "fail", "failing": "; ".join(reasons)[:4000] or "none"}
    for runtime in sorted({c.runtime for c in model.cells}):
        values = [c.max_abs for c in model.cells if c.runtime == runtime and c.max_abs is not None]
        if values:
            found[f"worst_max_abs.{runtime}"] = f"{max(values):.6g}"
    return found


def metrics(model: ModelReport) -> dict[str, float]:
    """Per-cell metrics: ``equivalence/<cell>/max_abs`` (and max_rel, max_ulp) of every cell that ran."""
    return {metric_key("equivalence", cell.name, key): float(getattr(cell, key))
            for cell in model.cells if cell.has_stats for key in METRICS if getattr(cell, key) is not None}


def publish(model, report_files: list, blocking_statuses=DEFAULT_BLOCKING,
            promote_alias: str | None = None) -> GateOutcome:
    """Publish one model's outcome to the registry (and promote it if it passes). ``model`` is its
    :class:`ModelReport` (a live ModelCheck is converted)."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    if not isinstance(model, ModelReport):
        from harness.results.build import model_report

        model = model_report(model, blocking_statuses)
    passed, reasons = model.verdict(blocking_statuses)
    outcome = GateOutcome(model.model_uri, passed, reasons)
    if model.registered is None:
        outcome.note = "not a registry model (models:/NAME/VERSION or models:/NAME@ALIAS): nothing tagged or promoted"
        return outcome
    name, version = model.registered.name, model.registered.version
    outcome.version = version
    client = MlflowClient()
    run_id = client.get_model_version(name, version).run_id
    if run_id:
        for path in report_files:
            client.log_artifact(run_id, str(path), artifact_path="equivalence")
        now = int(time.time() * 1000)
        logged = [Metric(key, value, now, 0) for key, value in metrics(model).items()]
        for start in range(0, len(logged), 900):
            client.log_batch(run_id, metrics=logged[start:start + 900])
    version_tags = tags(model, blocking_statuses)
    if run_id and report_files:
        version_tags["report"] = f"runs:/{run_id}/equivalence/{Path(report_files[0]).name}"
    for key, value in version_tags.items():
        client.set_model_version_tag(name, version, TAG_PREFIX + key, value)
    if promote_alias:
        if passed:
            client.set_registered_model_alias(name, promote_alias, version)
            outcome.promoted_alias = promote_alias
        else:
            outcome.note = f"alias '{promote_alias}' left where it was: the policy failed"
    return outcome


def publish_all(report: Report, report_files: list, promote_alias: str | None = None) -> list[GateOutcome]:
    """Every model of the report, under the report's own blocking statuses."""
    return [publish(model, report_files, report.blocking, promote_alias) for model in report.models]
