"""LightGBM text models (what ``mlflow.lightgbm`` saves for a Booster, ``model.lgb``; LightGBM's own
``Booster.save_model`` format) scored by lightgbm4j (``io.github.metarank:lightgbm4j``, LightGBM's C API and its
native library) in this process's JVM, through ``harness.bridge.LightgbmScorer``.

A batch crosses the bridge once (``harness.runtimes.feature_matrix``): a row-major matrix, columns in the model's
feature order (LightGBM rewrites spaces in feature names: matched by the rewritten name too), NaN = missing. Its type
is the one LightGBM's Python package gives a DataFrame (float32 when every column is float32/bool/int8/int16, else
float64), so both libraries compare the same values with the model's double thresholds. Categorical features (the
model's ``categorical_feature``, LightGBM's own categorical splits) arrive as their integer codes, missing as NaN; a
string column of a pandas-categorical feature becomes its code in the model's ``pandas_categorical`` list (an unseen
category is missing, as in LightGBM's Python package). The scorer returns ``prediction`` (probabilities, or the value)
and ``raw_score``; the prediction is compared as the flavor's ``probabilities``/``label`` or ``prediction``.

Versions: lightgbm4j 4.3.0-1 runs LightGBM 4.3.0; it reads the text models of LightGBM 4.7.0 (format ``v4``, the same
since LightGBM 4.0).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.flavors.lightgbm import FORMAT
from harness.runtimes import RawOutput, Runtime, SessionSettings, feature_matrix, jvm

JAR = "lightgbm4j"  # io.github.metarank:lightgbm4j, copied to java/target/lib by `make java`
TEXT_FORMAT = "v4"  # the text-model format version LightGBM 4.x writes and reads


class LightgbmJvm(Runtime):
    name = "lightgbm-jvm"
    format = FORMAT
    in_jvm = True
    description = "lightgbm4j (LightGBM's C API through JPype; one matrix per batch, predicted in Java)"
    suffixes = (".lgb", ".txt")  # --artifact files of this format

    def open(self, path, settings: SessionSettings) -> "LightgbmJvmSession":
        return LightgbmJvmSession(path, settings)

    def version(self) -> str | None:
        return jvm.jar_version(JAR)

    def versions(self) -> dict:
        return {"lightgbm4j": self.version()}

    def caveat(self, path) -> str | None:
        """Says so when the text model is of another format version than the one lightgbm4j's LightGBM reads."""
        written = model_header(path).get("version")
        if written and written != TEXT_FORMAT:
            return (f"version pair: the text model is of format {written}; lightgbm4j {self.version()} (LightGBM "
                    f"{(self.version() or '').split('-')[0]}) reads format {TEXT_FORMAT}. Score it with a lightgbm4j "
                    "whose LightGBM reads that format.")
        return None

    def jvm_inputs(self, path, batch) -> list[dict]:
        """The matrix the scorer is fed for this batch (what a counterexample records for the Java replayer)."""
        header = model_header(path)
        categories = header["pandas_categories"]
        return feature_matrix.recorded(feature_matrix.matrix(
            batch, header["features"], input_dtype(batch), encoder(categories),
            feature_matrix.spaces_to_underscores))

    def scorer_outputs(self, spec, named: dict) -> dict:
        """The flavor's outputs as the scorer's ``prediction`` (for the plain-Java replayer)."""
        prediction = feature_matrix.scorer_prediction(spec, named)
        return {} if prediction is None else {"prediction": prediction.tolist()}

    def named_outputs(self, spec, raw: list[RawOutput], rows: int) -> dict[str, np.ndarray]:
        """``prediction`` as the flavor's outputs: a classifier's probabilities (binary: the positive class's, made
        two columns) and their label, a regressor's value."""
        from harness.outputs import LABEL, PREDICTION, PROBABILITIES, OutputMismatch, squeeze_rows

        prediction = next(r.values for r in raw if r.name == "prediction").reshape(rows, -1)
        if spec.kind != "classifier":
            return {PREDICTION: squeeze_rows(prediction, rows)}
        classes = np.asarray(spec.classes)
        probabilities = prediction
        if prediction.shape[1] == 1 and len(classes) == 2:
            probabilities = np.column_stack([1.0 - prediction[:, 0], prediction[:, 0]])
        if probabilities.shape[1] != len(classes):
            raise OutputMismatch(f"lightgbm4j gave {prediction.shape[1]} prediction columns for {len(classes)} "
                                 "classes")
        return {PROBABILITIES: probabilities, LABEL: classes[np.argmax(probabilities, axis=1)]}


def input_dtype(batch):
    """What LightGBM's Python package converts a DataFrame to: ``np.result_type`` of its columns and float32."""
    if isinstance(batch, dict):
        return np.result_type(*[np.asarray(v).dtype for v in batch.values()], np.float32)
    return np.result_type(*[_numeric_kind(t) for t in batch.dtypes], np.float32)


def _numeric_kind(dtype):
    """A column's numpy type (a nullable pandas type's numpy one); float64 for strings and categories (codes)."""
    dtype = getattr(dtype, "numpy_dtype", dtype)
    try:
        return dtype if np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.bool_) else np.float64
    except TypeError:
        return np.float64


def encoder(categories: dict[int, list[str]]):
    """Strings of a pandas-categorical feature -> its codes (unseen or missing -> NaN)."""
    def encode(index: int, feature: str, column) -> np.ndarray:
        known = categories.get(index)
        if known is None:
            raise feature_matrix.FeatureMismatch(
                f"LightGBM feature '{feature}' arrived as strings, but the model has no pandas categories for it: "
                "pass its integer codes")
        codes = {category: code for code, category in enumerate(known)}
        return np.array([codes.get(str(v), np.nan) if v is not None and v == v else np.nan for v in column],
                        dtype=np.float64)
    return encode


class LightgbmJvmSession:
    def __init__(self, path, settings: SessionSettings):
        if jvm.jar_version(JAR) is None:
            raise RuntimeError(
                f"{JAR} is not on the bridge's class path ({jvm.CLASSPATH_ENV} or java/target/lib), so LightGBM's "
                f"native library (lib_lightgbm.so, inside that jar) cannot load: no LightGBM model can be scored. "
                f"Run `make java` in the harness checkout (it copies io.github.metarank:{JAR} beside the bridge "
                "jar), or add the jar to the variable.")
        import jpype

        scorer_class = jvm.bridge_class("LightgbmScorer")
        problem = text_model_problem(path)
        if problem:
            raise ValueError(
                f"lightgbm4j {scorer_class.version()} cannot read {path}: {problem}. LightGBM aborts the whole process "
                "on such a file (std::terminate while it parses the trees in parallel; LightGBM 4.7's Python package "
                "too), so the harness refuses it before loading. The file should be a complete LightGBM text model "
                "as Booster.save_model writes it.")
        try:
            self._scorer = scorer_class(str(path), f"num_threads={int(settings.intra_op_threads)}")
        except jpype.JException as error:
            raise ValueError(
                f"lightgbm4j {scorer_class.version()} cannot read {path}: "
                f"{feature_matrix.first_line(error.getMessage())}. The file should be a complete LightGBM text model "
                "as Booster.save_model writes it.") from None
        self.features = [str(n) for n in self._scorer.inputNames()]
        self.categories = {}
        for index in range(len(self.features)):
            known = self._scorer.categories(index)
            if known is not None:
                self.categories[index] = [str(c) for c in known]

    def close(self) -> None:
        if self._scorer is not None:
            jvm.close_quietly(self._scorer)
            self._scorer = None

    def feed(self, batch) -> np.ndarray:
        return feature_matrix.matrix(batch, self.features, input_dtype(batch), encoder(self.categories),
                                     feature_matrix.spaces_to_underscores)

    def run(self, batch) -> list[RawOutput]:
        matrix = self.feed(batch)
        result = self._scorer.predict(feature_matrix.direct_buffer(matrix), matrix.shape[0], matrix.shape[1],
                                      matrix.dtype == np.float64)
        del matrix  # the direct buffer shared its memory until predict() returned
        return feature_matrix.read_outputs(result)

    def time_inside_java(self, batch, repeats: int) -> list[int]:
        """Nanoseconds of each of ``repeats`` predict() calls on this batch's matrix, timed by Java."""
        return feature_matrix.time_inside_java(self._scorer, self.feed(batch), repeats)


def text_model_problem(path) -> str | None:
    """Why a file is not a whole LightGBM text model, checked as LightGBM will read it; None when it is one. LightGBM
    cuts the trees out of the file by the header's ``tree_sizes`` (bytes per tree) and parses them in parallel: a file
    cut short or whose trees do not have those sizes makes it throw inside that parallel loop, which aborts."""
    import re

    data = Path(path).read_bytes()
    if not re.match(rb"tree\r?\n", data):
        return None  # not a text model at all: LightGBM says so itself ("Unknown model format ...")
    end = data.find(b"\nend of trees")
    if end < 0:
        return "it has no 'end of trees' line: it is incomplete (cut short?)"
    sizes = re.search(rb"^tree_sizes=(.*?)\r?$", data, re.M)
    if sizes is None:
        return None  # no sizes: LightGBM reads the trees one after another, and reports a bad one
    starts = [m.start() for m in re.finditer(rb"^Tree=\d+\r?$", data[:end + 1], re.M)]
    expected = [int(size) for size in sizes.group(1).split()]
    found = [b - a for a, b in zip(starts, starts[1:] + [end + 1])]
    if expected != found:
        return (f"its header's tree_sizes ({len(expected)} trees) do not match the {len(found)} trees it holds "
                "(edited or corrupted)")
    return None


def model_header(path) -> dict:
    """``version`` (the text-model format), ``features`` and ``pandas_categories`` ({feature index: categories})
    of a LightGBM text model, read as lightgbm4j's scorer reads them."""
    import json

    version, names, infos, pandas = None, None, None, None
    with Path(path).open(errors="replace") as text:
        for line in text:
            line = line.rstrip("\n")
            if version is None and line.startswith("version="):
                version = line.split("=", 1)[1]
            elif names is None and line.startswith("feature_names="):
                names = line.split("=", 1)[1].split(" ")
            elif infos is None and line.startswith("feature_infos="):
                infos = line.split("=", 1)[1].split(" ")
            elif line.startswith("pandas_categorical:"):
                pandas = json.loads(line.split(":", 1)[1])
    categories = {}
    if infos and isinstance(pandas, list):
        categorical = [i for i, info in enumerate(infos) if not info.startswith("[") and info != "none"]
        for index, known in zip(categorical, pandas):
            categories[index] = [c if isinstance(c, str) else json.dumps(c) for c in known]
    return {"version": version, "features": names or [], "pandas_categories": categories}
