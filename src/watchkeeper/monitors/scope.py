"""Where a window's samples belong, and how its rows break down into bounded groups.

A :class:`Scope` stamps model, window bounds and base labels (``window="1h"``) on every sample a
monitor emits; ``scope.child(model_version="v2")`` narrows it for a breakdown. A sample whose
statistic cannot be computed carries the value NaN and the status ``INSUFFICIENT``.

:func:`group_rows` splits the rows of one window by a string column (model version, a segment
key) into at most ``MAX_GROUPS`` named groups, the rest folded into ``"other"``, so a column
with thousands of values cannot flood the metric store with series.

>>> import pyarrow as pa
>>> versions = pa.chunked_array([["v2", "v1", None, "v1", "v3", "v2", "v1"]])
>>> g = group_rows(versions, "model_version", limit=2)
>>> g.names, g.codes.tolist(), g.sizes.tolist()
(('other', 'v1', 'v2'), [2, 1, 0, 1, 0, 2, 1], [2, 3, 2])
>>> g.labels(1)
{'model_version': 'v1'}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.profiles.convert import to_strings

MAX_GROUPS = 20
OTHER = "other"  # the groups beyond MAX_GROUPS, folded together
UNKNOWN = "unknown"  # rows without a value in the grouping column


@dataclass(frozen=True)
class Scope:
    """Model, window and labels shared by every sample of one evaluation (or breakdown)."""

    model: str
    start: datetime
    end: datetime
    labels: Mapping[str, str] = field(default_factory=dict)

    def child(self, **labels: str) -> Scope:
        return Scope(self.model, self.start, self.end, {**self.labels, **labels})

    def sample(
        self,
        name: str,
        labels: Mapping[str, str],
        value: float,
        status: Status = Status.OK,
        details: Mapping[str, Any] | None = None,
    ) -> MetricSample:
        return MetricSample(
            self.model,
            name,
            {**self.labels, **labels},
            self.start,
            self.end,
            float(value),
            status,
            dict(details or {}),
        )


@dataclass(frozen=True, eq=False)
class Groups:
    """Rows of one window split into named groups; ``codes[i]`` is row i's group index.

    ``fixed`` are labels every group's samples carry; ``key`` names the label holding the group
    name (``{"segment": "country"}`` with key ``segment_value``, or ``{}`` with key
    ``model_version``).
    """

    key: str
    names: tuple[str, ...]
    codes: np.ndarray
    sizes: np.ndarray  # rows per group
    fixed: Mapping[str, str] = field(default_factory=dict)

    def labels(self, index: int) -> dict[str, str]:
        return {**self.fixed, self.key: self.names[index]}


def group_rows(
    column: pa.ChunkedArray | pa.Array | None,
    label: str,
    fixed: Mapping[str, str] | None = None,
    *,
    limit: int = MAX_GROUPS,
) -> Groups | None:
    """Group rows by ``column``'s values, the ``limit`` most frequent kept by name.

    Group names go in the sample label ``label``, next to the ``fixed`` labels. Null values
    form the group ``"unknown"``. ``None`` when the column is absent or has no value at all
    (nothing to break down by).
    """
    if column is None or len(column) == column.null_count:
        return None
    chunked = column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
    text = to_strings(chunked)
    filled = pc.fill_null(text, UNKNOWN) if text.null_count else text
    encoded = pc.dictionary_encode(filled).combine_chunks()
    values = [str(v) for v in encoded.dictionary.to_pylist()]
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    counts = np.bincount(codes, minlength=len(values))
    ranked = sorted(range(len(values)), key=lambda i: (-int(counts[i]), values[i]))
    folding = len(ranked) > limit
    if folding:  # a real value "other" joins the folded groups rather than shadowing them
        ranked = [i for i in ranked if values[i] != OTHER]
    kept = ranked[:limit] if folding else ranked
    names = [values[i] for i in kept]
    mapping = np.full(len(values), len(kept), dtype=np.int64)
    mapping[kept] = np.arange(len(kept))
    if folding:
        names.append(OTHER)
    # groups are listed by name so breakdown samples come out in a stable order
    order = np.argsort(np.array(names, dtype=object), kind="stable")
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    grouped = rank[mapping[codes]]
    sizes = np.bincount(grouped, minlength=len(names))
    return Groups(label, tuple(names[i] for i in order), grouped, sizes, dict(fixed or {}))


def row_index(ids: pa.ChunkedArray | pa.Array, lookup: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """For each of ``ids``, the position of the same id in ``lookup`` (its first), else -1.

    >>> row_index(pa.array(["a", "b", "c"]), pa.array(["c", "a"])).tolist()
    [1, -1, 0]
    """
    if len(ids) == 0:
        return np.zeros(0, dtype=np.int64)
    if isinstance(lookup, pa.ChunkedArray):
        lookup = lookup.combine_chunks() if lookup.num_chunks else pa.array([], ids.type)
    found = pc.index_in(ids, value_set=lookup.cast(ids.type))
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
