"""Windows without predictions are evaluated too (a stopped stream shows as 0), once each,
from the model's first prediction on, and the watermark survives a restart."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from watchkeeper.ingest.layout import Kind
from watchkeeper.ingest.payload import EventBatch
from watchkeeper.ingest.records import BatchDecoder
from watchkeeper.monitors.base import MetricSample
from watchkeeper.monitors.evaluator import Evaluator
from watchkeeper.monitors.window import evaluate_window
from watchkeeper.profiles.dataset import build_profile
from watchkeeper.runtime import ModelRuntime
from watchkeeper.schema import ColumnSchema, ColumnType, Schema
from watchkeeper.settings import parse_service_config
from watchkeeper.store.duckdb_store import DuckDBStore

T0 = datetime(2026, 3, 2, tzinfo=UTC)
HOUR = timedelta(hours=1)
SCHEMA = Schema((ColumnSchema("x", ColumnType.NUMERIC),))


def _runtime(windows: list[str], retention: str = "90d") -> ModelRuntime:
    config = parse_service_config(
        {"models": {"m": {"task": "regression", "windows": windows, "retention": retention}}}
    ).models["m"]
    reference = build_profile(pa.table({"x": [1.0, 2.0, 3.0], "prediction": [0.1, 0.2, 0.3]}))
    return ModelRuntime("m", config, SCHEMA, reference, None, reference)


def _traffic(store: DuckDBStore, runtime: ModelRuntime, hours: list[int]) -> None:
    """Three predictions in each of ``hours`` (hours after T0)."""
    records: list[dict[str, Any]] = [
        {
            "id": f"h{hour}-{i}",
            "timestamp": (T0 + hour * HOUR + timedelta(minutes=10 * i)).isoformat(),
            "features": {"x": float(i)},
            "prediction": 0.5,
        }
        for hour in hours
        for i in range(3)
    ]
    if not records:
        return
    decoder = BatchDecoder(runtime.config, SCHEMA)
    decoded = decoder.decode(Kind.PREDICTIONS, json.dumps(records).encode(), ndjson=False, now=T0)
    table = pa.Table.from_batches([decoded.batch])
    batch = EventBatch("m", Kind.PREDICTIONS, table.num_rows, table)
    store.apply([batch], store.applied_offset() + 1)


def _counts(samples: list[MetricSample]) -> dict[tuple[str, int], float]:
    """prediction_count per (window length, hour after T0)."""
    return {
        (s.labels["window"], (s.window_start - T0) // HOUR): s.value
        for s in samples
        if s.name == "prediction_count"
    }


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    opened = DuckDBStore(tmp_path / "watchkeeper.duckdb")
    yield opened
    opened.close()


@pytest.mark.parametrize(
    ("windows", "retention", "traffic", "ticks", "quiet"),
    [
        # the stream stops after hour 2 and comes back in hour 6
        (["1h"], "90d", [0, 1, 2, 6], [7], {("1h", 3), ("1h", 4), ("1h", 5)}),
        # same, evaluated at two ticks: each quiet hour once, whichever tick saw it close
        (["1h"], "90d", [0, 1, 2, 6], [4, 7], {("1h", 3), ("1h", 4), ("1h", 5)}),
        # a model that never got traffic emits nothing
        (["1h"], "90d", [], [7], set()),
        # nothing before the model's first prediction; the open hour 5 waits
        (["1h"], "90d", [2], [5], {("1h", 3), ("1h", 4)}),
        # never further back than the retention (hours 7-9 of the last 3h)
        (["1h"], "3h", [0], [10], {("1h", 7), ("1h", 8), ("1h", 9)}),
        # every window length on its own: the 3h window [3h, 6h) is quiet, so are hours 1-5, 7, 8
        (
            ["1h", "3h"],
            "90d",
            [0, 6],
            [9],
            {("1h", h) for h in (1, 2, 3, 4, 5, 7, 8)} | {("3h", 3)},
        ),
    ],
)
def test_quiet_windows_get_zero_counts_once(
    store: DuckDBStore,
    windows: list[str],
    retention: str,
    traffic: list[int],
    ticks: list[int],
    quiet: set[tuple[str, int]],
) -> None:
    runtime = _runtime(windows, retention)
    _traffic(store, runtime, traffic)
    evaluator = Evaluator({"m": runtime}, store)
    emitted: list[MetricSample] = []
    for tick in ticks:
        evaluator.evaluate(T0 + tick * HOUR)
        emitted += evaluator.last_samples
    stored = _counts(store.samples("m", "prediction_count"))
    assert {key for key, value in stored.items() if value == 0} == quiet
    assert all(value == 3 for key, value in stored.items() if key not in quiet)
    zeros = [s for s in emitted if s.name == "prediction_count" and s.value == 0]
    assert sorted(_counts(zeros)) == sorted(quiet)  # each quiet window emitted exactly once
    # evaluating again at the last tick finds nothing new
    again = evaluator.evaluate(T0 + ticks[-1] * HOUR)
    assert (again.windows, again.samples, evaluator.last_samples) == (0, 0, [])
    assert _counts(store.samples("m", "prediction_count")) == stored


def test_a_quiet_window_has_zero_throughput_and_no_ratios(store: DuckDBStore) -> None:
    runtime = _runtime(["1h"])
    _traffic(store, runtime, [0, 2])
    evaluator = Evaluator({"m": runtime}, store)
    evaluator.evaluate(T0 + 3 * HOUR)
    hour = [s for s in store.samples("m") if s.window_start == T0 + HOUR]
    by_name = {s.name: s for s in hour if "quantile" not in s.labels and "feature" not in s.labels}
    assert by_name["prediction_count"].value == 0
    assert by_name["throughput_per_second"].value == 0
    assert by_name["error_rate"].status.value == "insufficient_data"
    assert math.isnan(by_name["dataset_drift_share"].value)


def test_quiet_samples_are_what_evaluate_window_gives_an_empty_window(store: DuckDBStore) -> None:
    """Empty windows are evaluated once per length and stamped with each window's bounds:
    the result is the same as evaluating each one."""
    runtime = _runtime(["1h"])
    _traffic(store, runtime, [0, 5])
    evaluator = Evaluator({"m": runtime}, store)
    until = T0 + 6 * HOUR
    evaluator.evaluate(until)
    start = T0 + 3 * HOUR
    features, meta = store.window("m", start, start + HOUR)
    no_ids = pa.array([], pa.string())
    direct = evaluate_window(
        "m",
        runtime.config,
        runtime.full_reference,  # type: ignore[arg-type]
        (start, start + HOUR),
        features,
        meta,
        store.labels_for("m", no_ids),
        store.outcomes_for("m", no_ids),
        until,
        duration="1h",
    ).samples
    stamped = [s for s in evaluator.last_samples if s.window_start == start]

    def key(s: MetricSample) -> tuple[Any, ...]:
        value = None if math.isnan(s.value) else s.value
        return s.name, sorted(s.labels.items()), value, s.status, json.dumps(s.details, default=str)

    assert sorted(map(key, stamped)) == sorted(map(key, direct))


def test_the_watermark_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "watchkeeper.duckdb"
    runtime = _runtime(["1h"])
    first = DuckDBStore(path)
    _traffic(first, runtime, [0, 1, 2, 6])
    Evaluator({"m": runtime}, first).evaluate(T0 + 7 * HOUR)
    first.close()

    again = DuckDBStore(path)
    assert again.watermark("m", "evaluated/1h") == T0 + 7 * HOUR
    evaluator = Evaluator({"m": runtime}, again)
    assert evaluator.evaluate(T0 + 7 * HOUR).windows == 0  # nothing evaluated twice
    evaluator.evaluate(T0 + 9 * HOUR)  # the stream is still quiet in hours 7 and 8
    assert sorted(_counts(evaluator.last_samples)) == [("1h", 7), ("1h", 8)]
    zeros = {k for k, v in _counts(again.samples("m", "prediction_count")).items() if v == 0}
    assert zeros == {("1h", h) for h in (3, 4, 5, 7, 8)}
    again.close()


def test_a_thousand_quiet_hours(store: DuckDBStore) -> None:
    runtime = _runtime(["1h"])
    _traffic(store, runtime, [0, 1001])
    result = Evaluator({"m": runtime}, store).evaluate(T0 + 1002 * HOUR)
    assert result.windows == 1000 + 2
    zeros = [s for s in store.samples("m", "prediction_count") if s.value == 0]
    assert len(zeros) == 1000
