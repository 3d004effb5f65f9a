"""Webhook: POST the Alertmanager webhook body (version 4) as JSON to a URL.

Any Alertmanager webhook consumer reads it. Extra headers (e.g. ``Authorization``) come from
environment variables named in ``headers_env``; a 2xx answer is a delivery.

>>> from datetime import UTC, datetime
>>> from watchkeeper.alerting.model import Alert, AlertStatus, Notification
>>> at = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> a = Alert({"alertname": "FeatureDrift", "severity": "warning", "model": "credit"},
...           {"summary": "age drifted"}, AlertStatus.FIRING, at, at)
>>> body = payload(Notification("oncall", "g1", {"model": "credit"}, (a,)))
>>> body["version"], body["status"], body["groupKey"], body["alerts"][0]["labels"]["alertname"]
('4', 'firing', 'g1', 'FeatureDrift')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx

from watchkeeper.alerting.config import WebhookReceiver
from watchkeeper.alerting.model import Delivery, Notification
from watchkeeper.notify.common import Setup, post_json


def payload(notification: Notification) -> dict[str, Any]:
    """The request body: the notification's Alertmanager webhook payload, unchanged."""
    return notification.webhook_payload()


@dataclass(frozen=True)
class WebhookNotifier:
    kind: ClassVar[str] = "webhook"

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    transport: httpx.BaseTransport | None = None

    def send(self, notification: Notification) -> Delivery:
        return post_json(
            self.url,
            payload(notification),
            timeout=self.timeout,
            transport=self.transport,
            headers=self.headers,
        )


def from_config(spec: WebhookReceiver, setup: Setup) -> WebhookNotifier:
    headers = {
        name: setup.secret(f"headers_env.{name}", variable)
        for name, variable in spec.headers_env.items()
    }
    return WebhookNotifier(
        url=setup.url(spec.url, spec.url_env),
        headers=headers,
        timeout=setup.timeout(spec.timeout),
        transport=setup.http_transport,
    )
