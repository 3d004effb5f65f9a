"""Columns of a table as the arrays the estimators need, checked at the boundary.

Every problem is an :class:`InputError` naming the table's role (``reference``, ``current``),
the column and the value: a missing column, nulls where values are needed, a label or
prediction value that is not one of the reference's classes, a column type that cannot be a
model input.

Classes are the label's distinct values on the reference, in sorted order; numbers and
booleans compare as numbers (so a prediction 1.0 matches the label 1), anything else as text.

>>> import pyarrow as pa
>>> table = pa.table({"y": ["cat", "dog", None, "cat"], "x": [1.0, 2.0, 3.0, None]})
>>> classes = label_classes(table.column("y"), "reference", "y")
>>> classes.values, class_index(table.column("y"), classes, "reference", "y").tolist()
(('cat', 'dog'), [0, 1, -1, 0])
>>> encoding = fit_encoding(table, ["x", "y"], "reference")
>>> encoding.encode(table, "current").tolist()
[[1.0, 0.0], [2.0, 1.0], [3.0, nan], [nan, 0.0]]
>>> require(table, ["x", "z"], "current")
Traceback (most recent call last):
...
watchkeeper.errors.InputError: current: column 'z' not found (columns: y, x)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import InputError

MAX_CATEGORIES = 250  # below the trees' 255 bins, which bound a categorical feature's codes


def require(table: pa.Table, names: Iterable[str], role: str) -> None:
    """Raise when a column of ``names`` is not in ``table``."""
    present = table.column_names
    for name in names:
        if name not in present:
            shown = ", ".join(present[:20]) + (", ..." if len(present) > 20 else "")
            raise InputError(f"{role}: column '{name}' not found (columns: {shown})")


def is_numeric(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_decimal(kind)
    )


def is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return is_text(kind.value_type)
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def numbers(column: pa.ChunkedArray, role: str, name: str, *, nulls: bool = False) -> np.ndarray:
    """A numeric column as float64; nulls become NaN when ``nulls``, else they are an error."""
    if not is_numeric(column.type):
        raise InputError(f"{role}: column '{name}' must be numeric (it is {column.type})")
    values = np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False))
    if not nulls:
        bad = int(np.count_nonzero(~np.isfinite(values)))
        if bad:
            raise InputError(f"{role}: column '{name}' has {bad} null or non-finite values")
    return values


def score_matrix(table: pa.Table, names: Sequence[str], role: str) -> np.ndarray:
    """One score column as a 1-D array, several as an ``(n, len(names))`` matrix."""
    columns = [numbers(table.column(n), role, n) for n in names]
    return columns[0] if len(columns) == 1 else np.column_stack(columns)


@dataclass(frozen=True)
class Classes:
    """The label's classes in sorted order; ``numeric`` says how values are compared."""

    values: tuple[float, ...] | tuple[str, ...]
    numeric: bool

    def __len__(self) -> int:
        return len(self.values)


def label_classes(column: pa.ChunkedArray, role: str, name: str) -> Classes:
    if is_numeric(column.type):
        found = np.unique(numbers(column.drop_null(), role, name))
        return Classes(tuple(float(v) for v in found), True)
    if is_text(column.type):
        text = pc.cast(column.drop_null(), pa.string())
        return Classes(tuple(sorted(str(v) for v in pc.unique(text).to_pylist())), False)
    raise InputError(f"{role}: label column '{name}' must hold numbers or text ({column.type})")


def class_index(column: pa.ChunkedArray, classes: Classes, role: str, name: str) -> np.ndarray:
    """Each row's class index in ``classes``, -1 for nulls; a value that is not a class is an
    error naming it."""
    missing = np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if classes.numeric and is_numeric(column.type):
        values = numbers(column, role, name, nulls=True)
        known = np.asarray(classes.values, dtype=np.float64)
        index = np.minimum(np.searchsorted(known, values), len(known) - 1)
        wrong = ~missing & (known[index] != values)
    elif not classes.numeric and is_text(column.type):
        found = pc.index_in(column, value_set=pa.array(classes.values, pa.string()))
        index = np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False))
        wrong = ~missing & (index < 0)
    else:
        kind = "numbers" if classes.numeric else "text"
        raise InputError(
            f"{role}: column '{name}' must hold {kind} like the label's classes "
            f"(it is {column.type})"
        )
    if wrong.any():
        value = column[int(np.flatnonzero(wrong)[0])].as_py()
        raise InputError(
            f"{role}: column '{name}' has the value {value!r}, which is not one of the "
            f"label's classes on the reference ({listed(classes.values)})"
        )
    return np.where(missing, -1, index).astype(np.int64)


def listed(values: Sequence[object]) -> str:
    """Up to ten values, numbers without a trailing ``.0``."""
    shown = [f"{v:g}" if isinstance(v, float) else str(v) for v in values[:10]]
    return ", ".join(shown) + (", ..." if len(values) > 10 else "")


def default_features(table: pa.Table, exclude: Iterable[str]) -> list[str]:
    """The numeric and text columns that are not in ``exclude``."""
    skipped = set(exclude)
    return [
        f.name
        for f in table.schema
        if f.name not in skipped and (is_numeric(f.type) or is_text(f.type))
    ]


@dataclass(frozen=True)
class Encoding:
    """Model inputs: per column, None (numeric) or its categories (text, coded 0, 1, ...)."""

    names: tuple[str, ...]
    categories: tuple[tuple[str, ...] | None, ...]

    @property
    def categorical(self) -> np.ndarray:
        return np.array([c is not None for c in self.categories], dtype=bool)

    def encode(self, table: pa.Table, role: str) -> np.ndarray:
        """The ``(rows, columns)`` float64 matrix: numbers, or category codes (NaN for nulls
        and values outside the categories)."""
        require(table, self.names, role)
        matrix = np.empty((table.num_rows, len(self.names)), dtype=np.float64)
        for i, (name, categories) in enumerate(zip(self.names, self.categories, strict=True)):
            column = table.column(name)
            if categories is None:
                matrix[:, i] = numbers(column, role, name, nulls=True)
                continue
            if not is_text(column.type):
                raise InputError(f"{role}: column '{name}' must hold text (it is {column.type})")
            codes = pc.index_in(column, value_set=pa.array(categories, pa.string()))
            matrix[:, i] = pc.cast(codes, pa.float64()).to_numpy(zero_copy_only=False)
        return matrix


def fit_encoding(table: pa.Table, names: Sequence[str], role: str) -> Encoding:
    """The encoding of ``names``: numeric columns as they are, text columns by their
    :data:`MAX_CATEGORIES` most frequent values on ``table``."""
    require(table, names, role)
    categories: list[tuple[str, ...] | None] = []
    for name in names:
        kind = table.schema.field(name).type
        if is_numeric(kind):
            categories.append(None)
        elif is_text(kind):
            counts = pc.value_counts(pc.cast(table.column(name).drop_null(), pa.string()))
            pairs = sorted(
                zip(
                    counts.field("counts").to_pylist(),
                    counts.field("values").to_pylist(),
                    strict=True,
                ),
                key=lambda pair: (-pair[0], pair[1]),
            )
            categories.append(tuple(str(v) for _, v in pairs[:MAX_CATEGORIES]))
        else:
            raise InputError(
                f"{role}: feature column '{name}' must hold numbers or text (it is {kind})"
            )
    return Encoding(tuple(names), tuple(categories))
