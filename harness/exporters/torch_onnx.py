"""PyTorch module -> ONNX with torch.onnx, by either exporter: the TorchScript one (``dynamo=False``, traces the
module, honours the requested opset) or the dynamo one (``dynamo=True``, torch.export, builds at its own opset
and converts; the file may declare another opset than asked). torch is imported only here, only when used.

A pt2 model (MLflow 3's default format) loads as the GraphModule of a torch.export program, which has no
train()/eval(): the TorchScript exporter traces it through a plain wrapper module (``traceable``).
``torchscript_problem`` exports once to memory to say whether that works (the pytorch flavor plans the
TorchScript exporter for a pt2 model only then, unless ``--converter-option torch.onnx-torchscript:force=true``)."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from harness.artifacts import ONNX
from harness.exporters import Exporter
from harness.outputs import output_names

EXAMPLE_DYNAMIC_SIZE = 3  # a dynamic dimension's size in the example inputs (not 0 or 1, which torch specialises)


class TorchOnnx(Exporter):
    """One of torch.onnx's two exporters; ``kind`` is "torchscript" or "dynamo"."""

    format = ONNX
    package = "torch"
    sweeps_opsets = True

    def __init__(self, kind: str, not_planned: str | None = None):
        self.kind = kind
        self.name = f"torch.onnx-{kind}"
        self.not_planned = not_planned  # why it is not planned for this model (``force=true`` plans it anyway)

    def version(self) -> str | None:
        version = super().version()
        return version.split("+")[0] if version else None

    def export(self, model, inputs, opset, path: Path, options: dict) -> None:
        export(model.native, inputs, model.signature, opset, path, self.kind)


EXPORTERS = (TorchOnnx("torchscript"), TorchOnnx("dynamo"))
PROBE_OPSET = 17


def is_exported_program(module) -> bool:
    """The GraphModule MLflow loads from the pt2 format (a torch.export program): it refuses train()/eval()."""
    import torch

    if not isinstance(module, torch.fx.GraphModule):
        return False
    try:
        module.train(False)
    except NotImplementedError:
        return True
    return False


def traceable(module):
    """What the TorchScript exporter can trace: a pt2 program's GraphModule inside a plain module that holds it
    outside its module tree (so the exporter's train()/eval() switches never reach it), its parameters frozen
    (traced as constants); any other module as it is."""
    import torch

    if not is_exported_program(module):
        return module
    for parameter in module.parameters():
        parameter.requires_grad_(False)

    class ExportedProgramModule(torch.nn.Module):
        def __init__(self, program):
            super().__init__()
            object.__setattr__(self, "program", program)

        def forward(self, *args):
            return self.program(*args)

    return ExportedProgramModule(module)


def torchscript_problem(module, tensors, signature) -> str | None:
    """Why the TorchScript exporter cannot export ``module`` (None: it can): one export to memory, at opset 17."""
    from harness import reasons

    try:
        export(module, tensors, signature, PROBE_OPSET, io.BytesIO(), "torchscript")
    except Exception as error:
        return reasons.describe(error, 600)
    return None


def export(module, tensors, signature, opset: int, path, kind: str) -> None:
    import torch

    examples = tuple(torch.from_numpy(np.ones([EXAMPLE_DYNAMIC_SIZE if d == -1 else d for d in t.shape],
                                              dtype=t.dtype)) for t in tensors)
    names = [t.name for t in tensors]
    outputs = output_names(signature)
    dynamic = {t.name: {axis: f"{t.name}_dim{axis}" if axis else "batch"
                        for axis, size in enumerate(t.shape) if size == -1} for t in tensors}
    try:  # a pickled nn.Module; the GraphModule MLflow 3 loads from pt2 is already in inference form
        module = module.eval()
    except NotImplementedError:
        pass
    if kind == "dynamo":
        # positional, so they match forward()'s own argument names whatever the signature calls the tensors
        shapes = tuple({axis: torch.export.Dim.AUTO for axis, size in enumerate(t.shape) if size == -1}
                       for t in tensors)
        program = torch.onnx.export(module, examples, dynamo=True, opset_version=opset, input_names=names,
                                    output_names=outputs, dynamic_shapes=shapes, verbose=False)
        program.save(str(path))
    else:
        torch.onnx.export(traceable(module), examples, path if isinstance(path, io.IOBase) else str(path),
                          dynamo=False, opset_version=opset, input_names=names, output_names=outputs,
                          dynamic_axes={**dynamic, **{o: {0: "batch"} for o in outputs}})
