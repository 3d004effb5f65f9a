"""Opsgenie Alert API v2 against a loopback sink that answers like Opsgenie."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from notify_helpers import EXTERNAL_URL, RUNBOOK, Sink, alert, notification, resolved

from watchkeeper.alerting.config import OpsgenieReceiver, Receiver
from watchkeeper.notify.opsgenie import OpsgenieNotifier
from watchkeeper.notify.registry import build_notifiers

StartSink = Callable[[str], Sink]


def _notifier(sink: Sink) -> OpsgenieNotifier:
    spec = OpsgenieReceiver(
        api_key_env="OG_KEY", url=sink.url, responders=["ml-oncall", "data"], tags=["ml"]
    )
    [notifier] = build_notifiers("ops", Receiver(opsgenie=spec), {"OG_KEY": "g3n1e"})
    assert isinstance(notifier, OpsgenieNotifier)
    return notifier


def test_create_then_close_by_alias(sink: StartSink) -> None:
    og = sink("opsgenie")
    notifier = _notifier(og)
    firing = notification(alert(feature="age"), alert(feature="income"), receiver="ops")

    created, closed = notifier.send(firing), notifier.send(resolved(firing))

    assert (created.ok, created.detail, closed.ok) == (True, "HTTP 202", True)
    create, close = og.requests
    assert create.path == "/v2/alerts"
    assert close.path == f"/v2/alerts/{firing.key}/close?identifierType=alias"
    assert create.headers["authorization"] == close.headers["authorization"] == "GenieKey g3n1e"
    body = create.json()
    assert body["alias"] == firing.key
    assert body["message"] == "[FIRING:2] FeatureDrift credit (warning)"
    assert body["responders"] == [
        {"name": "ml-oncall", "type": "team"},
        {"name": "data", "type": "team"},
    ]
    assert body["tags"] == ["ml"]
    assert (body["source"], body["entity"]) == ("watchkeeper", "credit")
    assert body["details"] == {
        "alertname": "FeatureDrift",
        "severity": "warning",
        "model": "credit",
        "runbook_url": RUNBOOK,
        "external_url": EXTERNAL_URL,
    }
    assert all(isinstance(v, str) for v in body["details"].values())  # Opsgenie wants strings
    assert "- FeatureDrift feature=age: age drifted on credit" in body["description"]
    assert f"Runbook: {RUNBOOK}" in body["description"]
    assert close.json()["note"].startswith("Resolved in watchkeeper: ")


@pytest.mark.parametrize(
    ("severity", "priority"),
    [
        ("critical", "P1"),
        ("high", "P2"),
        ("warning", "P3"),
        ("info", "P5"),  # P4 is left for the users' own low-priority alerts
    ],
)
def test_priority_mapping(sink: StartSink, severity: str, priority: str) -> None:
    og = sink("opsgenie")
    assert _notifier(og).send(notification(alert(severity=severity))).ok
    assert og.requests[0].json()["priority"] == priority


def test_worst_severity_sets_the_priority(sink: StartSink) -> None:
    og = sink("opsgenie")
    group = notification(alert(severity="info"), alert("LatencySpike", severity="high"))
    assert _notifier(og).send(group).ok
    assert og.requests[0].json()["priority"] == "P2"


def test_message_is_cut_to_130_characters(sink: StartSink) -> None:
    og = sink("opsgenie")
    assert _notifier(og).send(notification(alert("A" * 300))).ok
    message = og.requests[0].json()["message"]
    assert len(message) == 130
    assert message.endswith("A…")


def test_acknowledge_by_alias(sink: StartSink) -> None:
    og = sink("opsgenie")
    firing = notification()
    assert _notifier(og).acknowledge(firing).ok
    assert og.requests[0].path == f"/v2/alerts/{firing.key}/acknowledge?identifierType=alias"


def test_unsendable_key_is_not_retried_nor_quoted(sink: StartSink) -> None:
    og = sink("opsgenie")
    notifier = OpsgenieNotifier(api_key="s3cret\nX-Injected: 1", url=og.url)
    delivery = notifier.send(notification())
    assert (delivery.ok, delivery.retryable) == (False, False)
    assert delivery.detail == "request refused by the HTTP client (LocalProtocolError)"
    assert og.requests == []
