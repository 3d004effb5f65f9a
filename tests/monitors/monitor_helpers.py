"""Build one window of one model in the store's layout, from plain Python lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from watchkeeper.monitors.base import MetricSample
from watchkeeper.settings import ModelConfig, parse_service_config

START = datetime(2026, 3, 1, 10, tzinfo=UTC)
END = START + timedelta(hours=1)
AFTER = END + timedelta(hours=1)  # an evaluation tick once the window has closed
TIMESTAMP = pa.timestamp("us", tz="UTC")


def config(task: str = "binary_classification", **keys: Any) -> ModelConfig:
    """A model config as ``watchkeeper.yaml`` would give it."""
    model = {"task": task, "prediction": "prediction", "label": "label", **keys}
    return parse_service_config({"models": {"m": model}}).models["m"]


def ids(n: int, prefix: str = "r") -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def meta_table(
    n: int,
    *,
    prediction: Sequence[Any] | np.ndarray | None = None,
    versions: Sequence[str | None] | None = None,
    segments: Mapping[str, Sequence[str | None]] | None = None,
    latency: Sequence[float | None] | np.ndarray | None = None,
    errors: Sequence[str | None] | None = None,
    scores: Sequence[Sequence[float] | None] | None = None,
    seconds_apart: float = 1.0,
    string_prediction: bool = False,
) -> pa.Table:
    """``n`` predictions starting at START, ``seconds_apart`` apart, ids r0, r1, ..."""
    offsets = np.arange(n) * int(seconds_apart * 1_000_000)
    start_us = int(START.timestamp() * 1_000_000)
    columns: dict[str, pa.Array] = {
        "id": pa.array(ids(n), pa.string()),
        "timestamp": pa.array(start_us + offsets, TIMESTAMP),
        "model_version": pa.array(versions if versions is not None else [None] * n, pa.string()),
    }
    for key, values in (segments or {}).items():
        columns[f"segment.{key}"] = pa.array(values, pa.string())
    kind = pa.string() if string_prediction else pa.float64()
    columns["prediction"] = pa.array(
        list(prediction) if prediction is not None else [None] * n, kind
    )
    columns["scores"] = pa.array(
        scores if scores is not None else [None] * n, pa.list_(pa.float64())
    )
    columns["latency_ms"] = pa.array(
        list(latency) if latency is not None else [None] * n, pa.float64()
    )
    columns["error"] = pa.array(errors if errors is not None else [None] * n, pa.string())
    return pa.table(columns)


def labels_table(
    label_ids: Sequence[str],
    labels: Sequence[str],
    delay_seconds: float | Sequence[float] = 60.0,
    seconds_apart: float = 1.0,
) -> pa.Table:
    """Labels for ``label_ids`` (of meta_table's rows, made ``seconds_apart``), each
    ``delay_seconds`` after its prediction."""
    rows = np.array([int(i[1:]) for i in label_ids], dtype=np.int64)
    delays = np.broadcast_to(np.asarray(delay_seconds, dtype=np.float64), rows.shape)
    start_us = int(START.timestamp() * 1_000_000)
    made = rows * int(seconds_apart * 1_000_000)
    times = start_us + made + (delays * 1_000_000).astype(np.int64)
    return pa.table(
        {
            "id": pa.array(list(label_ids), pa.string()),
            "label": pa.array(list(labels), pa.string()),
            "timestamp": pa.array(times, TIMESTAMP),
        }
    )


def no_labels() -> pa.Table:
    return labels_table([], [])


def outcomes_table(events: Sequence[tuple[str, str, float | None]]) -> pa.Table:
    """``(id, name, value)`` events, all at the end of the window."""
    end_us = int(END.timestamp() * 1_000_000)
    return pa.table(
        {
            "id": pa.array([e[0] for e in events], pa.string()),
            "name": pa.array([e[1] for e in events], pa.string()),
            "value": pa.array([e[2] for e in events], pa.float64()),
            "timestamp": pa.array([end_us] * len(events), TIMESTAMP),
        }
    )


def find(samples: Sequence[MetricSample], name: str, **labels: str) -> list[MetricSample]:
    """Samples named ``name`` whose labels include ``labels``."""
    return [
        s
        for s in samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]


def one(samples: Sequence[MetricSample], name: str, **labels: str) -> MetricSample:
    """The single sample named ``name`` with exactly the given labels beyond window/monitor."""
    matches = [
        s
        for s in find(samples, name, **labels)
        if set(s.labels) - {"window", "monitor"} == set(labels)
    ]
    assert len(matches) == 1, f"{len(matches)} samples {name} {labels}: {matches}"
    return matches[0]
