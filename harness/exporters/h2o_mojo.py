"""An H2O model -> its MOJO, downloaded from the harness's H2O cluster (``model.download_mojo``).

Used when no MOJO was logged beside the model (``harness.flavors.h2o``). H2O writes the MOJO with the cluster's own
version (the ``h2o`` package's bundled h2o.jar), so the pinned h2o and h2o-genmodel versions are the same. The
h2o Python client 3.46.0.12 refuses ``download_mojo`` (it moved to H2O-3 Secure): the reason reaches the cell.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from harness.exporters import Exporter
from harness.flavors.h2o import PACKAGE
from harness.runtimes.h2o_mojo import MOJO


class H2oMojoDownload(Exporter):
    name = "download_mojo"
    format = MOJO
    package = PACKAGE

    def export(self, model, inputs, opset, path: Path, options: dict) -> None:
        export(model.native, path)


def export(h2o_model, path: Path) -> None:
    """Write ``h2o_model``'s MOJO zip to ``path``."""
    with tempfile.TemporaryDirectory(prefix="harness-mojo-") as folder:
        written = h2o_model.download_mojo(path=folder, get_genmodel_jar=False)
        shutil.move(written, path)
