"""ONNX-flavor graphs as users log them: static input shapes, 0-d inputs, inputs the model mostly rejects, and
IR versions newer than ONNX Runtime reads."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort

from fixtures.tensor_models import (at_ir_version, fixed_gemm, log_onnx_inferred, log_onnx_unloadable, reshaped,
                                    scaled_by_scalar)
from harness.exporters.onnx_opset import convert
from harness.onnx_versions import ORT_MAX_IR
from tests.conftest import run_harness

ONNX_RUNTIMES = ["--runtimes", "ort-python,ort-java"]


def test_a_graph_with_static_input_shapes_is_checked_at_its_own_sizes(tmp_path, tracking_uri):
    """infer_signature says a[-1, 10], b[-1, 3]; the graph says a[2, 10], b[10, 3]: the graph's sizes are used."""
    rng = np.random.default_rng(0)
    uri = log_onnx_inferred(fixed_gemm(), {"a": rng.normal(size=(2, 10)).astype(np.float32),
                                           "b": rng.normal(size=(10, 3)).astype(np.float32)})
    run = run_harness(["--model-uri", uri, *ONNX_RUNTIMES, "--opsets", "17", "--max-examples", "25"], tmp_path,
                      tracking_uri)
    assert run.returncode == 0, run.output
    assert {c["status"] for c in run.cells().values()} == {"pass"}
    assert all(c["examples"] >= 20 for c in run.cells().values())


def test_a_zero_dimensional_input_is_checked(tmp_path, tracking_uri):
    uri = log_onnx_inferred(scaled_by_scalar(), {"v": np.ones(3, np.float32), "s": np.array(2.0, np.float32)})
    run = run_harness(["--model-uri", uri, *ONNX_RUNTIMES, "--opsets", "17", "--max-examples", "25"], tmp_path,
                      tracking_uri)
    assert run.returncode == 0, run.output
    # both ONNX Runtime sides refuse a rank-1 feed for the rank-0 input: a pass means it was fed as a scalar
    assert {c["status"] for c in run.cells().values()} == {"pass"}


def test_too_few_valid_examples_is_insufficient_not_a_pass(tmp_path, tracking_uri):
    """A Reshape to a generated int64 shape: the reference rejects nearly every input, a few are valid."""
    uri = log_onnx_inferred(reshaped(), {"x": np.ones(6, np.float32), "shape": np.array([2, 3], np.int64)})
    args = ["--model-uri", uri, *ONNX_RUNTIMES, "--opsets", "17", "--max-examples", "40", "--value-range=2,50"]
    run = run_harness(args, tmp_path, tracking_uri)
    assert run.returncode == 1, run.output
    cell = run.cells()["ort-java[logged-opset17]"]
    assert cell["status"] == "insufficient" and 0 < cell["examples"] < 20
    assert "rejected" in cell["reason"] and "--value-range" in cell["reason"]
    assert "column-based signature" not in run.output  # never that advice for a tensor model

    enough = run_harness(args + ["--min-examples", "1"], tmp_path, tracking_uri)  # the same run, a lower bar
    assert enough.returncode == 0, enough.output
    assert {c["status"] for c in enough.cells().values()} == {"pass"}


def test_converted_opsets_get_an_ir_version_onnx_runtime_reads(tmp_path):
    source = tmp_path / "ir14.onnx"
    onnx.save(at_ir_version(fixed_gemm(opset=13), 14), str(source))
    for opset in (13, 17, 21, 26):
        target = tmp_path / f"opset{opset}.onnx"
        convert(source, opset, target)
        assert onnx.load(str(target)).ir_version <= ORT_MAX_IR
        ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])  # loads


def test_a_reference_that_cannot_load_is_said_plainly(tmp_path, tracking_uri):
    model = at_ir_version(fixed_gemm(), 14)  # onnxruntime 1.29 reads IR <= 13, so the PyFunc cannot load it
    feed = {"a": np.ones((2, 10), np.float32), "b": np.ones((10, 3), np.float32)}
    uri = log_onnx_unloadable(model, feed, {"y": np.ones((2, 3), np.float32)})
    run = run_harness(["--model-uri", uri, *ONNX_RUNTIMES, "--opsets", "17", "--max-examples", "10"], tmp_path,
                      tracking_uri)
    assert run.returncode == 1
    reasons = {c["reason"] for c in run.cells().values()}
    assert all(r.startswith("the reference itself cannot be loaded") for r in reasons), reasons
