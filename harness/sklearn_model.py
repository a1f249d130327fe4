"""What the harness reads off a fitted scikit-learn estimator: its task, classes, and the categories it knows."""
from __future__ import annotations

import numpy as np


def final_estimator(estimator):
    """The last step of a Pipeline (recursively), or the estimator itself."""
    steps = getattr(estimator, "steps", None)
    return final_estimator(steps[-1][1]) if steps else estimator


def is_classifier(estimator) -> bool:
    return getattr(final_estimator(estimator), "_estimator_type", None) == "classifier" or hasattr(
        final_estimator(estimator), "classes_"
    )


def classes(estimator) -> np.ndarray | None:
    return getattr(final_estimator(estimator), "classes_", None)


def selects_columns_by_name(estimator) -> bool:
    """True when a ColumnTransformer picks DataFrame columns by name, so the ONNX graph needs one input per column."""
    from sklearn.compose import ColumnTransformer

    return any(isinstance(step, ColumnTransformer) for step in _walk(estimator))


def categories_by_column(estimator) -> dict[str, list]:
    """Categories a OneHotEncoder/OrdinalEncoder learned, keyed by the DataFrame column they were fitted on."""
    from sklearn.compose import ColumnTransformer

    found: dict[str, list] = {}
    for step in _walk(estimator):
        if not isinstance(step, ColumnTransformer):
            continue
        for _, transformer, columns in step.transformers_:
            if isinstance(columns, str):
                columns = [columns]
            for encoder in _walk(transformer):
                learned = getattr(encoder, "categories_", None)
                if learned is None or not all(isinstance(c, str) for c in columns):
                    continue
                for column, values in zip(columns, learned):
                    found.setdefault(column, [v for v in values.tolist() if v is not None])
                break
    return found


def _walk(estimator):
    """The estimator and every estimator nested in it (pipeline steps, column-transformer parts)."""
    yield estimator
    for _, step in getattr(estimator, "steps", None) or []:
        yield from _walk(step)
    for _, transformer, _ in getattr(estimator, "transformers_", None) or getattr(estimator, "transformers", []):
        if not isinstance(transformer, str):
            yield from _walk(transformer)


def check_signature(estimator, signature, model_uri: str) -> None:
    """The signature's input columns must be the columns the estimator was fitted on (when it knows them)."""
    from harness.inputs import SignatureError

    fitted = getattr(estimator, "feature_names_in_", None)
    if fitted is None or signature is None or signature.inputs is None or not signature.inputs.has_input_names():
        return
    declared = signature.inputs.input_names()
    if list(declared) != [str(c) for c in fitted]:
        raise SignatureError(
            f"{model_uri}: the signature does not match the model. The model was fitted on columns "
            f"{[str(c) for c in fitted]}, the signature declares {list(declared)}. Log the model again with "
            "`signature=infer_signature(X, model.predict(X))` on the training frame X."
        )
