"""Model URIs of every form resolve to the same model; bad ones get an error that says what to do."""
from __future__ import annotations

import mlflow
import pytest

from fixtures.models import PIP_REQUIREMENTS, log_sklearn, numeric_data
from harness.source import ModelSourceError, resolve


@pytest.fixture(scope="module")
def logged(registry_uri):
    from tests.conftest import use_registry

    use_registry(registry_uri)
    from sklearn.linear_model import LinearRegression

    frame, target = numeric_data(rows=50)
    model = LinearRegression().fit(frame, target)
    alias_uri = log_sklearn(model, frame, registered_name="regressor", alias="champion")
    return alias_uri, frame


def test_every_uri_form_resolves_to_the_model(tmp_path, tracking_uri, logged):
    alias_uri, frame = logged
    version = mlflow.MlflowClient().get_model_version_by_alias("regressor", "champion")
    local = tmp_path / "local"
    mlflow.sklearn.save_model(mlflow.sklearn.load_model(alias_uri), str(local), pip_requirements=PIP_REQUIREMENTS,
                              signature=mlflow.models.infer_signature(frame), serialization_format="cloudpickle")
    for uri in (alias_uri, f"models:/regressor/{version.version}", f"runs:/{version.run_id}/model", str(local)):
        model = resolve(uri, tracking_uri)
        assert model.flavor == "sklearn", uri
        assert [c.name for c in model.signature.inputs.inputs] == list(frame.columns), uri
        assert model.serialization_format == "cloudpickle"
        assert model.native.predict(frame.head(2)).shape == (2,)


@pytest.mark.parametrize("uri, says", [
    ("models:/regressor@no-such-alias", "no-such-alias"),
    ("models:/regressor/99", "tracking URI"),
    ("runs:/0123456789abcdef0123456789abcdef/model", "runs:/0123456789abcdef"),
])
def test_missing_registry_entries_say_what_to_check(tracking_uri, logged, uri, says):
    with pytest.raises(ModelSourceError, match=says) as error:
        resolve(uri, tracking_uri)
    assert "--tracking-uri" in str(error.value) or "MLFLOW_TRACKING_URI" in str(error.value)


def test_local_paths_that_are_not_models(tmp_path):
    with pytest.raises(ModelSourceError, match="no such local model directory"):
        resolve(str(tmp_path / "missing"))
    with pytest.raises(ModelSourceError, match="no MLmodel file"):
        resolve(str(tmp_path))
