"""Email: one multipart message (plain text + HTML) per notification, over SMTP (stdlib).

The subject is the title (``[FIRING:2] FeatureDrift credit (warning)``); both parts show the
summary, description, runbook, the first :data:`MAX_LISTED` alerts and a link to
watchkeeper; every value is HTML-escaped in the HTML part and only ``http(s)`` URLs become
links. ``tls``: ``starttls`` (upgrade a plain connection, usually port 587), ``ssl`` (TLS from
the start, usually 465) or ``none``; with ``username`` it logs in with the password from
``password_env``. Connections come from an injectable SMTP factory.

Outcomes: accepted by the server is a delivery (recipients it refused are named in the
detail); a 4xx reply, a dropped connection or a timeout is retried; a 5xx reply (bad
credentials, every recipient refused), a server without STARTTLS or AUTH and a certificate
that does not verify are not.

>>> from datetime import UTC, datetime
>>> from watchkeeper.alerting.model import Alert, AlertStatus, Notification
>>> at = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> a = Alert({"alertname": "FeatureDrift", "severity": "warning", "model": "credit"},
...           {"summary": "age <b>drifted</b>"}, AlertStatus.FIRING, at, at)
>>> m = message(Notification("ml", "g", {"model": "credit"}, (a,)), sender="wk@example.com",
...             to=["ml@example.com"], now=at)
>>> m["Subject"], m["To"], m.get_content_type()
('[FIRING:1] FeatureDrift credit (warning)', 'ml@example.com', 'multipart/alternative')
>>> "age &lt;b&gt;drifted&lt;/b&gt;" in m.get_body(("html",)).get_content()
True
"""

from __future__ import annotations

import html
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import ClassVar

from watchkeeper.alerting.config import EmailReceiver
from watchkeeper.alerting.model import Clock, Delivery, Notification
from watchkeeper.notify.common import (
    Setup,
    SmtpFactory,
    TlsMode,
    alert_lines,
    description,
    firing,
    folded_note,
    runbook_url,
    summary,
    title,
    utc_now,
)

MAX_LISTED = 50


def _counts(notification: Notification) -> str:
    on = len(firing(notification))
    return f"{on} firing, {len(notification.alerts) - on} resolved"


def plain_text(notification: Notification) -> str:
    lines, more = alert_lines(notification, MAX_LISTED)
    parts = [title(notification), summary(notification), description(notification)]
    if url := runbook_url(notification):
        parts.append(f"Runbook: {url}")
    listing = [f"Alerts ({_counts(notification)}):", *(f"- {line}" for line in lines)]
    if more:
        listing.append(f"…and {more} more")
    parts += ["\n".join(listing), folded_note(notification)]
    if notification.external_url:
        parts.append(f"watchkeeper: {notification.external_url}")
    return "\n\n".join(p for p in parts if p) + "\n"


def _link(url: str, text: str) -> str:
    """An anchor for an http(s) URL; any other scheme (``javascript:``) stays plain text."""
    if url.startswith(("http://", "https://")):
        return f'<a href="{html.escape(url)}">{html.escape(text)}</a>'
    return html.escape(url)


def html_text(notification: Notification) -> str:
    e = html.escape
    resolved = notification.status == "resolved"
    color = "#2eb67d" if resolved else "#d2222d"
    lines, more = alert_lines(notification, MAX_LISTED)
    items = "".join(f"<li>{e(line)}</li>" for line in lines)
    if more:
        items += f"<li>…and {more} more</li>"
    parts = [
        f'<h2 style="color:{color}">{e(title(notification))}</h2>',
        f"<p><strong>{e(summary(notification))}</strong></p>",
    ]
    if text := description(notification):
        parts.append(f"<p>{e(text)}</p>")
    if url := runbook_url(notification):
        parts.append(f"<p>Runbook: {_link(url, url)}</p>")
    parts.append(f"<p>Alerts ({e(_counts(notification))}):</p><ul>{items}</ul>")
    if note := folded_note(notification):
        parts.append(f"<p><em>{e(note)}</em></p>")
    if notification.external_url:
        parts.append(f"<p>{_link(notification.external_url, 'Open in watchkeeper')}</p>")
    body = "\n".join(parts)
    return f'<!DOCTYPE html>\n<html><body style="font-family:sans-serif">\n{body}\n</body></html>\n'


def message(
    notification: Notification, *, sender: str, to: Sequence[str], now: datetime
) -> EmailMessage:
    """The message for one notification, sent at ``now``."""
    msg = EmailMessage()
    msg["Subject"] = title(notification)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = format_datetime(now)
    domain = sender.rpartition("@")[2] or "watchkeeper"
    stamp = now.strftime("%Y%m%d%H%M%S")  # unique per group, status and second
    msg["Message-ID"] = f"<{notification.key}.{notification.status[0]}{stamp}@{domain}>"
    msg.set_content(plain_text(notification))
    msg.add_alternative(html_text(notification), subtype="html")
    return msg


def _failure(exc: Exception) -> Delivery:
    """A failed send as a Delivery: 4xx and connection trouble are retried, 5xx are not."""
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return Delivery(False, f"SMTP {exc.smtp_code}: {reply}", retryable=exc.smtp_code < 500)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        refused = ", ".join(f"{r} ({code})" for r, (code, _) in exc.recipients.items())
        return Delivery(False, f"all recipients refused: {refused}", retryable=min(codes) < 500)
    if isinstance(exc, smtplib.SMTPNotSupportedError | ssl.SSLCertVerificationError):
        return Delivery(False, f"{type(exc).__name__}: {exc}", retryable=False)
    return Delivery(False, f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class EmailNotifier:
    kind: ClassVar[str] = "email"

    sender: str
    to: tuple[str, ...]
    host: str = "127.0.0.1"
    port: int = 587
    tls: TlsMode = "starttls"
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    smtp_factory: SmtpFactory | None = None
    ssl_context: ssl.SSLContext | None = None  # default: the system's trusted certificates
    clock: Clock = field(default=utc_now)

    def send(self, notification: Notification) -> Delivery:
        msg = message(notification, sender=self.sender, to=self.to, now=self.clock())
        try:
            with self._connect() as smtp:
                if self.tls == "starttls":
                    smtp.starttls(context=self._context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(msg, from_addr=self.sender, to_addrs=list(self.to))
        except (smtplib.SMTPException, OSError) as exc:
            return _failure(exc)
        if refused:
            names = ", ".join(f"{r} ({code})" for r, (code, _) in refused.items())
            return Delivery(True, f"SMTP accepted, but refused {names}")
        return Delivery(True, f"SMTP accepted for {len(self.to)} recipient(s)")

    def _context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self.smtp_factory is not None:
            return self.smtp_factory(self.host, self.port, self.timeout, self.tls)
        if self.tls == "ssl":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context()
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)


def from_config(spec: EmailReceiver, setup: Setup) -> EmailNotifier:
    password = setup.secret("password_env", spec.password_env) if spec.password_env else None
    return EmailNotifier(
        sender=spec.sender,
        to=tuple(spec.to),
        host=spec.host,
        port=spec.port,
        tls=spec.tls,
        username=spec.username,
        password=password,
        timeout=setup.timeout(spec.timeout),
        smtp_factory=setup.smtp_factory,
        clock=setup.clock,
    )
