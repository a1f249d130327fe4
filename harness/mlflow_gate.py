"""The promotion gate on the MLflow registry: publish the outcome, and move an alias only on a pass.

For a model named by the registry (``models:/NAME/VERSION`` or ``models:/NAME@ALIAS``), the harness
- logs the JSON and HTML reports as artifacts (under ``equivalence/``) and per-cell metrics to the version's
  source run, so the reports travel with the version;
- tags the model version: ``equivalence.status`` (pass / fail), ``equivalence.worst_max_abs.<runtime>``,
  ``equivalence.failing`` (the blocking cells), ``equivalence.report`` (the JSON report's artifact URI);
- with ``--promote-alias ALIAS``, points ALIAS at the tested version only when the policy passes (every cell ran,
  none has a blocking status), and never otherwise.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from harness import policy

TAG_PREFIX = "equivalence."


@dataclass
class GateOutcome:
    model_uri: str
    passed: bool
    reasons: list
    version: str | None = None
    promoted_alias: str | None = None
    note: str | None = None


def _metric_key(*parts: str) -> str:
    return "/".join(re.sub(r"[^A-Za-z0-9_\-. /]+", "_", p).strip("_") for p in parts)


def publish(check, report_files: list[Path], blocking_statuses, promote_alias: str | None) -> GateOutcome:
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    passed, reasons = policy.verdict(check, blocking_statuses)
    registered = None if getattr(check, "error", None) else check.model.registered
    outcome = GateOutcome(check.uri, passed, reasons)
    if registered is None:
        outcome.note = "not a registry model (models:/NAME/VERSION or models:/NAME@ALIAS): nothing tagged or promoted"
        return outcome
    name, version = registered
    outcome.version = version
    client = MlflowClient()
    model_version = client.get_model_version(name, version)
    run_id = model_version.run_id
    if run_id:
        for path in report_files:
            client.log_artifact(run_id, str(path), artifact_path="equivalence")
        now = int(time.time() * 1000)
        metrics = []
        for cell in check.cells:
            stats = cell.result.stats if cell.result else None
            if stats:
                metrics += [Metric(_metric_key("equivalence", cell.name, key), float(value), now, 0)
                            for key, value in (("max_abs", stats.max_abs), ("max_rel", stats.max_rel),
                                               ("max_ulp", stats.max_ulp))]
        for start in range(0, len(metrics), 900):
            client.log_batch(run_id, metrics=metrics[start:start + 900])
    tags = {"status": "pass" if passed else "fail", "failing": "; ".join(reasons)[:4000] or "none"}
    for runtime in sorted({c.runtime for c in check.cells}):
        values = [c.result.stats.max_abs for c in check.cells if c.runtime == runtime and c.result]
        if values:
            tags[f"worst_max_abs.{runtime}"] = f"{max(values):.6g}"
    if run_id and report_files:
        tags["report"] = f"runs:/{run_id}/equivalence/{Path(report_files[0]).name}"
    for key, value in tags.items():
        client.set_model_version_tag(name, version, TAG_PREFIX + key, value)
    if promote_alias:
        if passed:
            client.set_registered_model_alias(name, promote_alias, version)
            outcome.promoted_alias = promote_alias
        else:
            outcome.note = f"alias '{promote_alias}' left where it was: the policy failed"
    return outcome
