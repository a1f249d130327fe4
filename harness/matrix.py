"""The matrix of one model: every cell (runtime x artifact), each checked against the shared reference.

``ModelCheck`` is what one ``--model-uri`` becomes. It is built at collection time from the MLmodel file alone
(cheap), and does the expensive work lazily, once, when the first cell runs: load the model, derive the input
strategy, export the artifacts, open sessions.
"""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from harness import export, inputs, outputs, sklearn_model, source
from harness.artifacts import ONNX, Artifact, supplied
from harness.attribution import attribute
from harness.config import RunConfig
from harness.runtimes import REFERENCE, RUNTIME_FORMATS, open_session
from harness.search import Reference, SearchResult, search

PASS, DIVERGED, EXPORT_FAILED, RUNTIME_ERROR, SKIPPED, PENDING = (
    "pass", "diverged", "export-failed", "runtime-error", "skipped", "pending")


@dataclass
class Cell:
    runtime: str
    artifact: Artifact
    status: str = PENDING
    reason: str | None = None
    result: SearchResult | None = None
    attribution: dict | None = None  # for a diverged cell: {"kind": conversion|jvm|format|unknown, "detail"}

    @property
    def name(self) -> str:
        return f"{self.runtime}[{self.artifact.label}]"


@dataclass
class ModelFailure:
    """A --model-uri that could not become a ModelCheck: the report keeps the reason."""

    uri: str
    error: str
    cells: tuple = ()


class ModelCheck:
    def __init__(self, uri: str, config: RunConfig):
        self.uri = uri
        self.config = config
        self.model = source.resolve(uri, config.tracking_uri)
        opsets = config.opsets or export.default_opsets(self.model.flavor)
        formats = {RUNTIME_FORMATS[r] for r in config.runtimes}
        if config.work_dir:
            self.work_dir = Path(config.work_dir) / re.sub(r"[^A-Za-z0-9_.@-]+", "_", uri).strip("_")
            self.work_dir.mkdir(parents=True, exist_ok=True)
        else:
            self.work_dir = Path(tempfile.mkdtemp(prefix="harness-"))
        self.artifacts = export.planned_artifacts(self.model, opsets, formats)
        self.artifacts += [supplied(uri, self.work_dir) for uri in config.artifacts]
        self.cells = [
            Cell(runtime, artifact)
            for artifact in self.artifacts
            for runtime in config.runtimes
            if RUNTIME_FORMATS[runtime] == artifact.format
        ]
        self._sessions: dict[str, object] = {}

    error = None  # a ModelCheck resolved; see ModelFailure

    # --- what every cell shares, computed once -------------------------------------------------------------
    @cached_property
    def columns(self) -> list[inputs.Column]:
        categories = sklearn_model.categories_by_column(self.model.native) if self.model.flavor == "sklearn" else {}
        return inputs.columns_from_signature(
            self.model.signature, model_uri=self.uri, categories=categories,
            example=self.model.input_example, value_range=self.config.value_range,
        )

    @cached_property
    def output_spec(self) -> outputs.OutputSpec:
        return outputs.OutputSpec.of(self.model)

    @cached_property
    def reference(self) -> Reference:
        return Reference(lambda batch: outputs.reference_outputs(self.model, self.output_spec, batch))

    @cached_property
    def strategy(self):
        return inputs.batches(self.columns)

    # --- one cell ------------------------------------------------------------------------------------------
    def run_cell(self, cell: Cell) -> Cell:
        """Export (if needed), open, search, and set the cell's status. Never raises for a cell's own failure."""
        columns = self.columns  # a signature error is the model's, and fails every cell with its message
        export.export(cell.artifact, self.model, columns, self.work_dir)
        if cell.artifact.error:
            cell.status, cell.reason = EXPORT_FAILED, cell.artifact.error
            return cell
        try:
            run = self.runner(cell)
        except Exception as error:
            cell.status, cell.reason = RUNTIME_ERROR, f"could not load {cell.artifact.path}: {_describe(error)}"
            return cell
        cell.result = search(run, self.reference, self.strategy, self.config.tolerances,
                             max_examples=self.config.max_examples, seed_value=self.config.seed)
        if cell.result.unsatisfiable:
            cell.status = SKIPPED
            cell.reason = f"the reference rejected every generated input ({cell.result.unsatisfiable})"
        elif cell.result.counterexample is not None:
            cell.status = DIVERGED
            cell.reason = cell.result.counterexample.error
            example = cell.result.counterexample
            example.outputs = self.outputs_of_every_runtime(example.batch)
            cell.attribution = attribute(cell, self.cells, example.outputs, self.config.tolerances)
        else:
            cell.status = PASS
        return cell

    def runner(self, cell: Cell):
        """The cell's batch -> named outputs function, opening its session on first use."""
        if cell.name not in self._sessions:
            self._sessions[cell.name] = open_session(cell.runtime, cell.artifact.path, self.config.session)
        session, spec = self._sessions[cell.name], self.output_spec

        def run(batch):
            raw = session.run(batch)
            if cell.artifact.format == ONNX:
                return outputs.from_onnx(spec, raw, len(batch))
            return outputs.from_pmml(spec, raw, len(batch))

        return run

    def outputs_of_every_runtime(self, batch) -> dict:
        """The reference's and every loadable cell's outputs on one batch: the evidence shown with a divergence."""
        shown = {REFERENCE: self.reference.outputs(batch)}
        for other in self.cells:
            if other.artifact.error or other.status in (EXPORT_FAILED, RUNTIME_ERROR):
                continue
            try:
                export.export(other.artifact, self.model, self.columns, self.work_dir)
                if other.artifact.error:
                    continue
                shown[other.name] = self.runner(other)(batch)
            except Exception as error:
                shown[other.name] = {"error": _describe(error)}
        return shown


def _describe(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip()
