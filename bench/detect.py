"""`make detect`: does the harness find divergences that uniform random inputs miss, without false alarms?

For every case of fixtures/divergent.py (models paired with the ONNX file a team would deploy: faithful exports,
and files with an injected or natural divergence) and one example budget, it runs
- the harness's search (edge values, thresholds, decision boundary, data rows, targeted search) on the deployed
  file, through the real flow (a local MLflow model directory, ModelCheck, ONNX Runtime in Python);
- a baseline in the style of Polygraphy's default data loader: one row per example, every number uniform in [0, 1)
  (strings drawn from the model's categories), seeded;
and prints, per case and in total: found or not, examples until found, and false alarms on the equivalent cases.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / ".bench" / "detect.json"


def save_case(case, folder: Path) -> tuple[Path, Path]:
    import mlflow.sklearn
    import onnx
    from mlflow.models import infer_signature
    from mlflow.models.signature import ModelSignature
    from mlflow.types import ColSpec, Schema

    from fixtures.models import PIP_REQUIREMENTS

    model, frame, graph = case.build()
    signature = infer_signature(frame, model.predict(frame))
    if case.optional:
        inputs = [ColSpec(s.type, s.name, required=s.name not in case.optional) for s in signature.inputs.inputs]
        signature = ModelSignature(Schema(inputs), signature.outputs)
    model_dir = folder / "model"
    mlflow.sklearn.save_model(model, str(model_dir), signature=signature, input_example=frame.head(5),
                              pip_requirements=PIP_REQUIREMENTS, serialization_format="cloudpickle")
    onnx_path = folder / "deployed.onnx"
    onnx.save(graph, str(onnx_path))
    return model_dir, onnx_path


def uniform_baseline(check, cell, budget: int, seed: int) -> int | None:
    """Examples until the first divergence with Polygraphy-style inputs (None: not found within the budget)."""
    from harness.compare import compare
    from harness.inputs import to_frame
    from harness.search import ReferenceRejected

    rng = np.random.default_rng(seed)
    run = check.runner(cell)
    for index in range(1, budget + 1):
        data = {}
        for column in check.columns:
            if column.type == "string":
                data[column.name] = [rng.choice(column.categories) if column.categories else "a"]
            elif column.type == "boolean":
                data[column.name] = [bool(rng.random() < 0.5)]
            elif column.type in ("long", "integer"):
                data[column.name] = [int(rng.random() * 2)]
            else:
                data[column.name] = [float(rng.random())]
        batch = to_frame(data, check.columns)
        try:
            expected = check.reference.outputs(batch)
        except ReferenceRejected:
            continue
        try:
            actual = run(batch)
        except Exception:
            return index
        if any(d.diverged for d in compare(expected, actual, check.config.tolerances)):
            return index
    return None


def main(argv=None) -> int:
    from fixtures.divergent import cases
    from harness.config import RunConfig
    from harness.check import DIVERGED, ModelCheck

    parser = argparse.ArgumentParser(prog="python -m bench.detect")
    parser.add_argument("--budget", type=int, default=100, help="examples per case, for both searches")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = []
    work = Path(tempfile.mkdtemp(prefix="harness-detect-"))
    print(f"example budget {args.budget}, seed {args.seed}, default tolerances (atol = rtol = 1e-5)\n")
    print(f"{'case':<52}{'injected':<30}{'harness':>10}{'baseline':>10}")
    for index, case in enumerate(cases()):
        folder = work / f"case{index}"
        folder.mkdir()
        model_dir, onnx_path = save_case(case, folder)
        config = RunConfig(model_uris=[str(model_dir)], runtimes=["ort-python"], opsets=[17],
                           artifacts=[str(onnx_path)], max_examples=args.budget, seed=args.seed,
                           work_dir=folder / "artifacts")
        check = ModelCheck(str(model_dir), config)
        cell = next(c for c in check.cells if c.artifact.origin == "supplied")
        started = time.perf_counter()
        check.run_cell(cell)
        seconds = time.perf_counter() - started
        harness = cell.result.first_divergence_at if cell.status == DIVERGED else None
        baseline = uniform_baseline(check, cell, args.budget, args.seed)
        rows.append({"case": case.name, "divergent": case.divergent, "what": case.what, "status": cell.status,
                     "reason": cell.reason, "harness_examples": harness, "baseline_examples": baseline,
                     "seconds": seconds})
        show = lambda n: "-" if n is None else str(n)  # noqa: E731
        print(f"{case.name:<52}{case.what:<30}{show(harness):>10}{show(baseline):>10}", flush=True)

    divergent = [r for r in rows if r["divergent"]]
    equivalent = [r for r in rows if not r["divergent"]]
    summary = {}
    for who in ("harness", "baseline"):
        found = [r[f"{who}_examples"] for r in divergent if r[f"{who}_examples"] is not None]
        false_alarms = [r["case"] for r in equivalent if r[f"{who}_examples"] is not None]
        summary[who] = {"found": len(found), "of": len(divergent),
                        "median_examples_until_found": statistics.median(found) if found else None,
                        "false_alarms": len(false_alarms), "false_alarm_cases": false_alarms}
    print(f"\n{'':<12}{'found':>10}{'median examples':>18}{'false alarms':>15}")
    for who, s in summary.items():
        print(f"{who:<12}{s['found']:>5} / {s['of']:<2}{str(s['median_examples_until_found']):>18}"
              f"{s['false_alarms']:>9} / {len(equivalent)}")
    errors = [r for r in rows if r["status"] not in ("pass", "diverged")]
    for r in errors:
        print(f"note: {r['case']}: {r['status']}: {r['reason']}")
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps({"budget": args.budget, "seed": args.seed, "cases": rows, "summary": summary},
                              indent=2, default=str))
    print(f"\nresults: {OUT}")
    h, b = summary["harness"], summary["baseline"]
    met = h["found"] == h["of"] and h["false_alarms"] == 0 and h["found"] > b["found"]
    print("target met: every divergence found, no false alarm, more than the baseline" if met else "target NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
