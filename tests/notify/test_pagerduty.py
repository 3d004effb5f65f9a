"""PagerDuty Events v2 against a loopback sink that answers like PagerDuty."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from notify_helpers import EXTERNAL_URL, RUNBOOK, T0, Reply, Sink, alert, notification, resolved

from watchkeeper.alerting.config import PagerDutyReceiver, Receiver
from watchkeeper.notify.pagerduty import PagerDutyNotifier
from watchkeeper.notify.registry import build_notifiers

StartSink = Callable[[str], Sink]


def _notifier(sink: Sink) -> PagerDutyNotifier:
    receiver = Receiver(
        pagerduty=PagerDutyReceiver(routing_key_env="PD_KEY", url=f"{sink.url}/v2/enqueue")
    )
    [notifier] = build_notifiers("oncall", receiver, {"PD_KEY": "R0UT1NG"})
    assert isinstance(notifier, PagerDutyNotifier)
    return notifier


def test_trigger_then_resolve_share_the_dedup_key(sink: StartSink) -> None:
    pd = sink("pagerduty")
    notifier = _notifier(pd)
    firing = notification(alert(feature="age", monitor="drift", team="ml"))

    first, second = notifier.send(firing), notifier.send(resolved(firing))

    assert (first.ok, first.detail, second.ok) == (True, "HTTP 202", True)
    trigger, resolve = (r.json() for r in pd.requests)
    assert pd.requests[0].path == "/v2/enqueue"
    assert pd.requests[0].headers["content-type"] == "application/json"
    assert trigger["dedup_key"] == resolve["dedup_key"] == firing.key
    assert (trigger["event_action"], resolve["event_action"]) == ("trigger", "resolve")
    assert trigger["routing_key"] == resolve["routing_key"] == "R0UT1NG"
    # resolve carries only what PagerDuty reads from it
    assert set(resolve) == {"routing_key", "event_action", "dedup_key"}


def test_trigger_payload_fields(sink: StartSink) -> None:
    pd = sink("pagerduty")
    firing = notification(
        alert(feature="age", monitor="drift", team="ml"),
        alert(feature="income", monitor="drift", team="ml"),
    )

    assert _notifier(pd).send(firing).ok
    event = pd.requests[0].json()
    payload = event["payload"]

    assert payload["summary"].startswith("[FIRING:2] FeatureDrift credit (warning): ")
    assert payload["source"] == "credit"
    assert payload["severity"] == "warning"
    assert payload["timestamp"] == "2026-03-01T12:00:00Z"
    assert (payload["class"], payload["component"], payload["group"]) == (
        "FeatureDrift",
        "drift",
        "ml",
    )
    details = payload["custom_details"]
    assert (details["firing"], details["resolved"]) == (2, 0)
    assert details["description"] == "PSI of age is 0.31 (threshold 0.2)"
    assert [a["labels"]["feature"] for a in details["alerts"]] == ["age", "income"]
    assert details["alerts"][0]["starts_at"] == T0.isoformat().replace("+00:00", "Z")
    assert event["links"] == [
        {"href": RUNBOOK, "text": "Runbook"},
        {"href": EXTERNAL_URL, "text": "watchkeeper"},
    ]
    assert (event["client"], event["client_url"]) == ("watchkeeper", EXTERNAL_URL)


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("critical", "critical"),  # same name
        ("high", "error"),  # PagerDuty has no "high"
        ("warning", "warning"),
        ("info", "info"),
    ],
)
def test_severity_mapping(sink: StartSink, severity: str, expected: str) -> None:
    pd = sink("pagerduty")
    assert _notifier(pd).send(notification(alert(severity=severity))).ok
    assert pd.requests[0].json()["payload"]["severity"] == expected


def test_summary_is_cut_to_1024_characters(sink: StartSink) -> None:
    pd = sink("pagerduty")
    delivery = _notifier(pd).send(notification(alert(summary="x" * 5000)))
    summary = pd.requests[0].json()["payload"]["summary"]
    assert delivery.ok  # the sink rejects a summary over 1024 characters with 400
    assert len(summary) == 1024
    assert summary.endswith("x…")


def test_acknowledge_uses_the_same_dedup_key(sink: StartSink) -> None:
    pd = sink("pagerduty")
    firing = notification()
    notifier = _notifier(pd)

    assert notifier.send(firing).ok
    assert notifier.acknowledge(firing).ok

    ack = pd.requests[1].json()
    assert ack == {"routing_key": "R0UT1NG", "event_action": "acknowledge", "dedup_key": firing.key}


def test_invalid_event_is_not_retried(sink: StartSink) -> None:
    pd = sink("pagerduty")
    pd.script(
        Reply(400, b'{"status":"invalid event","message":"Event object is invalid","errors":["x"]}')
    )
    delivery = _notifier(pd).send(notification())
    assert (delivery.ok, delivery.retryable) == (False, False)
    assert delivery.detail.startswith("HTTP 400: ")
    assert "Event object is invalid" in delivery.detail
