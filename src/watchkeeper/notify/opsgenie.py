"""Opsgenie: Alert API v2, one Opsgenie alert per notification group.

A firing group creates the alert (``POST {url}/v2/alerts``): ``message`` is the title (at most
130 characters), ``alias`` is :attr:`Notification.key` so repeats deduplicate into the open
alert, ``description`` has the summary, description, runbook and alert list, ``priority`` maps
critical → P1, high → P2, warning → P3, info → P5, ``responders`` are the configured teams,
``tags`` the configured tags, ``details`` the group's common labels (strings), ``entity`` the
model and ``source`` ``watchkeeper``. A resolved group closes it by alias (``POST
{url}/v2/alerts/{alias}/close?identifierType=alias``); :meth:`OpsgenieNotifier.acknowledge`
acknowledges it the same way. Requests carry ``Authorization: GenieKey <key>``; Opsgenie
answers ``202`` (the request is queued).

>>> from datetime import UTC, datetime
>>> from watchkeeper.alerting.model import Alert, AlertStatus, Notification
>>> at = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> a = Alert({"alertname": "AccuracyDrop", "severity": "critical", "model": "credit"},
...           {"summary": "accuracy 0.71 < 0.8"}, AlertStatus.FIRING, at, at)
>>> n = Notification("ops", "g", {"model": "credit"}, (a,))
>>> url, body = request(n, "https://api.opsgenie.com", responders=["ml-oncall"])
>>> url, body["priority"], body["alias"] == n.key, body["responders"]
('https://api.opsgenie.com/v2/alerts', 'P1', True, [{'name': 'ml-oncall', 'type': 'team'}])
>>> ended = Alert(a.labels, a.annotations, AlertStatus.RESOLVED, at, at, ends_at=at)
>>> request(Notification("ops", "g", {"model": "credit"}, (ended,)), "https://api.opsgenie.com")[0]
'https://api.opsgenie.com/v2/alerts/e79f8b8444d15a92466bfc3861dcd293/close?identifierType=alias'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import httpx

from watchkeeper.alerting.config import OpsgenieReceiver
from watchkeeper.alerting.model import Delivery, Notification, Severity
from watchkeeper.notify.common import (
    SOURCE,
    Setup,
    alert_lines,
    description,
    folded_note,
    post_json,
    runbook_url,
    summary,
    title,
    truncate,
)

Action = Literal["create", "close", "acknowledge"]
MESSAGE_LIMIT = 130  # Opsgenie's limits on message, description and note
DESCRIPTION_LIMIT = 15000
NOTE_LIMIT = 25000
MAX_LISTED = 50
PRIORITY = {
    Severity.CRITICAL: "P1",
    Severity.HIGH: "P2",
    Severity.WARNING: "P3",
    Severity.INFO: "P5",
}


def _description(notification: Notification) -> str:
    lines, more = alert_lines(notification, MAX_LISTED)
    parts = [summary(notification), description(notification)]
    if url := runbook_url(notification):
        parts.append(f"Runbook: {url}")
    parts.append("Alerts:\n" + "\n".join(f"- {line}" for line in lines))
    if more:
        parts.append(f"…and {more} more")
    parts.append(folded_note(notification))
    if notification.external_url:
        parts.append(f"watchkeeper: {notification.external_url}")
    return truncate("\n\n".join(p for p in parts if p), DESCRIPTION_LIMIT)


def create_payload(
    notification: Notification, *, responders: Sequence[str] = (), tags: Sequence[str] = ()
) -> dict[str, Any]:
    """The body that creates (or, by alias, deduplicates into) the group's alert."""
    details = dict(notification.common_labels)
    if url := runbook_url(notification):
        details["runbook_url"] = url
    if notification.external_url:
        details["external_url"] = notification.external_url
    if notification.folded:
        details["folded"] = str(notification.folded)
    body: dict[str, Any] = {
        "message": truncate(title(notification), MESSAGE_LIMIT),
        "alias": notification.key,
        "description": _description(notification),
        "priority": PRIORITY[notification.severity],
        "responders": [{"name": team, "type": "team"} for team in responders],
        "tags": list(tags),
        "details": details,
        "source": SOURCE,
    }
    if model := notification.common_labels.get("model"):
        body["entity"] = model
    return body


def request(
    notification: Notification,
    base_url: str,
    *,
    responders: Sequence[str] = (),
    tags: Sequence[str] = (),
    action: Action | None = None,
) -> tuple[str, dict[str, Any]]:
    """The URL and body of one request; ``action`` defaults to create (firing) or close."""
    base = base_url.rstrip("/")
    action = action or ("create" if notification.status == "firing" else "close")
    if action == "create":
        return f"{base}/v2/alerts", create_payload(notification, responders=responders, tags=tags)
    verb = "Resolved" if action == "close" else "Acknowledged"
    note = truncate(f"{verb} in watchkeeper: {summary(notification)}", NOTE_LIMIT)
    url = f"{base}/v2/alerts/{notification.key}/{action}?identifierType=alias"
    return url, {"source": SOURCE, "note": note}


@dataclass(frozen=True)
class OpsgenieNotifier:
    kind: ClassVar[str] = "opsgenie"

    api_key: str
    url: str = "https://api.opsgenie.com"
    responders: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    timeout: float = 10.0
    transport: httpx.BaseTransport | None = None

    def send(self, notification: Notification) -> Delivery:
        return self._post(notification, None)

    def acknowledge(self, notification: Notification) -> Delivery:
        """Acknowledge the group's Opsgenie alert (found by its alias)."""
        return self._post(notification, "acknowledge")

    def _post(self, notification: Notification, action: Action | None) -> Delivery:
        url, body = request(
            notification, self.url, responders=self.responders, tags=self.tags, action=action
        )
        headers = {"Authorization": f"GenieKey {self.api_key}"}
        return post_json(url, body, timeout=self.timeout, transport=self.transport, headers=headers)


def from_config(spec: OpsgenieReceiver, setup: Setup) -> OpsgenieNotifier:
    return OpsgenieNotifier(
        api_key=setup.secret("api_key_env", spec.api_key_env),
        url=spec.url,
        responders=tuple(spec.responders),
        tags=tuple(spec.tags),
        timeout=setup.timeout(spec.timeout),
        transport=setup.http_transport,
    )
