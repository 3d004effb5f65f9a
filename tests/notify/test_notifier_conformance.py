"""Every HTTP notifier, one contract: vendor answers and network failures become Deliveries
(ok, retryable or not), and ``send`` never raises. Real loopback sockets throughout."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from notify_helpers import Reply, Sink, free_port, notification

from watchkeeper.alerting.config import (
    AlertmanagerReceiver,
    OpsgenieReceiver,
    PagerDutyReceiver,
    Receiver,
    SlackReceiver,
    WebhookReceiver,
)
from watchkeeper.alerting.model import Notifier
from watchkeeper.notify.common import delivery_for_status
from watchkeeper.notify.registry import build_notifiers

StartSink = Callable[[str], Sink]
KINDS = ["webhook", "slack", "pagerduty", "opsgenie", "alertmanager"]
ENV = {"PD_KEY": "routing-key", "OG_KEY": "api-key"}


def _receiver(kind: str, base: str) -> Receiver:
    specs: dict[str, Any] = {
        "webhook": WebhookReceiver(url=f"{base}/hook"),
        "slack": SlackReceiver(url=f"{base}/services/T/B/X"),
        "pagerduty": PagerDutyReceiver(routing_key_env="PD_KEY", url=f"{base}/v2/enqueue"),
        "opsgenie": OpsgenieReceiver(api_key_env="OG_KEY", url=base),
        "alertmanager": AlertmanagerReceiver(url=base),
    }
    return Receiver(**{kind: specs[kind]})


def _notifier(kind: str, base: str) -> Notifier:
    [notifier] = build_notifiers("r", _receiver(kind, base), ENV)
    assert notifier.kind == kind
    return notifier


@pytest.mark.parametrize("kind", KINDS)
def test_vendor_acceptance_is_a_delivery(sink: StartSink, kind: str) -> None:
    server = sink(kind)
    delivery = _notifier(kind, server.url).send(notification())
    assert delivery.ok, delivery.detail
    assert len(server.requests) == 1


SCRIPTED = [
    # (reply, retryable, detail starts with)
    (Reply(500, b"internal error"), True, "HTTP 500: internal error"),
    (Reply(502), True, "HTTP 502"),  # a proxy in front of the vendor is down
    (Reply(503, b"maintenance"), True, "HTTP 503: maintenance"),
    (
        Reply(429, b"rate limited", {"Retry-After": "30"}),
        True,
        "HTTP 429: rate limited (retry after 30)",
    ),
    (Reply(408), True, "HTTP 408"),  # the vendor gave up waiting for us
    (Reply(400, b'{"message":"bad payload"}'), False, 'HTTP 400: {"message":"bad payload"}'),
    (Reply(401, b"unauthorized"), False, "HTTP 401: unauthorized"),  # wrong key
    (Reply(404, b"no_team"), False, "HTTP 404: no_team"),  # wrong URL or channel
    (Reply(410, b"channel_is_archived"), False, "HTTP 410: channel_is_archived"),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("reply", "retryable", "detail"), SCRIPTED)
def test_vendor_failures(
    sink: StartSink, kind: str, reply: Reply, retryable: bool, detail: str
) -> None:
    server = sink(kind)
    server.script(reply)
    delivery = _notifier(kind, server.url).send(notification())
    assert (delivery.ok, delivery.retryable, delivery.detail) == (False, retryable, detail)


@pytest.mark.parametrize("kind", KINDS)
def test_connection_refused_is_retried(kind: str) -> None:
    delivery = _notifier(kind, f"http://127.0.0.1:{free_port()}").send(notification())
    assert (delivery.ok, delivery.retryable) == (False, True)
    assert delivery.detail.startswith("connection failed (ConnectError)")


@pytest.mark.parametrize("kind", KINDS)
def test_timeout_is_retried(sink: StartSink, kind: str) -> None:
    server = sink(kind)
    server.script(Reply(200, b"ok", delay=1.0))
    notifier: Any = _notifier(kind, server.url)
    delivery = dataclasses.replace(notifier, timeout=0.2).send(notification())
    assert (delivery.ok, delivery.retryable) == (False, True)
    assert delivery.detail == "timed out after 0.2s (ReadTimeout)"


@pytest.mark.parametrize("kind", KINDS)
def test_unusable_url_is_not_retried(kind: str) -> None:
    delivery = _notifier(kind, "ftp://127.0.0.1").send(notification())
    assert (delivery.ok, delivery.retryable) == (False, False)
    assert delivery.detail.startswith("bad URL: ")


@pytest.mark.parametrize(
    ("status", "ok", "retryable"),
    [
        (200, True, True),  # Slack, Alertmanager
        (202, True, True),  # PagerDuty, Opsgenie: accepted for processing
        (204, True, True),
        (301, False, False),  # redirects are not followed: the URL is wrong
        (400, False, False),
        (403, False, False),
        (413, False, False),  # too large: the same body will be too large again
        (422, False, False),
        (408, False, True),
        (425, False, True),
        (429, False, True),
        (500, False, True),
        (504, False, True),
    ],
)
def test_status_mapping(status: int, ok: bool, retryable: bool) -> None:
    delivery = delivery_for_status(status, "")
    assert (delivery.ok, delivery.retryable, delivery.detail) == (ok, retryable, f"HTTP {status}")
