"""Metric samples in SQL: canonical JSON for labels and details, rows back to MetricSample.

Labels are stored as JSON with sorted keys, so the same series always has the same key:

>>> labels_json({"monitor": "drift", "feature": "age"})
'{"feature":"age","monitor":"drift"}'
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa

from watchkeeper.monitors.base import MetricSample, Status

_TIME = pa.timestamp("us", tz="UTC")
COLUMNS = (
    "model, name, labels, window_start, window_end, value, status, details, evaluated_at"
)
LATEST = (
    f"SELECT {COLUMNS} FROM metric_samples QUALIFY row_number() OVER "
    "(PARTITION BY model, name, labels ORDER BY window_end DESC, window_start DESC) = 1 "
    "ORDER BY model, name, labels"
)

# the newest window of each series of one model and sample name that ended at least ``?``
# seconds before the series' newest window
SETTLED = (
    f"SELECT {COLUMNS} FROM (SELECT *, max(window_end) OVER (PARTITION BY labels) AS newest "
    "FROM metric_samples WHERE model = ? AND name = ?) "
    "WHERE window_end <= newest - to_seconds(?::DOUBLE) "
    "QUALIFY row_number() OVER "
    "(PARTITION BY labels ORDER BY window_end DESC, window_start DESC) = 1 "
    "ORDER BY labels"
)


def _plain(value: Any) -> Any:
    """JSON for what msgspec does not know: numpy scalars and arrays, anything else as text."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


_ENCODER = msgspec.json.Encoder(enc_hook=_plain, order="sorted")


def labels_json(labels: Any) -> str:
    return _ENCODER.encode(dict(labels)).decode()


def to_arrow(samples: Sequence[MetricSample], evaluated_at: datetime) -> pa.Table:
    """One row per series and window; a later sample of the same key wins."""
    latest: dict[tuple[str, str, str, datetime, datetime], MetricSample] = {}
    for sample in samples:
        key = (sample.model, sample.name, labels_json(sample.labels), sample.window_start,
               sample.window_end)
        latest[key] = sample
    rows = list(latest.items())
    return pa.table(
        {
            "model": pa.array([k[0] for k, _ in rows], pa.string()),
            "name": pa.array([k[1] for k, _ in rows], pa.string()),
            "labels": pa.array([k[2] for k, _ in rows], pa.string()),
            "window_start": pa.array([k[3] for k, _ in rows], _TIME),
            "window_end": pa.array([k[4] for k, _ in rows], _TIME),
            "value": pa.array([float(s.value) for _, s in rows], pa.float64()),
            "status": pa.array([Status(s.status).value for _, s in rows], pa.string()),
            "details": pa.array([_ENCODER.encode(dict(s.details)).decode() for _, s in rows]),
            "evaluated_at": pa.array([evaluated_at] * len(rows), _TIME),
        }
    )


def select(
    model: str, name: str | None, start: datetime | None, end: datetime | None
) -> tuple[str, list[Any]]:
    clauses: list[str] = ["model = ?"]
    params: list[Any] = [model]
    for clause, value in (("name = ?", name), ("window_start >= ?", start),
                          ("window_end <= ?", end)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    where = " AND ".join(clauses)
    order = "ORDER BY window_start, name, labels"
    return f"SELECT {COLUMNS} FROM metric_samples WHERE {where} {order}", params


def from_rows(rows: list[tuple[Any, ...]]) -> list[MetricSample]:
    return [
        MetricSample(
            model=model,
            name=name,
            labels=msgspec.json.decode(labels),
            window_start=window_start.astimezone(UTC),
            window_end=window_end.astimezone(UTC),
            value=float("nan") if value is None else float(value),
            status=Status(status),
            details=msgspec.json.decode(details),
        )
        for model, name, labels, window_start, window_end, value, status, details, _ in rows
    ]
