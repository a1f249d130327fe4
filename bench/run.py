"""`make bench`: rows per second of each runtime on the demo model, and the Python-Java bridge's overhead.

Overhead = the harness's ONNX Runtime Java call (feed building, direct buffers, bridge, output conversion) timed
from Python, divided by the same ONNX Runtime Java run timed inside Java. Figures are medians of repeated runs in
one process; compare ratios, not absolute times, on a shared machine.
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fixtures.models import PIP_REQUIREMENTS, churn_data, churn_pipeline

ROWS = 4096
BRIDGE_BATCHES = (1, 64, 4096)
OUT = Path(__file__).resolve().parents[1] / ".bench" / "results.json"


def median_seconds(call, repeats: int) -> float:
    call()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    import mlflow.sklearn
    from mlflow.models import infer_signature

    from harness.exporters import sklearn_onnx, sklearn_pmml
    from harness.inputs import columns_from_signature
    from harness.runtimes import SessionSettings, open_session
    from harness.source import resolve

    model, train = churn_pipeline()
    work = Path(tempfile.mkdtemp(prefix="harness-bench-"))
    mlflow.sklearn.save_model(model, str(work / "model"), signature=infer_signature(train, model.predict(train)),
                              pip_requirements=PIP_REQUIREMENTS, serialization_format="cloudpickle")
    under_test = resolve(str(work / "model"))
    columns = columns_from_signature(under_test.signature, model_uri="demo")
    sklearn_onnx.export(model, columns, 17, work / "demo.onnx")
    sklearn_pmml.export(model, columns, work / "demo.pmml")
    batch, _ = churn_data(rows=ROWS, seed=7)
    settings = SessionSettings()
    spec = under_test.family.output_spec(under_test)
    sessions = {
        "pyfunc": lambda b: under_test.family.reference_outputs(under_test, spec, b),
        "ort-python": open_session("ort-python", work / "demo.onnx", settings).run,
        "ort-java": open_session("ort-java", work / "demo.onnx", settings).run,
        "jpmml": open_session("jpmml", work / "demo.pmml", settings).run,
    }
    results = {"rows": ROWS, "rows_per_second": {}, "bridge_overhead": {}}
    print(f"demo model (churn: ColumnTransformer + LogisticRegression), batch of {ROWS} rows, 1 ORT thread")
    print(f"{'runtime':<12}{'rows/s':>14}{'vs ort-python':>16}")
    for name, run in sessions.items():
        seconds = median_seconds(lambda: run(batch), repeats=5 if name == "jpmml" else 20)
        results["rows_per_second"][name] = ROWS / seconds
    base = results["rows_per_second"]["ort-python"]
    for name, rate in results["rows_per_second"].items():
        print(f"{name:<12}{rate:>14,.0f}{rate / base:>15.2f}x")

    java = open_session("ort-java", work / "demo.onnx", settings)
    python = open_session("ort-python", work / "demo.onnx", settings)
    print("\nbridge overhead: ORT Java through the harness vs timed inside Java (same session, same batch);")
    print("ORT Python through the harness for scale (both pay the same DataFrame-to-tensor feed building)")
    print(f"{'batch':>6}{'inside Java':>14}{'via harness':>14}{'ratio':>8}{'ort-python':>14}")
    for size in BRIDGE_BATCHES:
        part = batch.head(size)
        repeats = 200 if size < 1000 else 30
        inside = statistics.median(java.time_inside_java(part, repeats)) / 1e9
        through = median_seconds(lambda: java.run(part), repeats)
        python_time = median_seconds(lambda: python.run(part), repeats)
        results["bridge_overhead"][str(size)] = {"inside_java_s": inside, "via_harness_s": through,
                                                 "ratio": through / inside, "ort_python_via_harness_s": python_time}
        print(f"{size:>6}{inside * 1e6:>12.1f}us{through * 1e6:>12.1f}us{through / inside:>8.2f}"
              f"{python_time * 1e6:>12.1f}us")
    results["tensor_model"] = tensor_model_bench(work)
    results["boosting"] = boosting_bench(work)
    results["h2o_mojo"] = h2o_mojo_bench()
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2))
    print(f"\nresults: {OUT}")
    return 0


def tensor_model_bench(work: Path) -> dict:
    """A PyTorch MLP ([batch, 6] float32 -> [batch, 3]) exported with the TorchScript exporter: samples per second
    per runtime and the bridge overhead, at batch sizes 1, 64 and 4096."""
    try:
        import torch  # noqa: F401
    except ImportError:
        print("\ntensor model: skipped (the dl extra, with torch, is not installed)")
        return {}
    import mlflow.pytorch
    import numpy as np

    from fixtures.dl_models import EXAMPLES, _modules
    from harness.exporters import torch_onnx
    from harness.inputs import tensors_from_signature
    from harness.runtimes import SessionSettings, open_session
    from harness.source import resolve

    module = _modules()["mlp"]().eval()
    example, _ = EXAMPLES["mlp"]
    from mlflow.models.signature import ModelSignature
    from mlflow.types import Schema, TensorSpec

    signature = ModelSignature(inputs=Schema([TensorSpec(np.dtype("float32"), (-1, 6))]),
                               outputs=Schema([TensorSpec(np.dtype("float32"), (-1, 3))]))
    mlflow.pytorch.save_model(module, str(work / "mlp"), signature=signature, pip_requirements=["torch"],
                              serialization_format="pickle")
    model = resolve(str(work / "mlp"))
    tensors = tensors_from_signature(model.signature, model_uri="mlp")
    torch_onnx.export(model.native, tensors, model.signature, 17, work / "mlp.onnx", "torchscript")
    spec = model.family.output_spec(model)
    sessions = {"pyfunc": lambda b: model.family.reference_outputs(model, spec, b),
                "ort-python": open_session("ort-python", work / "mlp.onnx", SessionSettings()).run,
                "ort-java": open_session("ort-java", work / "mlp.onnx", SessionSettings()).run}
    java = open_session("ort-java", work / "mlp.onnx", SessionSettings())
    rng = np.random.default_rng(0)
    print("\ntensor model (PyTorch MLP 6-16-3, TorchScript export, opset 17): samples per second, bridge overhead")
    print(f"{'batch':>6}{'pyfunc':>12}{'ort-python':>12}{'ort-java':>12}{'java inside':>13}{'via harness':>13}{'ratio':>8}")
    out = {}
    for size in BRIDGE_BATCHES:
        batch = {"input": rng.normal(size=(size, 6)).astype(np.float32)}
        repeats = 200 if size < 1000 else 30
        rates = {name: size / median_seconds(lambda: run(batch), repeats) for name, run in sessions.items()}
        inside = statistics.median(java.time_inside_java(batch, repeats)) / 1e9
        through = median_seconds(lambda: java.run(batch), repeats)
        out[str(size)] = {"samples_per_second": rates, "inside_java_s": inside, "via_harness_s": through,
                          "ratio": through / inside}
        print(f"{size:>6}{rates['pyfunc']:>12,.0f}{rates['ort-python']:>12,.0f}{rates['ort-java']:>12,.0f}"
              f"{inside * 1e6:>11.1f}us{through * 1e6:>11.1f}us{through / inside:>8.2f}")
    return out


def through_and_inside_java(session, batch, repeats: int) -> tuple[float, float]:
    """Median seconds of the harness's own call on ``batch`` and of the scorer's call timed inside Java,
    interleaved, so a busy moment of a shared machine weighs on both alike."""
    session.run(batch)  # warm-up
    runs, inside = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(batch)
        runs.append(time.perf_counter() - start)
        inside.append(session.time_inside_java(batch, 1)[0] / 1e9)
    return statistics.median(runs), statistics.median(inside)


def boosting_bench(work: Path) -> dict:
    """The native JVM scorers of gradient-boosting model files (XGBoost4J on mlflow.xgboost's model.ubj, lightgbm4j
    on mlflow.lightgbm's model.lgb), at batch 4096: rows per second through the harness (feature matrix, direct
    buffer, predict, outputs copied out) vs the scorer's predict() on a ready-made buffer timed inside Java
    (``timePredict``)."""
    try:
        import lightgbm  # noqa: F401
        import xgboost  # noqa: F401
    except ImportError:
        print("\nboosting models: skipped (the boost extra, with xgboost and lightgbm, is not installed)")
        return {}
    import numpy as np
    import pandas as pd

    from fixtures import boosting
    from harness.runtimes import SessionSettings, open_session
    from harness.source import resolve

    cases = {"xgboost4j": "xgb-booster-multiclass", "lightgbm-jvm": "lgbm-booster-binary"}
    print(f"\ngradient-boosting model files ({boosting.TREES} trees of depth {boosting.DEPTH}), batch of {ROWS} "
          "rows, 1 thread: rows per second")
    print(f"{'runtime':<14}{'model':<24}{'reference':>12}{'via harness':>13}{'inside Java':>15}{'ratio':>8}")
    out = {}
    for runtime, kind_name in cases.items():
        kind = boosting.KINDS[kind_name]
        model, frame = kind.build()
        boosting.save(kind, work / kind_name, model, frame)
        under_test = resolve(str(work / kind_name))
        path = next(a.path for a in under_test.family.logged_artifacts(under_test))
        rng = np.random.default_rng(1)
        batch = pd.DataFrame(rng.normal(0, 3, (ROWS, frame.shape[1])), columns=frame.columns)
        spec = under_test.family.output_spec(under_test)
        session = open_session(runtime, path, SessionSettings())
        pyfunc = ROWS / median_seconds(lambda: under_test.family.reference_outputs(under_test, spec, batch), 20)
        through, alone = through_and_inside_java(session, batch, 30)
        session.close()
        out[runtime] = {"model": kind_name, "rows": ROWS, "pyfunc_rows_per_second": pyfunc,
                        "via_harness_rows_per_second": ROWS / through, "predict_alone_rows_per_second": ROWS / alone,
                        "via_harness_s": through, "predict_alone_s": alone, "ratio": through / alone,
                        "inside_java": "predict() on a ready-made buffer, timed by Java (timePredict)"}
        print(f"{runtime:<14}{kind_name:<24}{pyfunc:>12,.0f}{ROWS / through:>13,.0f}{ROWS / alone:>15,.0f}"
              f"{through / alone:>8.2f}")
    return out


def h2o_mojo_bench() -> dict:
    """h2o-genmodel on a GBM binomial MOJO (the small one the Java tests use: columns a, b numeric and color
    categorical), at batch 4096: rows per second through the harness (numeric columns as one direct buffer, strings
    as String[], outputs read back) vs the scorer's predict() on the same Java arguments timed inside Java. No H2O
    cluster is needed: the MOJO is read by the JVM alone."""
    import numpy as np
    import pandas as pd

    from harness.runtimes import SessionSettings, open_session

    mojo = Path(__file__).resolve().parents[1] / "java" / "src" / "test" / "resources" / "h2o_binomial.zip"
    rng = np.random.default_rng(3)
    batch = pd.DataFrame({"a": rng.normal(size=ROWS), "b": rng.normal(size=ROWS),
                          "color": rng.choice(["red", "green", "blue"], ROWS)})
    session = open_session("h2o-mojo", mojo, SessionSettings())
    through, alone = through_and_inside_java(session, batch, 15)
    session.close()
    print(f"\nH2O MOJO (GBM binomial, 3 trees; 2 numeric + 1 categorical column), batch of {ROWS} rows: rows per second")
    print(f"{'runtime':<14}{'via harness':>13}{'inside Java':>15}{'ratio':>8}")
    print(f"{'h2o-mojo':<14}{ROWS / through:>13,.0f}{ROWS / alone:>15,.0f}{through / alone:>8.2f}")
    return {"rows": ROWS, "via_harness_rows_per_second": ROWS / through, "inside_java_rows_per_second": ROWS / alone,
            "ratio": through / alone}


if __name__ == "__main__":
    sys.exit(main())
