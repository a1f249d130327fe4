"""XGBoost model files (what ``mlflow.xgboost`` saves: UBJ ``model.ubj`` by default, or JSON) scored by XGBoost4J
(``ml.dmlc:xgboost4j_2.12``) in this process's JVM, through ``harness.bridge.Xgboost4jScorer``.

A batch crosses the bridge once (``harness.runtimes.feature_matrix``): a float32 row-major matrix, columns in the
model's feature order, NaN = missing, categorical features as their codes. Each column is cast to float32 here as
XGBoost's Python package casts it when it builds a DMatrix (to nearest). The scorer returns ``margin`` (the raw sum of
the trees and the base score) and ``prediction`` (the objective's transform); both are compared: the margin as
``margin``, the prediction as the flavor's ``probabilities``/``label`` or ``prediction``.

The version rule: XGBoost4J must be at least as new as the xgboost that wrote the model. An older reader can read a
newer model without an error and compute something else: XGBoost4J 3.0.4 reads xgboost 3.2's ``base_score`` (now
written as a vector, ``"[6E-1]"``) wrongly and shifts every margin by a constant. The harness does not refuse such a
pair (the divergence is the evidence): it scores the model, and every cell of that pair says which versions met
(:meth:`Xgboost4j.caveat`).
"""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

from harness.flavors.xgboost import FORMAT
from harness.runtimes import RawOutput, Runtime, SessionSettings, feature_matrix, jvm

JAR = "xgboost4j_2.12"  # ml.dmlc:xgboost4j_2.12, copied to java/target/lib by `make java`


class Xgboost4j(Runtime):
    name = "xgboost4j"
    format = FORMAT
    in_jvm = True
    description = "XGBoost4J (JPype; one float32 matrix per batch, predicted in Java)"
    suffixes = (".ubj", ".json")  # --artifact files of this format

    def open(self, path, settings: SessionSettings) -> "Xgboost4jSession":
        return Xgboost4jSession(path, settings)

    def version(self) -> str | None:
        return jvm.jar_version(JAR)

    def versions(self) -> dict:
        return {"xgboost4j": self.version()}

    def caveat(self, path) -> str | None:
        """Says so when the XGBoost4J on the class path is older than the xgboost that wrote the model file."""
        reader = self.version()
        try:
            writer = written_by(path)
        except Exception:
            return None
        if reader is None or writer is None:
            return None
        if feature_matrix.version_key(reader) < feature_matrix.version_key(writer):
            return (f"version pair: XGBoost4J {reader} (the {JAR} jar on the class path) is older than xgboost "
                    f"{writer}, which wrote this model. An older XGBoost4J can read a newer model without an error "
                    "and compute something else (XGBoost4J 3.0.4 misreads the base_score xgboost 3.2.0 writes, a "
                    "vector such as \"[6E-1]\", and shifts every margin by a constant): score it with XGBoost4J "
                    f"{writer} or newer (supported: xgboost 3.2.0 with XGBoost4J 3.4.0).")
        return None

    def jvm_inputs(self, path, batch) -> list[dict]:
        """The matrix the scorer is fed for this batch (what a counterexample records for the Java replayer)."""
        header = model_header(path)
        return feature_matrix.recorded(feature_matrix.matrix(batch, header["features"], np.float32))

    def scorer_outputs(self, spec, named: dict) -> dict:
        """The flavor's outputs as the scorer's ``margin`` and ``prediction`` (for the plain-Java replayer)."""
        found = {}
        if "margin" in named:
            found["margin"] = named["margin"]
        prediction = feature_matrix.scorer_prediction(spec, named)
        if prediction is not None:
            found["prediction"] = prediction.tolist()
        return found

    def named_outputs(self, spec, raw: list[RawOutput], rows: int) -> dict[str, np.ndarray]:
        """``margin`` as is; ``prediction`` as the flavor's outputs: a classifier's probabilities (the positive
        class's for binary:logistic becomes two columns) and their label, multi:softmax's class index as the label,
        a regressor's value."""
        from harness.outputs import LABEL, PREDICTION, PROBABILITIES, OutputMismatch, squeeze_rows

        by_name = {r.name: r.values for r in raw}
        named = {"margin": squeeze_rows(by_name["margin"], rows)}
        prediction = by_name["prediction"].reshape(rows, -1)
        if spec.kind != "classifier":
            named[PREDICTION] = squeeze_rows(prediction, rows)
            return named
        classes = np.asarray(spec.classes)
        width = prediction.shape[1]
        if width == 1 and len(classes) > 2:  # multi:softmax: the class index
            named[LABEL] = classes[np.rint(prediction[:, 0]).astype(np.int64)]
            return named
        probabilities = prediction.astype(np.float64)
        if width == 1 and len(classes) == 2:
            probabilities = np.column_stack([1.0 - probabilities[:, 0], probabilities[:, 0]])
        if probabilities.shape[1] != len(classes):
            raise OutputMismatch(f"XGBoost4J gave {width} prediction columns for {len(classes)} classes")
        named[PROBABILITIES] = probabilities
        named[LABEL] = classes[np.argmax(probabilities, axis=1)]
        return named


class Xgboost4jSession:
    def __init__(self, path, settings: SessionSettings):
        if jvm.jar_version(JAR) is None:
            raise RuntimeError(
                f"{JAR} is not on the bridge's class path ({jvm.CLASSPATH_ENV} or java/target/lib), so XGBoost4J and "
                f"its native library (libxgboost4j.so, inside that jar) cannot load: no XGBoost model can be scored. "
                f"Run `make java` in the harness checkout (it copies ml.dmlc:{JAR} beside the bridge jar), or add the "
                "jar to the variable.")
        import jpype

        scorer_class = jvm.bridge_class("Xgboost4jScorer")
        try:
            self._scorer = scorer_class(str(path), int(settings.intra_op_threads))
        except jpype.JException as error:
            raise ValueError(
                f"XGBoost4J {scorer_class.version()} cannot read {path}: {feature_matrix.first_line(error.getMessage())}"
                ". The file should be a complete XGBoost model as Booster.save_model writes it (UBJ or JSON)."
            ) from None
        self.features = [str(n) for n in self._scorer.inputNames()]
        types = self._scorer.featureTypes()
        self.feature_types = None if types is None else [str(t) for t in types]

    def close(self) -> None:
        if self._scorer is not None:
            jvm.close_quietly(self._scorer)
            self._scorer = None

    def feed(self, batch) -> np.ndarray:
        return feature_matrix.matrix(batch, self.features, np.float32)

    def run(self, batch) -> list[RawOutput]:
        matrix = self.feed(batch)
        result = self._scorer.predict(feature_matrix.direct_buffer(matrix), matrix.shape[0], matrix.shape[1], False)
        del matrix  # the direct buffer shared its memory until predict() returned
        return feature_matrix.read_outputs(result)

    def time_inside_java(self, batch, repeats: int) -> list[int]:
        """Nanoseconds of each of ``repeats`` predict() calls on this batch's matrix, timed by Java."""
        return feature_matrix.time_inside_java(self._scorer, self.feed(batch), repeats)


def written_by(path) -> str | None:
    """The version of the xgboost that wrote the model file (its ``version`` field), e.g. ``3.2.0``."""
    version = model_header(path)["version"]
    return ".".join(str(v) for v in version) if version else None


def model_header(path) -> dict:
    """``version``, ``features`` (names, or ``f0, f1, ...``) and ``feature_types`` of an XGBoost JSON/UBJ file."""
    data = Path(path).read_bytes()
    document = json.loads(data) if data[:1] == b"{" and data[1:2] in (b'"', b" ", b"\n", b"\r", b"\t", b"}") \
        else ubjson(data)
    learner = document.get("learner", {})
    count = int(learner.get("learner_model_param", {}).get("num_feature", 0) or 0)
    names = [str(n) for n in learner.get("feature_names") or []]
    if len(names) != count:
        names = [f"f{i}" for i in range(count)]
    return {"version": list(document.get("version") or []), "features": names,
            "feature_types": [str(t) for t in learner.get("feature_types") or []] or None}


_SCALARS = {b"i": ">b", b"U": ">B", b"I": ">h", b"l": ">i", b"L": ">q", b"d": ">f", b"D": ">d"}


def ubjson(data: bytes):
    """Decode Universal Binary JSON (what XGBoost writes to ``.ubj``): big-endian scalars, strings, objects and
    arrays, with the optimized ``$type``/``#count`` containers (typed arrays are read in one numpy call)."""
    position = 0

    def take(count: int) -> bytes:
        nonlocal position
        chunk = data[position:position + count]
        if len(chunk) != count:
            raise ValueError("truncated UBJSON")
        position += count
        return chunk

    def scalar(marker: bytes):
        return struct.unpack(_SCALARS[marker], take(struct.calcsize(_SCALARS[marker])))[0]

    def length() -> int:
        return int(scalar(take(1)))

    def value(marker: bytes):
        if marker in _SCALARS:
            return scalar(marker)
        if marker == b"S" or marker == b"H":
            return take(length()).decode("utf-8")
        if marker == b"C":
            return take(1).decode("latin-1")
        if marker == b"T":
            return True
        if marker == b"F":
            return False
        if marker == b"Z":
            return None
        if marker == b"[":
            return container(b"]", keyed=False)
        if marker == b"{":
            return container(b"}", keyed=True)
        raise ValueError(f"unknown UBJSON marker {marker!r} at byte {position - 1}")

    def container(end: bytes, keyed: bool):
        nonlocal position
        kind = count = None
        if data[position:position + 1] == b"$":
            position += 1
            kind = take(1)
        if data[position:position + 1] == b"#":
            position += 1
            count = length()
        if count is not None and not keyed and kind in _SCALARS:
            width = struct.calcsize(_SCALARS[kind])
            return np.frombuffer(take(width * count), dtype=_SCALARS[kind])
        items = {} if keyed else []
        index = 0
        while True:
            if count is not None and index == count:
                break
            if count is None and data[position:position + 1] == end:
                position += 1
                break
            if keyed:
                key = take(length()).decode("utf-8")
            item = value(kind if kind is not None else take(1))
            if keyed:
                items[key] = item
            else:
                items.append(item)
            index += 1
        return items

    return value(take(1))
