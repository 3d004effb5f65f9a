"""Metric samples as a flat table for BI tools (Parquet or CSV), streamed in batches.

Schema (one row per sample; every column nullable except the first six):

| column | type | meaning |
|---|---|---|
| model | string | model name |
| name | string | sample name (see :mod:`watchkeeper.export.catalog`) |
| window_start | timestamp[us, UTC] | window start (inclusive) |
| window_end | timestamp[us, UTC] | window end (exclusive) |
| value | float64 | the value in the sample's own unit (NaN when not computable) |
| status | string | ok, provisional, insufficient_data or breach |
| monitor | string | the sample label of that name, null when absent; likewise: |
| feature, segment, segment_value | string | (labels) |
| model_version, window, quantile, kpi | string | (labels) |
| labels_json | string | every label as a JSON object with sorted keys |
| details_json | string | the sample's details as a JSON object with sorted keys |

>>> import io, pyarrow.parquet as pq
>>> from datetime import UTC, datetime
>>> from watchkeeper.monitors.base import MetricSample
>>> t0, t1 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC)
>>> sink = io.BytesIO()
>>> export_metrics([MetricSample("credit", "accuracy", {"monitor": "perf"}, t0, t1, 0.93)], sink)
1
>>> pq.read_table(io.BytesIO(sink.getvalue())).select(["model", "monitor", "value"]).to_pylist()
[{'model': 'credit', 'monitor': 'perf', 'value': 0.93}]
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, BinaryIO, Literal

import msgspec
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from watchkeeper.errors import ConfigError
from watchkeeper.monitors.base import MetricSample

LABEL_COLUMNS = (
    "monitor",
    "feature",
    "segment",
    "segment_value",
    "model_version",
    "window",
    "quantile",
    "kpi",
)
_TIME = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema(
    [
        pa.field("model", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("window_start", _TIME, nullable=False),
        pa.field("window_end", _TIME, nullable=False),
        pa.field("value", pa.float64(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        *(pa.field(column, pa.string()) for column in LABEL_COLUMNS),
        pa.field("labels_json", pa.string(), nullable=False),
        pa.field("details_json", pa.string(), nullable=False),
    ]
)
BATCH_ROWS = 65_536


def export_metrics(
    samples: Iterable[MetricSample],
    path: str | os.PathLike[str] | BinaryIO,
    format: Literal["parquet", "csv"] = "parquet",
    *,
    batch_rows: int = BATCH_ROWS,
) -> int:
    """Write the samples (any iterable, consumed once) to ``path``; returns the rows written."""
    if format not in ("parquet", "csv"):
        raise ConfigError("format", format, "must be parquet or csv")
    writer: pq.ParquetWriter | pa_csv.CSVWriter
    if format == "parquet":
        writer = pq.ParquetWriter(path, SCHEMA)
    else:
        writer = pa_csv.CSVWriter(path, SCHEMA)
    rows = 0
    try:
        for batch in _batches(iter(samples), batch_rows):
            writer.write_batch(batch)
            rows += batch.num_rows
    finally:
        writer.close()
    return rows


def read_metrics(path: str | os.PathLike[str] | BinaryIO, format: str = "parquet") -> pa.Table:
    """Read an exported file back with the exact schema (CSV has no types of its own)."""
    if format == "parquet":
        return pq.read_table(path, schema=SCHEMA)
    if format == "csv":
        # only an unquoted empty field is null: "nan" stays NaN and a quoted "" an empty string
        options = pa_csv.ConvertOptions(
            column_types=SCHEMA,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        )
        return pa_csv.read_csv(path, convert_options=options).cast(SCHEMA)
    raise ConfigError("format", format, "must be parquet or csv")


def _batches(samples: Iterator[MetricSample], size: int) -> Iterator[pa.RecordBatch]:
    while chunk := list(islice(samples, size)):
        yield pa.RecordBatch.from_pylist([_row(sample) for sample in chunk], schema=SCHEMA)


def _row(sample: MetricSample) -> dict[str, Any]:
    row: dict[str, Any] = {
        "model": sample.model,
        "name": sample.name,
        "window_start": sample.window_start,
        "window_end": sample.window_end,
        "value": float(sample.value),
        "status": sample.status.value,
        "labels_json": _JSON.encode(dict(sample.labels)).decode(),
        "details_json": _JSON.encode(dict(sample.details)).decode(),
    }
    for column in LABEL_COLUMNS:
        label = sample.labels.get(column)
        row[column] = None if label is None else str(label)
    return row


def _plain(value: Any) -> Any:
    """JSON form of values msgspec does not know (numpy scalars and arrays, anything else)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


_JSON = msgspec.json.Encoder(order="sorted", enc_hook=_plain)
