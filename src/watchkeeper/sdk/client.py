"""``watchkeeper.Client``: log predictions, labels and outcomes from a serving process.

A ``log_*`` call only appends a tuple to a bounded deque and returns (well under a
microsecond); it never blocks on the network and never raises. One daemon thread batches,
encodes and posts.

>>> import httpx
>>> bodies = []
>>> def service(request):
...     bodies.append(request.content)
...     return httpx.Response(202, json={"accepted": 1})
>>> client = Client("http://wk", transport=httpx.MockTransport(service), clock=lambda: 1767225600.0)
>>> client.log_prediction("credit", "r1", {"age": 42}, 0.91)
>>> client.log_label("credit", "r1", {"not": "hashable"}, timestamp=object())  # counted, not raised
>>> client.close()
True
>>> bodies
[b'[{"id":"r1","features":{"age":42},"prediction":0.91,"timestamp":1767225600.0}]']
>>> client.stats.sent, client.stats.dropped_rejected
(1, 1)
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import random
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from typing import Any

import httpx

from watchkeeper.errors import ConfigError
from watchkeeper.sdk.delivery import RetryPolicy
from watchkeeper.sdk.records import Kind
from watchkeeper.sdk.sender import Sender, SenderSettings

_PREDICTIONS, _LABELS, _OUTCOMES = Kind.PREDICTIONS, Kind.LABELS, Kind.OUTCOMES


@dataclass(frozen=True)
class ClientStats:
    """Counts of records since the client started (``queued``: waiting to be sent now).

    Every logged record is eventually counted once in ``sent`` or a ``dropped_*`` field:
    ``dropped_full`` when the queue was full (or the client closed), ``dropped_rejected`` for bad
    arguments and batches the service refused with a 4xx, ``dropped_failed`` for batches still
    failing after the last retry. ``last_error`` says why the latest record was dropped.
    """

    queued: int
    sent: int
    dropped_full: int
    dropped_rejected: int
    dropped_failed: int
    retries: int
    last_error: str | None


class _Tally:
    """A counter any thread bumps without a lock: ``next()`` on ``itertools.count`` is atomic."""

    def __init__(self) -> None:
        self._count = itertools.count()
        self.bump: Callable[[], int] = self._count.__next__
        self._reads = 0
        self._lock = threading.Lock()

    def value(self) -> int:
        with self._lock:  # reading costs one bump; subtract every bump made by reading
            seen = next(self._count) - self._reads
            self._reads += 1
            return seen


class Client:
    """Send predictions, labels and business outcomes of ``model`` to a watchkeeper service."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        batch_size: int = 100,
        flush_interval: float = 1.0,
        max_queue: int = 100_000,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] | None = None,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
        exit_timeout: float = 10.0,
    ) -> None:
        _check_settings(url, token, batch_size, flush_interval, max_queue, timeout, exit_timeout)
        self._queue: deque[tuple[Any, ...]] = deque()
        self._limit = max_queue
        self._clock = clock or time.time
        self._full, self._broken = _Tally(), _Tally()
        self._closed = False
        headers = {"User-Agent": f"watchkeeper-python/{_version()}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        make_http = functools.partial(
            httpx.Client, headers=headers, timeout=timeout, transport=transport
        )
        poll = min(0.05, max(flush_interval / 4, 0.001))
        settings = SenderSettings(
            url, batch_size, flush_interval, retry or RetryPolicy(), poll, exit_timeout
        )
        self._sender = Sender(self._queue, make_http, settings, self._clock, rng or random.Random())
        _SENDERS.add(self._sender)
        # The sender registers itself with atexit: only it, never the client, is held there. A
        # collected client asks its sender to deliver what is queued and stop, without waiting.
        self._finalizer = weakref.finalize(self, self._sender.stop_soon)
        self._finalizer.atexit = False

    def log_prediction(
        self,
        model: str,
        id: str | int,
        features: Mapping[str, Any],
        prediction: Any,
        *,
        timestamp: float | datetime | str | None = None,
        scores: Any = None,
        latency_ms: float | None = None,
        model_version: str | None = None,
        segment: Mapping[str, str] | None = None,
        error: str | None = None,
    ) -> None:
        """Queue one prediction; ``timestamp`` defaults to now (epoch seconds of ``clock``)."""
        try:
            if len(self._queue) < self._limit:
                if type(features) is dict:  # the caller may reuse its dict for the next call
                    features = features.copy()
                if timestamp is None:
                    timestamp = self._clock()
                self._queue.append(
                    (
                        _PREDICTIONS,
                        model,
                        timestamp,
                        id,
                        features,
                        prediction,
                        scores,
                        latency_ms,
                        model_version,
                        segment,
                        error,
                    )
                )
            else:
                self._full.bump()
        except Exception:  # only a failing clock can get here; count it, never raise it
            self._broken.bump()

    def log_label(
        self,
        model: str,
        id: str | int,
        label: Any,
        *,
        timestamp: float | datetime | str | None = None,
    ) -> None:
        """Queue the ground truth of prediction ``id`` (joined to it by the service)."""
        try:
            if len(self._queue) < self._limit:
                if timestamp is None:
                    timestamp = self._clock()
                self._queue.append((_LABELS, model, timestamp, id, label))
            else:
                self._full.bump()
        except Exception:  # only a failing clock can get here; count it, never raise it
            self._broken.bump()

    def log_outcome(
        self,
        model: str,
        id: str | int,
        name: str,
        value: float | bool,
        *,
        timestamp: float | datetime | str | None = None,
    ) -> None:
        """Queue a business outcome ``name`` = ``value`` of prediction ``id``."""
        try:
            if len(self._queue) < self._limit:
                if timestamp is None:
                    timestamp = self._clock()
                self._queue.append((_OUTCOMES, model, timestamp, id, name, value))
            else:
                self._full.bump()
        except Exception:  # only a failing clock can get here; count it, never raise it
            self._broken.bump()

    @property
    def stats(self) -> ClientStats:
        sender = self._sender
        return ClientStats(
            queued=sender.queued(),
            sent=sender.sent,
            dropped_full=self._full.value(),
            dropped_rejected=sender.rejected + self._broken.value(),
            dropped_failed=sender.failed,
            retries=sender.retries,
            last_error=sender.last_error,
        )

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Send everything queued now; True once all is sent or dropped, False on timeout."""
        if self._closed or not self._sender.alive:
            return self._sender.idle
        return self._sender.flush(timeout)

    def close(self, timeout: float | None = 10.0) -> bool:
        """Deliver what is queued and stop the sender; later ``log_*`` calls are dropped."""
        if not self._closed:
            self._closed = True
            self._limit = 0
            self._finalizer.detach()
            _SENDERS.discard(self._sender)
        return self._sender.stop(timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_SENDERS: weakref.WeakSet[Sender] = weakref.WeakSet()


def _restart_senders_in_child() -> None:
    # a forked worker (gunicorn --preload, multiprocessing) gets no threads: give each open
    # client its own sender there, with fresh jitter so workers do not retry in lockstep
    for sender in list(_SENDERS):
        if not sender.stopping:
            sender.restart_after_fork()


os.register_at_fork(after_in_child=_restart_senders_in_child)


def _version() -> str:
    try:
        return metadata.version("watchkeeper")
    except metadata.PackageNotFoundError:
        return "dev"


def _check_settings(
    url: Any,
    token: Any,
    batch_size: Any,
    flush_interval: Any,
    max_queue: Any,
    timeout: Any,
    exit_timeout: Any,
) -> None:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigError("url", url, "must be an http:// or https:// URL of the service")
    if token is not None and not isinstance(token, str):
        raise ConfigError("token", "<hidden>", "must be a string")
    for key, value, low in (("batch_size", batch_size, 1), ("max_queue", max_queue, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ConfigError(key, value, f"must be an integer >= {low}")
    for key, value in (
        ("flush_interval", flush_interval),
        ("timeout", timeout),
        ("exit_timeout", exit_timeout),
    ):
        if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise ConfigError(key, value, "must be a finite number of seconds >= 0")
    if timeout == 0:
        raise ConfigError("timeout", timeout, "must be more than 0 seconds")
