import numpy as np

from harness.compare import (CellStats, Tolerance, Tolerances, compare, compare_labels, compare_numeric,
                             normalize_labels, ulp_distance)

TOL = Tolerance(atol=1e-5, rtol=1e-5)


def test_identical_outputs_do_not_diverge():
    d = compare_numeric("p", np.array([0.1, 0.2]), np.array([0.1, 0.2]), TOL)
    assert not d.diverged and d.max_abs == 0 and d.max_ulp == 0


def test_difference_beyond_both_tolerances_is_a_mismatch_at_its_row():
    expected = np.array([[0.5, 0.5], [0.25, 0.75]])
    actual = expected.copy()
    actual[1, 0] += 1e-3
    d = compare_numeric("p", expected, actual, TOL)
    assert d.mismatches == 1 and d.worst_row == 1
    assert np.isclose(d.max_abs, 1e-3) and np.isclose(d.max_rel, 1e-3 / 0.25)


def test_tensor_statistics_say_how_the_error_is_spread_and_where_the_worst_is():
    expected = np.zeros((2, 3, 4))
    actual = expected.copy()
    actual[1, 2, 3] = 0.5
    actual[0, 0, 0] = 0.01
    d = compare_numeric("t", expected, actual, TOL)
    assert d.worst_index == (1, 2, 3) and d.worst_row == 1
    assert np.isclose(d.mean_abs, 0.51 / 24) and 0.01 <= d.p99_abs <= 0.5


def test_relative_error_near_zero_is_not_reported_as_huge():
    d = compare_numeric("p", np.array([0.0, 2.0]), np.array([1.4e-45, 2.0 + 2e-6]), TOL)
    assert not d.diverged and np.isclose(d.max_rel, 1e-6)


def test_large_values_pass_on_relative_tolerance_and_small_on_absolute():
    d = compare_numeric("v", np.array([1e6, 1e-9]), np.array([1e6 + 1.0, 2e-9]), TOL)
    assert not d.diverged  # rel 1e-6 for the first, abs 1e-9 for the second


def test_float32_ulp_distance_counts_float32_steps():
    x = np.float32(1.0)
    assert ulp_distance(np.array([np.nextafter(x, np.float32(2))]), np.array([1.0]))[0] == 1
    assert ulp_distance(np.array([-0.0], np.float32), np.array([0.0]))[0] == 0
    assert ulp_distance(np.array([np.float32(1.0)]), np.array([1.0 + 1e-12]))[0] == 0  # same float32


def test_nan_policy_equal_accepts_matching_nan_and_fail_rejects_it():
    expected, actual = np.array([np.nan, 1.0]), np.array([np.nan, 1.0])
    assert not compare_numeric("v", expected, actual, TOL, "equal").diverged
    assert compare_numeric("v", expected, actual, TOL, "fail").mismatches == 1
    assert compare_numeric("v", np.array([1.0]), np.array([np.nan]), TOL, "equal").mismatches == 1


def test_same_infinity_agrees_and_opposite_does_not():
    assert not compare_numeric("v", np.array([np.inf]), np.array([np.inf]), TOL).diverged
    assert compare_numeric("v", np.array([np.inf]), np.array([-np.inf]), TOL).diverged


def test_labels_compare_across_representations():
    assert list(normalize_labels(np.array([1, 0]))) == list(normalize_labels(np.array([1.0, 0.0])))
    assert list(normalize_labels(np.array(["1", "0"], dtype=object))) == ["1", "0"]
    d = compare_labels("label", np.array([1, 0]), np.array([1.0, 0.0]), None, TOL)
    assert not d.diverged


def test_label_flip_on_a_tie_is_excused_but_counted():
    probabilities = np.array([[0.5, 0.5], [0.1, 0.9]])
    d = compare_labels("label", np.array([0, 1]), np.array([1, 1]), probabilities, TOL)
    assert d.ties == 1 and not d.diverged


def test_label_flip_without_a_tie_diverges():
    probabilities = np.array([[0.6, 0.4]])
    d = compare_labels("label", np.array([0]), np.array([1]), probabilities, TOL)
    assert d.mismatches == 1 and d.ties == 0 and d.worst_row == 0


def test_missing_output_and_wrong_shape_diverge():
    reference = {"label": np.array([1]), "probabilities": np.array([[0.2, 0.8]])}
    results = {d.output: d for d in compare(reference, {"label": np.array([1])}, Tolerances())}
    assert results["probabilities"].kind == "missing" and results["probabilities"].diverged
    assert not results["label"].diverged
    d = compare_numeric("p", np.zeros((2, 2)), np.zeros(3), TOL)
    assert d.kind == "shape" and d.diverged
    assert compare_numeric("t", np.zeros((2, 3)), np.zeros((3, 2)), TOL).kind == "shape"
    assert not compare_numeric("v", np.zeros(4), np.zeros((4, 1)), TOL).diverged


def test_per_output_tolerance_overrides_default():
    tolerances = Tolerances(per_output={"prediction": Tolerance(atol=0.1, rtol=0)})
    results = compare({"prediction": np.array([1.0])}, {"prediction": np.array([1.05])}, tolerances)
    assert not results[0].diverged
    assert compare({"prediction": np.array([1.0])}, {"prediction": np.array([1.05])}, Tolerances())[0].diverged


def test_cell_stats_keep_the_worst_over_examples():
    stats = CellStats()
    stats.add(2, [compare_numeric("p", np.array([1.0]), np.array([1.001]), TOL)])
    stats.add(3, [compare_numeric("p", np.array([1.0]), np.array([1.0]), TOL)])
    assert stats.examples == 2 and stats.rows == 5 and np.isclose(stats.max_abs, 1e-3) and stats.mismatches == 1
