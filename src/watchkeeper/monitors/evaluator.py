"""Evaluate the windows that changed: the service's side of ``POST /v1/evaluate`` and the
scheduler.

A window is evaluated once it has ended (by ``until``) and whenever events, labels or outcomes
for its predictions arrived since it was last evaluated: the store remembers which event-time
buckets changed. Re-evaluation replaces the window's samples, so late labels turn provisional
performance into final performance.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import pyarrow as pa

from watchkeeper.monitors.base import MetricSample
from watchkeeper.monitors.window import evaluate_window
from watchkeeper.monitors.windows import duration_label, window_start
from watchkeeper.runtime import ModelRuntime
from watchkeeper.settings import parse_duration
from watchkeeper.store.dirty import DirtyBuckets


class WindowStore(Protocol):
    def dirty(self, model: str) -> DirtyBuckets: ...
    def mark_clean(self, model: str, as_of: int, before: datetime | None = None) -> None: ...
    def window(self, model: str, start: datetime, end: datetime) -> tuple[pa.Table, pa.Table]: ...
    def labels_for(self, model: str, ids: pa.Array) -> pa.Table: ...
    def outcomes_for(self, model: str, ids: pa.Array) -> pa.Table: ...
    def write_samples(self, samples: list[MetricSample]) -> None: ...
    def prune(self, model: str, before: datetime) -> dict[str, int]: ...


@dataclass(frozen=True)
class EvaluationResult:
    windows: int
    samples: int
    pending: int  # changed windows that have not ended yet
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "windows": self.windows,
            "samples": self.samples,
            "pending": self.pending,
            "seconds": round(self.seconds, 4),
        }


class Evaluator:
    """Evaluates every model's changed, closed windows; one evaluation at a time."""

    def __init__(
        self,
        runtimes: Mapping[str, ModelRuntime],
        store: WindowStore,
        before: Callable[[], object] | None = None,
    ) -> None:
        self.runtimes = runtimes
        self.store = store
        self.before = before  # e.g. wait until acknowledged events are in the store
        self._lock = threading.Lock()
        self.evaluations = 0
        self.last_seconds = 0.0
        self.last_samples: list[MetricSample] = []  # written by the latest evaluation

    def __call__(self, until: datetime) -> dict[str, Any]:
        return self.evaluate(until).to_dict()

    def evaluate(self, until: datetime) -> EvaluationResult:
        with self._lock:
            started = time.perf_counter()
            if self.before is not None:
                self.before()
            self.last_samples = []
            windows = samples = pending = 0
            for name, runtime in self.runtimes.items():
                w, s, p = self._evaluate_model(name, runtime, until)
                windows, samples, pending = windows + w, samples + s, pending + p
            self.evaluations += 1
            self.last_seconds = time.perf_counter() - started
            return EvaluationResult(windows, samples, pending, self.last_seconds)

    def prune(self, now: datetime) -> dict[str, dict[str, int]]:
        """Apply each model's ``retention``: forget events and samples older than it."""
        with self._lock:
            return {
                name: self.store.prune(
                    name, now - parse_duration(runtime.config.retention, f"models.{name}.retention")
                )
                for name, runtime in self.runtimes.items()
            }

    def _evaluate_model(
        self, name: str, runtime: ModelRuntime, until: datetime
    ) -> tuple[int, int, int]:
        dirty = self.store.dirty(name)
        if not dirty or runtime.full_reference is None:
            return 0, 0, 0
        windows = samples = pending = 0
        lengths = runtime.config.window_lengths(f"models.{name}")
        for length in lengths:
            for start in dirty.windows(length):
                end = start + length
                if end > until:
                    pending += 1
                    continue
                samples += self._evaluate_window(name, runtime, start, length, until)
                windows += 1
        # A bucket is done once every window holding it has ended: it lies before the start of
        # each length's window still open at ``until``. Later buckets stay dirty for next time.
        done_before = min(window_start(until, length) for length in lengths)
        self.store.mark_clean(name, dirty.as_of, before=done_before)
        return windows, samples, pending

    def _evaluate_window(
        self, name: str, runtime: ModelRuntime, start: datetime, length: timedelta, until: datetime
    ) -> int:
        assert runtime.full_reference is not None
        features, meta = self.store.window(name, start, start + length)
        if meta.num_rows == 0:
            return 0
        ids = meta.column("id").combine_chunks()
        result = evaluate_window(
            name,
            runtime.config,
            runtime.full_reference,
            (start, start + length),
            features,
            meta,
            self.store.labels_for(name, ids),
            self.store.outcomes_for(name, ids),
            until,
            duration=duration_label(length),
        )
        self.store.write_samples(list(result.samples))
        self.last_samples.extend(result.samples)
        return len(result.samples)
