import pytest

from harness import config as cfg
from harness.compare import Tolerance


def test_defaults():
    from harness import registry

    assert cfg.parse_runtimes(None) == list(registry.runtimes())
    assert {"ort-python", "ort-java", "jpmml"} <= set(cfg.parse_runtimes(None))
    assert cfg.parse_opsets(None) is None
    t = cfg.parse_tolerances(None, None, [], "equal")
    assert t.default == Tolerance(1e-5, 1e-5)


def test_converter_options_are_typed_and_merged():
    items = [cfg.parse_converter_option(t) for t in ("skl2onnx:zipmap=true", "skl2onnx:ml_opset=3",
                                                      "onnxmltools:input_type=double", "skl2onnx:zipmap=false")]
    assert cfg.converter_options(items) == {"skl2onnx": {"zipmap": False, "ml_opset": 3},
                                            "onnxmltools": {"input_type": "double"}}


def test_the_option_table_feeds_the_readme():
    from pathlib import Path

    from harness.options import OPTIONS, markdown_table

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert markdown_table() in readme, "README's option table is stale: paste `python -m harness options`"
    assert len({o.dest for o in OPTIONS}) == len(OPTIONS)


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
    (lambda: cfg.parse_converter_option("skl2onnx-zipmap"), "--converter-option"),
    (lambda: cfg.parse_statuses(["failed"]), "unknown status"),
])
def test_bad_values_name_the_option(call, names):
    with pytest.raises(cfg.ConfigError, match=names):
        call()
