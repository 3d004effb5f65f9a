"""The service's own health as plain numbers: what the intake pipeline reports about itself.

The intake pipeline fills one :class:`ServiceHealth` per scrape or push; exporters render it
(Prometheus names are listed in :mod:`watchkeeper.export.prometheus`). Field names are a stable
contract: rename one only with a migration note in the README.

Counters (``*_total``) are cumulative since the process started and never decrease; gauges are
the value right now; ``*_duration_seconds`` fields hold the duration of the most recent run.

>>> from datetime import UTC, datetime
>>> health = ServiceHealth(up_since=datetime(2026, 1, 1, tzinfo=UTC),
...                        events_accepted_total={"predictions": 120, "labels": 30})
>>> health.accepted_events, health.events_rejected_total
(150, 0)
>>> ServiceHealth(up_since=datetime(2026, 1, 1, tzinfo=UTC), events_rejected_total=-1)
Traceback (most recent call last):
...
ValueError: events_rejected_total must be a finite number >= 0 (got -1)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# kinds of accepted events, as in the HTTP API paths; other kinds are allowed and exported too
EVENT_KINDS = ("predictions", "labels", "outcomes")
# where events can be dropped before they are durable
DROP_SOURCES = ("sdk", "intake")


@dataclass(frozen=True)
class ServiceHealth:
    """One reading of the service's health.

    Fields (counters are cumulative since ``up_since``):

    - ``up_since``: when the process started serving (timezone-aware).
    - ``events_accepted_total``: events acknowledged as durable, by kind (``predictions``,
      ``labels``, ``outcomes``).
    - ``events_rejected_total``: events refused with a 4xx (bad record or field).
    - ``drops_total``: events lost before they became durable, by source: ``sdk`` (the SDK's
      bounded in-process buffer overflowed) and ``intake`` (the server shed load).
    - ``ingest_queue_depth``: acknowledged events waiting to be applied to the store.
    - ``wal_lag_frames``: frames written to the durable event log and not yet applied.
    - ``wal_lag_seconds``: age of the oldest frame not yet applied (0 when caught up).
    - ``apply_duration_seconds``: how long the last batch took to apply to the store.
    - ``evaluation_duration_seconds``: how long the last evaluation tick took.
    - ``evaluations_total``: evaluation ticks completed.
    - ``store_bytes``: size of the embedded store on disk.
    - ``alerts_firing``: firing alerts by severity (alerting on).
    - ``notifications_total``: outbox delivery attempts by result (``delivered``,
      ``retried``: failed and queued again, ``failed``: failed for good).
    - ``outbox_pending``: notifications waiting for delivery.
    - ``alerting_duration_seconds``: how long the last alerting tick took.
    """

    up_since: datetime
    events_accepted_total: Mapping[str, int] = field(default_factory=dict)
    events_rejected_total: int = 0
    drops_total: Mapping[str, int] = field(default_factory=dict)
    ingest_queue_depth: int = 0
    wal_lag_frames: int = 0
    wal_lag_seconds: float = 0.0
    apply_duration_seconds: float = 0.0
    evaluation_duration_seconds: float = 0.0
    evaluations_total: int = 0
    store_bytes: int = 0
    alerts_firing: Mapping[str, int] = field(default_factory=dict)
    notifications_total: Mapping[str, int] = field(default_factory=dict)
    outbox_pending: int = 0
    alerting_duration_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.up_since.tzinfo is None:
            raise ValueError(f"up_since must be timezone-aware (got {self.up_since!r})")
        for name in _SCALARS:
            _check_count(name, getattr(self, name))
        for name in ("events_accepted_total", "drops_total", "alerts_firing",
                     "notifications_total"):
            for key, value in getattr(self, name).items():
                _check_count(f"{name}[{key!r}]", value)

    @property
    def accepted_events(self) -> int:
        """Accepted events of every kind."""
        return sum(self.events_accepted_total.values())



_SCALARS = (
    "events_rejected_total",
    "ingest_queue_depth",
    "wal_lag_frames",
    "wal_lag_seconds",
    "apply_duration_seconds",
    "evaluation_duration_seconds",
    "evaluations_total",
    "store_bytes",
    "outbox_pending",
    "alerting_duration_seconds",
)


def _check_count(name: str, value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"{name} must be a finite number >= 0 (got {value!r})")


@dataclass(frozen=True)
class HealthMetric:
    """How one field of :class:`ServiceHealth` is exported."""

    name: str  # exported name without the ``watchkeeper`` prefix
    kind: Literal["counter", "gauge"]
    help: str
    attribute: str  # the ServiceHealth field
    label: str | None = None  # for a mapping field: the label holding its keys


HEALTH_METRICS = (
    HealthMetric("start_time_seconds", "gauge", "When the service started, Unix seconds.",
                 "up_since"),
    HealthMetric("events_accepted_total", "counter", "Events acknowledged as durable.",
                 "events_accepted_total", "kind"),
    HealthMetric("events_rejected_total", "counter", "Events refused with a 4xx.",
                 "events_rejected_total"),
    HealthMetric("events_dropped_total", "counter",
                 "Events lost before they became durable (SDK buffer full, intake shedding).",
                 "drops_total", "source"),
    HealthMetric("ingest_queue_depth", "gauge",
                 "Acknowledged events waiting to be applied to the store.", "ingest_queue_depth"),
    HealthMetric("wal_lag_frames", "gauge", "Event-log frames written and not yet applied.",
                 "wal_lag_frames"),
    HealthMetric("wal_lag_seconds", "gauge", "Age of the oldest event-log frame not yet applied.",
                 "wal_lag_seconds"),
    HealthMetric("apply_duration_seconds", "gauge",
                 "Duration of the last batch applied to the store.", "apply_duration_seconds"),
    HealthMetric("evaluation_duration_seconds", "gauge", "Duration of the last evaluation tick.",
                 "evaluation_duration_seconds"),
    HealthMetric("evaluations_total", "counter", "Evaluation ticks completed.",
                 "evaluations_total"),
    HealthMetric("store_bytes", "gauge", "Size of the embedded store on disk.", "store_bytes"),
    HealthMetric("alerts_firing", "gauge", "Firing alerts by severity.", "alerts_firing",
                 "severity"),
    HealthMetric("notifications_total", "counter",
                 "Notification delivery attempts by result (delivered, retried, failed).",
                 "notifications_total", "result"),
    HealthMetric("outbox_pending", "gauge", "Notifications waiting for delivery.",
                 "outbox_pending"),
    HealthMetric("alerting_duration_seconds", "gauge", "Duration of the last alerting tick.",
                 "alerting_duration_seconds"),
)


def health_readings(
    health: ServiceHealth,
) -> Iterator[tuple[HealthMetric, tuple[tuple[str, str], ...], float]]:
    """Every exported health value with its labels, in :data:`HEALTH_METRICS` order.

    >>> from datetime import UTC, datetime
    >>> health = ServiceHealth(up_since=datetime(2026, 1, 1, tzinfo=UTC), store_bytes=4096,
    ...                        drops_total={"sdk": 3})
    >>> [(m.name, labels, value) for m, labels, value in health_readings(health)][1:3]
    [('events_rejected_total', (), 0.0), ('events_dropped_total', (('source', 'sdk'),), 3.0)]
    """
    for metric in HEALTH_METRICS:
        value = getattr(health, metric.attribute)
        if isinstance(value, datetime):
            yield metric, (), value.timestamp()
        elif metric.label is not None:
            for key, count in sorted(value.items()):
                yield metric, ((metric.label, str(key)),), float(count)
        else:
            yield metric, (), float(value)
