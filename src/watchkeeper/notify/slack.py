"""Slack: a message to an incoming webhook, in Block Kit with a plain ``text`` fallback.

The message shows a header (status, alert, model, severity), the summary and description, the
status / severity / alert / model fields, buttons to the runbook and to watchkeeper, and a
colored attachment listing the first :data:`MAX_LISTED` alerts ("…and N more"). A resolved
group is green with a check mark. Slack answers ``200 ok``. User text is escaped for mrkdwn
(the ``text`` fallback too: Slack formats it) and cut to Slack's block limits (header 150,
section 3000 characters), so a long summary cannot get the message rejected.

>>> from datetime import UTC, datetime
>>> from watchkeeper.alerting.model import Alert, AlertStatus, Notification
>>> at = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> a = Alert({"alertname": "FeatureDrift", "severity": "warning", "model": "credit"},
...           {"summary": "age <drifted>"}, AlertStatus.FIRING, at, at)
>>> body = payload(Notification("ml-team", "g", {"model": "credit"}, (a,)))
>>> body["text"]
'[FIRING:1] FeatureDrift credit (warning): age &lt;drifted&gt;'
>>> body["blocks"][0]["text"]["text"], body["attachments"][0]["color"]
(':large_yellow_circle: [FIRING:1] FeatureDrift credit (warning)', '#f2c744')
>>> body["blocks"][1]["text"]["text"]
'*age &lt;drifted&gt;*'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from watchkeeper.alerting.config import SlackReceiver
from watchkeeper.alerting.model import Delivery, Notification, Severity
from watchkeeper.notify.common import (
    Setup,
    alert_lines,
    alert_names,
    description,
    firing,
    folded_note,
    post_json,
    runbook_url,
    summary,
    title,
    truncate,
)

MAX_LISTED = 10  # alerts listed one per line; the rest are counted
HEADER_LIMIT = 150  # Slack's limits on a header's and a section's text
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
COLORS = {
    Severity.CRITICAL: "#d2222d",
    Severity.HIGH: "#ff7a00",
    Severity.WARNING: "#f2c744",
    Severity.INFO: "#439fe0",
}
EMOJI = {
    Severity.CRITICAL: ":red_circle:",
    Severity.HIGH: ":large_orange_circle:",
    Severity.WARNING: ":large_yellow_circle:",
    Severity.INFO: ":large_blue_circle:",
}
RESOLVED_COLOR = "#2eb67d"
RESOLVED_EMOJI = ":white_check_mark:"


def escape(text: str) -> str:
    """Slack reads ``&``, ``<`` and ``>`` as markup (``<!channel>`` pings everyone)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(text: str, limit: int = SECTION_LIMIT) -> dict[str, str]:
    return {"type": "mrkdwn", "text": truncate(text, limit)}


def _button(text: str, url: str) -> dict[str, Any] | None:
    """A link button, or None for a URL Slack would reject (and with it the whole message)."""
    if not url.startswith(("http://", "https://")) or len(url) > 3000:
        return None
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "url": url}


def _alert_list(notification: Notification, limit: int) -> str:
    lines, more = alert_lines(notification, limit)
    firing_count = len(firing(notification))
    head = f"*Alerts* ({firing_count} firing, {len(notification.alerts) - firing_count} resolved)"
    text = "\n".join([head, *(f"• {escape(line)}" for line in lines)])
    return f"{text}\n…and {more} more" if more else text


def _blocks(notification: Notification, head: str, what: str) -> list[dict[str, Any]]:
    severity = notification.severity
    emoji = RESOLVED_EMOJI if notification.status == "resolved" else EMOJI[severity]
    details = description(notification)
    text = f"*{escape(what)}*" + (f"\n{escape(details)}" if details else "")
    fields = [
        ("Status", notification.status),
        ("Severity", severity.value),
        ("Alert", alert_names(notification)),
        ("Model", notification.common_labels.get("model", "")),
    ]
    header = {"type": "plain_text", "text": truncate(f"{emoji} {head}", HEADER_LIMIT)}
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": header},
        {"type": "section", "text": _mrkdwn(text)},
        {
            "type": "section",
            "fields": [_mrkdwn(f"*{k}*\n{escape(v)}", FIELD_LIMIT) for k, v in fields if v],
        },
    ]
    links = [
        ("Runbook", runbook_url(notification)),
        ("Open in watchkeeper", notification.external_url),
    ]
    if buttons := [b for b in (_button(label, url) for label, url in links) if b]:
        blocks.append({"type": "actions", "elements": buttons})
    if note := folded_note(notification):
        blocks.append({"type": "context", "elements": [_mrkdwn(escape(note))]})
    return blocks


def payload(
    notification: Notification, *, channel: str | None = None, limit: int = MAX_LISTED
) -> dict[str, Any]:
    """The incoming-webhook body for one notification."""
    head, what = title(notification), summary(notification)
    resolved = notification.status == "resolved"
    color = RESOLVED_COLOR if resolved else COLORS[notification.severity]
    listing = {"type": "section", "text": _mrkdwn(_alert_list(notification, limit))}
    body: dict[str, Any] = {
        "text": escape(head if what == head else f"{head}: {what}"),
        "blocks": _blocks(notification, head, what),
        "attachments": [{"color": color, "blocks": [listing]}],
    }
    if channel:
        body["channel"] = channel
    return body


@dataclass(frozen=True)
class SlackNotifier:
    kind: ClassVar[str] = "slack"

    url: str  # the incoming-webhook URL (a secret: it is never put in a Delivery)
    channel: str | None = None
    timeout: float = 10.0
    transport: httpx.BaseTransport | None = None

    def send(self, notification: Notification) -> Delivery:
        body = payload(notification, channel=self.channel)
        return post_json(self.url, body, timeout=self.timeout, transport=self.transport)


def from_config(spec: SlackReceiver, setup: Setup) -> SlackNotifier:
    return SlackNotifier(
        url=setup.url(spec.url, spec.url_env),
        channel=spec.channel,
        timeout=setup.timeout(spec.timeout),
        transport=setup.http_transport,
    )
