"""Flavors: what the harness knows about one kind of MLflow model.

A :class:`Flavor` (one module of this package, registered under the ``jvm_equivalence.flavors`` entry-point group,
``harness.registry``) loads the native model, computes the reference outputs from the PyFunc model and says what
each output means (``harness.outputs.OutputSpec``), names the exporters that apply and their default opsets, lists
files logged with the model that runtimes load as they are, and reads input hints off the model (learned
categories, split thresholds, a linear decision boundary).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class InputHints:
    """What a flavor reads off the fitted model to steer the input search (``harness.inputs``)."""

    categories: dict[str, list] = field(default_factory=dict)  # column -> learned categories
    thresholds: dict[str, list[float]] = field(default_factory=dict)  # column -> split thresholds of the model
    boundary: tuple[np.ndarray, float] | None = None  # (w, b) of a binary linear decision function on the columns


class Flavor:
    name: str = ""  # the registry name; also the MLmodel flavor key unless ``mlflow_flavors`` says otherwise
    mlflow_flavors: tuple[str, ...] = ()  # the MLmodel flavor keys this flavor handles (default: (name,))
    priority: int = 0  # when a model has several flavors we handle, the highest priority wins
    python_packages: tuple[str, ...] = ()  # distributions whose versions the report shows for this flavor's models
    array_in_array_out: bool = False  # the PyFunc takes its one tensor as a plain array and returns an array

    def handles(self) -> tuple[str, ...]:
        return self.mlflow_flavors or (self.name,)

    # --- the model ------------------------------------------------------------------------------------------
    def load_native(self, model):
        """The flavor's own model object (a fitted estimator, an ``onnx.ModelProto``, a torch module, ...)."""
        raise NotImplementedError

    def serialization_format(self, conf: dict, local_dir) -> str | None:
        """How the model is stored, so the report can say whether loading it runs pickled code."""
        return conf.get("serialization_format")

    def prepare_pyfunc(self) -> None:
        """Called once before the PyFunc model is loaded (e.g. to silence a framework's progress bars)."""

    def reference_without_pyfunc(self, mlmodel_flavors: dict) -> bool:
        """May a model logged without a python_function flavor be checked (its reference computed natively)?
        ``mlmodel_flavors``: the MLmodel file's flavors. Read at resolution, so it must be cheap."""
        return False

    def load_reference(self, model) -> None:
        """Load what ``reference_outputs`` runs (by default the PyFunc model); raise when it cannot be loaded."""
        model.pyfunc

    def check_signature(self, model) -> None:
        """Raise ``harness.inputs.SignatureError`` when the signature cannot describe what the model takes."""

    # --- the reference --------------------------------------------------------------------------------------
    def output_spec(self, model):
        """What the reference's outputs mean (``harness.outputs.OutputSpec``)."""
        from harness.outputs import OutputSpec

        return OutputSpec.from_signature(model.signature) if self.array_in_array_out else OutputSpec("named")

    def reference_outputs(self, model, spec, batch) -> dict[str, np.ndarray]:
        from harness.outputs import named_reference_outputs

        return named_reference_outputs(model, batch)

    # --- artifacts ------------------------------------------------------------------------------------------
    def exporters(self, model) -> list:
        """The exporters (``harness.exporters.Exporter``) that apply to this model."""
        return []

    def default_opsets(self, model) -> list[int]:
        """The ONNX opsets swept when --opsets is not given."""
        return []

    def logged_artifacts(self, model) -> list:
        """Files logged with the model that runtimes load as they are (``harness.artifacts.Artifact``)."""
        return []

    def notes(self, model) -> list[str]:
        """Model-level remarks for the report, e.g. an exporter not planned for this model and why. Called at
        collection, like ``exporters``: it must be cheap."""
        return []

    def input_hints(self, model, columns: list[str]) -> InputHints:
        return InputHints()

    # --- the run --------------------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop what this flavor started for the run (e.g. a local H2O cluster, a Spark session). Called once at the
        end of the run, for every registered flavor: a no-op when it started nothing."""
