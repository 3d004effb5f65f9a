"""Evaluate the windows that changed: the service's side of ``POST /v1/evaluate`` and the
scheduler.

A window is evaluated once it has ended (by ``until``) and whenever events, labels or outcomes
for its predictions arrived since it was last evaluated: the store remembers which event-time
buckets changed. Re-evaluation replaces the window's samples, so late labels turn provisional
performance into final performance.

Quiet windows count too: a window in which the model received no predictions gets its samples
(``prediction_count`` 0, every ratio ``insufficient_data``), so a stopped stream shows. Per
model and window length the store keeps a watermark, the end of the latest closed window
accounted for; each evaluation evaluates the closed windows without events between it (at
first: the window of the model's first stored prediction, never earlier than ``retention``)
and ``until``, then moves it. Empty windows of one length all give the same samples, so they
are computed once and stamped with each window's bounds.

A reference learned from production (``reference: {production: 7d}``) is built once the first
7 days after the model's first prediction (from the start of its shortest window) have ended by
``until``: from the stored predictions and the labels that arrived by then. It is saved next to
the store and used from then on. Until it exists, and for every window that ends inside that
period (such windows *are* the reference), drift and unseen-category samples are
``insufficient_data``; operations, performance and KPI samples are computed as usual. Windows
evaluated before the reference existed are not evaluated again because of it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa

from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.monitors.insight import insight_samples
from watchkeeper.monitors.reference_performance import with_reference_performance
from watchkeeper.monitors.scope import Scope
from watchkeeper.monitors.window import evaluate_window
from watchkeeper.monitors.windows import duration_label, window_start
from watchkeeper.profiles.dataset import DatasetProfile
from watchkeeper.profiles.serialize import save_profile
from watchkeeper.runtime import ModelRuntime, empty_reference, learn_reference, with_reference
from watchkeeper.settings import parse_duration
from watchkeeper.store.dirty import DirtyBuckets

REFERENCE_END = "reference_end"  # watermark: end of the traffic the reference was learned from


class WindowStore(Protocol):
    def dirty(self, model: str) -> DirtyBuckets: ...
    def mark_clean(self, model: str, as_of: int, before: datetime | None = None) -> None: ...
    def window(self, model: str, start: datetime, end: datetime) -> tuple[pa.Table, pa.Table]: ...
    def labels_for(self, model: str, ids: pa.Array) -> pa.Table: ...
    def outcomes_for(self, model: str, ids: pa.Array) -> pa.Table: ...
    def write_samples(self, samples: list[MetricSample]) -> None: ...
    def prune(self, model: str, before: datetime) -> dict[str, int]: ...


@runtime_checkable
class HistoryStore(WindowStore, Protocol):
    """A store that also knows where events are and remembers watermarks (the DuckDB store).
    Only with one are quiet windows evaluated and production references learned."""

    def first_prediction(self, model: str) -> datetime | None: ...
    def windows_with_events(
        self, model: str, length: timedelta, start: datetime, end: datetime
    ) -> set[datetime]: ...
    def watermark(self, model: str, name: str) -> datetime | None: ...
    def set_watermark(self, model: str, name: str, at: datetime) -> None: ...


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
        self.runtimes = dict(runtimes)  # a learned reference replaces its model's runtime
        self.store = store
        self.history = store if isinstance(store, HistoryStore) else None
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
            for name, runtime in list(self.runtimes.items()):
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
        lengths = runtime.config.window_lengths(f"models.{name}")
        runtime = self._learn_reference(name, runtime, min(lengths), until)
        references = _References(runtime, self._reference_end(name, runtime))
        windows, samples, pending = self._changed_windows(name, runtime, references, lengths, until)
        if self.history is not None:
            quiet = self._quiet_windows(self.history, name, runtime, references, lengths, until)
            windows, samples = windows + quiet[0], samples + quiet[1]
        return windows, samples, pending

    def _changed_windows(
        self,
        name: str,
        runtime: ModelRuntime,
        references: _References,
        lengths: list[timedelta],
        until: datetime,
    ) -> tuple[int, int, int]:
        dirty = self.store.dirty(name)
        if not dirty:
            return 0, 0, 0
        windows = samples = pending = 0
        for length in lengths:
            for start in dirty.windows(length):
                if start + length > until:
                    pending += 1
                    continue
                samples += self._evaluate_window(name, runtime, references, start, length, until)
                windows += 1
        # A bucket is done once every window holding it has ended: it lies before the start of
        # each length's window still open at ``until``. Later buckets stay dirty for next time.
        done_before = min(window_start(until, length) for length in lengths)
        self.store.mark_clean(name, dirty.as_of, before=done_before)
        return windows, samples, pending

    def _evaluate_window(
        self,
        name: str,
        runtime: ModelRuntime,
        references: _References,
        start: datetime,
        length: timedelta,
        until: datetime,
    ) -> int:
        features, meta = self.store.window(name, start, start + length)
        if meta.num_rows == 0:
            return 0  # no events: a quiet window, evaluated by _quiet_windows
        ids = meta.column("id").combine_chunks()
        reference, why = references.at(start + length)
        labels = self.store.labels_for(name, ids)
        result = evaluate_window(
            name,
            runtime.config,
            reference,
            (start, start + length),
            features,
            meta,
            labels,
            self.store.outcomes_for(name, ids),
            until,
            duration=duration_label(length),
        )
        found = with_reference_performance(
            _without_reference(result.samples, why), runtime.reference_performance
        )
        if runtime.insight is not None and why is None:
            scope = Scope(name, start, start + length, {"window": duration_label(length)})
            found += insight_samples(runtime.insight, scope, features, meta, labels, found)
        self.store.write_samples(found)
        self.last_samples.extend(found)
        return len(found)

    def _quiet_windows(
        self,
        history: HistoryStore,
        name: str,
        runtime: ModelRuntime,
        references: _References,
        lengths: list[timedelta],
        until: datetime,
    ) -> tuple[int, int]:
        """Evaluate the closed windows without events since each length's watermark; returns
        (windows, samples)."""
        retention = parse_duration(runtime.config.retention, f"models.{name}.retention")
        first: datetime | None = None
        empty: _EmptyWindow | None = None
        found: list[MetricSample] = []
        windows = 0
        for length in lengths:
            key = f"evaluated/{duration_label(length)}"
            stored = history.watermark(name, key)
            mark = stored
            if mark is None:
                first = first or history.first_prediction(name)
                if first is None:
                    return 0, 0  # never had traffic: nothing to report
                mark = window_start(first, length)
            end = window_start(until, length)  # the end of the latest closed window
            begin = max(mark, window_start(until - retention, length))
            if begin < end:
                busy = history.windows_with_events(name, length, begin, end)
                starts = [begin + i * length for i in range((end - begin) // length)]
                starts = [start for start in starts if start not in busy]
                if starts:
                    empty = empty or _EmptyWindow.of(self.store, name, until)
                    for start in starts:
                        found += empty.samples(name, runtime, references, start, length, until)
                    windows += len(starts)
            if stored is None or max(mark, end) > stored:
                history.set_watermark(name, key, max(mark, end))
        self.store.write_samples(found)
        self.last_samples.extend(found)
        return windows, len(found)

    def _learn_reference(
        self, name: str, runtime: ModelRuntime, shortest: timedelta, until: datetime
    ) -> ModelRuntime:
        """Learn the model's production reference once its period has ended (see the module
        docstring); the runtime to evaluate with."""
        period = runtime.config.production_period(f"models.{name}")
        path = runtime.learned_path
        if runtime.full_reference is not None or period is None or path is None:
            return runtime
        if self.history is None:
            return runtime
        first = self.history.first_prediction(name)
        if first is None:
            return runtime
        start = window_start(first, shortest)
        end = start + period
        if end > until:
            return runtime
        features, meta = self.store.window(name, start, end)
        labels = self.store.labels_for(name, meta.column("id").combine_chunks())
        whole = learn_reference(runtime.config, features, meta, labels)
        # the period first: a crash before the file is written learns the same period again
        self.history.set_watermark(name, REFERENCE_END, end)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_profile(whole, path)
        runtime = with_reference(runtime, whole)
        self.runtimes[name] = runtime
        return runtime

    def _reference_end(self, name: str, runtime: ModelRuntime) -> datetime | None:
        if runtime.learned_path is None or self.history is None:
            return None
        return self.history.watermark(name, REFERENCE_END)


class _References:
    """Which reference a window is compared with, and why it has none when it has none."""

    def __init__(self, runtime: ModelRuntime, learned_until: datetime | None) -> None:
        self.runtime = runtime
        self.learned_until = learned_until
        self._empty: DatasetProfile | None = None

    def at(self, end: datetime) -> tuple[DatasetProfile, str | None]:
        """The reference of the window ending at ``end``; with a reason when it is a stand-in."""
        full = self.runtime.full_reference
        if full is None:
            why = "the reference is not learned from production yet"
        elif self.learned_until is not None and end <= self.learned_until:
            why = "the window is part of the reference learned from production"
        else:
            return full, None
        if self._empty is None:
            self._empty = empty_reference(self.runtime.config)
        return self._empty, why


def _without_reference(samples: tuple[MetricSample, ...], why: str | None) -> list[MetricSample]:
    """Without a reference drift and unseen categories cannot be judged: insufficient_data."""
    if why is None:
        return list(samples)
    return [
        replace(
            s, value=float("nan"), status=Status.INSUFFICIENT, details={**s.details, "reason": why}
        )
        if s.labels.get("monitor") == "drift" or s.name == "unseen_category_share"
        else s
        for s in samples
    ]


@dataclass
class _EmptyWindow:
    """Empty tables in the store's layout, and the samples of an empty window per length and
    reference: computed once, then stamped with each quiet window's bounds."""

    features: pa.Table
    meta: pa.Table
    labels: pa.Table
    outcomes: pa.Table
    _done: dict[tuple[timedelta, int], tuple[MetricSample, ...]]

    @classmethod
    def of(cls, store: WindowStore, name: str, until: datetime) -> _EmptyWindow:
        features, meta = store.window(name, until, until)
        ids = pa.array([], pa.string())
        return cls(features, meta, store.labels_for(name, ids), store.outcomes_for(name, ids), {})

    def samples(
        self,
        name: str,
        runtime: ModelRuntime,
        references: _References,
        start: datetime,
        length: timedelta,
        until: datetime,
    ) -> list[MetricSample]:
        end = start + length
        reference, why = references.at(end)
        key = (length, id(reference))
        if key not in self._done:
            result = evaluate_window(
                name,
                runtime.config,
                reference,
                (start, end),
                self.features,
                self.meta,
                self.labels,
                self.outcomes,
                until,
                duration=duration_label(length),
            )
            self._done[key] = tuple(_without_reference(result.samples, why))
        return [
            MetricSample(s.model, s.name, s.labels, start, end, s.value, s.status, s.details)
            for s in self._done[key]
        ]
