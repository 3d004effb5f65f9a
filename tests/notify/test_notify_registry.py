"""build_notifiers: one notifier per configured integration, secrets from the environment,
errors naming the key path, and an explicit factory mapping users can extend."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

import httpx
import msgspec
import pytest
from notify_helpers import T0

from watchkeeper.alerting.config import Receiver, WebhookReceiver
from watchkeeper.alerting.model import Delivery, Notification
from watchkeeper.errors import ConfigError
from watchkeeper.notify.alertmanager import AlertmanagerNotifier
from watchkeeper.notify.common import Setup, TlsMode
from watchkeeper.notify.email import EmailNotifier
from watchkeeper.notify.opsgenie import OpsgenieNotifier
from watchkeeper.notify.pagerduty import PagerDutyNotifier
from watchkeeper.notify.registry import build_notifiers, default_factories
from watchkeeper.notify.slack import SlackNotifier
from watchkeeper.notify.webhook import WebhookNotifier

EVERYTHING = {
    "webhook": {"url": "http://127.0.0.1:9999/hook", "headers_env": {"X-Token": "HOOK_TOKEN"}},
    "slack": {"url_env": "SLACK_URL", "channel": "#ml"},
    "pagerduty": {"routing_key_env": "PD_KEY", "timeout": "3s"},
    "opsgenie": {"api_key_env": "OG_KEY", "responders": ["ml-oncall"], "tags": ["ml"]},
    "email": {"to": ["ml@example.com"], "from": "wk@example.com", "host": "smtp.example.com",
              "username": "wk", "password_env": "SMTP_PASSWORD"},
    "alertmanager": {"url": "http://127.0.0.1:9093"},
}  # fmt: skip
ENV = {
    "HOOK_TOKEN": "t0ken",
    "SLACK_URL": "https://hooks.slack.com/services/T/B/X",
    "PD_KEY": "routing",
    "OG_KEY": "genie",
    "SMTP_PASSWORD": "pa55",
}


def _receiver(config: dict[str, Any]) -> Receiver:
    return msgspec.convert(config, Receiver)


def test_one_notifier_per_integration_with_its_secrets() -> None:
    transport = httpx.HTTPTransport()

    def factory(host: str, port: int, timeout: float, tls: TlsMode) -> smtplib.SMTP:
        return smtplib.SMTP(host, port, timeout=timeout)

    notifiers = build_notifiers(
        "everything", _receiver(EVERYTHING), ENV, http_transport=transport, smtp_factory=factory
    )

    webhook, slack, pagerduty, opsgenie, email, alertmanager = notifiers
    assert [n.kind for n in notifiers] == list(EVERYTHING)
    assert webhook == WebhookNotifier(
        "http://127.0.0.1:9999/hook", {"X-Token": "t0ken"}, 10.0, transport
    )
    assert slack == SlackNotifier("https://hooks.slack.com/services/T/B/X", "#ml", 10.0, transport)
    assert pagerduty == PagerDutyNotifier(
        "routing", "https://events.pagerduty.com/v2/enqueue", 3.0, transport
    )
    assert opsgenie == OpsgenieNotifier(
        "genie", "https://api.opsgenie.com", ("ml-oncall",), ("ml",), 10.0, transport
    )
    assert isinstance(email, EmailNotifier)
    assert (email.host, email.port, email.tls, email.username, email.password) == (
        "smtp.example.com",
        587,
        "starttls",
        "wk",
        "pa55",
    )
    assert email.smtp_factory is factory
    assert isinstance(alertmanager, AlertmanagerNotifier)
    assert (alertmanager.url, alertmanager.transport) == ("http://127.0.0.1:9093", transport)


@pytest.mark.parametrize(
    ("integration", "variable", "key"),
    [
        ("webhook", "HOOK_TOKEN", "webhook.headers_env.X-Token"),
        ("slack", "SLACK_URL", "slack.url_env"),
        ("pagerduty", "PD_KEY", "pagerduty.routing_key_env"),
        ("opsgenie", "OG_KEY", "opsgenie.api_key_env"),
        ("email", "SMTP_PASSWORD", "email.password_env"),
    ],
)
@pytest.mark.parametrize("value", [None, ""])  # unset, and set but empty
def test_missing_secret_names_key_and_variable(
    integration: str, variable: str, key: str, value: str | None
) -> None:
    environ = {k: v for k, v in ENV.items() if k != variable}
    if value is not None:
        environ[variable] = value
    receiver = _receiver({integration: EVERYTHING[integration]})

    with pytest.raises(ConfigError) as caught:
        build_notifiers("oncall", receiver, environ)

    assert caught.value.key == f"alerting.receivers.oncall.{key}"
    assert caught.value.value == variable
    assert f"environment variable {variable} is not set" in str(caught.value)


def test_url_env_wins_over_url() -> None:
    receiver = _receiver({"slack": {"url": "http://plain", "url_env": "SLACK_URL"}})
    [slack] = build_notifiers("ml", receiver, ENV)
    assert isinstance(slack, SlackNotifier)
    assert slack.url == ENV["SLACK_URL"]


def test_bad_timeout_names_its_key() -> None:
    receiver = _receiver({"alertmanager": {"url": "http://127.0.0.1:9093", "timeout": "soon"}})
    with pytest.raises(ConfigError) as caught:
        build_notifiers("am", receiver, {})
    assert caught.value.key == "alerting.receivers.am.alertmanager.timeout"


def test_clock_reaches_the_notifiers_that_need_one() -> None:
    receiver = _receiver({k: EVERYTHING[k] for k in ("email", "alertmanager")})
    email, alertmanager = build_notifiers("r", receiver, ENV, clock=lambda: T0 + timedelta(days=1))
    assert isinstance(email, EmailNotifier) and isinstance(alertmanager, AlertmanagerNotifier)
    assert email.clock() == alertmanager.clock() == T0 + timedelta(days=1)


@dataclass(frozen=True)
class RecordingNotifier:
    """A user's notifier: keeps what it is sent."""

    kind: ClassVar[str] = "webhook"
    url: str
    sent: list[Notification]

    def send(self, notification: Notification) -> Delivery:
        self.sent.append(notification)
        return Delivery(True, "recorded")


def test_a_users_factory_replaces_a_builtin() -> None:
    seen: list[Setup] = []

    def factory(spec: WebhookReceiver, setup: Setup) -> RecordingNotifier:
        seen.append(setup)
        return RecordingNotifier(setup.url(spec.url, spec.url_env), [])

    factories = default_factories()
    factories["webhook"] = factory
    receiver = _receiver({"webhook": {"url": "http://x"}, "pagerduty": EVERYTHING["pagerduty"]})

    custom, pagerduty = build_notifiers("oncall", receiver, ENV, factories=factories)

    assert isinstance(custom, RecordingNotifier) and isinstance(pagerduty, PagerDutyNotifier)
    assert custom.url == "http://x"
    assert (seen[0].key, seen[0].receiver) == ("alerting.receivers.oncall.webhook", "oncall")
    assert default_factories()["webhook"] is not factory  # each call is a fresh mapping


def test_integration_without_a_factory_is_a_config_error() -> None:
    factories = default_factories()
    del factories["opsgenie"]
    receiver = _receiver({"opsgenie": EVERYTHING["opsgenie"]})
    with pytest.raises(ConfigError, match="no notifier registered") as caught:
        build_notifiers("ops", receiver, ENV, factories=factories)
    assert caught.value.key == "alerting.receivers.ops.opsgenie"
