"""Email over SMTP to an in-process aiosmtpd server on 127.0.0.1: plain, login without TLS,
STARTTLS and implicit TLS (with a throwaway certificate made by ``openssl``), and the
server's refusals."""

from __future__ import annotations

import email
import email.policy
import os
import smtplib
import ssl
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from notify_helpers import (
    EXTERNAL_URL,
    RUNBOOK,
    T0,
    alert,
    free_port,
    notification,
    require_binary,
    resolved,
)

from watchkeeper.alerting.config import EmailReceiver, Receiver
from watchkeeper.alerting.model import Alert, AlertStatus
from watchkeeper.notify.common import TlsMode
from watchkeeper.notify.email import EmailNotifier
from watchkeeper.notify.registry import build_notifiers

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
except ImportError:  # a dev dependency; CI must have it
    if os.environ.get("CI"):
        raise
    pytest.skip("aiosmtpd is not installed (pip install aiosmtpd)", allow_module_level=True)

USER, PASSWORD = "wk", "pa55word"
SENDER = "watchkeeper@example.com"
# aiosmtpd warns when it is told to accept AUTH without TLS, which these tests do on purpose
AUTH_WITHOUT_TLS = pytest.mark.filterwarnings(
    "ignore:Requiring AUTH while not requiring TLS:UserWarning"
)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    login: str | None


@dataclass
class Inbox:
    """An aiosmtpd handler: keeps each message; refuses ``reject*`` (550) and ``later*`` (450)."""

    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("reject"):
            return "550 5.1.1 no such mailbox"
        if address.startswith("later"):
            return "450 4.2.1 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data.decode() if session.authenticated else None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed, login))
        return "250 Message accepted for delivery"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    if not ok:  # handled=False: aiosmtpd answers 535 itself
        return AuthResult(success=False, handled=False)
    return AuthResult(success=True, auth_data=data.login)


StartServer = Callable[..., tuple[Inbox, int]]


@pytest.fixture
def smtp_server() -> Iterator[StartServer]:
    """``smtp_server(**smtp_options)`` starts aiosmtpd on a free loopback port."""
    controllers: list[Controller] = []

    def start(**options: Any) -> tuple[Inbox, int]:
        inbox, port = Inbox(), free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return inbox, port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (certificate, key)."""
    openssl = require_binary("openssl")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def _client_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def _notifier(port: int, tls: TlsMode = "none", **options: Any) -> EmailNotifier:
    defaults: dict[str, Any] = {"sender": SENDER, "to": ("ml@example.com",), "host": "127.0.0.1"}
    return EmailNotifier(port=port, tls=tls, clock=lambda: T0, timeout=5.0, **(defaults | options))


def test_plain_and_html_parts(smtp_server: StartServer) -> None:
    inbox, port = smtp_server()
    connections: list[tuple[str, int, float, str]] = []

    def factory(host: str, port: int, timeout: float, tls: TlsMode) -> smtplib.SMTP:
        connections.append((host, port, timeout, tls))
        return smtplib.SMTP(host, port, timeout=timeout)

    spec = EmailReceiver(
        to=["ml@example.com", "oncall@example.com"], sender=SENDER, port=port, tls="none"
    )
    [notifier] = build_notifiers(
        "ml", Receiver(email=spec), {}, smtp_factory=factory, clock=lambda: T0
    )
    group = notification(
        alert(feature="age", summary="age <script>alert(1)</script> drifted"),
        alert(feature="income"),
        receiver="ml",
    )

    delivery = notifier.send(group)

    assert (delivery.ok, delivery.detail) == (True, "SMTP accepted for 2 recipient(s)")
    assert connections == [("127.0.0.1", port, 10.0, "none")]  # the injected factory
    [got] = inbox.received
    assert (got.mail_from, got.rcpt_tos) == (SENDER, ["ml@example.com", "oncall@example.com"])
    msg = got.message
    assert msg["Subject"] == "[FIRING:2] FeatureDrift credit (warning)"
    assert (msg["From"], msg["To"]) == (SENDER, "ml@example.com, oncall@example.com")
    assert msg["Date"] == "Sun, 01 Mar 2026 12:00:00 +0000"
    assert msg["Message-ID"] == f"<{group.key}.f20260301120000@example.com>"
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and html is not None
    text = plain.get_content()
    assert text.splitlines()[0] == "[FIRING:2] FeatureDrift credit (warning)"
    assert "Alerts (2 firing, 0 resolved):" in text
    assert "- FeatureDrift feature=age: age <script>alert(1)</script> drifted" in text
    assert "- FeatureDrift feature=income: income drifted on credit" in text
    assert f"Runbook: {RUNBOOK}" in text
    markup = html.get_content()
    assert "<script>" not in markup
    assert "age &lt;script&gt;alert(1)&lt;/script&gt; drifted" in markup
    assert f'<a href="{RUNBOOK}">{RUNBOOK}</a>' in markup
    assert f'<a href="{EXTERNAL_URL}">Open in watchkeeper</a>' in markup


def test_resolved_subject(smtp_server: StartServer) -> None:
    inbox, port = smtp_server()
    assert _notifier(port).send(resolved(notification())).ok
    assert inbox.received[0].message["Subject"] == "[RESOLVED] FeatureDrift credit (warning)"


def test_unsafe_link_is_not_a_link(smtp_server: StartServer) -> None:
    inbox, port = smtp_server()
    evil = Alert(alert().labels, {"runbook_url": "javascript:alert(1)"}, AlertStatus.FIRING, T0, T0)
    assert _notifier(port).send(notification(evil)).ok
    html = inbox.received[0].message.get_body(("html",))
    assert html is not None
    assert 'href="javascript' not in html.get_content()


@AUTH_WITHOUT_TLS
def test_login_without_tls(smtp_server: StartServer) -> None:
    inbox, port = smtp_server(
        authenticator=_authenticate, auth_required=True, auth_require_tls=False
    )
    spec = EmailReceiver(
        to=["ml@example.com"], sender=SENDER, port=port, tls="none",
        username=USER, password_env="SMTP_PASSWORD",
    )  # fmt: skip
    [notifier] = build_notifiers("ml", Receiver(email=spec), {"SMTP_PASSWORD": PASSWORD})

    assert notifier.send(notification()).ok
    assert inbox.received[0].login == USER


@AUTH_WITHOUT_TLS
def test_wrong_password_is_not_retried(smtp_server: StartServer) -> None:
    inbox, port = smtp_server(
        authenticator=_authenticate, auth_required=True, auth_require_tls=False
    )
    delivery = _notifier(port, username=USER, password="wrong").send(notification())
    assert (delivery.ok, delivery.retryable) == (False, False), delivery.detail
    assert delivery.detail.startswith("SMTP 535")
    assert inbox.received == []


def test_starttls_and_login(smtp_server: StartServer, certificate: tuple[Path, Path]) -> None:
    inbox, port = smtp_server(
        tls_context=_server_context(certificate),
        require_starttls=True,
        authenticator=_authenticate,
        auth_required=True,
    )  # AUTH is offered only after STARTTLS
    notifier = _notifier(
        port, "starttls", username=USER, password=PASSWORD, ssl_context=_client_context(certificate)
    )
    delivery = notifier.send(notification())
    assert delivery.ok, delivery.detail
    assert inbox.received[0].login == USER


@AUTH_WITHOUT_TLS
def test_implicit_tls(smtp_server: StartServer, certificate: tuple[Path, Path]) -> None:
    inbox, port = smtp_server(
        ssl_context=_server_context(certificate),
        authenticator=_authenticate,
        auth_required=True,
        auth_require_tls=False,  # aiosmtpd cannot tell that the socket itself is TLS
    )
    notifier = _notifier(
        port, "ssl", username=USER, password=PASSWORD, ssl_context=_client_context(certificate)
    )
    assert notifier.send(notification()).ok
    assert inbox.received[0].login == USER


def test_untrusted_certificate_is_not_retried(
    smtp_server: StartServer, certificate: tuple[Path, Path]
) -> None:
    inbox, port = smtp_server(tls_context=_server_context(certificate), require_starttls=True)
    delivery = _notifier(port, "starttls").send(notification())  # the system trust store
    assert (delivery.ok, delivery.retryable) == (False, False)
    assert delivery.detail.startswith("SSLCertVerificationError")
    assert inbox.received == []


def test_server_without_starttls_is_not_retried(smtp_server: StartServer) -> None:
    _, port = smtp_server()
    delivery = _notifier(port, "starttls").send(notification())
    assert (delivery.ok, delivery.retryable) == (False, False)
    assert delivery.detail.startswith("SMTPNotSupportedError")


@pytest.mark.parametrize(
    ("to", "ok", "retryable", "detail"),
    [
        # every recipient refused for good: retrying cannot help
        (("reject@example.com",), False, False, "all recipients refused: reject@example.com (550)"),
        # refused for now (4xx): worth retrying
        (("later@example.com",), False, True, "all recipients refused: later@example.com (450)"),
        # some accepted: delivered, and the detail names the refused one
        (
            ("ml@example.com", "reject@example.com"),
            True,
            True,
            "SMTP accepted, but refused reject@example.com (550)",
        ),
    ],
)
def test_refused_recipients(
    smtp_server: StartServer, to: tuple[str, ...], ok: bool, retryable: bool, detail: str
) -> None:
    inbox, port = smtp_server()
    delivery = _notifier(port, to=to).send(notification())
    assert (delivery.ok, delivery.retryable, delivery.detail) == (ok, retryable, detail)
    assert len(inbox.received) == int(ok)


def test_connection_refused_is_retried() -> None:
    delivery = _notifier(free_port()).send(notification())
    assert (delivery.ok, delivery.retryable) == (False, True)
    assert delivery.detail.startswith("ConnectionRefusedError")


def test_budget_summary_says_so(smtp_server: StartServer) -> None:
    inbox, port = smtp_server()
    summary = notification(alert(), alert(feature="income"), folded=2)
    assert _notifier(port).send(summary).ok
    text = inbox.received[0].message.get_body(("plain",))
    assert text is not None
    assert "Alert budget reached: 2 alerts are folded into this summary." in text.get_content()
