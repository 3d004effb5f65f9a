"""Event batches in the stored layout, built through the real intake decoder."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from watchkeeper.ingest.layout import Kind
from watchkeeper.ingest.payload import EventBatch
from watchkeeper.ingest.records import BatchDecoder
from watchkeeper.schema import ColumnSchema, ColumnType, Schema
from watchkeeper.settings import parse_service_config

T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)
SCHEMA = Schema(
    (
        ColumnSchema("age", ColumnType.NUMERIC),
        ColumnSchema("plan", ColumnType.CATEGORICAL),
        ColumnSchema("error", ColumnType.NUMERIC),  # collides with a reserved column
    )
)


def decoder(schema: Schema = SCHEMA) -> BatchDecoder:
    config = parse_service_config(
        {"models": {"credit": {"task": "binary_classification", "segments": ["region"]}}}
    )
    return BatchDecoder(config.models["credit"], schema)


def batch(kind: Kind, records: list[dict[str, Any]], schema: Schema = SCHEMA,
          model: str = "credit") -> EventBatch:
    decoded = decoder(schema).decode(kind, json.dumps(records).encode(), ndjson=False, now=T0)
    table = pa.Table.from_batches([decoded.batch])
    return EventBatch(model, kind, table.num_rows, table)


def predictions(ids: list[str], minutes: list[float] | None = None, **fields: Any) -> EventBatch:
    minutes = minutes if minutes is not None else [0.0] * len(ids)
    records = [
        {
            "id": ident,
            "timestamp": (T0 + timedelta(minutes=m)).isoformat(),
            "features": {"age": 30 + i, "plan": "gold", "error": 0.5},
            "prediction": 0.25,
            "segment": {"region": "eu"},
            **fields,
        }
        for i, (ident, m) in enumerate(zip(ids, minutes, strict=True))
    ]
    return batch(Kind.PREDICTIONS, records)


def labels(pairs: list[tuple[str, Any]], minutes: list[float] | None = None) -> EventBatch:
    minutes = minutes if minutes is not None else [60.0] * len(pairs)
    records = [
        {"id": ident, "label": label, "timestamp": (T0 + timedelta(minutes=m)).isoformat()}
        for (ident, label), m in zip(pairs, minutes, strict=True)
    ]
    return batch(Kind.LABELS, records)


def outcomes(triples: list[tuple[str, str, float]]) -> EventBatch:
    records = [{"id": i, "name": n, "value": v} for i, n, v in triples]
    return batch(Kind.OUTCOMES, records)
