"""A separate package adds a model family and a runtime through entry-point metadata alone: no edit to harness/."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_harness

TESTS = Path(__file__).resolve().parent


def toy_model(folder: Path) -> Path:
    """An MLflow model directory of the toy flavor (written by hand, as a plugin's own save_model would)."""
    from mlflow.models import Model, ModelSignature
    from mlflow.types import ColSpec, Schema

    folder.mkdir(parents=True)
    (folder / "weights.json").write_text(json.dumps({"columns": ["a", "b"], "w": [0.5, -2.0], "b": 1.0}))
    model = Model()
    model.add_flavor("python_function", loader_module="tests.toy_plugin.toy_family", data="weights.json")
    model.add_flavor("toy_linear", data="weights.json")
    model.signature = ModelSignature(Schema([ColSpec("double", "a"), ColSpec("double", "b")]),
                                     Schema([ColSpec("double")]))
    model.save(str(folder / "MLmodel"))
    return folder


def install_metadata(site: Path) -> None:
    """What `pip install` of a plugin package leaves behind: a dist-info with entry points."""
    info = site / "toy_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[jvm_equivalence.flavors]\ntoy-linear = tests.toy_plugin.toy_family:ToyFlavor\n\n"
        "[jvm_equivalence.runtimes]\ntoy-scorer = tests.toy_plugin.toy_family:ToyScorer\n")


@pytest.fixture
def plugin_env(tmp_path):
    site = tmp_path / "site"
    install_metadata(site)
    return {"PYTHONPATH": os.pathsep.join([str(site), str(TESTS.parent), os.environ.get("PYTHONPATH", "")])}


def test_a_registered_flavor_and_runtime_run_without_editing_the_harness(tmp_path, plugin_env):
    model = toy_model(tmp_path / "toy")
    run = run_harness(["--model-uri", str(model), "--runtimes", "toy-scorer", "--max-examples", "30"],
                      tmp_path, env=plugin_env)
    assert run.returncode == 0, run.output
    cells = run.cells()
    assert list(cells) == ["toy-scorer[toy-export]"]
    assert cells["toy-scorer[toy-export]"]["status"] == "pass"
    assert run.report["models"][0]["flavor"] == "toy_linear"
    assert any(r["name"] == "toy-scorer" for r in run.report["runtimes"])


def test_the_plugin_runtime_divergence_is_found(tmp_path, plugin_env):
    model = toy_model(tmp_path / "toy")
    run = run_harness(["--model-uri", str(model), "--runtimes", "toy-scorer", "--max-examples", "30"],
                      tmp_path, env={**plugin_env, "TOY_SCORER_BUG": "1"})
    assert run.returncode == 1, run.output
    cell = run.cells()["toy-scorer[toy-export]"]
    assert cell["status"] == "diverged" and cell["max_abs"] == pytest.approx(0.5)


def test_without_the_metadata_the_flavor_is_refused_with_the_fix(tmp_path):
    model = toy_model(tmp_path / "toy")
    run = run_harness(["--model-uri", str(model), "--runtimes", "ort-python"], tmp_path,
                      env={"PYTHONPATH": str(TESTS.parent)})
    assert run.returncode == 1
    assert "toy_linear are not supported" in run.output and "Add a model family" in run.output
