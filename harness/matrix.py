"""The matrix of one model: every cell (runtime x artifact), each checked against the shared reference.

``ModelCheck`` is what one ``--model-uri`` becomes. It is built at collection time from the MLmodel file alone
(cheap), and does the expensive work lazily, once, when the first cell runs: load the model, derive the input
strategy, export the artifacts, open sessions.
"""
from __future__ import annotations

import dataclasses
import tempfile
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from harness import batch as batches
from harness import corpus, export, inputs, outputs, sklearn_model, source, structure
from harness.artifacts import ONNX, Artifact, supplied
from harness.attribution import attribute
from harness.config import RunConfig
from harness.runtimes import REFERENCE, RUNTIME_FORMATS, RuntimeCannotTake, jvm, open_session
from harness.runtimes.isolated import JvmWorker, RuntimeFault
from harness.search import Reference, ReferenceRejected, SearchResult, search

JVM_RUNTIMES = ("ort-java", "jpmml")
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
    corpus_file: str | None = None  # where its counterexample was saved

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
            self.work_dir = Path(config.work_dir) / corpus.slug(uri)
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
        self._worker: JvmWorker | None = None

    error = None  # a ModelCheck resolved; see ModelFailure

    # --- what every cell shares, computed once -------------------------------------------------------------
    @property
    def uses_tensors(self) -> bool:
        signature = self.model.signature
        return bool(signature is not None and signature.inputs is not None and signature.inputs.is_tensor_spec())

    @cached_property
    def tensor_inputs(self) -> list[inputs.TensorInput]:
        return inputs.tensors_from_signature(self.model.signature, model_uri=self.uri,
                                             value_range=self.config.value_range)

    def export_all(self) -> None:
        """Run every planned exporter once (a no-op for artifacts already made, failed or supplied)."""
        for artifact in self.artifacts:
            export.export(artifact, self.model, self.export_inputs, self.work_dir)

    @property
    def export_inputs(self):
        """What an exporter needs to know of the inputs: the tensors, or the columns."""
        return self.tensor_inputs if self.uses_tensors else self.columns

    @cached_property
    def columns(self) -> list[inputs.Column] | None:
        """The signature's columns (None for a tensor signature)."""
        if self.uses_tensors:
            return None
        categories = {}
        if self.model.flavor == "sklearn":
            sklearn_model.check_signature(self.model.native, self.model.signature, self.uri)
            categories = sklearn_model.categories_by_column(self.model.native)
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
    def replay(self) -> list:
        """The corpus's counterexamples of this model, replayed before any new search."""
        if not self.config.corpus_dir:
            return []
        return corpus.load(self.config.corpus_dir, self.uri, self.columns, self.tensor_inputs if self.uses_tensors
                           else None)

    def batch_size_dependence(self, cell: Cell, example) -> dict:
        """Does the divergence depend on the batch? Each row of the counterexample run alone vs in its batch."""
        count = batches.rows(example.batch)
        if example.error or count < 2:
            return {}
        run = self.runner(cell)
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

    @cached_property
    def observed(self):
        """Real rows: --data, else the model's logged input example (None when there are neither)."""
        if self.uses_tensors:
            return None
        if self.config.data_path:
            return inputs.read_data(self.config.data_path, self.columns)
        return self.model.input_example

    def _accepts_infinity(self, column) -> bool:
        """One probe per float column: does the reference take +inf there? (scikit-learn usually refuses.)"""
        if column.type not in ("double", "float"):
            return False
        base = {c.name: inputs.typical_value(c) for c in self.columns}
        base[column.name] = float("inf")
        try:
            self.reference.outputs(inputs.to_frame({k: [v] for k, v in base.items()}, self.columns))
        except ReferenceRejected:
            return False
        return True

    @cached_property
    def hunting_columns(self) -> list[inputs.Column]:
        """The signature's columns with what the model and its artifacts reveal: split thresholds (suspicious
        ones apart), and whether the reference takes infinities. Needs every artifact exported."""
        self.export_all()
        names = [c.name for c in self.columns]
        paths = [a.path for a in self.artifacts if a.path is not None and not a.error]
        interesting, suspicious = structure.interesting_values(self.model, names, paths)
        return [dataclasses.replace(c, interesting=tuple(interesting.get(c.name, ())),
                                    suspicious=tuple(suspicious.get(c.name, ())),
                                    infinities=self._accepts_infinity(c)) for c in self.columns]

    @cached_property
    def strategy(self):
        """The hunting strategy (harness.inputs): edges, thresholds, boundary rows and real rows."""
        if self.uses_tensors:
            self.export_all()  # before the search, as for columns: cells then share files made once
            return inputs.tensor_batches(self.tensor_inputs, hunt=self.config.hunt)
        names = [c.name for c in self.columns]
        boundary = structure.linear_boundary(self.model.native, names) if self.model.flavor == "sklearn" else None
        rows = None
        if self.observed is not None:
            rows = self.observed[names].head(1000).astype(object).to_dict(orient="records")
        return inputs.batches(self.hunting_columns, hunt=self.config.hunt, data_rows=rows, boundary=boundary)

    # --- one cell ------------------------------------------------------------------------------------------
    def run_cell(self, cell: Cell) -> Cell:
        """Export (if needed), open, search, and set the cell's status. Never raises for a cell's own failure."""
        try:
            columns = self.columns
            if self.uses_tensors:
                self.tensor_inputs
        except inputs.SignatureError as error:  # the model's own problem: every cell reports it
            cell.status, cell.reason = RUNTIME_ERROR, str(error)
            return cell
        export.export(cell.artifact, self.model, self.export_inputs, self.work_dir)
        if cell.artifact.error:
            failed = RUNTIME_ERROR if cell.artifact.origin == "supplied" else EXPORT_FAILED
            cell.status, cell.reason = failed, cell.artifact.error
            return cell
        try:
            run = self.runner(cell)
        except RuntimeCannotTake as reason:
            cell.status, cell.reason = SKIPPED, str(reason)
            return cell
        except (Exception, RuntimeFault) as error:
            cell.status, cell.reason = RUNTIME_ERROR, f"could not load {cell.artifact.path}: {_describe(error)}"
            return cell
        try:
            cell.result = search(self._within_timeout(run), self.reference, self.strategy, self.config.tolerances,
                                 max_examples=self.config.max_examples, seed_value=self.config.seed,
                                 replay=self.replay)
        except RuntimeFault as fault:
            cell.status, cell.reason = RUNTIME_ERROR, f"{cell.runtime} failed: {fault}"
            return cell
        if cell.result.unsatisfiable:
            cell.status = RUNTIME_ERROR
            cell.reason = (
                f"the reference (pyfunc) rejected every input generated from the model's signature (first error: "
                f"{cell.result.unsatisfiable}). The signature does not describe what the model accepts: log it "
                "again with `signature=infer_signature(X, model.predict(X))` on the training frame X.")
        elif cell.result.counterexample is not None:
            cell.status = DIVERGED
            cell.reason = cell.result.counterexample.error
            example = cell.result.counterexample
            example.outputs = self.outputs_of_every_runtime(example.batch)
            cell.attribution = attribute(cell, self.cells, example.outputs, self.config.tolerances)
            cell.attribution.update(self.batch_size_dependence(cell, example))
            if self.config.corpus_dir:
                cell.corpus_file = str(corpus.save(self.config.corpus_dir, self, cell))
        else:
            cell.status = PASS
        return cell

    def _within_timeout(self, run):
        """Enforce --cell-timeout over the whole cell: checked after each call (an isolated call is also killed
        when it alone overruns; an in-process call cannot be interrupted)."""
        timeout = self.config.cell_timeout
        if not timeout:
            return run
        deadline = time.monotonic() + timeout

        def bounded(batch):
            outputs = run(batch)
            if time.monotonic() > deadline:
                raise RuntimeFault(f"the cell ran longer than --cell-timeout {timeout:g} s")
            return outputs

        return bounded

    def open_session(self, cell: Cell):
        if self.config.isolate_jvm and cell.runtime in JVM_RUNTIMES:
            if self._worker is None:
                self._worker = JvmWorker(self.config.jvm_options, self.config.cell_timeout)
            return self._worker.session(cell.name, cell.runtime, cell.artifact.path, self.config.session)
        return open_session(cell.runtime, cell.artifact.path, self.config.session)

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()

    def runner(self, cell: Cell):
        """The cell's batch -> named outputs function, opening its session on first use."""
        if cell.name not in self._sessions:
            self._sessions[cell.name] = self.open_session(cell)
        session, spec = self._sessions[cell.name], self.output_spec

        def run(batch):
            try:
                raw = session.run(batch)
            except Exception as error:
                if jvm.is_jvm_error(error):  # e.g. OutOfMemoryError in this process's JVM
                    raise RuntimeFault(f"{type(error).__name__}: {error}") from None
                raise
            if cell.artifact.format == ONNX:
                return outputs.from_onnx(spec, raw, batches.rows(batch))
            return outputs.from_pmml(spec, raw, batches.rows(batch))

        return run

    def outputs_of_every_runtime(self, batch) -> dict:
        """The reference's and every loadable cell's outputs on one batch: the evidence shown with a divergence."""
        shown = {REFERENCE: self.reference.outputs(batch)}
        for other in self.cells:
            if other.artifact.error or other.status in (EXPORT_FAILED, RUNTIME_ERROR):
                continue
            try:
                export.export(other.artifact, self.model, self.export_inputs, self.work_dir)
                if other.artifact.error:
                    continue
                shown[other.name] = self.runner(other)(batch)
            except (Exception, RuntimeFault) as error:
                shown[other.name] = {"error": _describe(error)}
        return shown


def _describe(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip()
