"""MLflow signature -> Hypothesis strategies that produce batches (DataFrames) the model accepts.

One strategy per column type an MLflow column signature allows (double, float, long, integer, boolean,
string), optional columns drawing missing values too, composed into a strategy of whole batches.

The strategies hunt rather than sample: every numeric strategy mixes in edge values (NaN where the column is
optional, +-inf, and within the column's range +-0, subnormals, 2**24 + 1, values that round differently in
float32 and float64, the range ends; the float32 extremes for float32 columns, whose domain they belong to) and the column's *interesting values* (tree thresholds and their float32/float64
neighbours, from harness.structure); string strategies mix in an unseen category and the empty string; batch
sizes mix in 1 and sizes around the runtimes' internal blocking; rows may come from real data, perturbed, or lie
on a linear model's decision boundary.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from harness.structure import neighbours

DEFAULT_RANGE = (-100.0, 100.0)
MAX_ROWS = 8
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-"


class SignatureError(ValueError):
    """The model's signature cannot drive input generation; the message says how to fix it."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # an MLflow DataType name: double, float, long, integer, boolean, string
    required: bool = True
    low: float = DEFAULT_RANGE[0]
    high: float = DEFAULT_RANGE[1]
    categories: tuple = ()
    interesting: tuple = ()  # values where the model branches (thresholds and their neighbours)
    suspicious: tuple = ()  # thresholds an artifact has and the model has not, with neighbours: tried most
    infinities: bool = True  # False once the reference is known to reject +-inf in this column

    @property
    def dtype(self):
        return _DTYPES[self.type]


_DTYPES = {
    "double": np.float64,
    "float": np.float32,
    "long": np.int64,
    "integer": np.int32,
    "boolean": np.bool_,
    "string": object,
}


def columns_from_signature(
    signature,
    *,
    model_uri: str,
    categories: dict[str, list] | None = None,
    example: pd.DataFrame | None = None,
    value_range: tuple[float, float] | None = None,
) -> list[Column]:
    """The input columns the signature declares, with value ranges and categories from what we know."""
    if signature is None or signature.inputs is None:
        raise SignatureError(
            f"{model_uri} has no signature, so the harness cannot know what inputs it takes. Log the model "
            "with one: `mlflow.sklearn.log_model(model, name=..., signature=infer_signature(X, model.predict(X)))` "
            "or pass `input_example=X[:5]`."
        )
    if signature.inputs.is_tensor_spec() or not signature.inputs.has_input_names():
        raise SignatureError(
            f"{model_uri}: the signature's inputs are {signature.inputs}; the harness generates named columns "
            "only. Log the model with a column-based signature (from a DataFrame)."
        )
    categories = categories or {}
    columns = []
    for spec in signature.inputs.inputs:
        type_name = getattr(spec.type, "name", str(spec.type))
        if type_name not in _DTYPES:
            raise SignatureError(
                f"{model_uri}: input column '{spec.name}' has type {type_name}, which the harness cannot "
                f"generate (supported: {', '.join(_DTYPES)})."
            )
        low, high = value_range or _observed_range(example, spec.name) or DEFAULT_RANGE
        known = list(categories.get(spec.name, []))
        if example is not None and spec.name in example and type_name == "string":
            known += [v for v in example[spec.name].dropna().unique().tolist() if v not in known]
        columns.append(
            Column(spec.name, type_name, required=spec.required, low=low, high=high, categories=tuple(known))
        )
    return columns


def _observed_range(example: pd.DataFrame | None, name: str) -> tuple[float, float] | None:
    """The input example's range for a numeric column, widened by its span on each side."""
    if example is None or name not in example or not pd.api.types.is_numeric_dtype(example[name]):
        return None
    values = example[name].dropna().astype(float)
    if values.empty:
        return None
    low, high = float(values.min()), float(values.max())
    span = high - low if high > low else max(abs(high) * 0.1, 1.0)  # one distinct value: 10% around it
    return low - span, high + span


UNSEEN_CATEGORY = "__unseen__"
BATCH_SIZE_EDGES = (1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33)  # around the powers of two runtimes block work by
FLOAT32_MAX = float(np.finfo(np.float32).max)


def float_edges(column: Column) -> list[float]:
    """Edge values of a float column: range ends, signed zeros, subnormals, float32 extremes, infinities, and
    values halfway between two float32 numbers (float32 rounds them, float64 keeps them)."""
    width = np.float32 if column.type == "float" else np.float64
    mid = np.float32((column.low + column.high) / 2)
    halfway = [float(mid) + float(np.spacing(mid)) / 2, float(mid) - float(np.spacing(mid)) / 2]
    edges = [column.low, column.high, 0.0, -0.0, float(np.finfo(width).smallest_subnormal),
             -float(np.finfo(width).smallest_subnormal), float(np.finfo(np.float32).tiny), 16777217.0, *halfway]
    edges = [e for e in edges if column.low <= e <= column.high]
    if column.type == "float":  # a float32 column holds the float32 extremes legitimately, and only float32 values
        edges = [float(np.float32(e)) for e in edges + [FLOAT32_MAX, -FLOAT32_MAX]]
    # Infinities unless the model is known to reject them (then they would only waste examples).
    return list(dict.fromkeys(edges + ([float("inf"), float("-inf")] if column.infinities else [])))


def shrink_target(column: Column):
    """The value a column's strategy shrinks toward (what the reports' typical row shows): missing for an optional
    column, False, the first category (or ""), else 0 within the column's range."""
    if not column.required:
        return None
    if column.type == "boolean":
        return False
    if column.type == "string":
        return column.categories[0] if column.categories else ""
    value = min(max(0.0, float(column.low)), float(column.high))
    return int(value) if column.type in ("long", "integer") else value  # (toward 0: inside floor(low)..ceil(high))


def typical_value(column: Column):
    """A plain in-domain value of the column (for probes)."""
    if column.type == "string":
        return column.categories[0] if column.categories else ""
    if column.type == "boolean":
        return False
    middle = (column.low + column.high) / 2
    return int(middle) if column.type in ("long", "integer") else float(middle)


def value_strategy(column: Column, hunt: bool = True) -> st.SearchStrategy:
    """Values of one column. Missing values (NaN / None) only where the signature marks the column optional.
    With ``hunt`` (the default), edge values and the column's interesting values are mixed in."""
    edges: list = []
    if column.type in ("double", "float"):
        width = 32 if column.type == "float" else 64
        values = st.floats(column.low, column.high, allow_nan=False, allow_infinity=False, width=width)
        missing = st.just(float("nan"))
        edges = float_edges(column)
    elif column.type in ("long", "integer"):
        low, high = int(np.floor(column.low)), int(np.ceil(column.high))
        values = st.integers(low, high)
        missing = st.none()
        edges = [v for v in (low, high, 0, -1, 1, 2**24 + 1) if low <= v <= high]
        edges += [int(np.floor(v)) for v in column.interesting + column.suspicious if low <= v <= high]
        edges += [int(np.ceil(v)) for v in column.interesting + column.suspicious if low <= v <= high]
    elif column.type == "boolean":
        values, missing = st.booleans(), st.none()
    else:
        values = st.sampled_from(column.categories) if column.categories else st.text(_LETTERS, max_size=8)
        missing = st.none()
        edges = [UNSEEN_CATEGORY, ""]
    if hunt:
        branches = [values] + [st.sampled_from(list(dict.fromkeys(group))) for group in (
            edges, column.interesting if column.type in ("double", "float") else (),
            column.suspicious if column.type in ("double", "float") else ()) if group]
        values = st.one_of(branches)
    return values if column.required else st.one_of(missing, values)


def perturbed_rows(rows: list[dict], columns: list[Column]) -> st.SearchStrategy:
    """A real row, its numbers nudged by a relative step or to a float32 neighbour: the domain the model serves."""
    numeric = [c for c in columns if c.type in ("double", "float", "long", "integer")]

    @st.composite
    def perturb(draw):
        row = dict(draw(st.sampled_from(rows)))
        for column in numeric:
            value = row.get(column.name)
            if value is None or (isinstance(value, float) and np.isnan(value)) or draw(st.booleans()):
                continue
            if column.type in ("long", "integer"):
                row[column.name] = int(value) + draw(st.sampled_from([-1, 1]))
                continue
            step = draw(st.sampled_from([1e-7, -1e-7, 1e-4, -1e-4, 1e-2, -1e-2, 0.0]))
            nudged = float(value) * (1 + step)
            if step == 0.0:
                f32 = np.float32(value)
                nudged = float(np.nextafter(f32, np.float32(draw(st.sampled_from([np.inf, -np.inf])))))
            row[column.name] = nudged
        return row

    return perturb()


def boundary_rows(columns: list[Column], boundary: tuple[np.ndarray, float],
                  base: st.SearchStrategy | None = None) -> st.SearchStrategy:
    """Rows on a linear model's decision boundary w.x + b = 0 (one column solved for), within the columns' ranges;
    the other columns from ``base`` (default: every column drawn)."""
    w, b = boundary
    generated = base if base is not None else st.fixed_dictionaries(
        {c.name: value_strategy(c, hunt=False) for c in columns})

    @st.composite
    def on_boundary(draw):
        row = draw(generated)
        x = np.array([float(row[c.name]) for c in columns])
        candidates = [j for j in range(len(columns)) if w[j] != 0]
        if not candidates:
            return row
        j = draw(st.sampled_from(candidates))
        solved = (-b - float(np.dot(w, x)) + w[j] * x[j]) / w[j]
        if columns[j].low <= solved <= columns[j].high:
            row[columns[j].name] = draw(st.sampled_from(neighbours(solved)))
        return row

    return on_boundary()



WIDE_ROW = 32  # a hunting row over more columns than this is a base row with a few columns changed
CHANGED_COLUMNS = 8  # at most this many per wide row


def sparse_rows(columns: list[Column], data_rows: list[dict] | None = None) -> st.SearchStrategy:
    """Rows of a wide signature (hundreds of columns): a base row (the columns' shrink targets, or a real row) with
    up to CHANGED_COLUMNS columns drawn from their hunting strategies. A row costs a few draws, not one per column
    (a dense 300-column batch would cost thousands and overrun Hypothesis' buffer), and shrinks toward the typical
    row plus the few columns that matter: what the reports show of a wide counterexample."""
    strategies = [value_strategy(c, hunt=True) for c in columns]
    bases = [{c.name: shrink_target(c) for c in columns}] + [dict(r) for r in data_rows or []]

    @st.composite
    def sparse(draw):
        row = dict(draw(st.sampled_from(bases)))
        for j in draw(st.lists(st.integers(0, len(columns) - 1), max_size=CHANGED_COLUMNS, unique=True)):
            row[columns[j].name] = draw(strategies[j])
        return row

    return sparse()


def row_strategy(columns: list[Column], *, hunt: bool = True, data_rows: list[dict] | None = None,
                 boundary: tuple | None = None) -> st.SearchStrategy:
    numeric = all(c.type in ("double", "float", "long", "integer") for c in columns)
    if hunt and len(columns) > WIDE_ROW:
        rows = [sparse_rows(columns, data_rows)]
        if boundary is not None and numeric:
            rows.append(boundary_rows(columns, boundary, base=rows[0]))
        return st.one_of(rows)
    rows = [st.fixed_dictionaries({c.name: value_strategy(c, hunt) for c in columns})]
    if hunt and data_rows:
        rows.append(perturbed_rows(data_rows, columns))
    if hunt and boundary is not None and numeric:
        rows.append(boundary_rows(columns, boundary))
    return st.one_of(rows)


def batches(columns: list[Column], max_rows: int = MAX_ROWS, *, hunt: bool = True,
            data_rows: list[dict] | None = None, boundary: tuple | None = None) -> st.SearchStrategy:
    """Batches (DataFrames) of rows; shrinks toward one row of simple values. ``hunt=False`` is plain sampling (the
    baseline). The row strategy is built once, not per batch (for hundreds of columns that is most of the cost)."""
    row = row_strategy(columns, hunt=hunt, data_rows=data_rows, boundary=boundary)
    sizes = st.integers(1, max_rows)
    if hunt:
        sizes = st.one_of(sizes, st.sampled_from(BATCH_SIZE_EDGES))

    @st.composite
    def batch(draw) -> pd.DataFrame:
        count = draw(sizes)
        rows = draw(st.lists(row, min_size=count, max_size=count))
        return to_frame({c.name: [r[c.name] for r in rows] for c in columns}, columns)

    return batch()


def to_frame(data: dict[str, list], columns: list[Column]) -> pd.DataFrame:
    """A DataFrame with the signature's dtypes (nullable integer/boolean dtypes where values are missing)."""
    frame = {}
    for column in columns:
        values = data[column.name]
        if column.type == "string":
            frame[column.name] = pd.Series(values, dtype=object)
        elif any(v is None for v in values) and column.type in ("double", "float"):  # missing float: NaN
            frame[column.name] = pd.Series([np.nan if v is None else v for v in values], dtype=column.dtype)
        elif any(v is None for v in values):
            nullable = {"long": "Int64", "integer": "Int32", "boolean": "boolean"}[column.type]
            frame[column.name] = pd.Series(values, dtype=nullable)
        else:  # a plain array: for hundreds of columns, a Series each is most of the cost of a batch
            frame[column.name] = np.asarray(values, dtype=column.dtype)
    return pd.DataFrame(frame)


def read_data(path, columns: list[Column]) -> pd.DataFrame:
    """--data: a CSV or Parquet file with (at least) the signature's columns."""
    path = Path(path)
    if not path.is_file():
        raise SignatureError(f"--data {path}: no such file")
    try:
        frame = pd.read_parquet(path) if path.suffix.lower() in (".parquet", ".pq") else pd.read_csv(path)
    except Exception as error:
        raise SignatureError(f"--data {path}: cannot be read as {'Parquet' if path.suffix == '.parquet' else 'CSV'} "
                             f"({error})") from None
    missing = [c.name for c in columns if c.name not in frame.columns]
    if missing:
        raise SignatureError(f"--data {path}: lacks the signature's columns {missing}; it has {list(frame.columns)}")
    return frame[[c.name for c in columns]]


# --- tensor signatures -----------------------------------------------------------------------------------------

DYNAMIC_SIZES = (1, 2, 3, 7, 8, 9, 16, 17)  # batch size 1, small, and around the runtimes' blocking


@dataclass(frozen=True)
class TensorInput:
    name: str
    dtype: np.dtype
    shape: tuple  # -1 marks a dynamic dimension
    low: float = DEFAULT_RANGE[0]
    high: float = DEFAULT_RANGE[1]
    dims: tuple = ()  # per axis, the name of a dynamic dimension: axes named alike get the same size in a batch

    def dim_name(self, axis: int) -> str:
        return self.dims[axis] if axis < len(self.dims) and self.dims[axis] else f"axis{axis}"


@dataclass(frozen=True)
class GraphInput:
    """An ONNX graph input as the graph declares it."""

    dtype: np.dtype | None  # None for a type numpy cannot hold
    dims: list  # per axis: an int (static), the dim_param name (named dynamic) or None (anonymous dynamic)


def onnx_graph_inputs(path) -> dict[str, GraphInput]:
    """The graph inputs (initializers that double as inputs left out) with their element types and dimensions;
    an input without a declared shape is left out."""
    import onnx
    from onnx.helper import tensor_dtype_to_np_dtype

    graph = onnx.load(str(path), load_external_data=False).graph
    initializers = {i.name for i in graph.initializer}
    found = {}
    for value in graph.input:
        if value.name in initializers or not value.type.HasField("tensor_type"):
            continue
        tensor = value.type.tensor_type
        if not tensor.HasField("shape"):
            continue
        try:
            dtype = np.dtype(tensor_dtype_to_np_dtype(tensor.elem_type))
        except (KeyError, TypeError, ValueError):
            dtype = None
        found[value.name] = GraphInput(dtype, [d.dim_value if d.HasField("dim_value") else (d.dim_param or None)
                                               for d in tensor.shape.dim])
    return found


def usable_tensor_signature(signature) -> bool:
    return bool(signature is not None and signature.inputs is not None and signature.inputs.is_tensor_spec())


def _graph_tensor(name: str, graph: GraphInput, dtype, low: float, high: float) -> TensorInput:
    shape = tuple(d if isinstance(d, int) and d > 0 else -1 for d in graph.dims)
    dims = tuple(None if isinstance(d, int) and d > 0 else (f"param:{d}" if isinstance(d, str) else f"{name}:{axis}")
                 for axis, d in enumerate(graph.dims))
    return TensorInput(name, np.dtype(dtype), shape, low, high, dims)


def tensors_from_signature(signature, *, model_uri: str, value_range: tuple[float, float] | None = None,
                           graph_inputs: dict | None = None) -> list[TensorInput]:
    """The named tensors a tensor signature declares (a single unnamed tensor is called 'input').

    With ``graph_inputs`` (an ONNX graph's own inputs), the graph wins: MLflow's ``infer_signature`` puts -1 on
    axis 0 of every input, while the graph declares the static sizes it takes; a dynamic size is shared only between
    axes the graph names alike (``dim_param``). Without a graph, a dynamic axis is shared by position (the batch
    axis of every input agrees). A signature MLflow could not infer (``[Any]``, e.g. for a 0-d input) is replaced
    by the graph's inputs."""
    low, high = value_range or DEFAULT_RANGE
    if not usable_tensor_signature(signature):
        usable = {n: g for n, g in (graph_inputs or {}).items() if g.dtype is not None}
        if not usable:
            raise SignatureError(f"{model_uri}: the signature declares no tensors the harness can generate, and the "
                                 "model has no ONNX graph to read them from. Log it with a tensor signature "
                                 "(`infer_signature({name: array, ...}, outputs)`).")
        return [_graph_tensor(n, g, g.dtype, low, high) for n, g in usable.items()]
    specs = signature.inputs.inputs
    if len(specs) > 1 and not signature.inputs.has_input_names():
        raise SignatureError(f"{model_uri}: a signature with several tensors must name them (TensorSpec(name=...)).")
    tensors = []
    for spec in specs:
        name = spec.name or "input"
        graph = (graph_inputs or {}).get(name)
        if graph is None and graph_inputs and len(specs) == 1 and len(graph_inputs) == 1:
            graph = next(iter(graph_inputs.values()))
        if graph is not None:
            tensors.append(_graph_tensor(name, graph, spec.type, low, high))
        else:
            tensors.append(TensorInput(name, np.dtype(spec.type), tuple(spec.shape), low, high))
    return tensors


def tensor_elements(tensor: TensorInput, hunt: bool = True) -> st.SearchStrategy:
    dtype = tensor.dtype
    if dtype.kind == "f":
        width = dtype.itemsize * 8
        info = np.finfo(dtype)
        low, high = max(tensor.low, float(info.min)), min(tensor.high, float(info.max))
        values = st.floats(low, high, allow_nan=False, allow_infinity=False, width=width)
        edges = [0.0, -0.0, float(info.smallest_subnormal), low, high]
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        low, high = max(int(tensor.low), int(info.min)), min(int(tensor.high), int(info.max))
        values = st.integers(low, high)
        edges = [v for v in (0, 1, -1, low, high) if low <= v <= high]
    elif dtype.kind == "b":
        return st.booleans()
    else:
        return st.text(_LETTERS, max_size=8)
    return st.one_of(values, st.sampled_from(edges)) if hunt else values


@st.composite
def tensor_batches(draw, tensors: list[TensorInput], *, hunt: bool = True) -> dict:
    """Named arrays; each dynamic dimension is drawn once per batch and shared by every axis of the same name
    (``TensorInput.dim_name``: by position when the graph does not name them); static sizes are kept; shrinks
    toward size 1 and simple values."""
    from hypothesis.extra.numpy import arrays

    sizes: dict[str, int] = {}
    batch = {}
    for tensor in tensors:
        shape = []
        for axis, size in enumerate(tensor.shape):
            if size == -1:
                name = tensor.dim_name(axis)
                if name not in sizes:
                    sizes[name] = draw(st.one_of(st.integers(1, 4), st.sampled_from(DYNAMIC_SIZES)) if hunt
                                       else st.integers(1, 4))
                size = sizes[name]
            shape.append(size)
        batch[tensor.name] = draw(arrays(tensor.dtype, tuple(shape), elements=tensor_elements(tensor, hunt)))
    return batch
