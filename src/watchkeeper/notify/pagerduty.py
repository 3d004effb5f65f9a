"""PagerDuty: Events API v2 (``POST https://events.pagerduty.com/v2/enqueue``).

One PagerDuty alert per notification group: ``dedup_key`` is :attr:`Notification.key`, the
same for the group's trigger, acknowledge and resolve. A firing group sends ``trigger`` with
the payload below; a resolved group sends ``resolve``; :meth:`PagerDutyNotifier.acknowledge`
sends ``acknowledge`` (called when a user acknowledges the group in watchkeeper: the
notification itself carries no acknowledgement). Resolve and acknowledge carry only the
routing key, dedup key and action, as PagerDuty reads nothing else from them.

The trigger payload: ``summary`` (the title and summary line, at most 1024 characters),
``source`` (the model, else ``watchkeeper``), ``severity`` (critical → critical, high → error,
warning → warning, info → info), ``timestamp`` (when the earliest firing alert started),
``component`` (the ``monitor`` label), ``group`` (the ``team`` label), ``class`` (the
alertname), and ``custom_details`` (description, group labels, folded count and the first
:data:`MAX_DETAILED` alerts); ``links`` go to the runbook and to watchkeeper. PagerDuty
answers ``202``; ``400`` is an invalid event (not retried); ``429`` and ``5xx`` are retried.

>>> from datetime import UTC, datetime
>>> from watchkeeper.alerting.model import Alert, AlertStatus, Notification
>>> at = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> a = Alert({"alertname": "LatencySpike", "severity": "high", "model": "credit"},
...           {"summary": "p99 latency 2.1s", "runbook_url": "https://runbooks/latency"},
...           AlertStatus.FIRING, at, at)
>>> n = Notification("oncall", "g", {"model": "credit"}, (a,))
>>> event = payload(n, "ROUTING-KEY")
>>> event["event_action"], event["dedup_key"] == n.key, event["payload"]["severity"]
('trigger', True, 'error')
>>> event["payload"]["summary"], event["links"][0]["href"]
('[FIRING:1] LatencySpike credit (high): p99 latency 2.1s', 'https://runbooks/latency')
>>> payload(n, "ROUTING-KEY", action="acknowledge")["event_action"]
'acknowledge'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import httpx

from watchkeeper.alerting.config import PagerDutyReceiver
from watchkeeper.alerting.model import Delivery, Notification, Severity, iso
from watchkeeper.notify.common import (
    SOURCE,
    Setup,
    description,
    firing,
    post_json,
    runbook_url,
    summary,
    title,
    truncate,
)

EventAction = Literal["trigger", "acknowledge", "resolve"]
SUMMARY_LIMIT = 1024
MAX_DETAILED = 20  # alerts copied into custom_details; PagerDuty caps an event at 512 KB
SEVERITY = {
    Severity.CRITICAL: "critical",
    Severity.HIGH: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "info",
}


def _links(notification: Notification) -> list[dict[str, str]]:
    links = [(runbook_url(notification), "Runbook"), (notification.external_url, "watchkeeper")]
    return [{"href": href, "text": text} for href, text in links if href]


def _details(notification: Notification) -> dict[str, Any]:
    alerts = sorted(notification.alerts, key=lambda a: a.status.value)  # firing first
    details: dict[str, Any] = {
        "description": description(notification),
        "group_labels": dict(notification.group_labels),
        "firing": len(firing(notification)),
        "resolved": len(notification.alerts) - len(firing(notification)),
        "alerts": [
            {
                "labels": dict(a.labels),
                "summary": a.annotations.get("summary", ""),
                "status": a.status.value,
                "starts_at": iso(a.starts_at),
                "value": None if a.value != a.value else a.value,
                "reason": a.reason,
            }
            for a in alerts[:MAX_DETAILED]
        ],
    }
    if len(alerts) > MAX_DETAILED:
        details["more_alerts"] = len(alerts) - MAX_DETAILED
    if notification.folded:
        details["folded"] = notification.folded
    return details


def payload(
    notification: Notification, routing_key: str, *, action: EventAction | None = None
) -> dict[str, Any]:
    """The Events API v2 body; ``action`` defaults to trigger (firing) or resolve."""
    action = action or ("trigger" if notification.status == "firing" else "resolve")
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": notification.key,
    }
    if action != "trigger":
        return event
    head, what = title(notification), summary(notification)
    labels = notification.common_labels
    started = min((a.starts_at for a in firing(notification) or notification.alerts), default=None)
    body: dict[str, Any] = {
        "summary": truncate(head if what == head else f"{head}: {what}", SUMMARY_LIMIT),
        "source": labels.get("model") or SOURCE,
        "severity": SEVERITY[notification.severity],
        "timestamp": iso(started) if started else "",
        "class": labels.get("alertname", ""),
        "component": labels.get("monitor", ""),
        "group": labels.get("team", ""),
        "custom_details": _details(notification),
    }
    event["payload"] = {k: v for k, v in body.items() if v != ""}
    event["links"] = _links(notification)
    event["client"] = SOURCE
    if notification.external_url:
        event["client_url"] = notification.external_url
    return event


@dataclass(frozen=True)
class PagerDutyNotifier:
    kind: ClassVar[str] = "pagerduty"

    routing_key: str
    url: str = "https://events.pagerduty.com/v2/enqueue"
    timeout: float = 10.0
    transport: httpx.BaseTransport | None = None

    def send(self, notification: Notification) -> Delivery:
        return self._post(payload(notification, self.routing_key))

    def acknowledge(self, notification: Notification) -> Delivery:
        """Acknowledge the group's PagerDuty alert (same dedup key as its trigger)."""
        return self._post(payload(notification, self.routing_key, action="acknowledge"))

    def _post(self, event: dict[str, Any]) -> Delivery:
        return post_json(self.url, event, timeout=self.timeout, transport=self.transport)


def from_config(spec: PagerDutyReceiver, setup: Setup) -> PagerDutyNotifier:
    return PagerDutyNotifier(
        routing_key=setup.secret("routing_key_env", spec.routing_key_env),
        url=spec.url,
        timeout=setup.timeout(spec.timeout),
        transport=setup.http_transport,
    )
