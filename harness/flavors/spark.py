"""Spark ML models (``mlflow.spark``): a fitted ``PipelineModel`` (StringIndexer, OneHotEncoder, VectorAssembler and a
classifier or regressor), converted to PMML with pyspark2pmml (JPMML-SparkML) and scored by JPMML-Evaluator.

The reference is the Spark model itself. ``mlflow.spark``'s PyFunc returns only the ``prediction`` column (for a
classifier, the label's *index*), so the flavor runs the very transform the PyFunc runs (the PyFunc's own
``PipelineModel`` on a Spark DataFrame of the batch) once and reads both ``prediction`` and the ``probability``
vector from it. A classifier's label is mapped back through the pipeline's label StringIndexer (index i -> its
i-th label), which is what the PMML's target field holds; its probabilities are in the same order, the PMML's
``probability(<label>)`` fields. Without a label indexer the labels are the indices 0..k-1 themselves.

Spark is the harness's own: one local session per process (``local[1]``, driver bound to 127.0.0.1, no UI, the
JPMML-SparkML jars pyspark2pmml bundles on its class path, the dead-proxy options every JVM of the harness gets),
started on first need and stopped at the end of the run (``close``, called by the plugin), its JVM process with it.
"""
from __future__ import annotations

import atexit
import os
import sys
import warnings

import numpy as np

from harness.flavors import Flavor, InputHints
from harness.outputs import LABEL, PREDICTION, PROBABILITIES, OutputSpec

PACKAGES = ("pyspark", "pyspark2pmml")


class SparkFlavor(Flavor):
    name = "spark"
    priority = 10
    python_packages = PACKAGES

    def prepare_pyfunc(self) -> None:
        session()  # mlflow.spark's PyFunc loader uses the active session; without one it makes its own

    def load_native(self, model):
        """The PyFunc's own PipelineModel (loading it again would only cost time)."""
        return model.pyfunc.get_raw_model()

    def serialization_format(self, conf: dict, local_dir) -> str | None:
        model_class = conf.get("model_class", "PipelineModel")
        return f"Spark ML writer ({model_class}, pyspark {conf.get('pyspark_version', '?')})"

    def output_spec(self, model) -> OutputSpec:
        predictor = final_stage(model.native)
        if is_classifier(predictor):
            return OutputSpec("classifier", tuple(class_labels(model.native)))
        return OutputSpec("regressor")

    def reference_outputs(self, model, spec: OutputSpec, batch) -> dict:
        pipeline = model.native
        refused = refused_by_an_indexer(pipeline, batch)
        if refused:  # Spark's transform would fail on it: say so without running (and failing) a Spark job
            raise ValueError(refused)
        predictor = final_stage(pipeline)
        prediction_col = predictor.getOrDefault("predictionCol") if predictor.hasParam("predictionCol") \
            else "prediction"
        columns = [prediction_col]
        if spec.kind == "classifier":
            columns.append(predictor.getOrDefault("probabilityCol"))
        with warnings.catch_warnings():  # pyspark warns on every pandas conversion that pandas 3 is "not yet" supported
            warnings.simplefilter("ignore", FutureWarning)
            rows = pipeline.transform(session().createDataFrame(batch)).select(*columns).collect()
        prediction = np.array([row[0] for row in rows], dtype=np.float64)
        if spec.kind != "classifier":
            return {PREDICTION: prediction}
        return {LABEL: np.array([spec.classes[int(p)] for p in prediction], dtype=object),
                PROBABILITIES: np.array([row[1].toArray() for row in rows], dtype=np.float64).reshape(len(rows), -1)}

    def exporters(self, model) -> list:
        from harness.exporters.spark_pmml import PySpark2Pmml

        return [PySpark2Pmml()]

    def input_hints(self, model, columns: list[str]) -> InputHints:
        try:
            stages = model.native.stages
        except Exception:  # the model does not load: the reference says why, not the hints
            return InputHints()
        categories = {}
        for stage in stages:
            if type(stage).__name__ == "StringIndexerModel":
                for column, labels in zip(_input_cols(stage), stage.labelsArray):
                    if column in columns:
                        categories[column] = list(labels)
        return InputHints(categories=categories)

    def close(self) -> None:
        stop_session()


# --- the pipeline -----------------------------------------------------------------------------------------------
def final_stage(pipeline):
    return pipeline.stages[-1] if hasattr(pipeline, "stages") else pipeline


def is_classifier(predictor) -> bool:
    return predictor.hasParam("probabilityCol") and predictor.hasParam("labelCol")


def refused_by_an_indexer(pipeline, batch) -> str | None:
    """Why a StringIndexer of the pipeline (``handleInvalid="error"``, Spark's default) would fail on this batch:
    a string the indexer has no label for, or a missing value; None when none would."""
    import pandas as pd

    for stage in getattr(pipeline, "stages", []):
        if type(stage).__name__ != "StringIndexerModel" or stage.getOrDefault("handleInvalid") != "error":
            continue
        for column, labels in zip(_input_cols(stage), stage.labelsArray):
            if column not in batch.columns or pd.api.types.is_numeric_dtype(batch[column]):
                continue  # a numeric column is indexed by its text: Spark decides
            known = set(labels)
            for value in batch[column]:
                if pd.isna(value) or str(value) not in known:
                    return (f"the StringIndexer on '{column}' (handleInvalid='error') refuses "
                            f"{None if pd.isna(value) else str(value)!r}: Spark's transform fails on it")
    return None


def label_indexer(pipeline):
    """The StringIndexerModel whose output is the predictor's label column (None when the label is numeric)."""
    label = final_stage(pipeline).getOrDefault("labelCol")
    for stage in getattr(pipeline, "stages", []):
        if type(stage).__name__ == "StringIndexerModel" and label in _output_cols(stage):
            return stage, _input_cols(stage)[_output_cols(stage).index(label)], _output_cols(stage).index(label)
    return None


def class_labels(pipeline) -> list:
    """The classes in the order of the probability vector: the label indexer's labels, else 0..k-1."""
    found = label_indexer(pipeline)
    if found is not None:
        stage, _, position = found
        return [str(label) for label in stage.labelsArray[position]]
    return list(range(int(final_stage(pipeline).numClasses)))


def label_column(pipeline) -> tuple[str, bool] | None:
    """The training frame's label column and whether it holds strings (it fed a StringIndexer)."""
    predictor = final_stage(pipeline)
    if not predictor.hasParam("labelCol"):
        return None
    found = label_indexer(pipeline)
    if found is not None:
        return found[1], True
    return predictor.getOrDefault("labelCol"), False


def _input_cols(stage) -> list[str]:
    if stage.isSet("inputCols") or (stage.hasDefault("inputCols") and stage.getOrDefault("inputCols")):
        return list(stage.getOrDefault("inputCols"))
    return [stage.getOrDefault("inputCol")]


def _output_cols(stage) -> list[str]:
    if stage.isSet("outputCols") or (stage.hasDefault("outputCols") and stage.getOrDefault("outputCols")):
        return list(stage.getOrDefault("outputCols"))
    return [stage.getOrDefault("outputCol")]


# --- the harness's Spark session --------------------------------------------------------------------------------
_session = None  # the SparkSession this module started (never one it found running)
_exit_handler = None  # stop_session, registered with atexit once (the plugin stops the session before exit)


def _not_a_doctest() -> None:
    """pyspark's Spark Connect modules (which mlflow.spark imports to tell Connect models apart) call
    ``sys.exit(0)`` when ``__main__`` has neither a spec nor a file, taking it for a doctest run without Connect's
    dependencies: exactly the state of a pytest-xdist worker. Give such a ``__main__`` a file name."""
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None and not hasattr(main, "__file__") \
            and not hasattr(sys, "ps1"):
        main.__file__ = "<worker>"


def session():
    """The active Spark session; starts the harness's own local one when there is none."""
    global _session
    _not_a_doctest()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    from harness.offline import java_proxy_options

    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (SparkSession.builder.master("local[1]").appName("jvm-equivalence-harness")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.extraJavaOptions", " ".join(java_proxy_options()))
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.shuffle.partitions", "1")
               .config("spark.driver.memory", "1g"))
    jars = _pmml_jars()
    if jars:
        builder = builder.config("spark.jars", jars)  # local files only: never spark.jars.packages (a download)
    _session = builder.getOrCreate()
    _session.sparkContext.setLogLevel("ERROR")
    global _exit_handler
    if not _exit_handler:
        _exit_handler = atexit.register(stop_session)
    return _session


def _pmml_jars() -> str | None:
    """pyspark2pmml's bundled JPMML-SparkML jars for this pyspark (None when pyspark2pmml is not installed, or does
    not support this Spark: the exporter then says why)."""
    try:
        import pyspark2pmml

        return pyspark2pmml.spark_jars()
    except Exception:
        return None


def stop_session() -> None:
    """Stop the session this module started and end its JVM process. Idempotent."""
    global _session
    started, _session = _session, None
    if started is None:
        return
    from pyspark import SparkContext

    try:
        started.stop()
    except Exception:
        pass
    gateway = SparkContext._gateway
    if gateway is None:
        return
    process = getattr(gateway, "proc", None)
    try:
        gateway.shutdown()
    except Exception:
        pass
    SparkContext._gateway = None
    SparkContext._jvm = None
    from harness.runtimes.jvm import end_process

    end_process(process)


def jvm_pid() -> int | None:
    """The process id of the Spark JVM this module started (None when none runs)."""
    if _session is None:
        return None
    from pyspark import SparkContext

    process = getattr(SparkContext._gateway, "proc", None)
    return None if process is None else process.pid
