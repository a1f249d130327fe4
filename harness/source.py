"""Model URI -> the model under test: the PyFunc reference, the native model, its flavor and signature.

Accepts ``runs:/RUN/PATH``, ``models:/NAME/VERSION``, ``models:/NAME@ALIAS``, any other MLflow artifact URI,
and a local model directory. The tracking URI comes from ``--tracking-uri`` or ``MLFLOW_TRACKING_URI``.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from harness import registry

_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")  # runs:, models:, file:, s3:, ... (not a drive letter)


class ModelSourceError(ValueError):
    """The model URI cannot be turned into a model under test; the message says why and what to do."""


@dataclass
class ModelUnderTest:
    uri: str
    local_dir: Path
    flavor: str  # the MLmodel flavor key the model is handled under
    family: object  # the registered harness.flavors.Flavor that handles it
    flavor_conf: dict
    signature: object | None  # mlflow.models.ModelSignature
    input_example: pd.DataFrame | None
    serialization_format: str | None
    registered: tuple[str, str] | None = None  # (name, version) when the URI names a registry model
    _pyfunc: object | None = field(default=None, repr=False)
    _native: object | None = field(default=None, repr=False)

    @property
    def pyfunc(self):
        """The PyFunc model: the reference every runtime is compared with (loading it runs the model's code)."""
        if self._pyfunc is None:
            import mlflow.pyfunc

            self.family.prepare_pyfunc()
            self._pyfunc = mlflow.pyfunc.load_model(str(self.local_dir))
        return self._pyfunc

    @property
    def native(self):
        """The flavor's own model object (a fitted estimator, an ``onnx.ModelProto``, a torch module, ...)."""
        if self._native is None:
            self._native = self.family.load_native(self)
        return self._native


def resolve(uri: str, tracking_uri: str | None = None) -> ModelUnderTest:
    """Download (or locate) the model at ``uri`` and read its MLmodel file. Does not load the model yet."""
    import mlflow
    from mlflow.models import Model

    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    if _URI_SCHEME.match(uri) and uri.split(":", 1)[0] in ("models", "runs"):
        check_reachable(mlflow.get_tracking_uri())
    registered = registry_version(uri)
    # An alias can move while we run: download the version it pointed at when we resolved it.
    local_dir = _local_copy(f"models:/{registered[0]}/{registered[1]}" if registered else uri)
    mlmodel = local_dir / "MLmodel"
    if not mlmodel.is_file():
        raise ModelSourceError(
            f"{uri}: {local_dir} has no MLmodel file, so it is not an MLflow model. Point --model-uri at the "
            "directory that `mlflow.<flavor>.save_model` wrote (or at a registered model / run artifact)."
        )
    model = Model.load(str(mlmodel))
    family = registry.flavor_of(model.flavors)
    without_pyfunc = getattr(family, "reference_without_pyfunc", None)
    if "python_function" not in model.flavors and not (without_pyfunc and without_pyfunc(model.flavors)):
        raise ModelSourceError(
            f"{uri}: the model has no python_function flavor, so there is no PyFunc reference to compare "
            f"with (flavors: {', '.join(model.flavors)})."
        )
    if family is None:
        others = sorted(set(model.flavors) - {"python_function"})
        what = f"flavor(s) {', '.join(others)} are" if others else "a custom python_function model (no native flavor) is"
        raise ModelSourceError(
            f"{uri}: {what} not supported; the harness handles the {', '.join(registry.handled_flavor_keys())} "
            "flavors. Log the model with one of those flavors, or register a flavor for it (README: Add a model "
            "family)."
        )
    flavor = next(key for key in family.handles() if key in model.flavors)
    flavor_conf = model.flavors[flavor]
    return ModelUnderTest(
        uri=uri,
        local_dir=local_dir,
        flavor=flavor,
        family=family,
        flavor_conf=flavor_conf,
        signature=model.signature,
        input_example=_input_example(model, local_dir),
        serialization_format=family.serialization_format(flavor_conf, local_dir),
        registered=registered,
    )


def check_reachable(tracking_uri: str, timeout: float = 5.0) -> None:
    """Fail in seconds, not after MLflow's minutes of retries, when an http(s) registry does not answer."""
    if not tracking_uri.startswith(("http://", "https://")):
        return
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{tracking_uri.rstrip('/')}/health", timeout=timeout):
            return
    except urllib.error.HTTPError:
        return  # it answered: a server without /health is still a server
    except (OSError, ValueError) as error:
        raise ModelSourceError(
            f"the MLflow tracking server at {tracking_uri} cannot be reached ({getattr(error, 'reason', error)}). "
            "Start it, or fix --tracking-uri / MLFLOW_TRACKING_URI."
        ) from None


def registry_version(uri: str) -> tuple[str, str] | None:
    """(name, version) for ``models:/NAME/VERSION`` and ``models:/NAME@ALIAS``; None for other URIs."""
    match = re.fullmatch(r"models:/([^/@]+)(?:/(\d+)|@([^/]+))/?", uri)
    if not match:
        return None
    name, version, alias = match.groups()
    if version:
        return name, version
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        return name, MlflowClient().get_model_version_by_alias(name, alias).version
    except MlflowException as error:
        import mlflow

        raise ModelSourceError(
            f"{uri}: MLflow could not resolve it ({error.message}). Check the name and alias, and that the "
            f"tracking URI ({mlflow.get_tracking_uri()}) is the registry that holds it "
            "(--tracking-uri or MLFLOW_TRACKING_URI)."
        ) from error


def _local_copy(uri: str) -> Path:
    if not _URI_SCHEME.match(uri):
        path = Path(uri).expanduser()
        if not path.exists():
            raise ModelSourceError(
                f"{uri}: no such local model directory. Pass an existing directory, or an MLflow URI such as "
                "models:/NAME/VERSION, models:/NAME@ALIAS or runs:/RUN_ID/PATH."
            )
        return path.resolve()
    return Path(_download(uri))


@functools.cache
def _download(uri: str) -> str:
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        return mlflow.artifacts.download_artifacts(artifact_uri=uri)
    except MlflowException as error:
        raise ModelSourceError(
            f"{uri}: MLflow could not resolve it ({error.message}). Check the name, version or alias, and "
            f"that the tracking URI ({mlflow.get_tracking_uri()}) is the registry that holds it "
            "(--tracking-uri or MLFLOW_TRACKING_URI)."
        ) from error
    except OSError as error:
        raise ModelSourceError(f"{uri}: could not be downloaded ({error}).") from error


def _input_example(model, local_dir: Path) -> pd.DataFrame | None:
    if not model.saved_input_example_info:
        return None
    try:
        example = model.load_input_example(str(local_dir))
    except Exception:  # an unreadable example only costs us value ranges, never the run
        return None
    if isinstance(example, pd.DataFrame):
        return example
    return None
