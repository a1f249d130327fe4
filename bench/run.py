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

    from harness import outputs
    from harness.export import sklearn_onnx, sklearn_pmml
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
    spec = outputs.OutputSpec.of(under_test)
    sessions = {
        "pyfunc": lambda b: outputs.reference_outputs(under_test, spec, b),
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
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2))
    print(f"\nresults: {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
