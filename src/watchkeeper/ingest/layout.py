"""The fixed column layout of stored events, shared by the intake and the store.

Predictions are stored as ``id, timestamp, received_at, model_version, segment.<key>...,
prediction, scores, latency_ms, error`` followed by one column per schema feature. A feature
whose name collides with one of those columns (say a feature called ``timestamp`` or
``segment.region``) is stored as ``feature.<name>``; queries hand it back under its own name.

>>> from watchkeeper.schema import ColumnSchema, ColumnType, Schema
>>> from watchkeeper.settings import parse_service_config
>>> model = parse_service_config({"models": {"m": {"task": "regression",
...                                                 "segments": ["region"]}}}).models["m"]
>>> schema = Schema((ColumnSchema("age", ColumnType.NUMERIC),
...                  ColumnSchema("error", ColumnType.CATEGORICAL)))
>>> prediction_schema(model, schema).names  # doctest: +NORMALIZE_WHITESPACE
['id', 'timestamp', 'received_at', 'model_version', 'segment.region', 'prediction', 'scores',
 'latency_ms', 'error', 'age', 'feature.error']
>>> feature_name("feature.error"), feature_name("age")
('error', 'age')
"""

from __future__ import annotations

from enum import StrEnum

import pyarrow as pa

from watchkeeper.schema import ColumnType, Schema
from watchkeeper.settings import ModelConfig


class Kind(StrEnum):
    """The three kinds of event the intake accepts, named like their endpoints."""

    PREDICTIONS = "predictions"
    LABELS = "labels"
    OUTCOMES = "outcomes"


TIMESTAMP = pa.timestamp("us", tz="UTC")
SEGMENT_PREFIX = "segment."
FEATURE_PREFIX = "feature."
# columns of the prediction table that are not features, in storage order (segments go
# after model_version)
HEAD = ("id", "timestamp", "received_at", "model_version")
TAIL = ("prediction", "scores", "latency_ms", "error")
RESERVED = frozenset(HEAD + TAIL)
# what window queries return as event metadata (received_at is bookkeeping only)
META = ("id", "timestamp", "model_version", "prediction", "scores", "latency_ms", "error")

LABELS_SCHEMA = pa.schema(
    [("id", pa.string()), ("label", pa.string()), ("timestamp", TIMESTAMP),
     ("received_at", TIMESTAMP)]
)
OUTCOMES_SCHEMA = pa.schema(
    [("id", pa.string()), ("name", pa.string()), ("value", pa.float64()),
     ("timestamp", TIMESTAMP), ("received_at", TIMESTAMP)]
)

_FEATURE_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.NUMERIC: pa.float64(),
    ColumnType.CATEGORICAL: pa.string(),
    ColumnType.BOOLEAN: pa.string(),
    ColumnType.TEXT: pa.string(),
    ColumnType.EMBEDDING: pa.list_(pa.float64()),
    ColumnType.DATETIME: TIMESTAMP,
}


def is_reserved(name: str) -> bool:
    return name in RESERVED or name.startswith((SEGMENT_PREFIX, FEATURE_PREFIX))


def storage_name(feature: str) -> str:
    """The column a feature is stored in: its own name unless that is reserved."""
    return FEATURE_PREFIX + feature if is_reserved(feature) else feature


def feature_name(column: str) -> str:
    """The feature a stored column holds (the inverse of :func:`storage_name`)."""
    return column[len(FEATURE_PREFIX) :] if column.startswith(FEATURE_PREFIX) else column


def is_feature_column(column: str) -> bool:
    return column.startswith(FEATURE_PREFIX) or not is_reserved(column)


def feature_type(kind: ColumnType) -> pa.DataType:
    return _FEATURE_TYPES[kind]


def prediction_type(model: ModelConfig) -> pa.DataType:
    """Multiclass predictions are class names; every other task predicts a number."""
    return pa.string() if model.task == "multiclass_classification" else pa.float64()


def prediction_schema(model: ModelConfig, schema: Schema) -> pa.Schema:
    fields = [
        pa.field("id", pa.string()),
        pa.field("timestamp", TIMESTAMP),
        pa.field("received_at", TIMESTAMP),
        pa.field("model_version", pa.string()),
    ]
    fields += [pa.field(SEGMENT_PREFIX + key, pa.string()) for key in model.segments]
    fields += [
        pa.field("prediction", prediction_type(model)),
        pa.field("scores", pa.list_(pa.float64())),
        pa.field("latency_ms", pa.float64()),
        pa.field("error", pa.string()),
    ]
    fields += [pa.field(storage_name(c.name), feature_type(c.type)) for c in schema]
    return pa.schema(fields)
