import numpy as np
import pytest

from harness.outputs import OutputMismatch, OutputSpec, from_onnx, from_pmml
from harness.runtimes import RawOutput

CLASSIFIER = OutputSpec("classifier", ("no", "yes"))


def test_zipmap_probabilities_are_reordered_to_the_estimators_classes():
    raw = [RawOutput("output_label", np.array(["yes", "no"], dtype=object)),
           RawOutput("output_probability", np.array([[0.8, 0.2], [0.3, 0.7]]), keys=["yes", "no"])]
    out = from_onnx(CLASSIFIER, raw, 2)
    assert out["label"].tolist() == ["yes", "no"]
    assert out["probabilities"].tolist() == [[0.2, 0.8], [0.7, 0.3]]


def test_probability_tensor_with_wrong_class_count_is_a_mismatch():
    raw = [RawOutput("label", np.array([1])), RawOutput("p", np.array([[0.1, 0.2, 0.7]], dtype=np.float32))]
    with pytest.raises(OutputMismatch, match="3 probability columns for 2 classes"):
        from_onnx(CLASSIFIER, raw, 1)


def test_regressor_output_is_squeezed_to_one_value_per_row():
    out = from_onnx(OutputSpec("regressor"), [RawOutput("variable", np.ones((3, 1), np.float32))], 3)
    assert out["prediction"].shape == (3,)


def test_pmml_target_and_probability_fields():
    raw = [RawOutput("y", np.array(["yes"], dtype=object)),
           RawOutput("probability(no)", np.array([0.25])), RawOutput("probability(yes)", np.array([0.75]))]
    out = from_pmml(CLASSIFIER, raw, 1)
    assert out["label"].tolist() == ["yes"] and out["probabilities"].tolist() == [[0.25, 0.75]]
    assert "probabilities" not in from_pmml(CLASSIFIER, raw[:1], 1)
