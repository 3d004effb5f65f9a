"""The intake: validate -> append to the log (durable) -> acknowledge; apply to the store behind.

``submit`` returns only after the batch's log frame is fsync'd, so an acknowledged event
survives kill -9. The log's writer hands every durable frame, in log order, to an applier
thread that inserts them into the store in groups (every ``apply_interval`` seconds or
``apply_max_events`` events) and moves the checkpoint in the same transaction. On
:meth:`Intake.start` the frames after the store's checkpoint are replayed first; ``drain``
stops intake, writes and applies everything queued, and closes the log.

Time: event defaults and lag use the injected clock; the applier's timers use a monotonic
clock (they measure waiting, not event time).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from watchkeeper.errors import ConfigError, WatchkeeperError
from watchkeeper.ingest import payload as frames
from watchkeeper.ingest.layout import Kind
from watchkeeper.ingest.records import BatchDecoder, ValidationFailed
from watchkeeper.ingest.wal import Frame, WalError, WriteAheadLog
from watchkeeper.schema import Schema
from watchkeeper.settings import ServiceConfig
from watchkeeper.store.duckdb_store import DuckDBStore

Clock = Callable[[], datetime]
LARGE_BODY_BYTES = 1024 * 1024


class UnknownModelError(WatchkeeperError):
    """The model is not configured."""


class UnavailableError(WatchkeeperError):
    """The intake cannot take events now (starting, draining, log failed, backlog full)."""


@dataclass(frozen=True)
class IntakeHealth:
    """The intake's numbers for the exporters (counters are since the process started)."""

    accepted: Mapping[str, int]  # events acknowledged as durable, by kind
    rejected_events: int  # records of batches refused as invalid
    rejected_batches: int
    shed_events: int  # valid events refused because the store fell too far behind
    extra_features: int  # feature values dropped because the schema does not know them
    applied_events: int
    queue_events: int  # acknowledged events not yet in the store
    lag_frames: int  # log frames not yet in the store
    lag_bytes: int
    lag_seconds: float  # age of the oldest acknowledged frame not yet in the store
    applied_offset: int
    log_end: int
    fsyncs: int
    apply_seconds: float  # duration of the last apply
    replay_done: bool
    last_error: str | None


class Intake:
    def __init__(
        self,
        config: ServiceConfig,
        store: DuckDBStore,
        wal: WriteAheadLog,
        clock: Clock,
        *,
        schemas: Mapping[str, Schema],
        apply_interval: float = 0.05,
        apply_max_events: int = 50_000,
        max_lag_bytes: int = 512 * 1024 * 1024,
    ) -> None:
        self.config = config
        self.store = store
        self.wal = wal
        self.clock = clock
        missing = sorted(set(config.models) - set(schemas))
        if missing:
            raise ConfigError(f"models.{missing[0]}", None, "no feature schema for this model")
        self.decoders = {
            name: BatchDecoder(
                model, schemas[name], forbid_unknown_features=model.unknown_features == "reject"
            )
            for name, model in config.models.items()
        }
        self._encoders = {
            (name, kind): frames.FrameEncoder(name, kind, decoder.schema_for(kind))
            for name, decoder in self.decoders.items()
            for kind in Kind
        }
        self.apply_interval = apply_interval
        self.apply_max_events = apply_max_events
        self.max_lag_bytes = max_lag_bytes
        self._pending: deque[tuple[Frame, datetime]] = deque()  # durable, not yet applied
        self._pending_rows = 0
        self._wake = threading.Condition()
        self._counts = dict.fromkeys(
            [
                *(k.value for k in Kind),
                "rejected_events",
                "rejected_batches",
                "shed_events",
                "extra_features",
                "applied_events",
            ],
            0,
        )
        self._counts_lock = threading.Lock()
        self._applied = store.applied_offset()
        self._last_apply = 0.0
        self._last_error: str | None = None
        self._ready = False
        self._closing = False
        self._thread = threading.Thread(target=self._apply_loop, name="intake-apply", daemon=True)
        wal.on_durable = self._on_durable

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Replay the log after the store's checkpoint, then start applying and accepting."""
        group: list[Frame] = []
        events = 0
        for frame in self.wal.replay(after=self._applied):
            group.append(frame)
            events += frames.rows(frame.payload)
            if events >= self.apply_max_events:
                self._apply(group)
                group, events = [], 0
        if group:
            self._apply(group)
        self.wal.checkpoint(self._applied)
        self._ready = True
        self._thread.start()

    @property
    def ready(self) -> bool:
        return self._ready and not self._closing and self.wal.failure is None

    def wait_applied(self, timeout: float = 10.0) -> bool:
        """Block until every event acknowledged so far is in the store (or ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(min(left, 0.02))
        return True

    def drain(self, timeout: float = 30.0) -> None:
        """Stop accepting, write and apply everything queued, close the log."""
        self._closing = True
        self.wal.close()
        with self._wake:
            self._wake.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    # -- intake -------------------------------------------------------------------------------

    async def submit(self, model: str, kind: Kind, body: bytes, *, ndjson: bool) -> int:
        """Validate and log one batch; returns the number of events once they are durable.

        Small bodies are decoded on the event loop (a thread hop costs more than the work);
        large ones in a worker thread, so the loop keeps answering meanwhile.
        """
        if len(body) > LARGE_BODY_BYTES:
            loop = asyncio.get_running_loop()
            payload, rows = await loop.run_in_executor(
                None, self._prepare, model, kind, body, ndjson
            )
        else:
            payload, rows = self._prepare(model, kind, body, ndjson)
        if rows:
            try:
                await self.wal.append_async(payload)
            except WalError as exc:
                raise UnavailableError(str(exc)) from None
            self._count(**{kind.value: rows})
        return rows

    def submit_sync(self, model: str, kind: Kind, body: bytes, *, ndjson: bool) -> int:
        """:meth:`submit` for callers outside an event loop (blocks until durable)."""
        payload, rows = self._prepare(model, kind, body, ndjson)
        if rows:
            try:
                self.wal.append(payload).result()
            except WalError as exc:
                raise UnavailableError(str(exc)) from None
            self._count(**{kind.value: rows})
        return rows

    def _prepare(self, model: str, kind: Kind, body: bytes, ndjson: bool) -> tuple[bytes, int]:
        decoder = self.decoders.get(model)
        if decoder is None:
            raise UnknownModelError(f"model {model!r} is not configured")
        if not self.ready:
            raise UnavailableError("the intake is not ready (starting, draining or the log failed)")
        try:
            decoded = decoder.decode(kind, body, ndjson=ndjson, now=self.clock())
        except ValidationFailed as exc:
            self._count(rejected_events=exc.records, rejected_batches=1)
            raise
        rows = decoded.batch.num_rows
        if self.wal.end - self._applied > self.max_lag_bytes:
            self._count(shed_events=rows)
            raise UnavailableError("the store is behind the log; retry shortly")
        if decoded.extra_features:
            self._count(extra_features=decoded.extra_features)
        return (self._encoders[model, kind].encode(decoded.batch) if rows else b""), rows

    def _count(self, **increments: int) -> None:
        with self._counts_lock:
            for key, value in increments.items():
                self._counts[key] += value

    # -- applying -----------------------------------------------------------------------------

    def _on_durable(self, durable: list[Frame]) -> None:
        now = self.clock()
        rows = sum(frames.rows(frame.payload) for frame in durable)
        with self._wake:
            self._pending.extend((frame, now) for frame in durable)
            self._pending_rows += rows
            self._wake.notify()

    def _apply_loop(self) -> None:
        backoff = self.apply_interval
        while True:
            group = self._next_group()
            if group is None:
                return
            if not group:
                continue
            try:
                self._apply(group)
                self.wal.checkpoint(self._applied)
                backoff = self.apply_interval
            except Exception as exc:  # the frames stay queued (and in the log): retried
                self._last_error = f"{type(exc).__name__}: {exc}"
                with self._wake:
                    if self._closing:
                        return
                    self._wake.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            with self._wake:
                for _ in group:
                    frame, _ = self._pending.popleft()
                    self._pending_rows -= frames.rows(frame.payload)

    def _next_group(self) -> list[Frame] | None:
        """Wait for frames, then up to apply_interval for more; None when drained."""
        with self._wake:
            while not self._pending:
                if self._closing:
                    return None
                self._wake.wait(0.5)
            deadline = time.monotonic() + self.apply_interval
            while not self._closing and self._pending_rows < self.apply_max_events:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._wake.wait(left)
            group: list[Frame] = []
            events = 0
            for frame, _ in self._pending:
                group.append(frame)
                events += frames.rows(frame.payload)
                if events >= self.apply_max_events:
                    break
            return group

    def _apply(self, group: list[Frame]) -> None:
        started = time.perf_counter()
        batches = [frames.decode(frame.payload) for frame in group]
        self.store.apply(batches, through=group[-1].end)
        self._applied = group[-1].end
        self._last_apply = time.perf_counter() - started
        self._count(applied_events=sum(b.rows for b in batches))

    def health(self) -> IntakeHealth:
        with self._wake:
            queued, queued_rows = len(self._pending), self._pending_rows
            oldest = self._pending[0][1] if self._pending else None
        with self._counts_lock:
            counts = dict(self._counts)
        stats = self.wal.stats()
        lag = (self.clock() - oldest).total_seconds() if oldest is not None else 0.0
        return IntakeHealth(
            accepted={kind.value: counts.pop(kind.value) for kind in Kind},
            **counts,
            queue_events=queued_rows,
            lag_frames=queued,
            lag_bytes=max(0, stats.end - self._applied),
            lag_seconds=max(0.0, lag),
            applied_offset=self._applied,
            log_end=stats.end,
            fsyncs=stats.fsyncs,
            apply_seconds=self._last_apply,
            replay_done=self._ready,
            last_error=self._last_error,
        )
