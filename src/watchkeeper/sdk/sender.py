"""The SDK's one background thread: drains the queue into batches per (model, kind) and posts them.

It holds no reference to the :class:`~watchkeeper.sdk.Client`, so a client nobody uses any more
can be garbage-collected; its finalizer then asks the sender to deliver what is left and stop.
While the thread runs, the sender is registered with atexit, so what is queued when the
interpreter exits is delivered first (within ``exit_timeout``). Its counters are written only
by this thread.
"""

from __future__ import annotations

import atexit
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from watchkeeper.sdk.delivery import RetryPolicy, Verdict, deliver, endpoint
from watchkeeper.sdk.records import Kind, encode_batch

Clock = Callable[[], float]


@dataclass
class _Batch:
    started: float  # clock time of its first record
    records: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class SenderSettings:
    url: str
    batch_size: int
    flush_interval: float
    policy: RetryPolicy
    poll: float  # longest sleep while the queue is empty
    exit_timeout: float  # longest wait at interpreter exit for the queue to be delivered


class Sender:
    """Batches raw records from ``queue`` and delivers them until stopped."""

    def __init__(
        self,
        queue: deque[tuple[Any, ...]],
        make_http: Callable[[], httpx.Client],
        settings: SenderSettings,
        clock: Clock,
        rng: random.Random,
    ) -> None:
        self.queue = queue
        self._make_http = make_http
        self._settings = settings
        self._clock = clock
        self._rng = rng
        self.sent = self.rejected = self.failed = self.retries = 0
        self.last_error: str | None = None
        self._start()

    def _start(self) -> None:
        self._pending: dict[tuple[Any, Kind], _Batch] = {}
        self.holding = 0  # records taken off the queue and not yet sent, rejected or given up
        self._changed = threading.Condition()
        self._wake = threading.Event()
        self._abort = threading.Event()
        self._flushing = 0  # callers waiting in flush()
        self._stopping = False
        self._http = self._make_http()
        self._thread = threading.Thread(target=self._run, name="watchkeeper-sender", daemon=True)
        atexit.register(self.stop_at_exit)
        self._thread.start()

    def restart_after_fork(self) -> None:
        """In a forked child: the parent's thread is gone and its queue is the parent's to send."""
        self.queue.clear()
        self._rng.seed()
        self._start()  # the parent's connections are left alone: they are not ours to close

    @property
    def idle(self) -> bool:
        return not self.queue and self.holding == 0

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def flush(self, timeout: float | None) -> bool:
        """Send partial batches now; wait until nothing is queued or held, or ``timeout``."""
        with self._changed:
            self._flushing += 1
            self._wake.set()
            try:
                self._changed.wait_for(lambda: self.idle or not self.alive, timeout)
                return self.idle
            finally:
                self._flushing -= 1

    def stop_soon(self) -> None:
        """Deliver what is queued, then end the thread; returns at once."""
        self._stopping = True
        self._wake.set()

    def stop(self, timeout: float | None) -> bool:
        """Deliver what is queued and end the thread, waiting at most ``timeout``.

        Past the timeout, retries are abandoned and True/False says whether all was delivered.
        """
        self.stop_soon()
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._abort.set()
            return False
        return self.idle

    def stop_at_exit(self) -> None:
        """Registered with atexit while the thread runs (it unregisters itself when it ends)."""
        self.stop(self._settings.exit_timeout)

    def _run(self) -> None:
        try:
            while not (self._stopping and self.idle):
                self._wake.clear()  # a wake-up from here on ends the next wait at once
                try:
                    took = self._take()
                    hurry = self._stopping or self._flushing > 0
                    self._send_due(force=hurry)
                except Exception as exc:  # a bug must not silence the client for good
                    took, hurry = 0, False
                    self.last_error = f"sender: {type(exc).__name__}: {exc}"
                if self._flushing or self._stopping:
                    with self._changed:
                        self._changed.notify_all()
                if not took and (not hurry or self.idle):
                    self._wake.wait(self._settings.poll)
        finally:
            atexit.unregister(self.stop_at_exit)
            self._http.close()
            with self._changed:
                self._changed.notify_all()

    def queued(self) -> int:
        with self._changed:
            return len(self.queue) + self.holding

    def _take(self) -> int:
        """Move up to a few batches' worth of records from the queue into per-key batches."""
        queue, size = self.queue, self._settings.batch_size
        with self._changed:  # popped and counted as held at once, as flush() sees it
            taken = [queue.popleft() for _ in range(min(len(queue), 10 * size))]
            self.holding += len(taken)
        for record in taken:
            try:
                key = (record[1], record[0])
                batch = self._pending.get(key)
                if batch is None:
                    batch = self._pending[key] = _Batch(self._now())
            except TypeError:  # an unhashable model name: reject the record on its own
                self._count_bad(1, f"model: must be a non-empty string (got {record[1]!r:.80})")
                self.holding -= 1
                continue
            batch.records.append(record)
            if len(batch.records) >= size:
                del self._pending[key]
                self._post(key[1], key[0], batch.records)
        return len(taken)

    def _now(self) -> float:
        try:
            return float(self._clock())
        except Exception:  # a broken injected clock: fall back to the system's
            return time.time()

    def _send_due(self, force: bool) -> None:
        now = self._now()
        interval = self._settings.flush_interval
        for key, batch in list(self._pending.items()):
            # a clock that went backwards makes every batch due rather than none
            if force or now - batch.started >= interval or now < batch.started:
                del self._pending[key]
                self._post(key[1], key[0], batch.records)

    def _post(self, kind: Kind, model: Any, records: list[tuple[Any, ...]]) -> None:
        try:
            if not isinstance(model, str) or not model:
                self._count_bad(len(records), f"model: must be a non-empty string (got {model!r})")
                return
            encoded = encode_batch(records)
            if encoded.rejected:
                self._count_bad(encoded.rejected, encoded.first_error)
            if encoded.count:
                url = endpoint(self._settings.url, model, kind)
                self._deliver(url, encoded.body, encoded.count)
        except Exception as exc:  # never let one batch end the thread
            self._count_bad(len(records), f"{type(exc).__name__}: {exc}")
        finally:
            self.holding -= len(records)

    def _deliver(self, url: str, body: bytes, count: int) -> None:
        result = deliver(
            self._http,
            url,
            body,
            self._settings.policy,
            self._rng,
            pause=lambda seconds: not self._abort.wait(seconds),
        )
        self.retries += result.retries
        if result.outcome is Verdict.DELIVERED:
            self.sent += count
            return
        self.last_error = result.reason
        if result.outcome is Verdict.REJECTED:
            self.rejected += count
        else:
            self.failed += count

    def _count_bad(self, count: int, reason: str | None) -> None:
        self.rejected += count
        self.last_error = reason
