"""A Spark ML PipelineModel -> PMML, with pyspark2pmml (JPMML-SparkML, running in the Spark JVM of the harness's
session, whose class path holds the jars pyspark2pmml bundles).

JPMML-SparkML needs the training frame's schema: the input columns (from the model's signature) and the label
column (a string column when a StringIndexer indexes it, else a double). pyspark2pmml 0.12.0 supports Spark 3.4 to
4.2; on another Spark it refuses with "Apache Spark version ... is not supported", which becomes the cell's reason.
"""
from __future__ import annotations

from pathlib import Path

from harness.artifacts import PMML
from harness.exporters import Exporter

SPARK_TYPES = {"double": "DoubleType", "float": "FloatType", "long": "LongType", "integer": "IntegerType",
               "boolean": "BooleanType", "string": "StringType"}


class PySpark2Pmml(Exporter):
    name = "pyspark2pmml"
    format = PMML
    package = "pyspark2pmml"

    def export(self, model, inputs, opset, path: Path, options: dict) -> None:
        export(model.native, inputs, path)


def schema(pipeline, columns):
    """The training frame's schema as JPMML-SparkML needs it: the signature's columns and the label column."""
    from pyspark.sql import types

    from harness.flavors.spark import label_column

    fields = [types.StructField(c.name, getattr(types, SPARK_TYPES[c.type])()) for c in columns]
    label = label_column(pipeline)
    if label is not None and label[0] not in {c.name for c in columns}:
        fields.append(types.StructField(label[0], types.StringType() if label[1] else types.DoubleType()))
    return types.StructType(fields)


def export(pipeline, columns, path: Path) -> None:
    """Write ``pipeline``'s PMML to ``path`` (the harness's Spark session is started if it is not running)."""
    from pyspark2pmml import PMMLBuilder

    from harness.flavors.spark import session

    session()
    PMMLBuilder(schema(pipeline, columns), pipeline).buildFile(str(path))
