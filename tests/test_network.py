"""No data leaves the machine during a run, sklearn2pmml's failure report included.

The whole harness run happens in a fresh network namespace that has only a loopback interface, so nothing can
leave; a listener on the loopback port the harness gives Java as its proxy shows where sklearn2pmml's failure
report went (to us, not off the machine), and the run still completes with the conversion's reason.
"""
from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.models import PIP_REQUIREMENTS, numeric_data

LISTENER = Path(__file__).with_name("loopback_listener.py")
PORT = 18099


def can_make_network_namespace() -> bool:
    return shutil.which("unshare") is not None and subprocess.run(
        ["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not can_make_network_namespace(), reason="needs `unshare -n` (root, Linux)")
def test_run_in_a_loopback_only_namespace_sends_nothing_out_and_diverts_the_converter_report(tmp_path):
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.gaussian_process import GaussianProcessRegressor

    frame, target = numeric_data(rows=60)
    model = GaussianProcessRegressor().fit(frame, target)  # skl2onnx converts it, sklearn2pmml refuses it
    model_dir = tmp_path / "model"
    mlflow.sklearn.save_model(model, str(model_dir), signature=infer_signature(frame, model.predict(frame)),
                              pip_requirements=PIP_REQUIREMENTS, serialization_format="cloudpickle")
    log, report = tmp_path / "listener.log", tmp_path / "report.json"
    harness = [sys.executable, "-m", "pytest", "-p", "no:faulthandler", "-p", "no:cacheprovider",
               "--model-uri", str(model_dir), "--opsets", "17", "--max-examples", "10",
               "--output-tolerance", "prediction:atol=1,rtol=1", "--divergence-report", str(report)]
    script = " && ".join([
        "ip link set lo up",
        f"{{ {shlex.join([sys.executable, str(LISTENER), str(PORT), str(log), '300'])} >/dev/null 2>&1 & }}",
        "listener=$!",
        "sleep 1",
        f"{shlex.join(harness)}; echo harness-exit=$?",
        "kill $listener",
        # the namespace has nothing but loopback: prove it
        "cat /proc/net/dev",
    ])
    done = subprocess.run(["unshare", "-n", "sh", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600, env={**_env(), "HARNESS_DEAD_PROXY_PORT": str(PORT)})
    output = done.stdout + done.stderr
    interfaces = [line.split(":")[0].strip() for line in output.splitlines() if line.strip().startswith(("lo:", "eth", "ens", "veth"))]
    assert interfaces == ["lo"], output

    import json

    cells = {c["name"]: c for c in json.loads(report.read_text())["models"][0]["cells"]}
    assert cells["jpmml[sklearn2pmml]"]["status"] == "export-failed"
    assert "not a supported Estimator" in cells["jpmml[sklearn2pmml]"]["reason"]
    assert cells["ort-python[skl2onnx-opset17]"]["status"] == "pass", output
    seen = log.read_text()
    # sklearn2pmml's converter tried to report the failure; the request reached our loopback listener instead
    assert "connection: CONNECT" in seen, seen


def _env():
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
