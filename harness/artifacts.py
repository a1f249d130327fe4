"""An artifact is one file a runtime can load: what format it is, where it came from, which opset it declares."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ONNX, PMML = "onnx", "pmml"


@dataclass
class Artifact:
    format: str  # ONNX or PMML
    origin: str  # "exported" (by the harness), "logged" (the onnx-flavor file as logged), "supplied" (--artifact)
    exporter: str | None = None  # e.g. "skl2onnx 1.20.0"; None for logged and supplied files
    opset_requested: int | None = None
    path: Path | None = None
    source_uri: str | None = None  # what the user passed to --artifact
    opset_actual: int | None = None
    error: str | None = None  # why the export failed; the cells of a failed artifact report it
    error_log: str | None = None  # where the converter's whole error went
    options: dict = field(default_factory=dict)  # the converter options it was exported with
    maker: object | None = field(default=None, repr=False, compare=False)  # the harness.exporters.Exporter
    reference_file: bool = False  # the very file the reference itself loads (a flavor's native model file)

    @property
    def label(self) -> str:
        """The artifact's part of a cell's name, e.g. ``skl2onnx-opset17``, ``sklearn2pmml``, ``supplied-m.onnx``."""
        if self.origin == "supplied":
            return f"supplied-{Path(self.source_uri or str(self.path)).name}"
        if self.origin == "logged":
            return f"logged-opset{self.opset_actual}" if self.opset_actual else "logged"
        name = (self.exporter or self.format).split()[0]
        return f"{name}-opset{self.opset_requested}" if self.opset_requested else name

    def to_json(self) -> dict:
        return {
            "format": self.format,
            "path": str(self.path) if self.path else None,
            "uri": self.source_uri,
            "origin": self.origin,
            "exporter": self.exporter,
            "options": self.options or None,
        }


def supplied(uri: str, download_dir: Path) -> Artifact:
    """A file the user deploys (--artifact): a local path or an MLflow artifact URI, ONNX or PMML by extension."""
    path = Path(uri).expanduser()
    if not path.exists():
        import mlflow

        try:
            path = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(download_dir)))
        except Exception as error:
            raise ValueError(
                f"--artifact {uri}: neither a local file nor a downloadable MLflow artifact ({error})."
            ) from error
    suffix = path.suffix.lower()
    fmt = ONNX if suffix == ".onnx" else PMML if suffix in (".pmml", ".xml") else _format_of_suffix(suffix)
    if fmt is None:
        others = sorted({s for _, s in _runtime_suffixes()})
        raise ValueError(f"--artifact {uri}: expected an .onnx or .pmml file"
                         + (f" (or {', '.join(others)}: a model file a JVM runtime reads)" if others else "")
                         + f", got '{path.name}'.")
    artifact = Artifact(format=fmt, origin="supplied", path=path.resolve(), source_uri=uri)
    if fmt == ONNX:
        try:
            from harness.onnx_versions import declared_opset

            artifact.opset_actual = declared_opset(path)
            check_external_data(path)
        except ValueError as error:
            artifact.error = str(error)
        except Exception as error:
            artifact.error = (f"{path} is not a readable ONNX file ({type(error).__name__}: {error}). "
                              "Check that it is the .onnx file itself, complete and uncorrupted.")
    return artifact


def _runtime_suffixes() -> list[tuple[str, str]]:
    """(format, file extension) of every registered runtime that reads a format of its own (``Runtime.suffixes``)."""
    try:
        from harness import registry

        return [(r.format, s.lower()) for r in registry.runtimes().values() for s in getattr(r, "suffixes", ())]
    except Exception:
        return []


def _format_of_suffix(suffix: str) -> str | None:
    return next((fmt for fmt, known in _runtime_suffixes() if known == suffix), None)


def check_external_data(path: Path) -> None:
    """An ONNX file may keep tensors in other files; refuse any that lies outside the model's own directory."""
    import onnx
    from onnx.external_data_helper import _get_all_tensors, uses_external_data

    model = onnx.load(str(path), load_external_data=False)
    base = path.resolve().parent
    for tensor in _get_all_tensors(model):
        if not uses_external_data(tensor):
            continue
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        target = (base / location).resolve()
        if not target.is_relative_to(base):
            raise ValueError(
                f"{path} refers to external data '{location}' outside its own directory ({base}); the harness "
                "refuses to read it. Keep external data files beside the .onnx file.")
