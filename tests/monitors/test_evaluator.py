"""Which windows the evaluator evaluates, and which changes it forgets afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from watchkeeper.monitors.base import MetricSample
from watchkeeper.monitors.evaluator import Evaluator
from watchkeeper.profiles.dataset import build_profile
from watchkeeper.runtime import ModelRuntime
from watchkeeper.settings import parse_service_config
from watchkeeper.store.dirty import DirtyBuckets

T0 = datetime(2026, 3, 2, tzinfo=UTC)


class RecordingStore:
    """Dirty buckets given by the test; windows are empty; every call is recorded."""

    def __init__(self, buckets: list[datetime]) -> None:
        self.buckets = buckets
        self.windows: list[tuple[datetime, datetime]] = []
        self.cleaned: list[tuple[int, datetime | None]] = []

    def dirty(self, model: str) -> DirtyBuckets:
        return DirtyBuckets(model, tuple(self.buckets), as_of=7)

    def mark_clean(self, model: str, as_of: int, before: datetime | None = None) -> None:
        self.cleaned.append((as_of, before))

    def window(self, model: str, start: datetime, end: datetime) -> tuple[pa.Table, pa.Table]:
        self.windows.append((start, end))
        return pa.table({"x": pa.array([], pa.float64())}), pa.table(
            {"id": pa.array([], pa.string())}
        )

    def labels_for(self, model: str, ids: pa.Array) -> pa.Table:
        raise AssertionError("empty windows need no labels")

    def outcomes_for(self, model: str, ids: pa.Array) -> pa.Table:
        raise AssertionError("empty windows need no outcomes")

    def write_samples(self, samples: list[MetricSample]) -> None:
        raise AssertionError("empty windows write nothing")

    def prune(self, model: str, before: datetime) -> dict[str, int]:
        self.pruned = (model, before)
        return {"predictions": 0}


def _runtime(windows: list[str]) -> ModelRuntime:
    config = parse_service_config(
        {"models": {"m": {"task": "regression", "windows": windows}}}
    ).models["m"]
    reference = build_profile(pa.table({"x": [1.0, 2.0, 3.0]}))
    return ModelRuntime("m", config, reference.schema, reference, None, reference)


@pytest.mark.parametrize(
    ("buckets", "until", "windows", "evaluated", "pending", "clean_before"),
    [
        # one changed minute, its hour has ended: evaluated, forgotten up to the open hour
        (
            [T0 + timedelta(minutes=5)],
            T0 + timedelta(hours=1, minutes=3),
            ["1h"],
            1,
            0,
            T0 + timedelta(hours=1),
        ),
        # the hour is still open: nothing evaluated, the bucket stays dirty
        ([T0 + timedelta(minutes=5)], T0 + timedelta(minutes=30), ["1h"], 0, 1, T0),
        # hour closed but the day is open: the hour is evaluated, the day waits, and the bucket
        # is kept until the day ends
        ([T0 + timedelta(minutes=5)], T0 + timedelta(hours=2), ["1h", "1d"], 1, 1, T0),
        # two changed buckets in different hours, both closed
        (
            [T0, T0 + timedelta(hours=3)],
            T0 + timedelta(hours=5),
            ["1h"],
            2,
            0,
            T0 + timedelta(hours=5),
        ),
    ],
)
def test_changed_closed_windows(
    buckets: list[datetime],
    until: datetime,
    windows: list[str],
    evaluated: int,
    pending: int,
    clean_before: datetime,
) -> None:
    store = RecordingStore(buckets)
    result = Evaluator({"m": _runtime(windows)}, store).evaluate(until)
    assert (len(store.windows), result.pending) == (evaluated, pending)
    assert all(end <= until for _, end in store.windows)
    assert store.cleaned == [(7, clean_before)]


def test_before_hook_runs_first_and_nothing_dirty_means_nothing_done() -> None:
    calls: list[Any] = []
    store = RecordingStore([])
    evaluator = Evaluator({"m": _runtime(["1h"])}, store, before=lambda: calls.append("wait"))
    result = evaluator.evaluate(T0)
    assert calls == ["wait"] and result.windows == 0 and store.cleaned == []


def test_prune_uses_each_models_retention() -> None:
    store = RecordingStore([])
    runtime = _runtime(["1h"])  # default retention: 90 days
    assert Evaluator({"m": runtime}, store).prune(T0) == {"m": {"predictions": 0}}
    assert store.pruned == ("m", T0 - timedelta(days=90))
