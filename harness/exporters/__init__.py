"""Exporters: each turns a model under test into one artifact file (ONNX at an opset, PMML, ...).

An :class:`Exporter` is one converter (one module of this package): its name and version for the report, the
format it writes, whether it is swept over ONNX opsets, and ``export(model, inputs, opset, path, options)``.
Flavors (``harness.flavors``) say which exporters apply to their models. A converter's failure is the artifact's
``export-failed`` status with the converter's own reason, never a crash of the run (``harness.check.plan``).
"""
from __future__ import annotations

from importlib import metadata
from pathlib import Path


class Exporter:
    name: str = ""  # e.g. "skl2onnx"; part of the artifact's label
    format: str = ""  # harness.artifacts.ONNX, PMML, ...
    package: str = ""  # the Python distribution whose version is reported
    sweeps_opsets: bool = False  # one artifact per requested ONNX opset

    def version(self) -> str | None:
        try:
            return metadata.version(self.package) if self.package else None
        except metadata.PackageNotFoundError:
            return None

    def label(self) -> str:
        """Name and version, as the report shows it: ``skl2onnx 1.20.0``."""
        return f"{self.name} {self.version() or '?'}"

    def export(self, model, inputs, opset: int | None, path: Path, options: dict) -> None:
        """Write the artifact to ``path``; raise with the converter's reason when it cannot.

        ``model`` is the ModelUnderTest (``model.native`` is the flavor's object), ``inputs`` the signature's
        columns or tensors (``harness.inputs``), ``options`` the converter options of ``--converter-option``."""
        raise NotImplementedError
