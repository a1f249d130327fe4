"""H2O models (mlflow.h2o) against their MOJOs scored by h2o-genmodel (the h2o-mojo runtime), through
`pytest --model-uri` on a sqlite registry: GBM (binomial, MOJO logged beside it), GLM (multinomial) and DRF
(regression, MOJO downloaded by the harness) pass; a MOJO of another model logged beside is found and replays in
plain Java; an unreadable MOJO, one from a newer H2O and a class path without h2o-genmodel get their own answers.

The H2O cluster of this module (training) and the harness's own (the reference) are each started once and
stopped at the end; the harness run is one subprocess for every model, with the JVM runtime isolated.
"""
from __future__ import annotations

import uuid

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("h2o", reason="the jvm-families extra (h2o) is installed by `make setup`")

from fixtures import h2o_models  # noqa: E402
from harness.runtimes import jvm  # noqa: E402
from tests.conftest import jvms_of_run, run_harness, use_registry  # noqa: E402

H2O_VERSION = "3.46.0.11"
LOGGED, DOWNLOADED = "h2o-mojo[logged]", "h2o-mojo[download_mojo]"


@pytest.fixture(scope="module")
def models(registry_uri, tmp_path_factory):
    """The models, trained on this module's H2O cluster (started once, stopped at the end of the module)."""
    use_registry(registry_uri)
    folder = tmp_path_factory.mktemp("mojos")
    h2o_models.start()
    try:
        gbm = h2o_models.train("gbm", "y")
        other_gbm = h2o_models.train("gbm", "y", seed=7, sample_rate=0.7)
        mojo = h2o_models.download_mojo(gbm, folder)
        yield {
            "gbm": h2o_models.log_h2o(gbm, "h2o-gbm-binomial", mojo),
            "glm": h2o_models.log_h2o(h2o_models.train("glm", "y3"), "h2o-glm-multinomial"),
            "drf": h2o_models.log_h2o(h2o_models.train("drf", "t"), "h2o-drf-regression"),
            "wrong": h2o_models.log_h2o(gbm, "h2o-gbm-wrong-mojo", h2o_models.download_mojo(other_gbm, folder)),
            "broken": h2o_models.log_h2o(gbm, "h2o-gbm-broken-mojo", h2o_models.broken_mojo(folder)),
            "newer": h2o_models.log_h2o(gbm, "h2o-gbm-newer-mojo", h2o_models.mojo_from_newer_h2o(mojo, folder)),
            "gbm_model": gbm, "mojo": mojo,
            "kmeans_mojo": h2o_models.download_mojo(h2o_models.train_kmeans(), folder),
        }
    finally:
        h2o_models.stop()


@pytest.fixture(scope="module")
def run(models, registry_uri, tmp_path_factory):
    """One harness run over every model: H2O started once for the references, the JVM runtime in a worker."""
    cwd = tmp_path_factory.mktemp("h2o-run")
    token = uuid.uuid4().hex
    uris = [models[key] for key in ("gbm", "glm", "drf", "wrong", "broken", "newer")]
    done = run_harness([arg for uri in uris for arg in ("--model-uri", uri)]
                       + ["--max-examples", "20", "--isolate-jvm", "--cell-timeout", "300",
                          "--corpus", str(cwd / "corpus")], cwd, use_registry(registry_uri),
                       env={"HARNESS_TEST_RUN": token})
    done.jvms_left = jvms_of_run(token, b"jvm-equivalence-")  # this run's JVMs still alive
    done.by_uri = {m["model_uri"]: {c["name"]: c for c in m["cells"]} for m in done.report["models"]}
    return done


def test_gbm_glm_drf_binomial_multinomial_regression_pass_on_h2o_mojo(run, models):
    cells = run.by_uri
    assert set(cells[models["gbm"]]) == {LOGGED}, run.output  # a MOJO was logged: that file is checked
    assert set(cells[models["glm"]]) == {DOWNLOADED} and set(cells[models["drf"]]) == {DOWNLOADED}
    for key, name in (("gbm", LOGGED), ("glm", DOWNLOADED), ("drf", DOWNLOADED)):
        cell = cells[models[key]][name]
        assert cell["status"] == "pass", (key, cell["reason"], run.output)
        assert cell["examples"] >= 10 and cell["max_abs"] < 1e-9, (key, cell["max_abs"])
    assert cells[models["gbm"]][LOGGED]["artifact"]["origin"] == "logged"
    assert cells[models["glm"]][DOWNLOADED]["artifact"]["exporter"] == f"download_mojo {H2O_VERSION}"
    flavors = {m["model_uri"]: m for m in run.report["models"]}
    assert flavors[models["gbm"]]["flavor"] == "h2o"
    assert "H2O binary model" in flavors[models["gbm"]]["serialization_format"]
    versions = run.report["versions"]
    assert versions["h2o"] == versions["h2o-genmodel"] == H2O_VERSION


def test_a_mojo_of_another_model_logged_beside_is_found_and_replays_in_plain_java(run, models):
    cell = run.by_uri[models["wrong"]][LOGGED]
    assert cell["status"] == "diverged", run.output
    assert cell["attribution"]["kind"] == "format"
    assert {d["output"] for d in cell["counterexample"]["divergences"]} & {"label", "probabilities"}
    corpus_file = Path(cell["corpus_file"])
    assert corpus_file.is_file(), corpus_file
    classpath = os.pathsep.join(jvm.bridge_classpath())
    replay = subprocess.run(["java", "-cp", classpath, "harness.bridge.ReplayCounterexample", str(corpus_file)],
                            capture_output=True, text=True, timeout=300)
    assert replay.returncode == 0 and "REPRODUCED" in replay.stdout, replay.stdout + replay.stderr
    assert "H2oMojoScorer" in replay.stdout


def test_unreadable_mojo_and_mojo_from_a_newer_h2o_are_runtime_errors(run, models):
    broken = run.by_uri[models["broken"]][LOGGED]
    assert broken["status"] == "runtime-error"
    assert (f"is not a MOJO h2o-genmodel {H2O_VERSION} can read (java.util.zip.ZipException"
            in broken["reason"]), broken["reason"]
    newer = run.by_uri[models["newer"]][LOGGED]
    assert newer["status"] == "runtime-error"
    assert (f"the MOJO was written by H2O 3.48.0.1, newer than h2o-genmodel {H2O_VERSION}"
            in newer["reason"]), newer["reason"]
    assert run.returncode == 1  # the divergence and the two runtime errors block


def test_the_harness_stops_its_h2o_cluster_at_the_end_of_the_run(run):
    assert run.report is not None and not run.jvms_left, run.jvms_left


def test_the_cluster_listens_on_loopback_only_with_a_dead_proxy(models):
    """The cluster the harness starts (here: this module's, the same code) binds 127.0.0.1, finds its peers only
    in a flat file naming itself, and its JVM's HTTP(S) proxy is a dead loopback port."""
    from harness.flavors import h2o as flavor

    h2o_models.start()
    pid = flavor.cluster_pid()
    command = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    assert "-Dhttps.proxyHost=127.0.0.1" in command and "-Dhttp.proxyHost=127.0.0.1" in command
    assert command[command.index("-ip") + 1] == "127.0.0.1" and command[command.index("-web_ip") + 1] == "127.0.0.1"
    assert any(part.startswith("-Dai.h2o.flatfile=") for part in command)
    listening = subprocess.run(["ss", "-H", "-ltnup"], capture_output=True, text=True).stdout
    own = [line.split()[4] for line in listening.splitlines() if f"pid={pid}," in line]
    assert own and all(address.rsplit(":", 1)[0] in ("127.0.0.1", "[::ffff:127.0.0.1]") for address in own), own


def test_h2o_mojo_session_in_this_process_matches_h2o(models):
    """The in-process path (no --isolate-jvm): the session's outputs, named as the reference's, equal H2O's."""
    import h2o

    from harness import registry
    from harness.outputs import OutputSpec
    from harness.runtimes import SessionSettings, open_session

    h2o_models.start()
    frame = h2o_models.data().head(40)[h2o_models.FEATURES]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = models["gbm_model"].predict(h2o.H2OFrame(frame)).as_data_frame()
    session = open_session("h2o-mojo", models["mojo"], SessionSettings())
    try:
        raw = session.run(frame)
    finally:
        session.close()
    spec = OutputSpec("classifier", ("no", "yes"))
    named = registry.runtime("h2o-mojo").named_outputs(spec, raw, len(frame))
    assert list(named["label"]) == list(expected["predict"])
    np.testing.assert_allclose(named["probabilities"], expected[["no", "yes"]].to_numpy(), rtol=0, atol=1e-12)


def test_a_class_path_without_h2o_genmodel_says_how_to_fix_it(models):
    jars = [j for j in jvm.bridge_classpath() if not Path(j).name.startswith("h2o-genmodel")]
    script = ("from harness.runtimes import SessionSettings, open_session\n"
              f"open_session('h2o-mojo', {str(models['mojo'])!r}, SessionSettings())\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, jvm.CLASSPATH_ENV: os.pathsep.join(jars)})
    assert done.returncode != 0
    assert "h2o-genmodel is not on the bridge's class path" in done.stderr and "make java" in done.stderr, done.stderr


def test_h2o_mojo_is_chosen_by_runtimes_and_by_the_policy(models, registry_uri, tmp_path):
    """Collection only (nothing is loaded): --runtimes and a policy's runtimes both know h2o-mojo."""
    chosen = run_harness(["--model-uri", models["glm"], "--runtimes", "h2o-mojo", "--collect-only", "-q"],
                         tmp_path, use_registry(registry_uri))
    assert f"{models['glm']}::{DOWNLOADED}" in chosen.output, chosen.output
    (tmp_path / "policy.toml").write_text('runtimes = ["h2o-mojo", "jpmml"]\n')
    policy = run_harness(["--model-uri", models["glm"], "--policy", str(tmp_path / "policy.toml"),
                          "--collect-only", "-q"], tmp_path, use_registry(registry_uri))
    assert f"{models['glm']}::{DOWNLOADED}" in policy.output and "1 test collected" in policy.output, policy.output


def test_a_mojo_of_a_category_the_scorer_does_not_score_is_skipped_with_the_reason(models):
    from harness.runtimes import RuntimeCannotTake, SessionSettings, open_session

    with pytest.raises(RuntimeCannotTake, match="the MOJO is a Clustering model; the harness scores Binomial, "
                                                "Multinomial and Regression MOJOs"):
        open_session("h2o-mojo", models["kmeans_mojo"], SessionSettings())
