"""Every runtime's raw outputs -> the same named outputs, so they can be compared with the reference's.

What the outputs mean is the flavor's to say (an :class:`OutputSpec`): a classifier's outputs are ``label`` (N,)
and ``probabilities`` (N, classes, in the model's class order); a regressor's is ``prediction``; a model with
named outputs (an onnx-flavor graph, a tensor model) keeps its names. How a runtime's raw outputs map onto them
depends on the artifact format: ONNX files follow the converters' convention (a label tensor then a probability
tensor or ZipMap), PMML files JPMML's (the target field, then ``probability(<class>)`` fields). The other kinds
(a classifier without predict_proba, a clusterer, an outlier detector, a transformer, a multi-output regressor) are
mapped at the end of this module; an output an artifact does not have is declared ``absent`` (``NamedOutputs``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.artifacts import ONNX, PMML
from harness.runtimes import RawOutput

LABEL, PROBABILITIES, PREDICTION = "label", "probabilities", "prediction"
# the other kinds' outputs: a classifier's decision_function (no predict_proba) or an outlier detector's; a
# clusterer's distances to each centre (KMeans.transform); an outlier detector's score_samples; a transformer's output
DECISION, DISTANCES, SCORES, TRANSFORMED = "decision_function", "distances", "score_samples", "transformed"


class NamedOutputs(dict):
    """A runtime's named outputs, and the reference outputs its artifact does not have at all (``absent``: name ->
    why, e.g. a PMML file without probability fields). ``harness.compare`` reports those as ``not-in-artifact``:
    a note, never a mismatch."""

    def __init__(self, outputs=(), absent: dict | None = None):
        super().__init__(outputs)
        self.absent = dict(absent or {})


@dataclass(frozen=True)
class OutputSpec:
    # "classifier" (label, probabilities), "decision" (a classifier without predict_proba: label, decision_function),
    # "clusterer" (label, distances), "outlier" (label +-1, decision_function, score_samples), "transformer"
    # (transformed), "regressor" (prediction) or "named"
    kind: str
    classes: tuple | None = None  # a clusterer's: the cluster ids; an outlier detector's: (-1, 1)
    names: tuple = ()  # "named": the reference's output names, in order
    columns: int | None = None  # "regressor": outputs per row (a multi-output regressor's targets); None: one
    # outputs only the model's own file format gives (XGBoost's raw "margin"): an artifact of another format (ONNX,
    # PMML) does not have them, which is a note (not-in-artifact), never a mismatch
    native_only: tuple = ()

    @classmethod
    def from_signature(cls, signature) -> "OutputSpec":
        """Named outputs, named by the signature (for pyfuncs that return one unnamed array)."""
        return cls("named", names=tuple(output_names(signature)))


def output_names(signature) -> list[str]:
    """The graph's output names: the signature's, else 'output' (or output_0, output_1, ... for several)."""
    specs = signature.outputs.inputs if signature is not None and signature.outputs is not None else []
    if specs and all(s.name for s in specs):
        return [s.name for s in specs]
    return ["output"] if len(specs) <= 1 else [f"output_{i}" for i in range(len(specs))]


class OutputMismatch(ValueError):
    """A runtime's outputs cannot be matched to the reference's (missing output, wrong count of columns)."""


def named_reference_outputs(model, batch) -> dict[str, np.ndarray]:
    """What a model with named outputs computes: the PyFunc prediction, by output name."""
    single = isinstance(batch, dict) and len(batch) == 1 and model.family.array_in_array_out
    pyfunc = model.pyfunc
    if isinstance(batch, dict) and not _describes_tensors(model.signature):
        # MLflow could not infer a signature (``[Any]``, e.g. for a 0-d input) and its schema enforcement turns a
        # dict of tensors into a DataFrame the flavor then cannot read: call the flavor's own loaded model, as
        # PyFunc does after enforcement.
        pyfunc = getattr(pyfunc, "_model_impl", pyfunc)
    predicted = pyfunc.predict(next(iter(batch.values())) if single else batch)
    if isinstance(predicted, dict):
        return {name: np.asarray(v) for name, v in predicted.items()}
    if isinstance(predicted, pd.DataFrame):
        return {name: np.stack(predicted[name].to_numpy()) for name in predicted.columns}
    return {output_names(model.signature)[0]: np.asarray(predicted)}


def _describes_tensors(signature) -> bool:
    return bool(signature is not None and signature.inputs is not None and (
        signature.inputs.is_tensor_spec() or signature.inputs.has_input_names()))


def named(spec: OutputSpec, artifact_format: str, raw: list[RawOutput], rows: int) -> dict[str, np.ndarray]:
    """A runtime's raw outputs by the convention of the artifact's format."""
    if artifact_format == ONNX:
        found = from_onnx(spec, raw, rows)
    elif artifact_format == PMML:
        found = from_pmml(spec, raw, rows)
    else:
        found = {r.name: r.values for r in raw}
    return native_only_absent(spec, artifact_format, found)


def native_only_absent(spec: OutputSpec, artifact_format: str, found: dict) -> dict:
    """The spec's native-only outputs (``OutputSpec.native_only``) an artifact lacks, marked not-in-artifact."""
    lacking = [name for name in spec.native_only if name not in found]
    if not lacking:
        return found
    outputs = found if isinstance(found, NamedOutputs) else NamedOutputs(found)
    for name in lacking:
        outputs.absent.setdefault(name, f"the {artifact_format.upper()} file has no '{name}' output: only the "
                                        "model's own file format gives it")
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
        return {PREDICTION: squeeze_rows(floats[0].values, rows)}
    labels = [r for r in raw if r.values.dtype.kind in "iuOUb" and r.keys is None]
    if spec.kind in KIND_FROM_ONNX:
        return KIND_FROM_ONNX[spec.kind](spec, labels, floats, rows)
    outputs = NamedOutputs()
    if labels:
        outputs[LABEL] = labels[0].values.reshape(rows)
    if floats:
        outputs[PROBABILITIES] = _class_columns(floats[0], spec.classes)
    else:
        outputs.absent[PROBABILITIES] = f"the ONNX file has no probability output (only {[r.name for r in raw]})"
    return outputs


def from_pmml(spec: OutputSpec, raw: list[RawOutput], rows: int) -> dict[str, np.ndarray]:
    """JPMML's target field (the first result) is the label or prediction; ``probability(<class>)`` fields are
    the probabilities."""
    by_name = {r.name: r.values for r in raw}
    target = raw[0].name
    if spec.kind == "regressor":
        if (spec.columns or 1) > 1:  # a multi-output regressor: one target field per output, in order
            return {PREDICTION: np.column_stack([np.asarray(r.values, dtype=np.float64)
                                                 for r in raw[:spec.columns]])}
        return {PREDICTION: np.asarray(by_name[target], dtype=np.float64)}
    if spec.kind in KIND_FROM_PMML:
        return KIND_FROM_PMML[spec.kind](spec, raw, by_name)
    outputs = NamedOutputs({LABEL: by_name[target]})
    columns = [by_name.get(f"probability({c})") for c in spec.classes]
    if all(c is not None for c in columns):
        outputs[PROBABILITIES] = np.column_stack(columns).astype(np.float64)
    else:
        outputs.absent[PROBABILITIES] = _no_field("probability(<class>)", raw)
    return outputs


def squeeze_rows(values: np.ndarray, rows: int) -> np.ndarray:
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


# --- the kinds beyond classifiers and regressors ----------------------------------------------------------------
# skl2onnx's outputs, found by converting and running each (skl2onnx 1.20): KMeans / MiniBatchKMeans: ``label``
# (int64 [N]) and ``scores`` ([N, clusters], the Euclidean distances KMeans.transform gives); IsolationForest,
# OneClassSVM, LocalOutlierFactor: ``label`` (int64 [N, 1], +-1) and ``scores`` ([N, 1], decision_function), plus
# ``score_samples`` with the converter option score_samples=True; a classifier without predict_proba: a label and
# its decision function as [N, 1] (binary LinearSVC, RidgeClassifier), [N, 2] per-class scores (-df, +df) with
# raw_scores=True (binary SVC by default writes (+df, -df): the exporter asks for raw_scores) or [N, classes];
# a transformer: one float tensor [N, columns].
# JPMML's results of sklearn2pmml's files: KMeans: an unnamed target (the cluster id), ``cluster`` and
# ``affinity(<id>)`` (the squared Euclidean distance: sklearn2pmml writes the squaredEuclidean measure);
# IsolationForest / OneClassSVM: the raw anomaly score or decision function as an unnamed target, ``decisionFunction``
# (= decision_function), ``outlier`` (boolean) and ``predict(outlier)`` (+-1); a classifier without predict_proba:
# the target only; a multi-output regressor: one target field per output.


def _decision_from_onnx(spec: OutputSpec, labels, floats, rows: int) -> NamedOutputs:
    outputs = NamedOutputs()
    if labels:
        outputs[LABEL] = labels[0].values.reshape(rows)
    if floats:
        outputs[DECISION] = decision_columns(floats[0], spec.classes, rows)
    else:
        outputs.absent[DECISION] = "the ONNX file has no score output"
    return outputs


def decision_columns(output: RawOutput, classes, rows: int) -> np.ndarray:
    """A classifier's decision_function from an ONNX score output: binary -> [N] (the last column: [N, 1] is the
    decision function itself, [N, 2] the per-class scores -df, +df), else [N, classes]."""
    values = _class_columns(output, classes) if output.keys is not None else output.values.reshape(rows, -1)
    if len(classes) == 2:
        if values.shape[1] not in (1, 2):
            raise OutputMismatch(f"output '{output.name}' has {values.shape[1]} score columns for a binary classifier")
        return values[:, -1]
    if values.shape[1] != len(classes):
        raise OutputMismatch(f"output '{output.name}' has {values.shape[1]} score columns for {len(classes)} classes")
    return values


def _clusterer_from_onnx(spec: OutputSpec, labels, floats, rows: int) -> NamedOutputs:
    outputs = NamedOutputs()
    if labels:
        outputs[LABEL] = labels[0].values.reshape(rows)
    if floats:
        distances = floats[0].values.reshape(rows, -1)
        if spec.classes and distances.shape[1] != len(spec.classes):
            raise OutputMismatch(f"output '{floats[0].name}' has {distances.shape[1]} columns for "
                                 f"{len(spec.classes)} clusters")
        outputs[DISTANCES] = distances
    else:
        outputs.absent[DISTANCES] = "the ONNX file has no distance (scores) output"
    return outputs


def _outlier_from_onnx(spec: OutputSpec, labels, floats, rows: int) -> NamedOutputs:
    outputs = NamedOutputs()
    if labels:
        outputs[LABEL] = labels[0].values.reshape(rows)
    samples = [r for r in floats if r.name == SCORES]
    others = [r for r in floats if r.name != SCORES]
    if others:
        outputs[DECISION] = others[0].values.reshape(rows)
    else:
        outputs.absent[DECISION] = "the ONNX file has no scores output"
    if samples:
        outputs[SCORES] = samples[0].values.reshape(rows)
    else:
        outputs.absent[SCORES] = ("the ONNX file has no score_samples output (skl2onnx writes one with the converter "
                                  "option score_samples=True, where the estimator's converter has it)")
    return outputs


def _transformer_from_onnx(spec: OutputSpec, labels, floats, rows: int) -> NamedOutputs:
    if not floats:
        raise OutputMismatch("the ONNX file has no numeric output")
    return NamedOutputs({TRANSFORMED: floats[0].values.reshape(rows, -1)})


KIND_FROM_ONNX = {"decision": _decision_from_onnx, "clusterer": _clusterer_from_onnx,
                  "outlier": _outlier_from_onnx, "transformer": _transformer_from_onnx}


def _no_field(what: str, raw: list[RawOutput]) -> str:
    return f"the PMML file has no {what} output field (its results: {', '.join(r.name for r in raw)})"


def _decision_from_pmml(spec: OutputSpec, raw, by_name) -> NamedOutputs:
    return NamedOutputs({LABEL: raw[0].values}, absent={DECISION: _no_field("decision function", raw)})


def _clusterer_from_pmml(spec: OutputSpec, raw, by_name) -> NamedOutputs:
    outputs = NamedOutputs({LABEL: by_name.get("cluster", raw[0].values)})
    affinities = [by_name.get(f"affinity({c})") for c in spec.classes or ()]
    if affinities and all(a is not None for a in affinities):
        # sklearn2pmml writes KMeans with the squaredEuclidean measure: affinity is the squared distance
        outputs[DISTANCES] = np.sqrt(np.column_stack(affinities).astype(np.float64))
    else:
        outputs.absent[DISTANCES] = _no_field("affinity(<cluster>)", raw)
    return outputs


def _outlier_from_pmml(spec: OutputSpec, raw, by_name) -> NamedOutputs:
    outputs = NamedOutputs()
    if "predict(outlier)" in by_name:
        outputs[LABEL] = by_name["predict(outlier)"]
    elif "outlier" in by_name:  # true = an outlier (-1)
        outputs[LABEL] = np.where(np.asarray(by_name["outlier"]).astype(str) == "true", -1, 1)
    else:
        outputs.absent[LABEL] = _no_field("predict(outlier) or outlier", raw)
    if "decisionFunction" in by_name:
        outputs[DECISION] = np.asarray(by_name["decisionFunction"], dtype=np.float64)
    else:
        outputs.absent[DECISION] = _no_field("decisionFunction", raw)
    outputs.absent[SCORES] = _no_field("score_samples", raw)
    return outputs


def _transformer_from_pmml(spec: OutputSpec, raw, by_name) -> NamedOutputs:
    return NamedOutputs(absent={TRANSFORMED: "a PMML model's results are its target and output fields, not a "
                                             "transformer's columns"})


KIND_FROM_PMML = {"decision": _decision_from_pmml, "clusterer": _clusterer_from_pmml,
                  "outlier": _outlier_from_pmml, "transformer": _transformer_from_pmml}
