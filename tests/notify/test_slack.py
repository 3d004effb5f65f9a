"""Slack incoming webhooks against a loopback sink that answers like Slack (``200 ok``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from notify_helpers import EXTERNAL_URL, RUNBOOK, Sink, alert, notification, resolved

from watchkeeper.alerting.config import Receiver, SlackReceiver
from watchkeeper.alerting.model import Notification
from watchkeeper.notify.registry import build_notifiers
from watchkeeper.notify.slack import MAX_LISTED

StartSink = Callable[[str], Sink]


def _send(sink: Sink, n: Notification, channel: str | None = None) -> dict[str, Any]:
    receiver = Receiver(slack=SlackReceiver(url_env="SLACK_URL", channel=channel))
    [notifier] = build_notifiers("ml-team", receiver, {"SLACK_URL": f"{sink.url}/services/T/B/X"})
    delivery = notifier.send(n)
    assert (delivery.ok, delivery.detail) == (True, "HTTP 200")
    assert sink.requests[-1].path == "/services/T/B/X"
    body: dict[str, Any] = sink.requests[-1].json()
    return body


def _blocks(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b for b in body["blocks"] if b["type"] == kind]


def test_firing_message(sink: StartSink) -> None:
    body = _send(sink("slack"), notification(alert(feature="age", summary="age drifted")))

    assert body["text"] == "[FIRING:1] FeatureDrift credit (warning): age drifted"
    assert "channel" not in body
    [header] = _blocks(body, "header")
    assert (
        header["text"]["text"] == ":large_yellow_circle: [FIRING:1] FeatureDrift credit (warning)"
    )
    summary, fields = _blocks(body, "section")
    assert summary["text"]["text"] == "*age drifted*\nPSI of age is 0.31 (threshold 0.2)"
    assert [f["text"] for f in fields["fields"]] == [
        "*Status*\nfiring",
        "*Severity*\nwarning",
        "*Alert*\nFeatureDrift",
        "*Model*\ncredit",
    ]
    [actions] = _blocks(body, "actions")
    assert [(b["text"]["text"], b["url"]) for b in actions["elements"]] == [
        ("Runbook", RUNBOOK),
        ("Open in watchkeeper", EXTERNAL_URL),
    ]
    [attachment] = body["attachments"]
    assert attachment["color"] == "#f2c744"
    listing = attachment["blocks"][0]["text"]["text"]
    assert listing == "*Alerts* (1 firing, 0 resolved)\n• FeatureDrift feature=age: age drifted"


def test_resolved_message_looks_resolved(sink: StartSink) -> None:
    body = _send(sink("slack"), resolved(notification(alert(severity="critical"))))
    assert body["text"].startswith("[RESOLVED] FeatureDrift credit (critical)")
    assert _blocks(body, "header")[0]["text"]["text"].startswith(":white_check_mark: [RESOLVED]")
    assert body["attachments"][0]["color"] == "#2eb67d"  # green, whatever the severity
    assert "*Status*\nresolved" in [f["text"] for f in _blocks(body, "section")[1]["fields"]]


def test_alert_list_is_capped(sink: StartSink) -> None:
    group = notification(*(alert(feature=f"f{i:02}") for i in range(MAX_LISTED + 3)))
    listing = _send(sink("slack"), group)["attachments"][0]["blocks"][0]["text"]["text"]
    lines = listing.splitlines()
    assert lines[0] == "*Alerts* (13 firing, 0 resolved)"
    assert len([line for line in lines if line.startswith("• ")]) == MAX_LISTED
    assert lines[-1] == "…and 3 more"


def test_user_text_is_escaped_and_cut(sink: StartSink) -> None:
    long = "<!channel> & " + "x" * 4000
    body = _send(sink("slack"), notification(alert(summary=long)), channel="#ml-alerts")
    section = _blocks(body, "section")[0]["text"]["text"]
    assert body["channel"] == "#ml-alerts"
    assert section.startswith("*&lt;!channel&gt; &amp; xxx")
    assert body["text"].startswith("[FIRING:1] FeatureDrift credit (warning): &lt;!channel&gt;")
    assert "<!channel>" not in section
    assert len(section) == 3000  # Slack rejects a longer section


def test_folded_summary_says_so(sink: StartSink) -> None:
    body = _send(sink("slack"), notification(alert(), alert(feature="income"), folded=2))
    [context] = _blocks(body, "context")
    note = context["elements"][0]["text"]
    assert note == "Alert budget reached: 2 alerts are folded into this summary."
