"""Planning a model's matrix: which artifacts exist or will be exported, and the export step itself.

Collection needs the cells before anything heavy runs, so planning reads only the flavor's declarations (its
exporters, default opsets and logged files); ``export`` runs an exporter once, on first need.
"""
from __future__ import annotations

from pathlib import Path

from harness import reasons
from harness.artifacts import ONNX, Artifact
from harness.onnx_versions import declared_opset


def planned_artifacts(model, opsets: list[int] | None, formats: set[str],
                      converter_options: dict | None = None) -> list[Artifact]:
    """The files the model's runtimes will load: those logged with it, then one per exporter (and opset). An
    exporter the flavor marks ``not_planned`` (with the reason its notes give) is left out unless its converter
    options say ``force=true``."""
    family = model.family
    planned = [a for a in family.logged_artifacts(model) if a.format in formats]
    opsets = opsets or family.default_opsets(model)
    for exporter in family.exporters(model):
        if exporter.format not in formats:
            continue
        if getattr(exporter, "not_planned", None) and not (converter_options or {}).get(exporter.name, {}).get("force"):
            continue
        for opset in (opsets if exporter.sweeps_opsets else [None]):
            planned.append(Artifact(format=exporter.format, origin="exported", exporter=exporter.label(),
                                    opset_requested=opset, maker=exporter))
    return planned


def export(artifact: Artifact, model, inputs, out_dir: Path, converter_options: dict | None = None) -> None:
    """Run the artifact's exporter (``inputs``: the signature's columns or tensors), filling in ``path`` and
    ``opset_actual``, or ``error`` when it fails (a converter failure is this artifact's result, never a crash)."""
    if artifact.origin != "exported" or artifact.path is not None or artifact.error:
        return
    path = out_dir / f"{artifact.label}.{artifact.format}"
    exporter = artifact.maker
    options = (converter_options or {}).get(exporter.name, {})
    artifact.options = options
    try:
        exporter.export(model, inputs, artifact.opset_requested, path, options)
    except Exception as error:
        artifact.error = reasons.describe(error)
        artifact.error_log = str(reasons.log_full(out_dir / "reasons.log", f"export {artifact.label}", error))
        return
    artifact.path = path
    if artifact.format == ONNX:
        artifact.opset_actual = declared_opset(path)
