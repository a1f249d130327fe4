"""Values worth trying, read off the model and its artifacts: where the computation changes branch.

- Tree split thresholds, from the model (its flavor's input hints), the ONNX TreeEnsemble attributes and the PMML
  predicates,
  with their float32 and float64 neighbours: a value exactly at, just below and just above a threshold is where
  float32-vs-float64 comparison and moved thresholds show.

Everything here maps values to *input columns*; a feature the harness cannot trace back to a column is ignored.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

MAX_PER_COLUMN = 64


def neighbours(value: float) -> list[float]:
    """The value, and the next representable numbers on both sides in float32 and in float64."""
    out = {float(value)}
    for dtype in (np.float32, np.float64):
        v = dtype(value)
        out |= {float(v), float(np.nextafter(v, dtype(np.inf))), float(np.nextafter(v, dtype(-np.inf)))}
    return sorted(x for x in out if np.isfinite(x))


def onnx_thresholds(path: Path, columns: list[str]) -> dict[str, list[float]]:
    """TreeEnsemble{Regressor,Classifier} node thresholds of a single-matrix-input ONNX file."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path), load_external_data=False)
    if len(model.graph.input) != 1:
        return {}
    found = defaultdict(list)
    for node in model.graph.node:
        if not node.op_type.startswith("TreeEnsemble"):
            continue
        attributes = {a.name: a for a in node.attribute}
        features = list(attributes["nodes_featureids"].ints) if "nodes_featureids" in attributes else []
        modes = list(attributes["nodes_modes"].strings) if "nodes_modes" in attributes else []
        features = [-1 if i < len(modes) and modes[i] == b"LEAF" else f for i, f in enumerate(features)]
        if "nodes_values" in attributes:
            values = list(attributes["nodes_values"].floats)
        elif "nodes_values_as_tensor" in attributes:
            values = numpy_helper.to_array(attributes["nodes_values_as_tensor"].t).tolist()
        else:
            continue
        for feature, value in zip(features, values):
            if 0 <= feature < len(columns):
                found[columns[feature]].append(float(value))
    return dict(found)


def pmml_thresholds(path: Path) -> dict[str, list[float]]:
    """Numeric SimplePredicate values, by field (field names are the input columns for sklearn2pmml's PMML)."""
    import xml.etree.ElementTree as ElementTree

    text = Path(path).read_text(errors="replace")
    if "<!DOCTYPE" in text:
        return {}
    found = defaultdict(list)
    for element in ElementTree.fromstring(text).iter():
        if element.tag.endswith("SimplePredicate") and element.get("operator") in (
                "lessThan", "lessOrEqual", "greaterThan", "greaterOrEqual", "equal"):
            try:
                found[element.get("field")].append(float(element.get("value")))
            except (TypeError, ValueError):
                pass
    return dict(found)


def as_float32_split(threshold: float) -> np.float32:
    """The float32 threshold a faithful converter writes for a float64 one: the largest float32 not above it,
    so that ``x32 <= t32`` exactly when ``x32 <= t64`` (what skl2onnx does)."""
    t32 = np.float32(threshold)
    return np.nextafter(t32, np.float32(-np.inf)) if float(t32) > threshold else t32


def suspicious_values(model_thresholds: dict, artifact_thresholds: list[dict]) -> dict[str, list[float]]:
    """Thresholds an ONNX artifact has more or fewer times than the model (compared as float32 splits): a moved
    split shows here, even when it lands on another tree's threshold, and the inputs right at it are where the
    artifact and the model disagree."""
    out = defaultdict(set)
    for source in artifact_thresholds:
        for column, values in source.items():
            expected = Counter(as_float32_split(v) for v in model_thresholds.get(column, []))
            actual = Counter(np.float32(v) for v in values)
            for value in set(expected) | set(actual):
                if expected[value] != actual[value]:
                    out[column].update(neighbours(float(value)))
    return {c: sorted(v) for c, v in out.items()}


def interesting_values(model_thresholds: dict, columns: list[str], artifact_paths: list[Path]) -> tuple[dict, dict]:
    """Every threshold the model (``model_thresholds``, read by its flavor) and its artifacts reveal, with
    neighbours, per column (at most MAX_PER_COLUMN), and the suspicious ones: in an artifact but not in the model."""
    merged = defaultdict(set)
    sources, from_artifacts = [model_thresholds], []
    for path in artifact_paths:
        try:
            if path.suffix == ".onnx":
                from_artifacts.append(onnx_thresholds(path, columns))
            elif path.suffix in (".pmml", ".xml"):
                sources.append(pmml_thresholds(path))  # float64 splits: hints, not compared as float32
        except Exception:  # an unreadable artifact is reported by its cells; here it only costs hints
            continue
    for source in sources + from_artifacts:
        for column, values in source.items():
            if column in columns:
                for value in values:
                    merged[column].update(neighbours(value))
    out = {}
    for column, values in merged.items():
        values = sorted(values)
        if len(values) > MAX_PER_COLUMN:  # keep an even spread
            values = [values[i] for i in np.linspace(0, len(values) - 1, MAX_PER_COLUMN).astype(int)]
        out[column] = values
    suspicious = suspicious_values(model_thresholds, from_artifacts) if model_thresholds else {}
    return out, suspicious
