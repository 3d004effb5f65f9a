"""Profiles of a table's row groups in one pass, added up into any union of the groups.

A window broken down by model version and by segment needs a profile per group as well as the
whole window's. Profiling every group again would cost a pass over the data per breakdown.
Instead each row carries a *cell* (say its version × country), every column is put in cell
order once (one scatter), each cell's slice is profiled on the reference's binning, and a
group's profile is the sum of its cells' profiles — the whole table's is the sum of them all.
Profiles on the same edges add exactly, so the histograms equal those of profiling the rows
directly (means and variances up to float rounding).

Categorical columns are read as text on the whole column before the split, so a category has
the same text form in every cell.

>>> import numpy as np
>>> from watchkeeper.profiles.dataset import build_profile
>>> table = pa.table({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", "b"]})
>>> reference = build_profile(table)
>>> parts = profile_cells(table, np.array([0, 1, 1, 0]), 3, reference=reference)
>>> sorted(parts), [parts[c].rows for c in sorted(parts)], parts[1]["x"].mean
([0, 1], [2, 2], 2.5)
>>> whole = union(parts.values())
>>> whole.rows, whole["c"].as_dict(), bool((whole["x"].counts == reference["x"].counts).all())
(4, {'a': 2, 'b': 2}, True)
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import reduce
from operator import add

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.profiles.categorical import _from_counts
from watchkeeper.profiles.convert import to_float, to_strings
from watchkeeper.profiles.dataset import (
    DEFAULT_WORKERS,
    ColumnProfile,
    DatasetProfile,
    _profile_column,
)
from watchkeeper.profiles.numeric import EXACT_CAP, NumericProfile
from watchkeeper.schema import ColumnSchema, ColumnType

_CATEGORIES = (ColumnType.CATEGORICAL, ColumnType.BOOLEAN)
_NUMERIC = (ColumnType.NUMERIC, ColumnType.DATETIME)


def profile_cells(
    table: pa.Table,
    cells: np.ndarray,
    count: int,
    *,
    reference: DatasetProfile,
    keep_values: int = EXACT_CAP,
    workers: int = DEFAULT_WORKERS,
) -> dict[int, DatasetProfile]:
    """The profile of every non-empty cell; ``cells[i]`` (in ``0..count-1``) is row i's cell.

    Columns are profiled as :func:`~watchkeeper.profiles.dataset.build_profile` does with
    ``reference``: the reference's schema and binning, absent columns left out.
    """
    schema = reference.schema
    present = [c for c in schema if c.name in table.column_names]
    ignored = {name for name, _ in schema.ignored}
    extra = tuple(n for n in table.column_names if n not in schema and n not in ignored)
    split = _Split.of(cells, count)

    def one(column: ColumnSchema) -> list[ColumnProfile]:
        return _profile_split(table.column(column.name), column, reference, split, keep_values)

    if workers > 1 and len(present) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            columns = list(pool.map(one, present))
    else:
        columns = list(map(one, present))
    return {
        int(c): DatasetProfile(
            schema,
            int(split.sizes[c]),
            {column.name: parts[i] for column, parts in zip(present, columns, strict=True)},
            extra,
        )
        for i, c in enumerate(split.filled)
    }


@dataclass(frozen=True, eq=False)
class _Split:
    """Where each row goes when the rows are put in cell order (stable within a cell)."""

    order: np.ndarray  # the rows in cell order
    position: np.ndarray  # each row's place in that order
    sizes: np.ndarray  # rows per cell
    filled: np.ndarray  # the non-empty cells
    starts: np.ndarray  # where each non-empty cell starts in cell order

    @classmethod
    def of(cls, cells: np.ndarray, count: int) -> _Split:
        sizes = np.bincount(cells, minlength=count)
        order = np.argsort(cells.astype(_code_type(count)), kind="stable")
        position = np.empty_like(order)
        position[order] = np.arange(order.size)
        filled = np.flatnonzero(sizes)
        starts = (np.cumsum(sizes) - sizes)[filled]
        return cls(order, position, sizes, filled, starts)

    def reorder(self, values: np.ndarray) -> np.ndarray:
        """``values`` in cell order. A scatter: it writes a few sequential streams, which costs
        a third of gathering with ``values[order]``."""
        out = np.empty_like(values)
        out[self.position] = values
        return out

    def slices(self) -> list[slice]:
        ends = self.starts + self.sizes[self.filled]
        return [slice(int(a), int(b)) for a, b in zip(self.starts, ends, strict=True)]

    def totals(self, mask: np.ndarray) -> list[int]:
        """How many rows of each non-empty cell ``mask`` holds."""
        return [int(n) for n in np.add.reduceat(self.reorder(mask).astype(np.int64), self.starts)]


def _profile_split(
    array: pa.ChunkedArray,
    column: ColumnSchema,
    reference: DatasetProfile,
    split: _Split,
    keep_values: int,
) -> list[ColumnProfile]:
    """One column's profile in every non-empty cell."""
    base = reference.columns.get(column.name)
    if column.type in _NUMERIC and isinstance(base, NumericProfile):
        converted = to_float(array)
        if not converted.type_errors:  # unreadable values are counted on the slow path
            values = split.reorder(converted.values)  # a fresh array: sorted in place below
            nulls = split.totals(_nulls(array)) if converted.nulls else [0] * len(split.starts)
            return [
                _numeric(values[cut], base.edges, n, keep_values)
                for cut, n in zip(split.slices(), nulls, strict=True)
            ]
    elif column.type in _CATEGORIES and array.num_chunks:
        return _categorical(array, split)
    ordered_array = array.take(pa.array(split.order))
    return [
        _profile_column(ordered_array[cut], column, base, keep_values) for cut in split.slices()
    ]


def _numeric(ordered: np.ndarray, edges: np.ndarray, nulls: int, keep: int) -> NumericProfile:
    """What :func:`~watchkeeper.profiles.numeric.profile_numeric` gives for the values (NaN for
    missing, ``nulls`` of them nulls), from one sort of ``ordered`` in place: a cell's slice
    sorts in cache, NaN sorts last with the infinities next to it, and the histogram is read
    off with a binary search per edge."""
    ordered.sort()
    low = int(np.searchsorted(ordered, -np.inf, side="right"))
    high = int(np.searchsorted(ordered, np.inf, side="left"))
    nan_from = int(np.searchsorted(ordered, np.nan, side="left"))
    finite = ordered[low:high]
    bounds = np.empty(edges.size + 2, dtype=np.int64)
    bounds[0], bounds[-1] = 0, finite.size
    bounds[1:-1] = np.searchsorted(finite, edges, side="left")
    counts = np.diff(bounds)
    if finite.size:
        mean = float(finite.mean())
        deviations = finite - mean
        m2 = float(np.einsum("i,i->", deviations, deviations))  # no BLAS thread spin
        smallest, largest = float(finite[0]), float(finite[-1])
    else:
        mean, m2, smallest, largest = float("nan"), 0.0, float("nan"), float("nan")
    return NumericProfile(
        edges=edges,
        counts=counts,
        count=int(ordered.size),
        nulls=nulls,
        nans=ordered.size - nan_from - nulls,
        pos_inf=nan_from - high,
        neg_inf=low,
        min=smallest,
        max=largest,
        mean=mean,
        m2=m2,
        values=finite.copy() if finite.size <= keep else None,
    )


def _categorical(array: pa.ChunkedArray, split: _Split) -> list[ColumnProfile]:
    """Category counts per cell, as :func:`profile_categorical` counts them: every value read
    as text once, its dictionary code put in cell order and counted per cell."""
    encoded = array if _string_dictionary(array.type) else pc.dictionary_encode(to_strings(array))
    combined = encoded.unify_dictionaries().combine_chunks()
    names = [str(name) for name in combined.dictionary.to_pylist()]
    codes = combined.indices.fill_null(-1).to_numpy(zero_copy_only=False) + 1  # 0: null
    ordered = split.reorder(codes)
    profiles: list[ColumnProfile] = []
    for cut in split.slices():
        tally = np.bincount(ordered[cut], minlength=len(names) + 1)
        seen = np.flatnonzero(tally[1:])
        counts = {names[i]: int(tally[i + 1]) for i in seen}
        profiles.append(_from_counts(counts, cut.stop - cut.start, int(tally[0]), 0))
    return profiles


def _nulls(array: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def union(parts: Iterable[DatasetProfile], keep_values: int = EXACT_CAP) -> DatasetProfile:
    """The sum of profiles of one table's cells (at least one; they hold the same columns).

    Numeric columns keep their values while the sum holds at most ``keep_values`` of them
    (``+`` alone keeps them up to ``EXACT_CAP``).
    """
    profiles = list(parts)
    first = profiles[0]
    columns: dict[str, ColumnProfile] = {}
    for name in first.columns:
        column = [p.columns[name] for p in profiles]
        merged = reduce(add, column)
        if isinstance(merged, NumericProfile) and merged.values is None:
            values = [c.values for c in column if isinstance(c, NumericProfile)]
            kept = [v for v in values if v is not None]
            if merged.finite <= keep_values and len(kept) == len(column):
                merged = replace(merged, values=np.concatenate(kept))
        columns[name] = merged
    rows = sum(p.rows for p in profiles)
    return DatasetProfile(first.schema, rows, columns, first.extra_columns)


def _string_dictionary(kind: pa.DataType) -> bool:
    return bool(pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type))


def _code_type(count: int) -> type[np.integer]:
    """The narrowest integer type for cell codes (numpy sorts small integers by radix)."""
    if count <= np.iinfo(np.int8).max:
        return np.int8
    return np.int16 if count <= np.iinfo(np.int16).max else np.int64
