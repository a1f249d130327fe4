"""PyTorch module -> ONNX with torch.onnx, by either exporter: the TorchScript one (``dynamo=False``, traces the
module, honours the requested opset) or the dynamo one (``dynamo=True``, torch.export, builds at its own opset
and converts; the file may declare another opset than asked). torch is imported only here, only when used."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.outputs import output_names

EXPORTERS = {"torchscript": False, "dynamo": True}
EXAMPLE_DYNAMIC_SIZE = 3  # a dynamic dimension's size in the example inputs (not 0 or 1, which torch specialises)


def exporter_name(kind: str) -> str:
    import torch

    return f"torch.onnx-{kind} {torch.__version__.split('+')[0]}"


def export(module, tensors, signature, opset: int, path: Path, kind: str) -> None:
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
    if EXPORTERS[kind]:
        # positional, so they match forward()'s own argument names whatever the signature calls the tensors
        shapes = tuple({axis: torch.export.Dim.AUTO for axis, size in enumerate(t.shape) if size == -1}
                       for t in tensors)
        program = torch.onnx.export(module, examples, dynamo=True, opset_version=opset, input_names=names,
                                    output_names=outputs, dynamic_shapes=shapes, verbose=False)
        program.save(str(path))
    else:
        if isinstance(module, torch.fx.GraphModule):
            _check_traceable(module)
        torch.onnx.export(module, examples, str(path), dynamo=False, opset_version=opset, input_names=names,
                          output_names=outputs, dynamic_axes={**dynamic, **{o: {0: "batch"} for o in outputs}})


def _check_traceable(module) -> None:
    """The TorchScript exporter traces with train()/eval() switches that a torch.export program (what MLflow
    loads from its default pt2 format) does not have: say so, and how to check this exporter anyway."""
    try:
        module.train(False)
    except NotImplementedError:
        raise RuntimeError(
            "the TorchScript exporter cannot trace the torch.export program MLflow loads from the pt2 format. "
            "Log the model with `serialization_format=\"pickle\"` to check this exporter; the dynamo exporter "
            "cells check the pt2 program as logged.") from None
