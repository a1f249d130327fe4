"""Every artifact the harness makes from a model under test: ONNX at each requested opset, and PMML.

One module per exporter; this one only decides which exporter applies to which flavor, and turns an exporter's
failure into an ``export-failed`` artifact with the converter's reason instead of a crash.
"""
from __future__ import annotations

from pathlib import Path

from harness.artifacts import ONNX, PMML, Artifact, declared_onnx_opset
from harness.export import onnx_opset, sklearn_onnx, sklearn_pmml, tf_onnx, torch_onnx
from harness.source import KERAS_FLAVORS

# ONNX Runtime 1.29 loads default-domain opsets up to 26; skl2onnx 1.20 is tested up to 22.
ORT_MAX_OPSET = 26
OLDEST_SWEPT_OPSET = 13  # the oldest opset current exporters default to; older ones are asked for explicitly


def default_opsets(flavor: str) -> list[int]:
    """The sweep used when --opsets is not given: every opset both the exporter and onnxruntime support."""
    if flavor == "pytorch":
        return [13, 17, 18, 20]  # two exporters each: a representative sweep (dynamo builds at 18)
    if flavor in KERAS_FLAVORS:
        return [13, 15, 17, 18]  # tf2onnx 1.17's range
    if flavor == "sklearn":
        import skl2onnx

        newest = min(skl2onnx.__max_supported_opset__, ORT_MAX_OPSET)
    else:
        newest = ORT_MAX_OPSET
    return list(range(OLDEST_SWEPT_OPSET, newest + 1))


def planned_artifacts(model, opsets: list[int], formats: set[str]) -> list[Artifact]:
    """The artifacts the harness will make for this model, before any export runs (for collection)."""
    planned = []
    if model.flavor == "onnx":
        planned.append(Artifact(format=ONNX, origin="logged", path=model.onnx_path,
                                opset_actual=declared_onnx_opset(model.onnx_path)))
        if ONNX in formats:
            planned += [Artifact(format=ONNX, origin="exported", exporter=onnx_opset.exporter_name(),
                                 opset_requested=opset) for opset in opsets]
    elif model.flavor == "pytorch" and ONNX in formats:
        planned += [Artifact(format=ONNX, origin="exported", exporter=torch_onnx.exporter_name(kind),
                             opset_requested=opset) for opset in opsets for kind in torch_onnx.EXPORTERS]
    elif model.flavor in KERAS_FLAVORS and ONNX in formats:
        planned += [Artifact(format=ONNX, origin="exported", exporter=tf_onnx.exporter_name(),
                             opset_requested=opset) for opset in opsets]
    elif model.flavor == "sklearn":
        if ONNX in formats:
            planned += [Artifact(format=ONNX, origin="exported", exporter=sklearn_onnx.exporter_name(),
                                 opset_requested=opset) for opset in opsets]
        if PMML in formats:
            planned.append(Artifact(format=PMML, origin="exported", exporter=sklearn_pmml.exporter_name()))
    return planned


def export(artifact: Artifact, model, inputs, out_dir: Path) -> None:
    """Run the artifact's exporter (``inputs``: the signature's columns or tensors), filling in ``path`` and
    ``opset_actual``, or ``error`` when it fails."""
    if artifact.origin != "exported" or artifact.path is not None or artifact.error:
        return
    path = out_dir / f"{artifact.label}.{artifact.format}"
    try:
        if model.flavor == "onnx":
            onnx_opset.export(model.onnx_path, artifact.opset_requested, path)
        elif model.flavor in KERAS_FLAVORS:
            tf_onnx.export(model.native, inputs, artifact.opset_requested, path)
        elif model.flavor == "pytorch":
            kind = artifact.exporter.split()[0].removeprefix("torch.onnx-")
            torch_onnx.export(model.native, inputs, model.signature, artifact.opset_requested, path, kind)
        elif artifact.format == ONNX:
            sklearn_onnx.export(model.native, inputs, artifact.opset_requested, path)
        else:
            sklearn_pmml.export(model.native, inputs, path)
    except Exception as error:  # any converter failure is this artifact's result, never the run's crash
        artifact.error = f"{type(error).__name__}: {error}".strip()
        return
    artifact.path = path
    if artifact.format == ONNX:
        artifact.opset_actual = declared_onnx_opset(path)
