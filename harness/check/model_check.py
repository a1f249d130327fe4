"""The matrix of one model: every cell (runtime x artifact), each checked against the shared reference.

``ModelCheck`` is what one ``--model-uri`` becomes. It is built at collection time from the MLmodel file alone
(cheap: ``harness.check.plan``), and does the expensive work lazily, once, when the first cell runs: load the
model, derive the input strategy, export the artifacts, open sessions (``harness.check.sessions``). A cell's
divergence is explained by ``harness.check.evidence``.
"""
from __future__ import annotations

import dataclasses
import tempfile
import time
from functools import cached_property
from pathlib import Path

from harness import batch as batches
from harness import inputs, reasons, registry, source, structure
from harness.artifacts import ONNX, supplied
from harness.check import evidence, plan
from harness.check.cells import Cell
from harness.statuses import DIVERGED, EXPORT_FAILED, INSUFFICIENT, PASS, RUNTIME_ERROR, SKIPPED
from harness.check.isolated import RuntimeFault
from harness.check.sessions import Sessions
from harness.config import RunConfig
from harness.results import corpus
from harness.runtimes import REFERENCE, RuntimeCannotTake, jvm
from harness.search import Reference, ReferenceRejected, search


class ReferenceUnavailable(Exception):
    """The reference (the PyFunc model) itself cannot be loaded: nothing can be compared."""


class ModelCheck:
    def __init__(self, uri: str, config: RunConfig):
        self.uri = uri
        self.config = config
        self.model = source.resolve(uri, config.tracking_uri)
        self.runtimes = {name: registry.runtime(name) for name in config.runtimes}
        formats = {runtime.format for runtime in self.runtimes.values()}
        if config.work_dir:
            self.work_dir = Path(config.work_dir) / corpus.slug(uri)
            self.work_dir.mkdir(parents=True, exist_ok=True)
        else:
            self.work_dir = Path(tempfile.mkdtemp(prefix="harness-"))
        self.artifacts = plan.planned_artifacts(self.model, config.opsets, formats, config.converter_options)
        self.artifacts += [supplied(uri, self.work_dir) for uri in config.artifacts]
        self.cells = [Cell(name, artifact) for artifact in self.artifacts
                      for name, runtime in self.runtimes.items() if runtime.format == artifact.format]
        self.sessions = Sessions(self.runtimes, config)
        self.notes: list[str] = []  # model-level remarks for the report (e.g. an exporter not planned, and why)
        self.notes += self.model.family.notes(self.model)

    error = None  # a ModelCheck resolved; see ModelFailure

    @property
    def converter_options(self) -> dict:
        return self.config.converter_options

    @property
    def reason_log(self) -> Path:
        """Where the full text of long reasons goes (the report names it)."""
        return self.work_dir / "reasons.log"

    # --- what every cell shares, computed once -------------------------------------------------------------
    @property
    def uses_tensors(self) -> bool:
        """A tensor signature, or a graph whose inputs stand in for a signature MLflow could not infer."""
        if inputs.usable_tensor_signature(self.model.signature):
            return True
        signature = self.model.signature
        unusable = signature is None or signature.inputs is None or not signature.inputs.has_input_names()
        return unusable and bool(self.graph_inputs)

    @cached_property
    def tensor_inputs(self) -> list[inputs.TensorInput]:
        return inputs.tensors_from_signature(self.model.signature, model_uri=self.uri,
                                             value_range=self.config.value_range, graph_inputs=self.graph_inputs)

    @cached_property
    def graph_inputs(self) -> dict | None:
        """The inputs an ONNX file logged with the model declares (element types, static sizes, dim_param names)."""
        logged = [a for a in self.model.family.logged_artifacts(self.model)
                  if a.path is not None and a.format == ONNX]
        return inputs.onnx_graph_inputs(logged[0].path) if logged else None

    def export_all(self) -> None:
        """Run every planned exporter once (a no-op for artifacts already made, failed or supplied)."""
        for artifact in self.artifacts:
            plan.export(artifact, self.model, self.export_inputs, self.work_dir, self.config.converter_options)

    @property
    def export_inputs(self):
        """What an exporter needs to know of the inputs: the tensors, or the columns."""
        return self.tensor_inputs if self.uses_tensors else self.columns

    @cached_property
    def hints(self):
        """What the flavor reads off the model: categories, split thresholds, a decision boundary."""
        signature = self.model.signature
        names = list(signature.inputs.input_names()) if not self.uses_tensors and signature is not None \
            and signature.inputs is not None and signature.inputs.has_input_names() else []
        return self.model.family.input_hints(self.model, [str(n) for n in names])

    @cached_property
    def columns(self) -> list[inputs.Column] | None:
        """The signature's columns (None for a tensor signature)."""
        if self.uses_tensors:
            return None
        if self.model.signature is not None:
            self.model.family.check_signature(self.model)
        return inputs.columns_from_signature(self.model.signature, model_uri=self.uri,
                                             categories=self.hints.categories if self.model.signature else {},
                                             example=self.model.input_example, value_range=self.config.value_range)

    @cached_property
    def output_spec(self):
        return self.model.family.output_spec(self.model)

    @cached_property
    def reference(self) -> Reference:
        try:
            self.model.family.load_reference(self.model)
        except Exception as error:
            raise ReferenceUnavailable(
                f"the reference itself cannot be loaded: mlflow.pyfunc.load_model failed with "
                f"{reasons.describe(error)}. Nothing was compared; fix the model (or its environment) first."
            ) from error
        family, spec = self.model.family, self.output_spec
        return Reference(lambda batch: family.reference_outputs(self.model, spec, batch))

    @cached_property
    def replay(self) -> list:
        """The corpus's counterexamples of this model, replayed before any new search."""
        if not self.config.corpus_dir:
            return []
        return corpus.load(self.config.corpus_dir, self.uri, self.columns,
                           self.tensor_inputs if self.uses_tensors else None)

    @cached_property
    def observed(self):
        """Real rows: --data, else the model's logged input example (None when there are neither)."""
        if self.uses_tensors:
            return None
        if self.config.data_path:
            return inputs.read_data(self.config.data_path, self.columns)
        return self.model.input_example

    def _accepts_infinity(self, names) -> bool:
        """One probe: does the reference take +inf in these float columns at once? (scikit-learn usually refuses.)"""
        base = {c.name: inputs.typical_value(c) for c in self.columns}
        base.update({name: float("inf") for name in names})
        try:
            self.reference.outputs(inputs.to_frame({k: [v] for k, v in base.items()}, self.columns))
        except ReferenceRejected:
            return False
        return True

    @cached_property
    def infinity_columns(self) -> set[str]:
        """The float columns where the reference takes +inf: one probe with every float column infinite; when the
        reference refuses it, one probe per column, except for a wide signature (more than WIDE_ROW columns), where
        a probe per column would cost hundreds of reference calls: there, none."""
        floats = [c.name for c in self.columns if c.type in ("double", "float")]
        if not floats or self._accepts_infinity(floats):
            return set(floats)
        if len(self.columns) > inputs.WIDE_ROW:
            return set()
        return {name for name in floats if self._accepts_infinity([name])}

    @cached_property
    def hunting_columns(self) -> list[inputs.Column]:
        """The signature's columns with what the model and its artifacts reveal: split thresholds (suspicious
        ones apart), and whether the reference takes infinities. Needs every artifact exported."""
        self.export_all()
        names = [c.name for c in self.columns]
        paths = [a.path for a in self.artifacts if a.path is not None and not a.error]
        interesting, suspicious = structure.interesting_values(self.hints.thresholds, names, paths)
        return [dataclasses.replace(c, interesting=tuple(interesting.get(c.name, ())),
                                    suspicious=tuple(suspicious.get(c.name, ())),
                                    infinities=c.name in self.infinity_columns) for c in self.columns]

    @cached_property
    def strategy(self):
        """The hunting strategy (harness.inputs): edges, thresholds, boundary rows and real rows."""
        if self.uses_tensors:
            self.export_all()  # before the search, as for columns: cells then share files made once
            return inputs.tensor_batches(self.tensor_inputs, hunt=self.config.hunt)
        names = [c.name for c in self.columns]
        rows = None
        if self.observed is not None:
            rows = self.observed[names].head(1000).astype(object).to_dict(orient="records")
        return inputs.batches(self.hunting_columns, hunt=self.config.hunt, data_rows=rows,
                              boundary=self.hints.boundary)

    @property
    def min_examples(self) -> int:
        """Fewer valid examples than this is ``insufficient``, not a pass."""
        return min(self.config.min_examples, self.config.max_examples)

    # --- one cell ------------------------------------------------------------------------------------------
    def run_cell(self, cell: Cell) -> Cell:
        """Export (if needed), open, search, and set the cell's status. Never raises for a cell's own failure."""
        try:
            self.columns
            if self.uses_tensors:
                self.tensor_inputs
            self.reference
        except (inputs.SignatureError, ReferenceUnavailable) as error:  # the model's problem: every cell says it
            cell.status, cell.reason = RUNTIME_ERROR, str(error)
            return cell
        plan.export(cell.artifact, self.model, self.export_inputs, self.work_dir, self.config.converter_options)
        if cell.artifact.error:
            cell.status = RUNTIME_ERROR if cell.artifact.origin == "supplied" else EXPORT_FAILED
            cell.reason, cell.reason_log = cell.artifact.error, cell.artifact.error_log
            return cell
        try:
            run = self.runner(cell)
        except RuntimeCannotTake as reason:
            cell.status, cell.reason = SKIPPED, str(reason)
            return cell
        except (Exception, RuntimeFault) as error:
            self._fail(cell, error, f"could not load {cell.artifact.path}")
            self._note_caveat(cell)
            return cell
        try:
            cell.result = search(self._within_timeout(run), self.reference, self.strategy, self.config.tolerances,
                                 max_examples=self.config.max_examples, seed_value=self.config.seed,
                                 replay=self.replay)
        except RuntimeFault as fault:
            cell.status, cell.reason = RUNTIME_ERROR, reasons.bound(f"{cell.runtime} failed: {fault}")
            return cell
        if cell.result.unsatisfiable:
            cell.status = RUNTIME_ERROR
            cell.reason = (f"the reference (pyfunc) rejected every input generated from the model's signature "
                           f"(first error: {reasons.bound(cell.result.unsatisfiable, 600)}). {self._input_advice()}")
        elif cell.result.counterexample is not None:
            cell.status = DIVERGED
            example = cell.result.counterexample
            cell.reason = reasons.bound(example.error)
            example.outputs = self.outputs_of_every_runtime(example.batch)
            cell.attribution = evidence.attribute(cell, self.cells, example.outputs, self.config.tolerances,
                                                  self.runtimes)
            cell.attribution.update(evidence.batch_size_dependence(self.runner(cell), example))
            if self.config.corpus_dir:
                cell.corpus_file = str(corpus.save(self.config.corpus_dir, self, cell))
        elif cell.result.stats.examples < self.min_examples:
            cell.status = INSUFFICIENT
            rejected = self.reference.rejected
            cell.reason = (
                f"only {cell.result.stats.examples} valid example(s) (at least {self.min_examples} needed): the "
                f"reference rejected {rejected} generated input(s)"
                + (f" (first: {reasons.bound(self.reference.first_rejection, 600)})" if rejected else "")
                + f". {self._input_advice()}")
        else:
            cell.status = PASS
        self._note_absent_outputs(cell)
        self._note_caveat(cell)
        return cell

    def _note_caveat(self, cell: Cell) -> None:
        """A known-bad pairing of the runtime's library and this file (``Runtime.caveat``, e.g. a Java reader older
        than the Python writer) goes into the cell's reason whatever its status, and into a divergence's
        attribution."""
        try:
            caveat = self.runtimes[cell.runtime].caveat(cell.artifact.path)
        except Exception:
            caveat = None
        if not caveat:
            return
        cell.reason = f"{cell.reason}; {caveat}" if cell.reason else caveat
        if cell.attribution is not None:
            cell.attribution["detail"] = "; ".join(filter(None, [cell.attribution.get("detail"), caveat]))
            cell.attribution["version_pair"] = caveat

    @staticmethod
    def _note_absent_outputs(cell: Cell) -> None:
        """Outputs of the model the artifact does not have (``not-in-artifact``) are a note on a passing cell; a cell
        that compared none of the model's outputs has checked nothing: an error, never a silent pass."""
        stats = cell.result.stats
        if not stats.absent or cell.status != PASS:
            return
        note = "; ".join(f"{name}: not in this artifact — {why}" for name, why in stats.absent.items())
        if not stats.compared:
            cell.status = RUNTIME_ERROR
            cell.reason = f"nothing was compared: none of the model's outputs is in this artifact. {note}"
        else:
            cell.reason = f"compared {', '.join(stats.compared)}; {note}"

    def _input_advice(self) -> str:
        if self.uses_tensors:
            return ("Generated tensors follow the signature's shapes and --value-range: narrow the range to what "
                    "the model accepts (e.g. --value-range 0,9 for indices), or log a signature whose shapes match "
                    "the model's inputs.")
        return ("Narrow the generated values with --value-range, give real rows with --data, or log the model with "
                "a signature that describes what it accepts: `signature=infer_signature(X, model.predict(X))` on "
                "the training frame X.")

    def _fail(self, cell: Cell, error: BaseException, what: str) -> None:
        cell.status = RUNTIME_ERROR
        cell.reason = f"{what}: {reasons.describe(error)}"
        cell.reason_log = str(reasons.log_full(self.reason_log, cell.name, error))

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

    def close(self) -> None:
        """Close every session of this model (called when its last cell is done, and at the end of the run)."""
        self.sessions.close()

    def runner(self, cell: Cell):
        """The cell's batch -> named outputs function, opening its session on first use."""
        session, spec, runtime = self.sessions.get(cell), self.output_spec, self.runtimes[cell.runtime]

        def run(batch):
            try:
                raw = session.run(batch)
            except Exception as error:
                if jvm.is_jvm_error(error):  # e.g. OutOfMemoryError in this process's JVM
                    raise RuntimeFault(reasons.one_line(error)) from None
                raise
            return runtime.named_outputs(spec, raw, batches.rows(batch))

        return run

    def outputs_of_every_runtime(self, batch) -> dict:
        """The reference's and every loadable cell's outputs on one batch: the evidence shown with a divergence."""
        shown = {REFERENCE: self.reference.outputs(batch)}
        for other in self.cells:
            if other.artifact.error or other.status in (EXPORT_FAILED, RUNTIME_ERROR, SKIPPED):
                continue
            try:
                plan.export(other.artifact, self.model, self.export_inputs, self.work_dir,
                            self.config.converter_options)
                if other.artifact.error:
                    continue
                shown[other.name] = self.runner(other)(batch)
            except RuntimeCannotTake:
                continue
            except (Exception, RuntimeFault) as error:
                shown[other.name] = {"error": reasons.describe(error, 600)}
        return shown
