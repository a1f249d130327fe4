"""The search loop itself, on plain functions: the reference runs once per example however many cells there are,
a disagreement is shrunk to a minimal batch, and inputs the reference rejects are discarded, not failures."""
import numpy as np

from harness.compare import Tolerances
from harness.inputs import Column, batches
from harness.search import Reference, search

COLUMNS = [Column("a", "double", low=-10, high=10), Column("b", "double", low=-10, high=10)]


def test_reference_runs_once_per_example_whatever_the_number_of_cells():
    calls = []

    def model(batch):
        calls.append(len(batch))
        return {"prediction": batch["a"].to_numpy() * 2}

    reference = Reference(model)
    strategy = batches(COLUMNS, hunt=False)
    for _ in range(3):  # three cells that agree with the reference, same seed
        result = search(lambda b: {"prediction": b["a"].to_numpy() * 2}, reference, strategy, Tolerances(),
                        max_examples=30, seed_value=0)
        assert result.counterexample is None and result.stats.examples == 30
    assert len(calls) == 30


def test_disagreement_shrinks_to_a_minimal_batch():
    reference = Reference(lambda b: {"prediction": b["a"].to_numpy().astype(float)})
    cell = lambda b: {"prediction": np.where(b["a"].to_numpy() > 5, b["a"].to_numpy() + 1, b["a"].to_numpy())}  # noqa
    result = search(cell, reference, batches(COLUMNS), Tolerances(), max_examples=200, seed_value=0)
    example = result.counterexample
    assert example is not None and len(example.batch) == 1 and example.batch["a"].iloc[0] > 5
    assert example.divergences[0].mismatches == 1


def test_inputs_the_reference_rejects_are_discarded_not_failures():
    def picky(batch):
        if (batch["a"] < 0).any():
            raise ValueError("negative a")
        return {"prediction": batch["a"].to_numpy()}

    result = search(lambda b: {"prediction": b["a"].to_numpy()}, Reference(picky), batches(COLUMNS, hunt=False),
                    Tolerances(), max_examples=20, seed_value=0)
    assert result.counterexample is None and result.unsatisfiable is None and result.stats.examples == 20
