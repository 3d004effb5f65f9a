"""Alertmanager: forward the alerts to an existing Alertmanager (``POST {url}/api/v2/alerts``).

Each alert of the notification becomes one postable alert: ``labels`` (which identify it to
Alertmanager), ``annotations``, ``startsAt``, ``endsAt`` and ``generatorURL`` (watchkeeper's
external URL, when set). Alertmanager then does its own grouping, silencing and routing.

``endsAt`` follows Alertmanager's API semantics: an alert whose ``endsAt`` has passed is
resolved, and an alert posted without one is resolved ``resolve_timeout`` (5 minutes by
default) after it was last posted, unless posted again. watchkeeper re-sends a firing group
only every ``repeat_interval`` (4 hours by default), so a firing alert is sent with ``endsAt``
= now + ``horizon`` (:data:`HORIZON`, 16 hours: four times the default ``repeat_interval``,
the factor Prometheus uses for its own re-sends), which keeps it active between re-sends and
lets it expire on its own should watchkeeper stop sending. A resolved alert is sent with its
own end time (now, when it has none), which resolves it at once.

Alertmanager accepts only label and annotation names like ``[a-zA-Z_][a-zA-Z0-9_]*``: other
characters become ``_``. Labels with an empty value are left out (Alertmanager, like
Prometheus, treats them as absent). ``200`` is a delivery; ``400`` (an alert it rejects) is not
retried.

>>> from datetime import UTC, datetime, timedelta
>>> from watchkeeper.alerting.model import Alert, AlertStatus, Notification
>>> at = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> a = Alert({"alertname": "FeatureDrift", "severity": "warning", "feature.name": "age"},
...           {"summary": "age drifted"}, AlertStatus.FIRING, at, at)
>>> [posted] = payload(Notification("am", "g", {}, (a,)), now=at, horizon=timedelta(hours=1))
>>> posted["labels"]["feature_name"], posted["startsAt"], posted["endsAt"]
('age', '2026-03-01T12:00:00Z', '2026-03-01T13:00:00Z')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx

from watchkeeper.alerting.config import AlertmanagerReceiver
from watchkeeper.alerting.model import Alert, AlertStatus, Clock, Delivery, Notification, iso
from watchkeeper.notify.common import Setup, post_json, utc_now

HORIZON = timedelta(hours=16)
_INVALID = re.compile(r"[^a-zA-Z0-9_]")


def label_name(name: str) -> str:
    """A name Alertmanager accepts.

    >>> label_name("feature.name"), label_name("9lives")
    ('feature_name', '_9lives')
    """
    name = _INVALID.sub("_", name) or "_"
    return f"_{name}" if name[0].isdigit() else name


def _names(pairs: Mapping[str, str]) -> dict[str, str]:
    return {label_name(k): v for k, v in pairs.items() if v != ""}


def postable(
    alert: Alert, *, now: datetime, horizon: timedelta, generator_url: str = ""
) -> dict[str, Any]:
    """One alert in Alertmanager's API v2 ``postableAlert`` form."""
    if alert.status is AlertStatus.RESOLVED:
        ends = max(alert.ends_at or now, alert.starts_at)
    else:
        ends = now + horizon
    body: dict[str, Any] = {
        "labels": _names(alert.labels),
        "annotations": _names(alert.annotations),
        "startsAt": iso(alert.starts_at),
        "endsAt": iso(ends),
    }
    if generator_url:
        body["generatorURL"] = generator_url
    return body


def payload(
    notification: Notification, *, now: datetime, horizon: timedelta = HORIZON
) -> list[dict[str, Any]]:
    """The request body: every alert of the notification, as of ``now``."""
    return [
        postable(a, now=now, horizon=horizon, generator_url=notification.external_url)
        for a in notification.alerts
    ]


@dataclass(frozen=True)
class AlertmanagerNotifier:
    kind: ClassVar[str] = "alertmanager"

    url: str  # the Alertmanager base URL, e.g. http://127.0.0.1:9093
    horizon: timedelta = HORIZON
    timeout: float = 10.0
    transport: httpx.BaseTransport | None = None
    clock: Clock = field(default=utc_now)

    def send(self, notification: Notification) -> Delivery:
        body = payload(notification, now=self.clock(), horizon=self.horizon)
        endpoint = f"{self.url.rstrip('/')}/api/v2/alerts"
        return post_json(endpoint, body, timeout=self.timeout, transport=self.transport)


def from_config(spec: AlertmanagerReceiver, setup: Setup) -> AlertmanagerNotifier:
    return AlertmanagerNotifier(
        url=spec.url,
        timeout=setup.timeout(spec.timeout),
        transport=setup.http_transport,
        clock=setup.clock,
    )
