"""Spark ML pipelines (mlflow.spark) against their PMML (pyspark2pmml / JPMML-SparkML) scored by JPMML-Evaluator,
through `pytest --model-uri` on a sqlite registry: LogisticRegression, GBTClassifier and RandomForestRegressor
pipelines with a StringIndexer pass on jpmml; an edited PMML given with --artifact is found.

This module's Spark session (fitting) and the harness's own (the reference and the export) are each started once
and stopped at the end; the harness run is one subprocess for every model.
"""
from __future__ import annotations

import uuid

import subprocess

import pytest

pytest.importorskip("pyspark2pmml", reason="the jvm-families extra (pyspark, pyspark2pmml) is installed by "
                                           "`make setup`")

from fixtures import spark_models  # noqa: E402
from tests.conftest import jvms_of_run, run_harness, use_registry  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
EXPORTED = "jpmml[pyspark2pmml]"
SUPPLIED = "jpmml[supplied-edited.pmml]"


@pytest.fixture(scope="module")
def models(registry_uri, tmp_path_factory):
    """The pipelines, fitted in this module's Spark session (started once, stopped at the end of the module), and
    the logistic regression's PMML with one coefficient nudged by 10%."""
    use_registry(registry_uri)
    folder = tmp_path_factory.mktemp("pmml")
    spark_models.start()
    try:
        logistic = spark_models.fit("logistic")
        exported = spark_models.pmml(logistic, folder / "logistic.pmml")
        yield {
            "logistic": spark_models.log_spark(logistic, "spark-logistic"),
            "gbt": spark_models.log_spark(spark_models.fit("gbt"), "spark-gbt"),
            "forest": spark_models.log_spark(spark_models.fit("forest"), "spark-forest-regression"),
            "edited": spark_models.nudge_first_coefficient(exported, folder / "edited.pmml", factor=1.1),
        }
    finally:
        spark_models.stop()


@pytest.fixture(scope="module")
def run(models, registry_uri, tmp_path_factory):
    """One harness run over the three pipelines, with the edited PMML given as the deployed file."""
    cwd = tmp_path_factory.mktemp("spark-run")
    token = uuid.uuid4().hex
    uris = [models[key] for key in ("logistic", "gbt", "forest")]
    done = run_harness([arg for uri in uris for arg in ("--model-uri", uri)]
                       + ["--artifact", str(models["edited"]), "--max-examples", "15", "--no-corpus"],
                       cwd, use_registry(registry_uri), env={"HARNESS_TEST_RUN": token})
    done.jvms_left = jvms_of_run(token, b"org.apache.spark.deploy.SparkSubmit")  # this run's JVMs still alive
    done.by_uri = {m["model_uri"]: {c["name"]: c for c in m["cells"]} for m in done.report["models"]}
    return done


def test_logistic_gbt_and_random_forest_pipelines_pass_on_jpmml(run, models):
    for key in ("logistic", "gbt", "forest"):
        cell = run.by_uri[models[key]][EXPORTED]
        assert cell["status"] == "pass", (key, cell["reason"], run.output)
        assert cell["examples"] >= 10 and cell["max_abs"] < 1e-9, (key, cell["max_abs"])
        assert cell["artifact"]["exporter"].startswith("pyspark2pmml 0.12.0")
    model = next(m for m in run.report["models"] if m["model_uri"] == models["gbt"])
    assert model["flavor"] == "spark"
    versions = run.report["versions"]
    assert versions["pyspark"] == "4.2.1" and versions["pyspark2pmml"] == "0.12.0" and versions["jpmml-evaluator"]


def test_an_edited_pmml_is_found(run, models):
    edited = run.by_uri[models["logistic"]][SUPPLIED]
    assert edited["status"] == "diverged", run.output
    assert {d["output"] for d in edited["counterexample"]["divergences"]} & {"label", "probabilities"}
    assert edited["attribution"]["kind"] == "format"
    # --artifact applies to every model of the run: the logistic regression's file is no model of the others
    for key in ("gbt", "forest"):
        assert run.by_uri[models[key]][SUPPLIED]["status"] in ("diverged", "runtime-error")
    assert run.returncode == 1


def test_the_harness_stops_its_spark_session_at_the_end_of_the_run(run):
    assert run.report is not None and not run.jvms_left, run.jvms_left


def test_the_session_listens_on_loopback_only_with_a_dead_proxy(models):
    """The session the harness starts (here: the same code in this process) binds the driver to 127.0.0.1, has
    no UI, and its JVM's HTTP(S) proxy is a dead loopback port."""
    from harness.flavors import spark as flavor

    spark = spark_models.start()
    conf = spark.sparkContext.getConf()
    assert conf.get("spark.ui.enabled") == "false" and conf.get("spark.driver.host") == "127.0.0.1"
    system = spark.sparkContext._jvm.System
    assert system.getProperty("https.proxyHost") == "127.0.0.1" and system.getProperty("http.proxyHost") == "127.0.0.1"
    pid = flavor.jvm_pid()
    listening = subprocess.run(["ss", "-H", "-ltnup"], capture_output=True, text=True).stdout
    own = [line.split()[4] for line in listening.splitlines() if f"pid={pid}," in line]
    assert own and all(address.rsplit(":", 1)[0] in ("127.0.0.1", "[::ffff:127.0.0.1]") for address in own), own
