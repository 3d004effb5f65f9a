"""What every notifier shares: its setup (secrets from the environment, timeouts), one HTTP
send that turns any outcome into a :class:`~watchkeeper.alerting.model.Delivery`, and the
message text (title, summary, alert lines) that Slack, email, PagerDuty and Opsgenie show.

HTTP outcomes: 2xx delivered; 408, 425, 429 and 5xx are worth retrying (the vendor is busy or
down), and so are connection errors and timeouts; any other status (400 bad payload, 401/403
bad key, 404 wrong URL, ...) and a malformed URL are not: retrying cannot help.

>>> delivery_for_status(202, "")
Delivery(ok=True, detail='HTTP 202', retryable=True)
>>> delivery_for_status(429, "slow down").retryable, delivery_for_status(400, "bad").retryable
(True, False)

>>> from datetime import UTC, datetime
>>> from watchkeeper.alerting.model import Alert, AlertStatus, Notification
>>> at = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> def alert(feature):
...     labels = {"alertname": "FeatureDrift", "severity": "warning", "model": "credit",
...               "feature": feature}
...     return Alert(labels, {"summary": f"{feature} drifted"}, AlertStatus.FIRING, at, at)
>>> n = Notification("ml-team", "g", {"model": "credit"}, (alert("age"), alert("income")))
>>> title(n)
'[FIRING:2] FeatureDrift credit (warning)'
>>> alert_lines(n, limit=1)
(['FeatureDrift feature=age: age drifted'], 1)
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import msgspec

from watchkeeper.alerting.model import Alert, AlertStatus, Clock, Delivery, Notification
from watchkeeper.errors import ConfigError
from watchkeeper.settings import parse_duration

SOURCE = "watchkeeper"  # how notifications name their sender (PagerDuty client, Opsgenie source)
RETRYABLE_STATUS = frozenset({408, 425, 429})
# Labels every message shows on their own; the alert lines list the others.
SHOWN_LABELS = frozenset({"alertname", "severity", "model"})
TlsMode = Literal["starttls", "ssl", "none"]
# (host, port, timeout seconds, tls mode) -> a connected client; "ssl" connects over TLS.
SmtpFactory = Callable[[str, int, float, TlsMode], smtplib.SMTP]


def utc_now() -> datetime:
    """The wall clock, for notifiers built without an injected one."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Setup:
    """What a notifier factory gets besides its config struct: where it sits in the config
    (``key`` = ``alerting.receivers.<name>.<integration>``, for errors), the environment its
    secrets come from, and the injectable transports and clock."""

    key: str
    receiver: str
    environ: Mapping[str, str]
    http_transport: httpx.BaseTransport | None = None
    smtp_factory: SmtpFactory | None = None
    clock: Clock = field(default=utc_now)

    def secret(self, config_field: str, variable: str) -> str:
        """The value of the environment variable the config names at ``config_field``.

        >>> Setup("alerting.receivers.oncall.pagerduty", "oncall", {}).secret(
        ...     "routing_key_env", "PD_KEY")
        Traceback (most recent call last):
        ...
        watchkeeper.errors.ConfigError: alerting.receivers.oncall.pagerduty.routing_key_env: \
environment variable PD_KEY is not set or empty (got 'PD_KEY')
        """
        value = self.environ.get(variable, "")
        if not value:
            raise ConfigError(
                f"{self.key}.{config_field}",
                variable,
                f"environment variable {variable} is not set or empty",
            )
        return value

    def url(self, url: str | None, url_env: str | None) -> str:
        """``url_env``'s value when it is given (it wins over ``url``), else ``url``."""
        if url_env:
            return self.secret("url_env", url_env)
        if url:
            return url
        raise ConfigError(self.key, None, "give url or url_env")

    def timeout(self, text: str) -> float:
        return parse_duration(text, f"{self.key}.timeout").total_seconds()


# ---------------------------------------------------------------- HTTP


def delivery_for_status(status: int, text: str) -> Delivery:
    """The delivery verdict of one HTTP response (``text``: its body, quoted when it failed)."""
    if 200 <= status < 300:
        return Delivery(True, f"HTTP {status}")
    quoted = truncate(" ".join(text.split()), 200)
    detail = f"HTTP {status}: {quoted}" if quoted else f"HTTP {status}"
    return Delivery(False, detail, retryable=status in RETRYABLE_STATUS or status >= 500)


def post_json(
    url: str,
    body: Any,
    *,
    timeout: float,
    transport: httpx.BaseTransport | None = None,
    headers: Mapping[str, str] | None = None,
) -> Delivery:
    """POST ``body`` as JSON and say how it went; never raises for a delivery failure."""
    content = msgspec.json.encode(body)
    all_headers = {"Content-Type": "application/json", "User-Agent": SOURCE, **(headers or {})}
    try:
        with httpx.Client(transport=transport, timeout=timeout) as client:
            response = client.post(url, content=content, headers=all_headers)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        return Delivery(False, f"bad URL: {exc}", retryable=False)
    except httpx.LocalProtocolError as exc:  # e.g. a header value h11 refuses; its text may
        # quote a secret header, so it is not repeated
        return Delivery(False, f"request refused by the HTTP client ({type(exc).__name__})", False)
    except httpx.TimeoutException as exc:
        return Delivery(False, f"timed out after {timeout:g}s ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        return Delivery(False, f"connection failed ({type(exc).__name__}): {exc}")
    delivery = delivery_for_status(response.status_code, response.text)
    retry_after = response.headers.get("Retry-After")
    if retry_after and not delivery.ok:
        return Delivery(False, f"{delivery.detail} (retry after {retry_after})", delivery.retryable)
    return delivery


# ---------------------------------------------------------------- message text


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, marked with an ellipsis when cut.

    >>> truncate("abcdef", 4), truncate("abc", 4)
    ('abc…', 'abc')
    """
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def firing(notification: Notification) -> list[Alert]:
    return [a for a in notification.alerts if a.status is AlertStatus.FIRING]


def alert_names(notification: Notification) -> str:
    """The alertname shared by the group, or the first few distinct ones."""
    names = sorted({a.name for a in notification.alerts if a.name})
    if len(names) <= 3:
        return ", ".join(names)
    return f"{', '.join(names[:3])} +{len(names) - 3}"


def title(notification: Notification) -> str:
    """Alertmanager's subject line: ``[FIRING:2] FeatureDrift credit (warning)``; a resolved
    group reads ``[RESOLVED] ...``. The model appears when the alerts share one."""
    if notification.status == "firing":
        status = f"FIRING:{len(firing(notification))}"
    else:
        status = "RESOLVED"
    model = notification.common_labels.get("model", "")
    subject = " ".join(part for part in (alert_names(notification), model) if part)
    return f"[{status}] {subject} ({notification.severity.value})"


def _annotation(notification: Notification, name: str) -> str:
    """The group's common annotation, else the first alert's (firing ones first)."""
    common = notification.common_annotations.get(name)
    if common:
        return common
    ordered = firing(notification) + list(notification.alerts)
    return next((a.annotations[name] for a in ordered if a.annotations.get(name)), "")


def summary(notification: Notification) -> str:
    """One line on what is wrong: the ``summary`` annotation, else the title."""
    return _annotation(notification, "summary") or title(notification)


def description(notification: Notification) -> str:
    return _annotation(notification, "description")


def runbook_url(notification: Notification) -> str:
    return _annotation(notification, "runbook_url")


def extra_labels(alert: Alert) -> str:
    """The labels not shown on their own, as ``name=value`` pairs."""
    return " ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()) if k not in SHOWN_LABELS)


def alert_line(alert: Alert, *, show_status: bool = False) -> str:
    """``FeatureDrift feature=age: age drifted`` (plus ``[resolved]`` when asked)."""
    head = " ".join(part for part in (alert.name, extra_labels(alert)) if part)
    text = alert.annotations.get("summary", "")
    line = f"{head}: {text}" if text else head
    return f"{line} [{alert.status.value}]" if show_status else line


def alert_lines(notification: Notification, limit: int = 10) -> tuple[list[str], int]:
    """The first ``limit`` alerts as lines (firing first) and how many were left out.
    In a firing group, resolved alerts say so."""
    ordered = sorted(notification.alerts, key=lambda a: a.status is not AlertStatus.FIRING)
    mixed = len({a.status for a in notification.alerts}) > 1
    lines = [alert_line(a, show_status=mixed) for a in ordered[:limit]]
    return lines, max(len(ordered) - limit, 0)


def folded_note(notification: Notification) -> str:
    """Says a budget summary is one (``""`` for any other notification): the route's
    ``max_per_hour`` was reached, so ``folded`` alerts come together in this one message."""
    if notification.folded <= 0:
        return ""
    return f"Alert budget reached: {notification.folded} alerts are folded into this summary."
