"""A reference learned from production (``reference: {production: 1d}``): three simulated days
through a real store, evaluated every six hours like the scheduler does; drift is injected on
day three. Day one *is* the reference (no drift verdicts), day two matches it, day three
breaches; a restart reads the saved reference instead of learning it again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from watchkeeper.ingest.layout import Kind
from watchkeeper.ingest.payload import EventBatch
from watchkeeper.ingest.records import BatchDecoder
from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.monitors.evaluator import Evaluator
from watchkeeper.runtime import ModelRuntime, load_runtimes
from watchkeeper.settings import ServiceConfig, parse_service_config
from watchkeeper.simulate import CreditSimulation
from watchkeeper.store.duckdb_store import DuckDBStore

T0 = datetime(2026, 3, 2, tzinfo=UTC)
DAY = timedelta(days=1)
TICK = timedelta(hours=6)
PER_HOUR = 150
SIM = CreditSimulation(seed=5, drift_start=T0 + 2 * DAY)
DRIFT = ("feature_drift", "prediction_drift", "dataset_drift_share")


def _config(root: Path) -> ServiceConfig:
    model = {
        "task": "binary_classification",
        "reference": {"production": "1d"},
        "prediction": "score",
        "label": "label",
        "windows": ["6h"],
        "schema": {
            "columns": {
                "age": "numeric",
                "income": "numeric",
                "utilisation": "numeric",
                "employment": "categorical",
                "region": "categorical",
            }
        },
    }
    return parse_service_config({"store": "wk", "models": {"credit": model}}, str(root))


def _post(store: DuckDBStore, runtime: ModelRuntime, start: datetime) -> None:
    """Six hours of traffic, its labels sent right away."""
    predictions, labels = SIM.generate(start, start + TICK, PER_HOUR)
    decoder = BatchDecoder(runtime.config, runtime.schema)
    batches = []
    for kind, records in ((Kind.PREDICTIONS, predictions), (Kind.LABELS, labels)):
        decoded = decoder.decode(kind, json.dumps(records).encode(), ndjson=False, now=start)
        table = pa.Table.from_batches([decoded.batch])
        batches.append(EventBatch("credit", kind, table.num_rows, table))
    store.apply(batches, store.applied_offset() + 1)


def _run(store: DuckDBStore, evaluator: Evaluator, begin: datetime, end: datetime) -> None:
    runtime = evaluator.runtimes["credit"]
    tick = begin
    while tick < end:
        _post(store, runtime, tick)
        tick += TICK
        evaluator.evaluate(tick)


def _day(samples: list[MetricSample], day: int) -> list[MetricSample]:
    start = T0 + day * DAY
    return [s for s in samples if start <= s.window_start < start + DAY]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Three days evaluated tick by tick; what the test functions look at."""
    root = tmp_path_factory.mktemp("production")
    config = _config(root)
    runtime = load_runtimes(config)["credit"]
    assert runtime.full_reference is None and runtime.learned_path is not None
    store = DuckDBStore(root / "wk" / "watchkeeper.duckdb")
    evaluator = Evaluator({"credit": runtime}, store)
    _run(store, evaluator, T0, T0 + DAY - TICK)
    learned_before_day_two = runtime.learned_path.exists()
    _run(store, evaluator, T0 + DAY - TICK, T0 + 3 * DAY)
    yield {
        "root": root,
        "config": config,
        "path": runtime.learned_path,
        "learned_early": learned_before_day_two,
        "samples": store.samples("credit"),
        "reference_rows": evaluator.runtimes["credit"].full_reference.rows,  # type: ignore[union-attr]
    }
    store.close()


def test_day_one_is_the_reference_and_has_no_drift_verdicts(world: dict[str, Any]) -> None:
    assert not world["learned_early"]  # the first day had not ended yet
    day = _day(world["samples"], 0)
    drift = [s for s in day if s.name in DRIFT or s.name == "unseen_category_share"]
    assert drift and all(s.status is Status.INSUFFICIENT for s in drift)
    # three windows were evaluated before the day ended, the last one once it was learned
    assert {s.details["reason"] for s in drift} == {
        "the reference is not learned from production yet",
        "the window is part of the reference learned from production",
    }
    # the other monitors ran as usual
    counts = [s.value for s in day if s.name == "prediction_count" and len(s.labels) == 2]
    assert len(counts) == 4 and all(c > 0.8 * 6 * PER_HOUR for c in counts)
    auc = [s for s in day if s.name == "roc_auc" and len(s.labels) == 2]
    assert len(auc) == 4 and all(s.status is Status.OK for s in auc)


def test_day_two_matches_the_reference(world: dict[str, Any]) -> None:
    drift = [s for s in _day(world["samples"], 1) if s.name in DRIFT]
    assert drift and {s.status for s in drift} == {Status.OK}


def test_day_three_breaches(world: dict[str, Any]) -> None:
    day = _day(world["samples"], 2)
    income = [s for s in day if s.name == "feature_drift" and s.labels.get("feature") == "income"]
    assert len(income) == 4 and all(s.status is Status.BREACH for s in income)
    shares = [s for s in day if s.name == "dataset_drift_share"]
    assert len(shares) == 4 and all(s.value > 0 for s in shares)


def test_the_reference_is_the_first_day_of_traffic(world: dict[str, Any]) -> None:
    runtime = load_runtimes(world["config"])["credit"]
    assert runtime.full_reference is not None
    assert runtime.full_reference.rows == world["reference_rows"]
    assert abs(world["reference_rows"] - 24 * PER_HOUR) < 0.1 * 24 * PER_HOUR
    assert runtime.full_reference.schema.names == [
        "age",
        "income",
        "utilisation",
        "employment",
        "region",
        "score",
        "label",
    ]
    assert runtime.prediction_reference is not None and runtime.reference is not None
    assert runtime.reference.schema.names == runtime.schema.names  # features only


def test_a_restart_reuses_the_saved_reference(world: dict[str, Any]) -> None:
    path: Path = world["path"]
    written = path.stat().st_mtime_ns
    runtime = load_runtimes(world["config"])["credit"]
    store = DuckDBStore(world["root"] / "wk" / "watchkeeper.duckdb")
    try:
        evaluator = Evaluator({"credit": runtime}, store)
        _run(store, evaluator, T0 + 3 * DAY, T0 + 4 * DAY)
        day = _day(store.samples("credit", "feature_drift"), 3)
    finally:
        store.close()
    income = [s for s in day if s.labels.get("feature") == "income"]
    assert len(income) == 4 and all(s.status is Status.BREACH for s in income)
    assert path.stat().st_mtime_ns == written  # read, not learned again
    assert evaluator.runtimes["credit"] is runtime
