"""H2O MOJOs scored by h2o-genmodel, in this process's JVM (``harness.bridge.H2oMojoScorer``).

A batch crosses the bridge once: the numeric columns as one row-major float64 direct buffer (NaN = missing), the
string columns as ``String[]`` (null = missing); the row loop (``EasyPredictModelWrapper``, one ``RowData`` per
row) is Java's. A categorical level the model never saw becomes missing, as in H2O's own scoring of a frame.

Before scoring, the session refuses a MOJO that h2o-genmodel cannot be trusted with: one H2O wrote with a newer
version than the h2o-genmodel on the class path (MOJOs are backward compatible only: an older reader of a newer
MOJO may fail or, worse, read it differently), and a file that is not a MOJO at all.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from harness.runtimes import RawOutput, Runtime, RuntimeCannotTake, SessionSettings, jvm

MOJO = "h2o-mojo"  # the artifact format: an H2O MOJO zip (H2O's ``download_mojo``)
GENMODEL_JAR = "h2o-genmodel"


class H2oMojo(Runtime):
    name = MOJO
    format = MOJO
    in_jvm = True
    description = "H2O MOJO scored by h2o-genmodel (JPype, rows looped in Java)"

    def open(self, path, settings: SessionSettings) -> "H2oMojoSession":
        return H2oMojoSession(path)

    def version(self) -> str | None:
        return jvm.jar_version(GENMODEL_JAR)

    def versions(self) -> dict:
        return {GENMODEL_JAR: self.version()}

    def named_outputs(self, spec, raw: list[RawOutput], rows: int) -> dict[str, np.ndarray]:
        """The scorer's ``label`` / ``probabilities`` (columns keyed by class) or ``value``, as the reference's
        names: a classifier's probability columns in the flavor's class order, a regressor's ``prediction``."""
        from harness.outputs import LABEL, PREDICTION, PROBABILITIES, OutputMismatch

        by_name = {r.name: r for r in raw}
        if spec.kind == "regressor" and "value" in by_name:
            return {PREDICTION: by_name["value"].values.reshape(rows)}
        if spec.kind == "classifier" and PROBABILITIES in by_name:
            probabilities = by_name[PROBABILITIES]
            position = {key: i for i, key in enumerate(probabilities.keys or [])}
            missing = [c for c in spec.classes if str(c) not in position]
            if missing:
                raise OutputMismatch(f"the MOJO has no probability for classes {missing} (its classes: "
                                     f"{probabilities.keys})")
            columns = [position[str(c)] for c in spec.classes]
            return {LABEL: by_name[LABEL].values.reshape(rows),
                    PROBABILITIES: probabilities.values.reshape(rows, -1)[:, columns]}
        return {r.name: r.values for r in raw}


class H2oMojoSession:
    def __init__(self, path):
        genmodel = jvm.jar_version(GENMODEL_JAR)
        if genmodel is None:
            raise RuntimeError(
                f"{GENMODEL_JAR} is not on the bridge's class path ({jvm.CLASSPATH_ENV} or java/target/lib), so "
                "no MOJO can be scored. Run `make java` in the harness checkout (it copies ai.h2o:h2o-genmodel "
                "beside the bridge jar), or add the jar to the variable.")
        import jpype

        self._jpype = jpype
        try:
            scorer = jvm.bridge_class("H2oMojoScorer")(str(path))
        except jpype.JException as error:
            if error.getClass().getName() == "java.lang.IllegalArgumentException":  # a category it does not score
                raise RuntimeCannotTake(str(error.getMessage())) from None
            raise ValueError(
                f"the file is not a MOJO h2o-genmodel {genmodel} can read ({error.getClass().getName()}: "
                f"{error.getMessage()}). A MOJO is the zip H2O's download_mojo() writes (model.ini inside); "
                "an H2O binary model (h2o.save_model, what mlflow.h2o logs) is not one.") from None
        written = str(scorer.mojoH2oVersion())
        if _newer(written, genmodel):
            jvm.close_quietly(scorer)
            raise ValueError(
                f"the MOJO was written by H2O {written}, newer than h2o-genmodel {genmodel} on the class path: "
                "h2o-genmodel reads MOJOs of its own version and older ones only. Score it with h2o-genmodel "
                f"{written} (the same version as the H2O that wrote it), or export the MOJO again with H2O "
                f"{genmodel}.")
        self._scorer = scorer

    def close(self) -> None:
        if self._scorer is not None:
            jvm.close_quietly(self._scorer)
            self._scorer = None

    def run(self, batch: pd.DataFrame) -> list[RawOutput]:
        arguments, matrix = self.java_arguments(batch)
        result = self._scorer.predict(*arguments)
        del matrix  # the direct buffer shared its memory until predict() returned
        return [_read(result, i) for i in range(result.size())]

    def java_arguments(self, batch: pd.DataFrame):
        """predict()'s arguments for a batch: numeric columns as one row-major float64 direct buffer, string columns
        as UTF-8 buffers (missing = Java null); and the objects whose memory the buffers share (keep them alive)."""
        jpype = self._jpype
        numeric = [str(c) for c in batch.columns if pd.api.types.is_numeric_dtype(batch[c])
                   or pd.api.types.is_bool_dtype(batch[c])]
        strings = [str(c) for c in batch.columns if str(c) not in numeric]
        matrix = np.ascontiguousarray(
            batch[numeric].astype("float64").to_numpy(dtype=np.float64, na_value=np.nan)) if numeric else None
        buffer = None if matrix is None else jpype.nio.convertToDirectBuffer(memoryview(matrix).cast("B"))
        keep_alive = [matrix]
        columns = [jvm.utf8_strings(batch[name].tolist(), keep_alive) for name in strings]
        return (jpype.JArray(jpype.JString)(numeric), buffer, True, jpype.JArray(jpype.JString)(strings),
                jpype.JArray(jpype.JObject)(columns), len(batch)), keep_alive

    def time_inside_java(self, batch, repeats: int) -> list[int]:
        """Nanoseconds of each of ``repeats`` predict() calls on this batch, timed by Java around its own call."""
        arguments, matrix = self.java_arguments(batch)
        nanos = [int(n) for n in self._scorer.timePredict(*arguments, repeats)]
        del matrix
        return nanos


def _read(result, index: int) -> RawOutput:
    name = str(result.names.get(index))
    shape = [int(d) for d in result.shapes.get(index)]
    data = result.data.get(index)
    keys = result.keys.get(index)
    keys = None if keys is None else [str(k) for k in keys]
    if str(result.elementTypes.get(index)) == "STRING":
        return RawOutput(name, np.array([None if s is None else str(s) for s in data], dtype=object).reshape(shape))
    return RawOutput(name, np.frombuffer(memoryview(data), dtype=np.float64).reshape(shape).copy(), keys)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def _newer(written: str, reader: str) -> bool:
    """Is ``written`` (the H2O version in the MOJO's model.ini) newer than the reader's version?"""
    return _version_key(written) > _version_key(reader)
