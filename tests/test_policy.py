"""The [tool.harness] policy: what it sets, what the command line overrides, and errors that name the bad key."""
from __future__ import annotations

import pytest

from harness.policy import PolicyError, from_pyproject, load
from harness.results import verdict


def write(path, text):
    path.write_text(text)
    return path


def test_pyproject_table_is_read_and_spelled_like_the_command_line(tmp_path):
    write(tmp_path / "pyproject.toml", """
[project]
name = "x"
[tool.harness]
runtimes = ["ort-java", "jpmml"]
opsets = [13, 17]
max_examples = 50
atol = 1e-4
isolate_jvm = true
cell_timeout = 300
blocking_statuses = ["diverged"]
[tool.harness.output_tolerances]
probabilities = { atol = 1e-3, rtol = 0 }
""")
    table = from_pyproject(tmp_path)  # typed by the command line's own parsers
    assert table["runtimes"] == ["ort-java", "jpmml"] and table["opsets"] == [13, 17] and table["max_examples"] == 50
    assert table["atol"] == 1e-4 and table["output_tolerances"] == ["probabilities:atol=0.001,rtol=0"]
    assert table["blocking_statuses"] == ("diverged",)
    assert table["isolate_jvm"] is True and table["cell_timeout"] == 300.0
    assert from_pyproject(tmp_path / "nowhere") == {}


@pytest.mark.parametrize("body, key", [
    ("runtime = ['ort-java']", "unknown key 'runtime'"),
    ("runtimes = ['ort-cpp']", "'runtimes'"),
    ("runtimes = 'ort-java'", "'runtimes' must be a list"),
    ("opsets = ['x']", "'opsets'"),
    ("atol = 'small'", "'atol' must be a number"),
    ("rtol = -1", "'rtol'"),
    ("max_examples = 0", "'max_examples'"),
    ("nan_policy = 'ignore'", "'nan_policy'"),
    ("blocking_statuses = ['failed']", "'blocking_statuses'"),
    ("output_tolerances = { p = { btol = 1 } }", "'output_tolerances'"),
    ("value_range = [5, 1]", "'value_range'"),
    ("isolate_jvm = 'yes'", "'isolate_jvm' must be true or false"),
    ("cell_timeout = 0", "'cell_timeout'"),
])
def test_invalid_policy_names_the_key(tmp_path, body, key):
    write(tmp_path / "pyproject.toml", f"[tool.harness]\n{body}\n")
    with pytest.raises(PolicyError, match=key) as error:
        from_pyproject(tmp_path)
    assert "pyproject.toml [tool.harness]" in str(error.value)


def test_policy_file_may_use_top_level_keys_and_must_exist(tmp_path):
    assert load(write(tmp_path / "p.toml", "opsets = [17]\n")) == {"opsets": [17]}
    with pytest.raises(PolicyError, match="no such file"):
        load(tmp_path / "missing.toml")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load(write(tmp_path / "bad.toml", "opsets = [17\n"))


def test_verdict_blocks_on_blocking_statuses_and_on_cells_that_did_not_run():
    blocking = ("diverged", "export-failed")
    assert verdict(None, [("a", "pass"), ("b", "skipped")], blocking) == (True, [])
    assert verdict(None, [("a", "pass"), ("b", "diverged")], blocking) == (False, ["b: diverged"])
    assert verdict(None, [("a", "pending")], blocking) == (False, ["a: pending"])
    assert verdict(None, [], blocking)[0] is False
    assert verdict("no such model", [], blocking)[0] is False


def test_converter_options_from_the_policy_and_their_errors(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.harness.converters.skl2onnx]\nzipmap = true\nml_opset = 3\n")
    assert sorted(from_pyproject(tmp_path)["converters"]) == [("skl2onnx", "ml_opset", 3), ("skl2onnx", "zipmap", True)]
    write(tmp_path / "pyproject.toml", "[tool.harness]\nconverters = { zipmap = true }\n")
    with pytest.raises(PolicyError, match="'converters'"):
        from_pyproject(tmp_path)


def test_policy_drives_a_run_and_the_command_line_overrides_it(tmp_path, tracking_uri):
    from fixtures.models import event_time_regressor, log_sklearn
    from tests.conftest import run_harness

    uri = log_sklearn(*event_time_regressor())  # its float32 ONNX diverges; its PMML passes
    write(tmp_path / "pyproject.toml", """
[tool.harness]
runtimes = ["ort-python", "jpmml"]
opsets = [17]
max_examples = 15
blocking_statuses = ["export-failed", "runtime-error"]
""")
    run = run_harness(["--model-uri", uri, "-rs"], tmp_path, tracking_uri)
    assert run.returncode == 0, run.output  # diverged does not block under this policy
    cells = run.cells()
    assert set(cells) == {"ort-python[skl2onnx-opset17]", "jpmml[sklearn2pmml]"}
    assert cells["ort-python[skl2onnx-opset17]"]["status"] == "diverged"
    assert "does not block under the policy" in run.output
    assert run.report["policy"]["blocking_statuses"] == ["export-failed", "runtime-error"]
    assert run.report["max_examples"] == 15

    overridden = run_harness(["--model-uri", uri, "--runtimes", "ort-java", "--max-examples", "10"], tmp_path,
                             tracking_uri)
    assert set(overridden.cells()) == {"ort-java[skl2onnx-opset17]"} and overridden.report["max_examples"] == 10

    write(tmp_path / "pyproject.toml", "[tool.harness]\nopset = [17]\n")
    bad = run_harness(["--model-uri", uri], tmp_path, tracking_uri)
    assert bad.returncode == 4 and "unknown key 'opset'" in bad.output
