"""Arrow columns as numpy arrays: dictionary codes for categories, floats for numbers.

>>> import pyarrow as pa
>>> c = category_codes(pa.chunked_array([["b", None], ["a", "b"]]))
>>> c.codes.tolist(), c.labels
([0, 2, 1, 0], ('b', 'a'))
>>> as_floats(pa.chunked_array([[1, None], [3]]), "x").tolist()
[1.0, nan, 3.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from watchkeeper.errors import InputError


@dataclass(frozen=True)
class Codes:
    """A column as small integers indexing ``labels``; null rows hold ``len(labels)``."""

    codes: np.ndarray  # int64
    labels: tuple[str, ...]

    @property
    def null_code(self) -> int:
        return len(self.labels)


def column_of(table: pa.Table, name: str, field: str) -> pa.ChunkedArray:
    """Column ``name`` of ``table``; an :class:`InputError` naming ``field`` when it is absent."""
    if name not in table.column_names:
        known = ", ".join(table.column_names[:20])
        raise InputError(f"{field}: no column {name!r} in the table (columns: {known})")
    return table.column(name)


def require_columns(table: pa.Table, names: Sequence[str], field: str) -> None:
    """An :class:`InputError` naming every one of ``names`` missing from ``table``."""
    missing = [n for n in names if n not in table.column_names]
    if missing:
        raise InputError(f"{field}: columns missing from the table: {', '.join(missing)}")


def is_text(t: pa.DataType) -> bool:
    """Whether values of type ``t`` are categories as they stand (strings or a dictionary)."""
    return bool(
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_dictionary(t)
        or getattr(pa.types, "is_string_view", lambda _: False)(t)
    )


def is_number(t: pa.DataType) -> bool:
    """Whether values of type ``t`` read as floats (integers, floats, decimals, booleans)."""
    return bool(
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_decimal(t)
        or pa.types.is_boolean(t)
    )


def category_codes(column: pa.ChunkedArray) -> Codes:
    """Codes in order of first appearance; numbers and booleans are compared as text."""
    if not pa.types.is_dictionary(column.type):
        if not is_text(column.type):
            column = column.cast(pa.string())
        column = column.dictionary_encode()
    column = column.unify_dictionaries()
    if column.num_chunks == 0:
        return Codes(np.zeros(0, dtype=np.int64), ())
    entries = column.chunk(0).dictionary.to_pylist()
    # duplicate or null dictionary entries: fold them into one label / the null code
    labels: dict[str, int] = {}
    for entry in entries:
        if entry is not None:
            labels.setdefault(str(entry), len(labels))
    remap = np.array(
        [len(labels) if e is None else labels[str(e)] for e in entries] + [len(labels)],
        dtype=np.int64,
    )
    parts = [
        np.asarray(chunk.indices.fill_null(len(entries)).to_numpy(zero_copy_only=False))
        for chunk in column.chunks
    ]
    raw = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return Codes(remap[raw], tuple(labels))


def as_floats(column: pa.ChunkedArray, field: str) -> np.ndarray:
    """The column as float64, nulls as NaN; an :class:`InputError` for non-numeric types."""
    if not is_number(column.type):
        raise InputError(f"{field}: expected a numeric column, got type {column.type}")
    values = column.cast(pa.float64()).to_numpy()
    return np.asarray(values, dtype=np.float64)


def sample_rows(table: pa.Table, rows: int, rng: np.random.Generator) -> pa.Table:
    """At most ``rows`` rows of ``table``, drawn without replacement, kept in table order."""
    if table.num_rows <= rows:
        return table
    picked = np.sort(rng.choice(table.num_rows, size=rows, replace=False))
    return table.take(pa.array(picked))
