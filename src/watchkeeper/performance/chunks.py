"""Splitting current data into chunks: by row count, or by time window.

Fixed-size chunks run in row order, ``start`` and ``end`` being the row range ``[start, end)``;
the last chunk keeps the rows left over, so it may be smaller. Time windows are tumbling
windows aligned to the Unix epoch (as the service's windows are), ``start`` and ``end`` as ISO
8601 UTC times; rows need not be sorted by time, and windows without rows are left out.
Timestamps without a zone are read as UTC; text timestamps are parsed as ISO 8601.

>>> [(c.start, c.end) for c in fixed_chunks(10, 4)]
[(0, 4), (4, 8), (8, 10)]
>>> import pyarrow as pa
>>> times = pa.chunked_array([["2026-03-01T10:30:00", "2026-03-01T09:10:00",
...                            "2026-03-01T10:05:00"]])
>>> [(c.start[11:16], c.index.tolist()) for c in time_chunks(times, timedelta(hours=1), "t")]
[('09:00', [1]), ('10:00', [0, 2])]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import InputError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, eq=False)
class Chunk:
    """The rows of one chunk (a slice, or row indices) and its bounds."""

    start: int | str
    end: int | str
    index: slice | np.ndarray


def fixed_chunks(rows: int, size: int) -> list[Chunk]:
    if size <= 0:
        raise InputError(f"chunk_size must be a positive number of rows (got {size})")
    return [
        Chunk(s, min(s + size, rows), slice(s, min(s + size, rows))) for s in range(0, rows, size)
    ]


def time_chunks(column: pa.ChunkedArray, window: timedelta, name: str) -> list[Chunk]:
    """The rows of each window of length ``window`` of the timestamps in ``column``."""
    width = window // _MICROSECOND
    if width <= 0:
        raise InputError(f"window must be positive (got {window})")
    bucket = np.floor_divide(_micros(column, name), width)
    if bucket.size == 0:
        return []
    ordered = bool(np.all(bucket[1:] >= bucket[:-1]))
    order = np.arange(bucket.size) if ordered else np.argsort(bucket, kind="stable")
    sorted_bucket = bucket[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_bucket[1:] != sorted_bucket[:-1])))
    ends = np.append(starts[1:], bucket.size)
    chunks = []
    for first, last in zip(starts.tolist(), ends.tolist(), strict=True):
        begin = EPOCH + int(sorted_bucket[first]) * window
        index = slice(first, last) if ordered else order[first:last]
        chunks.append(Chunk(begin.isoformat(), (begin + window).isoformat(), index))
    return chunks


def _micros(column: pa.ChunkedArray, name: str) -> np.ndarray:
    """Microseconds since the epoch (UTC) of each timestamp."""
    kind = column.type
    try:
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            column = _parse(column)
        elif pa.types.is_date(kind):
            column = pc.cast(column, pa.timestamp("us"))
        elif not pa.types.is_timestamp(kind):
            raise InputError(f"current: timestamp column '{name}' holds {kind}, not times")
        micros = pc.cast(column, pa.timestamp("us", tz=column.type.tz)).cast(pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputError(
            f"current: timestamp column '{name}' cannot be read as times: {exc}"
        ) from None
    if micros.null_count:
        raise InputError(f"current: timestamp column '{name}' has {micros.null_count} null values")
    return np.asarray(micros.to_numpy(zero_copy_only=False), dtype=np.int64)


def _parse(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """ISO 8601 text as times: with a zone offset, else as UTC."""
    try:
        return pc.cast(column, pa.timestamp("us", tz="UTC"))
    except pa.ArrowInvalid:
        return pc.cast(column, pa.timestamp("us"))
