"""A whole table's profile: one mergeable column profile per schema column.

``build_profile(table)`` profiles reference data (new histogram edges, vocabulary);
``build_profile(table, reference=ref)`` profiles current data on the reference's binning, so
window profiles of one model merge exactly (``hour_a + hour_b``) and compare bin by bin.
Columns are profiled on a small thread pool: numpy and Arrow release the GIL in the heavy parts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeAlias

import pyarrow as pa

from watchkeeper.errors import ProfileError
from watchkeeper.profiles.categorical import CategoricalProfile, profile_categorical
from watchkeeper.profiles.convert import to_float
from watchkeeper.profiles.embedding import EmbeddingProfile, profile_embedding
from watchkeeper.profiles.numeric import EXACT_CAP, NumericProfile, profile_numeric
from watchkeeper.profiles.text import TextProfile, profile_text
from watchkeeper.schema import ColumnSchema, ColumnType, Schema

ColumnProfile: TypeAlias = NumericProfile | CategoricalProfile | TextProfile | EmbeddingProfile

_NUMERIC_TYPES = (ColumnType.NUMERIC, ColumnType.DATETIME)
DEFAULT_WORKERS = 2


@dataclass(frozen=True, eq=False)
class DatasetProfile:
    """Profiles of every column of one dataset (or one window of a stream)."""

    schema: Schema
    rows: int
    columns: Mapping[str, ColumnProfile]
    # columns present in the data but not in the schema (current data only)
    extra_columns: tuple[str, ...] = field(default=())

    def __getitem__(self, name: str) -> ColumnProfile:
        return self.columns[name]

    def __add__(self, other: DatasetProfile) -> DatasetProfile:
        if not isinstance(other, DatasetProfile):
            return NotImplemented
        if self.schema.names != other.schema.names:
            raise ProfileError(
                "cannot merge profiles of different schemas: "
                f"{self.schema.names} vs {other.schema.names}"
            )
        merged: dict[str, ColumnProfile] = {}
        for name in self.schema.names:
            a, b = self.columns[name], other.columns[name]
            if type(a) is not type(b):
                kinds = f"{type(a).__name__} in one profile, {type(b).__name__} in the other"
                raise ProfileError(f"column {name!r} is {kinds}")
            merged[name] = a + b  # type: ignore[operator]
        extra = tuple(dict.fromkeys(self.extra_columns + other.extra_columns))
        return DatasetProfile(self.schema, self.rows + other.rows, merged, extra)


def build_profile(
    table: pa.Table,
    schema: Schema | None = None,
    *,
    reference: DatasetProfile | None = None,
    keep_values: int = EXACT_CAP,
    workers: int = DEFAULT_WORKERS,
    on_column: Callable[[str], None] | None = None,
) -> DatasetProfile:
    """Profile ``table``; with ``reference``, on the reference's schema and binning.

    Columns of the schema that ``table`` lacks are left out (the quality checks report them);
    columns of ``table`` that the schema lacks are listed in ``extra_columns``.

    >>> t = pa.table({"x": [1.0, 2.0, 3.5], "c": ["a", "b", "a"]})
    >>> ref = build_profile(t)
    >>> cur = build_profile(pa.table({"x": [2.0], "c": ["z"], "new": [1]}), reference=ref)
    >>> sorted(cur.columns), cur.extra_columns, cur.rows
    (['c', 'x'], ('new',), 1)
    """
    if reference is not None:
        schema = reference.schema
    elif schema is None:
        from watchkeeper.schema import infer_schema

        schema = infer_schema(table)
    present = [c for c in schema if c.name in table.column_names]
    ignored = {name for name, _ in schema.ignored}
    extra = tuple(n for n in table.column_names if n not in schema and n not in ignored)

    def one(column: ColumnSchema) -> tuple[str, ColumnProfile]:
        base = reference.columns.get(column.name) if reference is not None else None
        result = _profile_column(table.column(column.name), column, base, keep_values)
        if on_column is not None:
            on_column(column.name)
        return column.name, result

    if workers > 1 and len(present) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = dict(pool.map(one, present))
    else:
        results = dict(map(one, present))
    return DatasetProfile(schema, table.num_rows, {c.name: results[c.name] for c in present}, extra)


def _profile_column(
    array: pa.ChunkedArray, column: ColumnSchema, base: ColumnProfile | None, keep_values: int
) -> ColumnProfile:
    kind = column.type
    if kind in _NUMERIC_TYPES:
        converted = to_float(array)
        edges = base.edges if isinstance(base, NumericProfile) else None
        return profile_numeric(
            converted.values,
            edges,
            nulls=converted.nulls,
            type_errors=converted.type_errors,
            type_error_examples=converted.examples,
            keep_values=keep_values,
        )
    if kind in (ColumnType.CATEGORICAL, ColumnType.BOOLEAN):
        return profile_categorical(array)
    if kind is ColumnType.TEXT:
        return profile_text(array, base if isinstance(base, TextProfile) else None)
    if kind is ColumnType.EMBEDDING:
        dim = column.dim or (base.dim if isinstance(base, EmbeddingProfile) else None)
        return profile_embedding(array, dim)
    raise ProfileError(f"column {column.name!r}: no profile for type {kind}")
