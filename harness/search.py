"""The search for an input on which one cell disagrees with the reference, and its minimal form.

Each cell gets its own Hypothesis search, seeded identically, so every cell sees the same examples until it
fails; the reference's outputs are cached per example, so the PyFunc model runs once per example however many
cells there are. When a cell disagrees, Hypothesis shrinks the batch to a minimal counterexample.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from hypothesis import HealthCheck, Phase, assume, errors, example, given, seed, settings, target

from harness import batch as batches
from harness.batch import Batch
from harness.compare import CellStats, OutputDivergence, Tolerances, compare


class ReferenceRejected(Exception):
    """The reference model itself raised on this input: it is outside the model's domain, not a divergence."""


class Reference:
    """The reference outputs of each example, computed once and shared by every cell."""

    def __init__(self, compute: Callable[[Batch], dict]):
        self._compute = compute
        self._cache: dict[bytes, dict | Exception] = {}
        self.first_rejection: str | None = None
        self.rejected = 0  # distinct inputs the reference rejected

    def outputs(self, batch: Batch) -> dict:
        key = batches.key(batch)
        if key not in self._cache:
            try:
                self._cache[key] = self._compute(batch)
            except Exception as error:  # the model rejects this input
                self._cache[key] = error
                self.rejected += 1
                self.first_rejection = self.first_rejection or f"{type(error).__name__}: {error}"
        cached = self._cache[key]
        if isinstance(cached, Exception):
            raise ReferenceRejected(str(cached))
        return cached


@dataclass
class Counterexample:
    batch: Batch
    divergences: list[OutputDivergence]
    error: str | None = None  # the runtime raised where the reference did not
    outputs: dict = field(default_factory=dict)  # runtime name -> its outputs (or error) on this batch


@dataclass
class SearchResult:
    stats: CellStats
    counterexample: Counterexample | None = None
    unsatisfiable: str | None = None  # the reference rejected every input generated
    replayed: int = 0  # corpus examples run before the search
    first_divergence_at: int | None = None  # how many examples had run when the first divergence was seen


def tolerance_ratio(divergences: list[OutputDivergence], tolerances: Tolerances) -> float:
    """How far past its tolerance the worst element is (1 = at the tolerance), plus each label mismatch."""
    worst = 0.0
    for d in divergences:
        if d.kind == "numeric":
            t = tolerances.of(d.output)
            worst = max(worst, min(d.max_abs / max(t.atol, 1e-300), d.max_rel / max(t.rtol, 1e-300)))
        else:
            worst = max(worst, float(d.mismatches))
    return float(min(worst, 1e300))


class _Diverged(AssertionError):
    pass


def search(run_cell: Callable[[Batch], dict], reference: Reference, strategy, tolerances: Tolerances,
           *, max_examples: int, seed_value: int, replay: list[Batch] = ()) -> SearchResult:
    """Run the cell on the ``replay`` batches (the corpus), then on up to ``max_examples`` generated batches; on
    disagreement, shrink to a minimal counterexample (a replayed one is already minimal)."""
    result = SearchResult(CellStats(), replayed=len(replay))

    @settings(max_examples=max_examples, database=None, deadline=None, derandomize=False, print_blob=False,
              phases=(Phase.explicit, Phase.generate, Phase.shrink), report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck))
    @seed(seed_value)
    @given(batch=strategy)
    def agrees_with_reference(batch):
        try:
            expected = reference.outputs(batch)
        except ReferenceRejected:
            assume(False)
        try:
            actual = run_cell(batch)
        except Exception as error:  # a runtime that raises where the reference does not has diverged
            result.stats.add(batches.rows(batch), [])
            result.first_divergence_at = result.first_divergence_at or result.stats.examples
            result.counterexample = Counterexample(batch, [], error=f"{type(error).__name__}: {error}")
            raise _Diverged(result.counterexample.error) from None
        divergences = compare(expected, actual, tolerances)
        result.stats.add(batches.rows(batch), divergences, batch)
        # Climb toward the worst input, not only wait for one to cross the tolerance.
        target(tolerance_ratio(divergences, tolerances), label="divergence / tolerance")
        if any(d.diverged for d in divergences):
            result.first_divergence_at = result.first_divergence_at or result.stats.examples
            result.counterexample = Counterexample(batch, divergences)  # the last one kept is the minimal one
            raise _Diverged()

    for batch in reversed(list(replay)):  # explicit examples run first, in the order given
        agrees_with_reference = example(batch=batch)(agrees_with_reference)
    try:
        agrees_with_reference()
    except _Diverged:
        pass
    except errors.Flaky:  # disagreed once, not on replay: still a divergence, keep the input we saw
        pass
    except errors.Unsatisfiable:
        result.unsatisfiable = reference.first_rejection or "every generated input was rejected"
    return result
