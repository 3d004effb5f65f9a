"""Shared builders for the intake tests: a fake clock, a model config and its schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from watchkeeper.schema import ColumnSchema, ColumnType, Schema
from watchkeeper.settings import ServiceConfig, parse_service_config

START = datetime(2026, 3, 1, 12, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


SCHEMA = Schema(
    (
        ColumnSchema("age", ColumnType.NUMERIC),
        ColumnSchema("plan", ColumnType.CATEGORICAL),
        ColumnSchema("member", ColumnType.BOOLEAN),
        ColumnSchema("note", ColumnType.TEXT),
        ColumnSchema("vec", ColumnType.EMBEDDING, dim=2),
        ColumnSchema("signup", ColumnType.DATETIME),
    )
)


def service_config(store: str = "./wk-data", **model: Any) -> ServiceConfig:
    spec = {"task": "binary_classification", "segments": ["region"], **model}
    return parse_service_config({"store": store, "models": {"credit": spec}})


def prediction(ident: str = "p1", **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": ident,
        "timestamp": "2026-03-01T11:00:00Z",
        "features": {"age": 41, "plan": "gold", "member": True, "note": "hello there",
                     "vec": [0.5, 1.5], "signup": "2025-01-02T03:04:05Z"},
        "prediction": 0.75,
    }
    record.update(fields)
    return record


def body(records: list[Any]) -> bytes:
    return json.dumps(records).encode()


def ndjson(records: list[Any]) -> bytes:
    return b"\n".join(json.dumps(r).encode() for r in records) + b"\n"
