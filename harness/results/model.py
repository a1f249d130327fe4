"""The report model: the run, each model, each cell, each counterexample and each finding, as pydantic models.

Every consumer reads this one model: the JSON file (``harness.results.io``), the HTML and Markdown reports, the
JUnit properties and the terminal summary (``harness.results.terminal``), the MLflow gate and the corpus. The
verdict and the blocking rule live here and nowhere else: :func:`verdict`, :meth:`ModelReport.verdict`,
:meth:`Report.passed`.

``python -m harness schema`` prints the JSON Schema of :class:`Report`.
"""
from __future__ import annotations

import math
from typing import Annotated, Any, Iterable, Literal, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Discriminator, Field,
                      PlainSerializer, Tag, WithJsonSchema, model_validator)

from harness.statuses import DEFAULT_BLOCKING, PENDING, STATUSES  # noqa: E402

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)

Status = Literal[STATUSES]

MAX_TEXT = 4096  # bytes (UTF-8) of any reason or error text kept in the report


# --- bounded text ---------------------------------------------------------------------------------------------
def bound_text(text: str | None, log: str | None = None, limit: int = MAX_TEXT) -> str | None:
    """At most ``limit`` bytes: the first lines (the root cause comes first), then
    ``… (N more characters; full text in LOG)``. Text within the limit is returned unchanged."""
    if text is None:
        return None
    text = str(text)
    if len(text.encode("utf-8")) <= limit:
        return text
    where = f"; full text in {log}" if log else ""
    # the marker's size, with the largest N it can say
    budget = limit - len(f"\n… ({len(text)} more characters{where})".encode("utf-8"))
    kept, used = [], 0
    for line in text.splitlines(keepends=True):
        size = len(line.encode("utf-8"))
        if used + size > budget:  # the line that does not fit: its beginning
            kept.append(line.encode("utf-8")[:max(budget - used, 0)].decode("utf-8", errors="ignore"))
            break
        kept.append(line)
        used += size
    head = "".join(kept).rstrip("\n")
    return f"{head}\n… ({len(text) - len(head)} more characters{where})"


Text = Annotated[str, AfterValidator(bound_text)]


# --- numbers: non-finite ones are the strings "nan", "inf", "-inf" in JSON -------------------------------------
_NON_FINITE = {"nan": math.nan, "+nan": math.nan, "-nan": math.nan, "inf": math.inf, "+inf": math.inf,
               "-inf": -math.inf, "infinity": math.inf, "+infinity": math.inf, "-infinity": -math.inf}


def _number_in(value):
    if isinstance(value, str) and value.strip().lower() in _NON_FINITE:
        return _NON_FINITE[value.strip().lower()]
    if hasattr(value, "item") and not isinstance(value, (int, float)):  # numpy scalars, 0-d arrays
        return value.item()
    return value


def _number_out(value: float):
    return value if math.isfinite(value) else str(value)


Number = Annotated[float, BeforeValidator(_number_in),
                   PlainSerializer(_number_out, return_type=Any, when_used="json"),
                   WithJsonSchema({"anyOf": [{"type": "number"}, {"enum": ["nan", "inf", "-inf"]}]})]
Count = Annotated[int, BeforeValidator(_number_in)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


# --- inputs ---------------------------------------------------------------------------------------------------
class Tensor(_Model):
    """One named input tensor of a tensor-signature batch."""

    dtype: str
    shape: list[Count]
    values: Any = Field(description="nested lists in the tensor's shape; non-finite numbers as strings")


Rows = Annotated[list[dict[str, Any]], Tag("rows")]
Tensors = Annotated[dict[str, Tensor], Tag("tensors")]
Inputs = Annotated[Union[Rows, Tensors], Discriminator(lambda v: "rows" if isinstance(v, list) else "tensors"),
                   Field(description="a column signature's batch: one record per row ({column: value}, null = "
                                     "missing); a tensor signature's: {name: {dtype, shape, values}}")]


# --- one cell -------------------------------------------------------------------------------------------------
class Artifact(_Model):
    format: str = Field(description="the artifact format, e.g. onnx or pmml")
    path: str | None = None
    uri: str | None = Field(None, description="as given to --artifact")
    origin: str = Field(description="exported (by the harness), logged (with the model) or supplied (--artifact)")
    exporter: str | None = Field(None, description="e.g. 'skl2onnx 1.20.0'; null unless exported")
    options: dict[str, Any] | None = Field(None, description="the converter options it was exported with")


class Histogram(_Model):
    upper_edges: list[Number]
    counts: list[Count] = Field(description="examples whose largest absolute error is <= that edge (and > the "
                                            "previous one)")


class WorstInput(_Model):
    max_abs: Number
    inputs: Inputs


class Divergence(_Model):
    """One output's divergence on the counterexample."""

    output: str
    kind: str = Field(description="numeric, label, missing or shape")
    elements: Count = 0
    mismatches: Count = 0
    max_abs: Number | None = None
    max_rel: Number | None = None
    max_ulp: Count | None = None
    ties: Count = 0
    worst_row: Count | None = None
    worst_index: list[Count] | None = None
    mean_abs: Number | None = None
    p99_abs: Number | None = None
    detail: Text | None = None


class Counterexample(_Model):
    inputs: Inputs
    in_observed_range: dict[str, Number] | None = Field(
        None, description="per column, the share of rows inside the observed data's [min, max]")
    error: Text | None = Field(None, description="the runtime's exception, if it raised where the reference did not")
    divergences: list[Divergence] = []
    outputs: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="every runtime's outputs on this input: the reference's ('pyfunc') and each "
                                          "cell's, {output: values} (or {error: text})")


class Attribution(BaseModel):
    """Why a cell diverged, read off every runtime's outputs on the counterexample."""

    model_config = ConfigDict(extra="allow")
    kind: str = Field(description="conversion, jvm, format or unknown")
    detail: Text = ""
    batch_size_dependent: bool | None = None
    batch_detail: Text | None = None


class CellReport(_Model):
    """One runtime on one artifact (a test item)."""

    name: str
    runtime: str
    format: str
    artifact: Artifact
    opset_requested: Count | None = None
    opset_actual: Count | None = None
    status: Status
    reason: Text | None = None
    reason_log: str | None = Field(None, description="where the full text of a long reason is")
    max_abs: Number | None = None
    max_rel: Number | None = None
    max_ulp: Count | None = None
    mismatches: Count | None = None
    ties: Count | None = None
    examples: Count = 0
    rows: Count = 0
    error_histogram: Histogram | None = None
    worst_inputs: list[WorstInput] = []
    attribution: Attribution | None = None
    replayed: Count = Field(0, description="corpus examples run before the search")
    first_divergence_at: Count | None = Field(None, description="examples run when the first divergence was seen")
    corpus_file: str | None = None
    counterexample: Counterexample | None = None
    finding: str | None = Field(None, description="the id of the finding this cell belongs to")

    @model_validator(mode="before")
    @classmethod
    def _bound_reason(cls, data):
        if isinstance(data, dict) and isinstance(data.get("reason"), str):
            data = {**data, "reason": bound_text(data["reason"], data.get("reason_log"))}
        return data

    @property
    def has_stats(self) -> bool:
        return self.max_abs is not None

    def blocks(self, blocking: Iterable[str]) -> bool:
        """Does this cell's status fail the run under these blocking statuses?"""
        return blocks(self.status, blocking)


# --- findings -------------------------------------------------------------------------------------------------
class Finding(_Model):
    """Failing cells with the same minimal input and the same attribution (or, without a counterexample, the same
    status and reason): one problem, shown once."""

    id: str = Field(description="e.g. F1; unique within its model")
    summary: Text = Field(description="e.g. 'the ONNX file computes something else: 4 cells, opsets 13–17, both "
                                      "ONNX runtimes'")
    kind: str = Field(description="the attribution kind, or the status of cells without a counterexample")
    status: Status
    cells: list[str]
    runtimes: list[str] = []
    formats: list[str] = []
    opsets: list[Count] = []
    artifacts: list[str] = Field(default_factory=list, description="the artifacts (exporter or file) covered")
    attribution: Attribution | None = None
    reason: Text | None = None
    counterexample: Counterexample | None = Field(None, description="the shared minimal input, with every "
                                                                    "runtime's outputs on it (from the first cell)")


# --- one model ------------------------------------------------------------------------------------------------
class Registered(_Model):
    name: str
    version: str


class ModelReport(_Model):
    model_uri: str
    flavor: str | None = None
    serialization_format: str | None = None
    registered: Registered | None = Field(None, description="the registry model version the URI names")
    error: Text | None = Field(None, description="null, or why the model could not be checked")
    reason_log: str | None = None
    notes: list[Text] = []
    converter_options: dict[str, Any] = {}
    typical_row: dict[str, Any] | None = Field(
        None, description="per column, the value a column that does not matter takes in a minimal counterexample; "
                          "the reports show the columns that differ from it first")
    cells: list[CellReport] = []
    findings: list[Finding] = []

    @model_validator(mode="before")
    @classmethod
    def _bound_error(cls, data):
        if isinstance(data, dict) and isinstance(data.get("error"), str):
            data = {**data, "error": bound_text(data["error"], data.get("reason_log"))}
        return data

    def verdict(self, blocking: Iterable[str]) -> tuple[bool, list[str]]:
        """Does this model pass the policy? (passed, the reasons it does not)."""
        return verdict(self.error, [(c.name, c.status) for c in self.cells], blocking)

    def blocking_cells(self, blocking: Iterable[str]) -> list[CellReport]:
        return [c for c in self.cells if c.blocks(blocking)]

    def finding(self, finding_id: str | None) -> Finding | None:
        return next((f for f in self.findings if f.id == finding_id), None)


# --- the run --------------------------------------------------------------------------------------------------
class Tolerance(_Model):
    atol: Number
    rtol: Number


class Tolerances(_Model):
    atol: Number
    rtol: Number
    nan_policy: str
    per_output: dict[str, Tolerance] = {}


class Session(BaseModel):
    model_config = ConfigDict(extra="allow")
    intra_op_threads: Count | None = None
    optimization: str | None = None


class Policy(_Model):
    source: str | None = Field(None, description="the file the policy came from; null: defaults")
    blocking_statuses: list[Status] = list(DEFAULT_BLOCKING)


class RuntimeInfo(_Model):
    name: str
    format: str | None = Field(None, description="the artifact format it runs")
    in_jvm: bool | None = Field(None, description="runs inside the JVM; null when unknown (version-1 reports)")
    version: str | None = None


class Report(_Model):
    """One run of the harness: its settings, the runtimes, the versions, and every model's cells."""

    schema_version: Literal[2] = SCHEMA_VERSION
    created: str = Field(description="ISO-8601")
    command: str = ""
    seed: Count | None = None
    max_examples: Count | None = None
    min_examples: Count | None = Field(None, description="fewer valid examples than this is 'insufficient'")
    tolerances: Tolerances
    session: Session = Session()
    policy: Policy = Policy()
    versions: dict[str, str | None] = {}
    runtimes: list[RuntimeInfo] = Field(default_factory=list,
                                        description="the runtimes of the run (the HTML matrix's columns)")
    models: list[ModelReport] = []

    @property
    def blocking(self) -> tuple[str, ...]:
        return tuple(self.policy.blocking_statuses)

    def verdicts(self) -> list[tuple[ModelReport, bool, list[str]]]:
        return [(m, *m.verdict(self.blocking)) for m in self.models]

    @property
    def passed(self) -> bool:
        """Every model passes the policy (and there is at least one)."""
        return bool(self.models) and all(m.verdict(self.blocking)[0] for m in self.models)

    def cells(self) -> list[CellReport]:
        return [c for m in self.models for c in m.cells]

    def runtime(self, name: str) -> RuntimeInfo | None:
        return next((r for r in self.runtimes if r.name == name), None)


# --- the verdict and the blocking rule (the one place) ----------------------------------------------------------
def blocks(status: str, blocking: Iterable[str]) -> bool:
    """A cell fails the run when the policy lists its status as blocking."""
    return status in tuple(blocking)


def verdict(error: str | None, cells: Iterable[tuple[str, str]], blocking: Iterable[str]) -> tuple[bool, list[str]]:
    """A model passes when it had no model-level error, has cells, none pending and none with a blocking status.
    ``cells`` are (name, status) pairs. Returns (passed, the reasons it does not)."""
    blocking = tuple(blocking)
    if error:
        return False, [f"model could not be checked: {error}"]
    cells = list(cells)
    reasons = [f"{name}: {status}" for name, status in cells if blocks(status, blocking) or status == PENDING]
    if not cells:
        reasons.append("no cell was checked")
    return not reasons, reasons
