"""H2O models (``mlflow.h2o``): GBM, GLM, DRF, ... scored in the JVM as a MOJO by h2o-genmodel.

``mlflow.h2o`` saves H2O's *binary* model, which only an H2O cluster of the same version can load; what a Java
service deploys is a MOJO. Log the MOJO beside the model with ``extra_files`` (the README shows how): the harness
checks that file as logged (``h2o-mojo[logged]``). A model logged without one gets its MOJO downloaded from the
loaded model (``harness.exporters.h2o_mojo``).

The reference is the PyFunc prediction, as ``mlflow.h2o``'s PyFunc computes it: the batch goes to an H2O cluster
as an ``H2OFrame``, and ``model.predict`` returns ``predict`` (the label, or the regression value) plus, for a
classifier, one probability column per class in the response's domain order. Label and probabilities are compared
with the MOJO's label and class probabilities; a regression value with the MOJO's value.

The cluster is the harness's own: one local H2O JVM per process, started on first need (bound to 127.0.0.1, one
thread, 1 GB, a flat file naming only itself so it never looks for peers, the dead-proxy options every JVM of the
harness gets), and stopped at the end of the run (``close``, called by the plugin; an ``atexit`` handler covers
other callers). While it runs, ``h2o.init`` in this process connects to it: ``mlflow.h2o``'s PyFunc loader calls
``h2o.init(**settings)``, which would otherwise attach to whatever answers on localhost:54321 (another process's
cluster), to a URL the model's settings or a ``.h2oconfig`` name (possibly off the machine), or start a second JVM
with H2O's defaults (every core, a quarter of the RAM).
"""
from __future__ import annotations

import atexit
import contextlib
import io
import os
import shutil
import socket
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.artifacts import Artifact
from harness.flavors import Flavor, InputHints
from harness.outputs import LABEL, PREDICTION, PROBABILITIES, OutputSpec
from harness.runtimes.h2o_mojo import MOJO

PACKAGE = "h2o"  # the Python distribution (its bundled h2o.jar is the cluster)
CATEGORIES = {"Binomial": "classifier", "Multinomial": "classifier", "Regression": "regressor"}
INFINITY_REFUSED = (
    "mlflow.h2o's PyFunc sends the batch to H2O as CSV text, where +-inf becomes a missing value: the reference "
    "cannot take an infinity as such, so inputs with one are not compared")


class H2oFlavor(Flavor):
    name = "h2o"
    priority = 10
    python_packages = (PACKAGE,)

    def prepare_pyfunc(self) -> None:
        start_cluster()

    def load_native(self, model):
        """The PyFunc's own H2O model (already uploaded to the cluster; loading it twice would upload it twice)."""
        return model.pyfunc.get_raw_model()

    def serialization_format(self, conf: dict, local_dir) -> str | None:
        return f"H2O binary model (loads only in H2O {conf.get('h2o_version', '?')})"

    def check_signature(self, model) -> None:
        from harness.inputs import SignatureError

        signature = model.signature
        if signature is None or signature.inputs is None or not signature.inputs.has_input_names():
            return
        declared = {str(n) for n in signature.inputs.input_names()}
        missing = [c for c in feature_names(model.native) if c not in declared]
        if missing:
            raise SignatureError(
                f"{model.uri}: the signature does not match the model. The model reads columns "
                f"{feature_names(model.native)}, the signature does not declare {missing}. Log the model again "
                "with `signature=infer_signature(X, model.predict(h2o.H2OFrame(X)).as_data_frame())` on the "
                "training frame's predictor columns X.")

    def output_spec(self, model) -> OutputSpec:
        kind = CATEGORIES.get(model_category(model.native))
        if kind == "classifier":
            return OutputSpec("classifier", tuple(response_domain(model.native)))
        if kind == "regressor":
            return OutputSpec("regressor")
        return OutputSpec("named")

    def reference_outputs(self, model, spec: OutputSpec, batch) -> dict:
        numbers = batch.select_dtypes("number")
        if np.isinf(numbers.to_numpy(dtype=np.float64)).any():
            raise ValueError(INFINITY_REFUSED)
        with warnings.catch_warnings():  # H2O warns on every frame it converts and on every unseen level
            warnings.simplefilter("ignore")
            predicted = model.pyfunc.predict(batch)
        if spec.kind == "regressor":
            return {PREDICTION: predicted["predict"].to_numpy(dtype=np.float64)}
        if spec.kind != "classifier":
            return {str(name): predicted[name].to_numpy() for name in predicted.columns}
        probabilities = predicted.iloc[:, 1:]
        if probabilities.shape[1] != len(spec.classes):
            raise ValueError(f"H2O's prediction has columns {list(predicted.columns)}: expected 'predict' and one "
                             f"probability column for each of the classes {list(spec.classes)}")
        return {LABEL: predicted["predict"].to_numpy(dtype=object),
                PROBABILITIES: probabilities.to_numpy(dtype=np.float64)}

    def exporters(self, model) -> list:
        if logged_mojo(model) is not None:
            return []  # the MOJO logged with the model is the one deployed: that is the file to check
        from harness.exporters.h2o_mojo import H2oMojoDownload

        return [H2oMojoDownload()]

    def logged_artifacts(self, model) -> list:
        path = logged_mojo(model)
        return [] if path is None else [Artifact(format=MOJO, origin="logged", path=path, reference_file=False)]

    def input_hints(self, model, columns: list[str]) -> InputHints:
        try:
            native = model.native
            output = native._model_json["output"]
        except Exception:  # the model does not load: the reference says why, not the hints
            return InputHints()
        response = response_name(native)
        categories = {str(name): list(domain) for name, domain in zip(output["names"], output["domains"])
                      if domain is not None and name != response and str(name) in columns}
        return InputHints(categories=categories)

    def close(self) -> None:
        stop_cluster()


# --- the model --------------------------------------------------------------------------------------------------
def model_category(native) -> str:
    return str(native._model_json["output"]["model_category"])


def response_name(native) -> str | None:
    return native.actual_params.get("response_column") if hasattr(native, "actual_params") else None


def response_domain(native) -> list[str]:
    output = native._model_json["output"]
    names = list(output["names"])
    return [str(level) for level in output["domains"][names.index(response_name(native))]]


def feature_names(native) -> list[str]:
    """The predictor columns the model reads (its training frame's columns but the response, weights, offset and
    fold columns)."""
    params = native.actual_params
    left_out = {params.get(key) for key in ("response_column", "weights_column", "offset_column", "fold_column")}
    return [str(n) for n in native._model_json["output"]["names"] if n not in left_out]


def logged_mojo(model) -> Path | None:
    """The MOJO logged beside the model: the first ``.zip`` of the h2o flavor's ``extra_files`` that is a MOJO
    (has a model.ini) or is not a readable zip at all (then its cell says why it cannot be read)."""
    for entry in model.flavor_conf.get("extra_files") or []:
        relative = entry.get("path") if isinstance(entry, dict) else entry
        path = model.local_dir / str(relative)
        if not str(relative).lower().endswith(".zip") or not path.is_file():
            continue
        if not zipfile.is_zipfile(path):
            return path
        with zipfile.ZipFile(path) as archive:
            if "model.ini" in archive.namelist():
                return path
    return None


# --- the harness's H2O cluster ----------------------------------------------------------------------------------
@dataclass
class _Cluster:
    server: object  # h2o.backend.H2OLocalServer
    root: str  # its ice root, logs and flat file: removed when it stops
    original_init: object  # h2o.init, restored when it stops


_cluster: _Cluster | None = None
_exit_handler = None  # stop_cluster, registered with atexit once (the plugin stops the cluster before exit)


def start_cluster() -> None:
    """Start the harness's local H2O cluster and connect this process's h2o client to it (idempotent)."""
    global _cluster
    if _cluster is not None and _cluster.server.is_running():
        return
    import h2o
    from h2o.backend import H2OLocalServer

    from harness.offline import java_proxy_options
    from harness.runtimes import jvm

    stop_cluster()
    for attempt in range(2):  # a port found free can be taken before H2O binds it: one retry on another
        root, server = tempfile.mkdtemp(prefix="harness-h2o-"), None
        try:
            server = _start_server(H2OLocalServer, root, java_options=java_proxy_options(), java_home=jvm.JAVA_HOME)
            with contextlib.redirect_stdout(io.StringIO()):  # connection banner and H2O's version-age notice
                h2o.connect(server=server, verbose=False)
            break
        except Exception:
            _remove(server, root)
            if attempt:
                raise
    h2o.no_progress()
    _cluster = _Cluster(server, root, h2o.init)
    h2o.init = _init_on_harness_cluster
    global _exit_handler
    if not _exit_handler:
        _exit_handler = atexit.register(stop_cluster)


def _start_server(server_class, root: str, java_options: list[str], java_home: str | None):
    """H2O's own launcher (h2o.jar, bundled with the h2o package) with the harness's settings."""
    port = _free_port_pair()
    flatfile = Path(root) / "flatfile"
    flatfile.write_text(f"127.0.0.1:{port}\n")  # its only peer is itself: no multicast discovery
    previous = os.environ.get("JAVA_HOME")
    if java_home:  # --java-home: the cluster runs on the same JDK as the bridge (H2O's launcher reads JAVA_HOME)
        os.environ["JAVA_HOME"] = java_home
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return server_class.start(
                nthreads=1, max_mem_size=1 << 30, port=port, name=f"jvm-equivalence-{os.getpid()}-{port}",
                ice_root=root, log_dir=str(Path(root) / "logs"), enable_assertions=False, verbose=False,
                bind_to_localhost=True,
                jvm_custom_args=[*java_options, f"-Dai.h2o.flatfile={flatfile}",
                                 f"-Dai.h2o.flow_dir={Path(root) / 'flows'}"])
    finally:
        if java_home and previous is None:
            os.environ.pop("JAVA_HOME", None)
        elif java_home:
            os.environ["JAVA_HOME"] = previous


def _init_on_harness_cluster(*args, **kwargs):
    """``h2o.init`` while the harness's cluster runs: connect to it, whatever the arguments (mlflow.h2o's PyFunc
    loader passes the settings logged with the model)."""
    start_cluster()


def stop_cluster() -> None:
    """Stop the harness's H2O cluster (its JVM process), restore ``h2o.init`` and remove the cluster's files.
    Idempotent; does nothing when no cluster was started."""
    global _cluster
    cluster, _cluster = _cluster, None
    if cluster is None:
        return
    import h2o

    h2o.init = cluster.original_init
    with contextlib.suppress(Exception), contextlib.redirect_stdout(io.StringIO()):
        connection = h2o.connection()
        if connection is not None and connection.connected:
            connection.close()
    _remove(cluster.server, cluster.root)


def _remove(server, root: str) -> None:
    """End the server's JVM process (SIGTERM, then SIGKILL) and remove its files."""
    from harness.runtimes.jvm import end_process

    end_process(getattr(server, "_process", None))  # H2OLocalServer.shutdown() swallows its own errors
    for folder in (root, getattr(server, "_tempdir", None)):  # _tempdir: H2O's stdout/stderr files
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def cluster_pid() -> int | None:
    """The process id of the harness's H2O JVM (None when none runs)."""
    process = getattr(_cluster.server, "_process", None) if _cluster is not None else None
    return None if process is None else process.pid


def _free_port_pair() -> int:
    """A port p with p and p + 1 free on 127.0.0.1 (H2O listens on p and talks to itself on p + 1)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port >= 65535:
            continue
        with socket.socket() as neighbour:
            try:
                neighbour.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two adjacent free ports on 127.0.0.1 for the H2O cluster")
