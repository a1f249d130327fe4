"""Divergence between the reference's outputs and one runtime's, per output.

Numeric outputs: an element mismatches when it is outside both tolerances, as in Polygraphy:
``abs > atol and rel > rtol`` with ``abs = |actual - reference|`` and ``rel = abs / |reference|``.
Defaults atol = rtol = 1e-5 (Polygraphy's). NaN policy ``equal`` (default): NaN where the reference has NaN
agrees, NaN anywhere else mismatches; ``fail``: every NaN in the runtime's output mismatches.
ULP distance is counted in the runtime's precision (float32 outputs in float32 steps). The reported ``max_rel``
leaves out elements whose reference is smaller than atol, where relative error means nothing.

Labels must be equal, except on a *tie*: the reference's two highest probabilities (or decision-function
scores; a binary decision function or an outlier score within tolerance of 0; a clusterer's two nearest centres'
distances) are within tolerance of each other, so either label is right. Ties are counted, never failures.

An output the runtime's artifact does not have at all (its mapping in ``harness.outputs`` says so, e.g. a PMML
file without probability fields) is ``not-in-artifact``: reported as a note, never a mismatch.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DEFAULT_ATOL = 1e-5
DEFAULT_RTOL = 1e-5
NAN_POLICIES = ("equal", "fail")
NOT_IN_ARTIFACT = "not-in-artifact"
_TINY = np.finfo(np.float64).tiny


@dataclass(frozen=True)
class Tolerance:
    atol: float = DEFAULT_ATOL
    rtol: float = DEFAULT_RTOL

    def close(self, abs_diff, reference):
        rel = abs_diff / np.maximum(np.abs(reference), _TINY)
        return (abs_diff <= self.atol) | (rel <= self.rtol)


@dataclass(frozen=True)
class Tolerances:
    default: Tolerance = Tolerance()
    per_output: dict = field(default_factory=dict)  # output name -> Tolerance
    nan_policy: str = "equal"

    def of(self, output: str) -> Tolerance:
        return self.per_output.get(output, self.default)


@dataclass
class OutputDivergence:
    output: str
    kind: str  # "numeric", "label", "missing" (the runtime lacks the output), "shape", NOT_IN_ARTIFACT
    elements: int = 0
    mismatches: int = 0
    max_abs: float = 0.0
    max_rel: float = 0.0
    max_ulp: int | None = None
    ties: int = 0
    worst_row: int | None = None
    worst_index: tuple | None = None  # where the largest absolute error is, in the output's own shape
    mean_abs: float | None = None
    p99_abs: float | None = None  # the 99th percentile of the absolute errors
    detail: str | None = None

    @property
    def diverged(self) -> bool:
        return self.mismatches > 0

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def compare(reference: dict, actual: dict, tolerances: Tolerances) -> list[OutputDivergence]:
    """One divergence record per reference output."""
    results = []
    probabilities = label_scores(reference)
    absent = getattr(actual, "absent", None) or {}
    for name, expected in reference.items():
        expected = np.asarray(expected)
        if name not in actual and name in absent:
            results.append(OutputDivergence(name, NOT_IN_ARTIFACT, expected.size, 0, detail=absent[name]))
        elif name not in actual:
            results.append(OutputDivergence(name, "missing", expected.size, expected.size,
                                            detail=f"the runtime has no output '{name}'"))
        elif name == "label" or expected.dtype.kind in "OUSb" or np.asarray(actual[name]).dtype.kind in "OUS":
            results.append(compare_labels(name, expected, np.asarray(actual[name]), probabilities, tolerances.of(name)))
        else:
            results.append(compare_numeric(name, expected, np.asarray(actual[name]), tolerances.of(name),
                                           tolerances.nan_policy))
    return results


def label_scores(reference: dict) -> np.ndarray | None:
    """Per row, scores whose two highest say how close the reference's label was to another: the probabilities;
    else the decision function (a binary or outlier one, df, as the two scores -df and df); else a clusterer's
    negated distances."""
    if reference.get("probabilities") is not None:
        return np.asarray(reference["probabilities"], dtype=np.float64)
    if reference.get("decision_function") is not None:
        scores = np.asarray(reference["decision_function"], dtype=np.float64)
        return np.column_stack([-scores, scores]) if scores.ndim == 1 else scores.reshape(len(scores), -1)
    if reference.get("distances") is not None:
        return -np.asarray(reference["distances"], dtype=np.float64)
    return None


def compare_numeric(name, expected, actual, tolerance: Tolerance, nan_policy="equal") -> OutputDivergence:
    if expected.shape != actual.shape:
        # [N] and [N, 1] are the same values; [2, 3] and [3, 2] are not
        if np.squeeze(expected).shape != np.squeeze(actual).shape:
            return OutputDivergence(name, "shape", expected.size, expected.size,
                                    detail=f"shape {actual.shape}, reference {expected.shape}")
        actual = actual.reshape(expected.shape)
    ref = expected.astype(np.float64)
    act = actual.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        abs_diff = np.abs(act - ref)
        both_nan = np.isnan(ref) & np.isnan(act)
        same_inf = np.isinf(ref) & (ref == act)
        abs_diff = np.where(same_inf | (both_nan & (nan_policy == "equal")), 0.0, abs_diff)
        abs_diff = np.where(np.isnan(abs_diff), np.inf, abs_diff)  # NaN against anything else
        rel_diff = abs_diff / np.maximum(np.abs(np.nan_to_num(ref)), _TINY)
        rel_diff = np.where(abs_diff == 0, 0.0, rel_diff)
        # Reported max_rel: only where the reference is at least atol in magnitude. Near zero a relative error
        # is noise (1e-45 against 0 is "1e262 times"); those elements are judged by atol, as the rule says.
        meaningful_rel = np.where(np.abs(np.nan_to_num(ref)) >= max(tolerance.atol, _TINY), rel_diff, 0.0)
        bad = ~tolerance.close(abs_diff, np.nan_to_num(ref))
    if nan_policy == "fail":
        bad |= np.isnan(act)
    ulps = ulp_distance(actual, expected)
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(abs_diff)), abs_diff.shape)) if abs_diff.size else None
    finite = abs_diff[np.isfinite(abs_diff)]
    return OutputDivergence(
        name, "numeric", int(expected.size), int(bad.sum()),
        max_abs=float(abs_diff.max(initial=0.0)), max_rel=float(meaningful_rel.max(initial=0.0)),
        max_ulp=int(ulps.max(initial=0)),
        worst_row=worst[0] if worst else None, worst_index=worst,
        mean_abs=float(finite.mean()) if finite.size else None,
        p99_abs=float(np.percentile(finite, 99)) if finite.size else None,
    )


def ulp_distance(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """How many representable numbers apart, in the actual output's precision (float32 or float64; for
    integers, every integer is a step)."""
    if actual.dtype.kind in "iub" and expected.dtype.kind in "iubf":
        with np.errstate(invalid="ignore"):
            steps = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
        return np.nan_to_num(steps, nan=0.0, posinf=0.0).astype(np.int64)
    dtype = np.float32 if actual.dtype == np.float32 else np.float64
    a = _ordered_ints(actual.astype(dtype))
    b = _ordered_ints(expected.astype(dtype))
    distance = np.abs(a.astype(np.float64) - b.astype(np.float64))  # exact below 2**53 steps, ample for a max
    nan = np.isnan(actual.astype(np.float64)) | np.isnan(expected.astype(np.float64))
    return np.where(nan, 0, np.minimum(distance, np.iinfo(np.int64).max // 2)).astype(np.int64)


def _ordered_ints(values: np.ndarray) -> np.ndarray:
    """Map floats to integers that are consecutive for consecutive floats (and -0 == +0)."""
    ints = values.view(np.int32 if values.dtype == np.float32 else np.int64).astype(np.int64)
    if values.dtype == np.float32:
        return np.where(ints < 0, np.int64(-(2**31)) - ints, ints)
    return np.where(ints < 0, np.iinfo(np.int64).min - ints, ints)


def compare_labels(name, expected, actual, probabilities, tolerance: Tolerance) -> OutputDivergence:
    expected, actual = normalize_labels(expected), normalize_labels(actual.reshape(expected.shape))
    differ = expected != actual
    ties = np.zeros_like(differ)
    if probabilities is not None and differ.any():
        top = np.sort(np.asarray(probabilities, dtype=np.float64), axis=1)[:, ::-1]
        gap = top[:, 0] - top[:, 1] if top.shape[1] > 1 else np.full(len(top), np.inf)
        ties = differ & tolerance.close(gap, np.abs(top[:, 0]))
    mismatched = differ & ~ties
    rows = np.flatnonzero(mismatched)
    return OutputDivergence(name, "label", int(expected.size), int(mismatched.sum()), ties=int(ties.sum()),
                            worst_row=int(rows[0]) if rows.size else None)


def normalize_labels(values: np.ndarray) -> np.ndarray:
    """Labels as strings, with integral numbers written as integers: 1, 1.0 and '1' are the same class."""
    def one(v):
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        if isinstance(v, (bool, np.bool_)):
            return str(bool(v))
        if isinstance(v, (int, np.integer)):
            return str(int(v))
        if isinstance(v, str):
            try:
                number = float(v)
            except ValueError:
                return v
            return str(int(number)) if number.is_integer() else v
        return str(v)

    return np.array([one(v) for v in np.asarray(values).ravel()], dtype=object).reshape(np.shape(values))


# Upper edges of the error-distribution bins: each example counts once, by its largest absolute error.
HISTOGRAM_EDGES = (0.0, 1e-15, 1e-12, 1e-9, 1e-7, 1e-5, 1e-3, 1e-1, float("inf"))
WORST_KEPT = 3
WORST_VALUES_KEPT = 2000  # a kept worst batch with more input values than this keeps only its worst row


@dataclass
class CellStats:
    """Divergence of one cell accumulated over every example it ran."""

    examples: int = 0
    rows: int = 0
    max_abs: float = 0.0
    max_rel: float = 0.0
    max_ulp: int = 0
    mismatches: int = 0
    ties: int = 0
    histogram: list = field(default_factory=lambda: [0] * len(HISTOGRAM_EDGES))
    worst: list = field(default_factory=list)  # up to WORST_KEPT (max_abs, batch), largest first
    absent: dict = field(default_factory=dict)  # output -> why the artifact does not have it (NOT_IN_ARTIFACT)
    compared: list = field(default_factory=list)  # the outputs compared, in the reference's order

    def add(self, rows: int, divergences: list[OutputDivergence], batch=None) -> None:
        self.examples += 1
        self.rows += rows
        example_abs = 0.0
        for d in divergences:
            if d.kind == NOT_IN_ARTIFACT:
                self.absent.setdefault(d.output, d.detail)
                continue
            if d.output not in self.compared:
                self.compared.append(d.output)
            if d.kind == "numeric":
                example_abs = max(example_abs, d.max_abs)
                self.max_abs = max(self.max_abs, d.max_abs)
                self.max_rel = max(self.max_rel, d.max_rel)
                self.max_ulp = max(self.max_ulp, d.max_ulp or 0)
            self.mismatches += d.mismatches
            self.ties += d.ties
        self.histogram[int(np.searchsorted(HISTOGRAM_EDGES, example_abs))] += 1
        if batch is not None and example_abs > 0 and (
                len(self.worst) < WORST_KEPT or example_abs > self.worst[-1][0]):
            kept = (example_abs, _worst_rows(batch, divergences))
            self.worst = sorted(self.worst + [kept], key=lambda w: -w[0])[:WORST_KEPT]


def _worst_rows(batch, divergences: list[OutputDivergence]):
    """The batch, or for a large one (hundreds of columns, big tensors) only the row of its largest error: the
    report keeps a few worst inputs per cell, and they must stay small."""
    from harness import batch as batches

    values = batch.size if hasattr(batch, "size") and not isinstance(batch, dict) else \
        sum(int(np.size(v)) for v in batch.values())
    if values <= WORST_VALUES_KEPT or batches.rows(batch) <= 1:
        return batch
    numeric = [d for d in divergences if d.kind == "numeric" and d.worst_row is not None]
    row = max(numeric, key=lambda d: d.max_abs).worst_row if numeric else 0
    return batches.take_rows(batch, [min(int(row), batches.rows(batch) - 1)])
