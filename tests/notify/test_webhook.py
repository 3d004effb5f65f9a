"""The generic webhook posts the Alertmanager webhook body (version 4) to a loopback sink."""

from __future__ import annotations

from collections.abc import Callable

from notify_helpers import EXTERNAL_URL, Sink, alert, notification, resolved

from watchkeeper.alerting.config import Receiver, WebhookReceiver
from watchkeeper.notify.registry import build_notifiers

StartSink = Callable[[str], Sink]


def test_body_is_the_v4_payload(sink: StartSink) -> None:
    hook = sink("webhook")
    spec = WebhookReceiver(url=f"{hook.url}/hook", headers_env={"Authorization": "HOOK_AUTH"})
    [notifier] = build_notifiers("oncall", Receiver(webhook=spec), {"HOOK_AUTH": "Bearer s3cret"})
    firing = notification(alert(feature="age"), alert(feature="income"))

    assert notifier.send(firing).ok
    assert notifier.send(resolved(firing)).ok

    first, second = hook.requests
    assert (first.method, first.path) == ("POST", "/hook")
    assert first.headers["authorization"] == "Bearer s3cret"
    assert first.headers["content-type"] == "application/json"
    assert first.json() == firing.webhook_payload()
    body = first.json()
    assert (body["version"], body["status"], body["receiver"]) == ("4", "firing", "oncall")
    assert body["groupKey"] == '{}:{model="credit"}'
    assert body["externalURL"] == EXTERNAL_URL
    assert [a["labels"]["feature"] for a in body["alerts"]] == ["age", "income"]
    assert body["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z"
    assert body["alerts"][0]["annotations"]["summary"] == "age drifted on credit"
    resolve = second.json()
    assert resolve["status"] == "resolved"
    assert [a["endsAt"] for a in resolve["alerts"]] == ["2026-03-01T13:00:00Z"] * 2
