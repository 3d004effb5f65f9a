"""Deliver the outbox: each queued notification to its receiver integration, with retries.

A failed delivery that may succeed later (connection refused, timeouts, HTTP 429 / 5xx) is
retried with exponential backoff (1 s, 2 s, 4 s ... at most ``max_backoff``) for as long as it
takes: an outage delays notifications, never loses them. A delivery that cannot succeed (the
vendor rejected the request, the receiver is gone from the config) is marked failed and kept,
visible in ``GET /v1/notifications`` and counted in ``/metrics``. Notifications of one group
to one integration go out in order: a resolve never overtakes its trigger.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from watchkeeper.alerting.model import Delivery, Notifier
from watchkeeper.store.alert_ledger import AlertLedger, OutboxItem

Clock = Callable[[], datetime]
Listener = Callable[[OutboxItem, Delivery, datetime], None]


def backoff(attempts: int, limit: timedelta) -> timedelta:
    """Wait before the next attempt after ``attempts`` failures.

    >>> [backoff(n, timedelta(seconds=30)).seconds for n in (1, 2, 3, 6, 20)]
    [1, 2, 4, 30, 30]
    """
    return min(limit, timedelta(seconds=2 ** min(attempts - 1, 30)))


@dataclass
class DeliveryCounts:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    by_integration: dict[str, int] = field(default_factory=dict)


class Courier:
    """Sends due outbox rows; ``run_once`` is one pass, ``start`` a background loop."""

    def __init__(
        self,
        ledger: AlertLedger,
        notifiers: Mapping[str, Mapping[str, Notifier]],  # receiver -> integration -> notifier
        clock: Clock,
        *,
        listener: Listener | None = None,
        max_backoff: timedelta = timedelta(minutes=5),
        poll: float = 0.2,
    ) -> None:
        self.ledger = ledger
        self.notifiers = notifiers
        self.clock = clock
        self.listener = listener
        self.max_backoff = max_backoff
        self.poll = poll
        self.counts = DeliveryCounts()
        self.last_error: str | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-courier", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def wake(self) -> None:
        self._wake.set()

    def run_once(self) -> int:
        """Attempt every due row once; returns how many were delivered."""
        delivered = 0
        blocked: set[tuple[str, str, str]] = set()
        for item in self.ledger.outbox(pending_only=True):
            key = (item.receiver, item.integration, item.group_key)
            now = self.clock()
            if key in blocked or item.due_at > now:
                blocked.add(key)  # later rows of this group wait for this one
                continue
            result = self._send(item)
            if result.ok:
                self.ledger.delivered(item.id, now, result.detail)
                self.counts.delivered += 1
                delivered += 1
            elif result.retryable:
                due = now + backoff(item.attempts + 1, self.max_backoff)
                self.ledger.retry(item.id, due, result.detail)
                self.counts.retried += 1
                blocked.add(key)
            else:
                self.ledger.failed(item.id, now, result.detail)
                self.counts.failed += 1
            if self.listener is not None:
                self.listener(item, result, now)
        return delivered

    def _send(self, item: OutboxItem) -> Delivery:
        notifier = self.notifiers.get(item.receiver, {}).get(item.integration)
        if notifier is None:
            return Delivery(
                False,
                f"receiver {item.receiver!r} has no {item.integration} integration any more",
                retryable=False,
            )
        try:
            return notifier.send(item.notification)
        except Exception as exc:  # a notifier bug must not stop the outbox
            return Delivery(False, f"{type(exc).__name__}: {exc}", retryable=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
                self.last_error = None
            except Exception as exc:  # e.g. the store is closing; tried again next poll
                self.last_error = f"{type(exc).__name__}: {exc}"
            self._wake.wait(self.poll)
            self._wake.clear()
