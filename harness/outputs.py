"""Every runtime's raw outputs -> the same named outputs, so they can be compared with the reference's.

A scikit-learn classifier's outputs are ``label`` (N,) and ``probabilities`` (N, classes, in the estimator's
``classes_`` order); a regressor's is ``prediction``. An onnx-flavor model keeps its graph's output names.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness import sklearn_model
from harness.runtimes import RawOutput

LABEL, PROBABILITIES, PREDICTION = "label", "probabilities", "prediction"


@dataclass(frozen=True)
class OutputSpec:
    kind: str  # "classifier", "regressor" or "named"
    classes: tuple | None = None
    names: tuple = ()  # "named": the reference's output names, in order

    @classmethod
    def of(cls, model) -> "OutputSpec":
        if model.flavor != "sklearn":
            return cls("named", names=tuple(output_names(model.signature)) if model.array_in_array_out else ())
        estimator = model.native
        if sklearn_model.is_classifier(estimator):
            return cls("classifier", tuple(sklearn_model.classes(estimator).tolist()))
        return cls("regressor")


def output_names(signature) -> list[str]:
    """The graph's output names: the signature's, else 'output' (or output_0, output_1, ... for several)."""
    specs = signature.outputs.inputs if signature is not None and signature.outputs is not None else []
    if specs and all(s.name for s in specs):
        return [s.name for s in specs]
    return ["output"] if len(specs) <= 1 else [f"output_{i}" for i in range(len(specs))]


class OutputMismatch(ValueError):
    """A runtime's outputs cannot be matched to the reference's (missing output, wrong count of columns)."""


def reference_outputs(model, spec: OutputSpec, batch: pd.DataFrame) -> dict[str, np.ndarray]:
    """What the trained model computes: PyFunc's prediction, plus the native probabilities of a classifier."""
    if spec.kind == "named":
        single = isinstance(batch, dict) and len(batch) == 1 and model.array_in_array_out
        predicted = model.pyfunc.predict(next(iter(batch.values())) if single else batch)
        if isinstance(predicted, dict):
            return {name: np.asarray(v) for name, v in predicted.items()}
        if isinstance(predicted, pd.DataFrame):
            return {name: np.stack(predicted[name].to_numpy()) for name in predicted.columns}
        return {output_names(model.signature)[0]: np.asarray(predicted)}
    predicted = model.pyfunc.predict(batch)
    predicted = np.asarray(predicted)
    if spec.kind == "regressor":
        return {PREDICTION: _squeeze_rows(predicted, len(batch))}
    outputs = {LABEL: predicted.reshape(len(batch))}
    if hasattr(model.native, "predict_proba"):
        outputs[PROBABILITIES] = np.asarray(model.native.predict_proba(batch), dtype=np.float64)
    return outputs


def from_onnx(spec: OutputSpec, raw: list[RawOutput], rows: int) -> dict[str, np.ndarray]:
    """skl2onnx's convention, by position and type: a label tensor then a probability tensor (or ZipMap)."""
    if spec.kind == "named":
        by_name = {r.name: r.values for r in raw}
        if spec.names and not set(spec.names) <= set(by_name) and len(spec.names) == len(raw):
            return {name: r.values for name, r in zip(spec.names, raw)}  # an exporter's own names: by position
        return by_name
    floats = [r for r in raw if r.keys is not None or r.values.dtype.kind == "f"]
    if spec.kind == "regressor":
        if not floats:
            raise OutputMismatch(f"no numeric output among {[r.name for r in raw]}")
        return {PREDICTION: _squeeze_rows(floats[0].values, rows)}
    labels = [r for r in raw if r.values.dtype.kind in "iuOUb" and r.keys is None]
    outputs = {}
    if labels:
        outputs[LABEL] = labels[0].values.reshape(rows)
    if floats:
        outputs[PROBABILITIES] = _class_columns(floats[0], spec.classes)
    return outputs


def from_pmml(spec: OutputSpec, raw: list[RawOutput], rows: int) -> dict[str, np.ndarray]:
    """JPMML's target field (the first result) is the label or prediction; ``probability(<class>)`` fields are
    the probabilities."""
    by_name = {r.name: r.values for r in raw}
    target = raw[0].name
    if spec.kind == "regressor":
        return {PREDICTION: np.asarray(by_name[target], dtype=np.float64)}
    outputs = {LABEL: by_name[target]}
    columns = [by_name.get(f"probability({c})") for c in spec.classes]
    if all(c is not None for c in columns):
        outputs[PROBABILITIES] = np.column_stack(columns).astype(np.float64)
    return outputs


def _squeeze_rows(values: np.ndarray, rows: int) -> np.ndarray:
    return values.reshape(rows) if values.size == rows else values.reshape(rows, -1)


def _class_columns(output: RawOutput, classes) -> np.ndarray:
    values = output.values.reshape(output.values.shape[0], -1)
    if output.keys is not None:  # ZipMap: order the columns as the estimator's classes
        position = {key: i for i, key in enumerate(output.keys)}
        missing = [c for c in classes if str(c) not in position]
        if missing:
            raise OutputMismatch(f"output '{output.name}' has no probability for classes {missing}")
        values = values[:, [position[str(c)] for c in classes]]
    if values.shape[1] != len(classes):
        raise OutputMismatch(
            f"output '{output.name}' has {values.shape[1]} probability columns for {len(classes)} classes"
        )
    return values
