"""PyTorch and Keras 3 models through the same matrix: both torch.onnx exporters at several opsets, ort-python and ort-java,
requested vs declared opsets, dynamic dimensions, and an exporter that computes something else on part of the
input domain."""
from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="the dl extra (torch, onnxscript) is installed by `make setup`")

from fixtures.dl_models import log_torch  # noqa: E402
from tests.conftest import run_harness  # noqa: E402


@pytest.fixture(scope="module")
def torch_models(registry_uri):
    from tests.conftest import use_registry

    use_registry(registry_uri)
    return {name: log_torch(name, "pickle") for name in ("mlp", "cnn", "gru", "floor-divide")} | {
        "mlp-pt2": log_torch("mlp", "pt2"), "branch-pt2": log_torch("branch", "pt2")}


def test_mlp_cnn_and_gru_agree_across_exporters_opsets_and_runtimes(tmp_path, tracking_uri, torch_models):
    run = run_harness([arg for name in ("mlp", "cnn", "gru") for arg in ("--model-uri", torch_models[name])]
                      + ["--opsets", "13,18", "--max-examples", "15"], tmp_path, tracking_uri)
    for index in range(3):
        assert run.report["models"][index]["serialization_format"] == "pickle (torch.save)"  # loading runs code
        cells = run.cells(index)
        assert len(cells) == 8  # 2 opsets x 2 exporters x 2 runtimes
        for name, cell in cells.items():
            assert cell["status"] == "pass", (index, name, cell["reason"])
            assert cell["artifact"]["exporter"].startswith(("torch.onnx-torchscript", "torch.onnx-dynamo"))
        assert cells["ort-java[torch.onnx-torchscript-opset13]"]["opset_actual"] == 13
        # the dynamo exporter builds at 18 and converts: the report shows what the file declares
        assert cells["ort-java[torch.onnx-dynamo-opset13]"]["opset_actual"] in (13, 18)
    assert run.returncode == 0, run.output


def test_pt2_models_are_checked_through_both_exporters_where_the_program_traces(tmp_path, tracking_uri,
                                                                                torch_models):
    """MLflow 3's default pt2 format: the TorchScript exporter runs on the torch.export program's module when that
    exports (the MLP); a program it cannot export (torch.cond) plans the dynamo exporter only, with one note saying
    why instead of a failing cell, until force=true asks for it."""
    run = run_harness(["--model-uri", torch_models["mlp-pt2"], "--model-uri", torch_models["branch-pt2"],
                       "--opsets", "18", "--max-examples", "15"], tmp_path, tracking_uri)
    mlp, branch = run.report["models"]
    assert mlp["serialization_format"] == branch["serialization_format"] == "pt2 (torch.export)"
    assert {name: c["status"] for name, c in run.cells(0).items()} == {
        f"{r}[torch.onnx-{e}-opset18]": "pass" for r in ("ort-python", "ort-java") for e in ("torchscript", "dynamo")}
    assert not mlp["notes"]
    assert {name: c["status"] for name, c in run.cells(1).items()} == {
        f"{r}[torch.onnx-dynamo-opset18]": "pass" for r in ("ort-python", "ort-java")}
    [note] = branch["notes"]
    assert "TorchScript exporter" in note and "cond" in note and "force=true" in note
    assert run.returncode == 0, run.output

    forced = run_harness(["--model-uri", torch_models["branch-pt2"], "--opsets", "18", "--max-examples", "5",
                          "--runtimes", "ort-python", "--converter-option", "torch.onnx-torchscript:force=true"],
                         tmp_path, tracking_uri)
    assert forced.cells()["ort-python[torch.onnx-torchscript-opset18]"]["status"] == "export-failed"


def test_torchscript_exporter_truncates_integer_floor_division_on_negative_numbers(tmp_path, tracking_uri,
                                                                                 torch_models):
    run = run_harness(["--model-uri", torch_models["floor-divide"], "--opsets", "17", "--max-examples", "50",
                       "--no-corpus"], tmp_path, tracking_uri)
    cells = run.cells()
    for runtime in ("ort-python", "ort-java"):
        traced = cells[f"{runtime}[torch.onnx-torchscript-opset17]"]
        assert traced["status"] == "diverged", traced
        values = [v for row in traced["counterexample"]["inputs"]["input"]["values"] for v in row]
        assert any(v < 0 and v % 3 for v in values), values  # a negative number not divisible by 3
        assert cells[f"{runtime}[torch.onnx-dynamo-opset17]"]["status"] == "pass"
    assert cells["ort-java[torch.onnx-torchscript-opset17]"]["attribution"]["kind"] == "conversion"

    restricted = run_harness(["--model-uri", torch_models["floor-divide"], "--opsets", "17", "--max-examples", "50",
                              "--value-range", "0,1000", "--no-corpus"], tmp_path, tracking_uri)
    assert restricted.returncode == 0 and {c["status"] for c in restricted.cells().values()} == {"pass"}


def test_keras_3_models_through_tf2onnx_at_each_opset(tmp_path, tracking_uri):
    pytest.importorskip("tf2onnx")
    from fixtures.dl_models import log_keras

    run = run_harness(["--model-uri", log_keras("keras"), "--model-uri", log_keras("tensorflow"),
                       "--opsets", "13,17", "--max-examples", "15"], tmp_path, tracking_uri)
    assert run.returncode == 0, run.output
    assert [m["flavor"] for m in run.report["models"]] == ["keras", "tensorflow"]
    for index in (0, 1):
        cells = run.cells(index)
        assert set(cells) == {f"{r}[tf2onnx-opset{o}]" for r in ("ort-python", "ort-java") for o in (13, 17)}
        for cell in cells.values():
            assert cell["status"] == "pass" and cell["opset_requested"] == cell["opset_actual"]
            assert cell["artifact"]["exporter"].startswith("tf2onnx ")
