"""A batch is what one example feeds every runtime: a DataFrame for a column signature, or a dict of named numpy
arrays (first axis = rows) for a tensor signature. These helpers let the rest of the harness treat both alike."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

Batch = pd.DataFrame | dict


def rows(batch: Batch) -> int:
    if isinstance(batch, pd.DataFrame):
        return len(batch)
    first = next(iter(batch.values()))
    return int(first.shape[0]) if np.ndim(first) else 1


def key(batch: Batch) -> bytes:
    """A digest of the batch's values, types and shapes (the reference's cache key)."""
    if isinstance(batch, pd.DataFrame):
        digest = hashlib.sha256(pd.util.hash_pandas_object(batch, index=True).to_numpy().tobytes())
        digest.update(repr(list(zip(batch.columns, map(str, batch.dtypes)))).encode())
        return digest.digest()
    digest = hashlib.sha256()
    for name, array in sorted(batch.items()):
        array = np.ascontiguousarray(array)
        digest.update(f"{name}:{array.dtype}:{array.shape}".encode())
        digest.update(array.tobytes() if array.dtype != object else repr(array.tolist()).encode())
    return digest.digest()


def take_rows(batch: Batch, index: list[int]) -> Batch:
    if isinstance(batch, pd.DataFrame):
        return batch.iloc[index].reset_index(drop=True)
    return {name: np.ascontiguousarray(array[index]) for name, array in batch.items()}


def records(batch: Batch):
    """JSON-ready: a DataFrame as one record per row; tensors as {name: {dtype, shape, values (nested)}}."""
    if isinstance(batch, pd.DataFrame):
        return batch.astype(object).where(batch.notna(), None).to_dict(orient="records")
    return {name: {"dtype": str(array.dtype), "shape": list(array.shape),
                   "values": array.astype(np.float64).tolist() if array.dtype.kind == "f" else array.tolist()}
            for name, array in batch.items()}


def describe(batch: Batch) -> str:
    """For a person: a table of rows, or each tensor with its shape."""
    if isinstance(batch, pd.DataFrame):
        return batch.to_string(index=False)
    with np.printoptions(precision=9, threshold=48, linewidth=140):
        return "\n".join(f"{name} {array.dtype}{list(array.shape)}: {np.array2string(array, separator=', ')}"
                         for name, array in batch.items())
