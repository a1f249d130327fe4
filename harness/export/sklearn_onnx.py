"""scikit-learn estimator or pipeline -> ONNX, with skl2onnx, at one requested opset."""
from __future__ import annotations

from pathlib import Path

from harness import sklearn_model
from harness.inputs import Column


def exporter_name() -> str:
    import skl2onnx

    return f"skl2onnx {skl2onnx.__version__}"


def initial_types(estimator, columns: list[Column]):
    """One float/string input per column when a ColumnTransformer selects columns by name, else one float matrix.

    Float32 inputs are what skl2onnx users deploy, and what scikit-learn's trees compare in.
    """
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    if sklearn_model.selects_columns_by_name(estimator):
        return [
            (c.name, StringTensorType([None, 1]) if c.type == "string" else FloatTensorType([None, 1]))
            for c in columns
        ]
    return [("X", FloatTensorType([None, len(columns)]))]


def export(estimator, columns: list[Column], opset: int, path: Path) -> None:
    """Write the ONNX file; raises whatever skl2onnx raises when it cannot convert."""
    from skl2onnx import convert_sklearn

    options = {}
    if sklearn_model.is_classifier(estimator):
        # Plain [N, classes] probabilities instead of ZipMap's list of dicts.
        options[id(sklearn_model.final_estimator(estimator))] = {"zipmap": False}
    onnx_model = convert_sklearn(
        estimator, initial_types=initial_types(estimator, columns), target_opset=opset, options=options
    )
    path.write_bytes(onnx_model.SerializeToString())
