import pytest

from harness import config as cfg
from harness.compare import Tolerance


def test_defaults():
    assert cfg.parse_runtimes(None) == ["ort-python", "ort-java", "jpmml"]
    assert cfg.parse_opsets(None) is None
    t = cfg.parse_tolerances(None, None, [], "equal")
    assert t.default == Tolerance(1e-5, 1e-5)


def test_parses_lists_and_per_output_tolerances():
    assert cfg.parse_runtimes("ort-java, jpmml") == ["ort-java", "jpmml"]
    assert cfg.parse_opsets("17,13,17") == [13, 17]
    t = cfg.parse_tolerances("1e-4", "0", ["probabilities:atol=1e-3"], "fail")
    assert t.of("probabilities") == Tolerance(1e-3, 0.0) and t.of("label") == Tolerance(1e-4, 0.0)
    assert t.nan_policy == "fail"


@pytest.mark.parametrize("call, names", [
    (lambda: cfg.parse_runtimes("ort-cpp"), "--runtimes"),
    (lambda: cfg.parse_opsets("17,x"), "--opsets"),
    (lambda: cfg.parse_tolerances("tiny", None, [], "equal"), "--atol"),
    (lambda: cfg.parse_tolerances(None, "-1", [], "equal"), "--rtol"),
    (lambda: cfg.parse_tolerances(None, None, ["probabilities"], "equal"), "--output-tolerance"),
    (lambda: cfg.parse_tolerances(None, None, ["p:btol=1"], "equal"), "--output-tolerance"),
    (lambda: cfg.parse_tolerances(None, None, [], "ignore"), "--nan-policy"),
    (lambda: cfg.parse_value_range("5,1"), "--value-range"),
    (lambda: cfg.parse_session("0", None), "--ort-threads"),
    (lambda: cfg.parse_session(None, "max"), "--ort-optimization"),
])
def test_bad_values_name_the_option(call, names):
    with pytest.raises(cfg.ConfigError, match=names):
        call()
