"""From a receiver's config to its notifiers: one per integration configured in it.

Each kind of notifier is built by a factory ``(config struct, Setup) -> Notifier``, looked up
by the receiver config key (``webhook``, ``slack``, ...) in a plain mapping.
:func:`default_factories` returns a fresh copy of the built-in one; to add or replace a
notifier, change that copy and pass it as ``factories`` (the built-ins are registered the
same way, nothing happens at import). Secrets are read from ``environ`` when the notifiers are
built, so a missing variable fails at startup with the key path that names it.

>>> from watchkeeper.alerting.config import PagerDutyReceiver, Receiver, WebhookReceiver
>>> receiver = Receiver(webhook=WebhookReceiver(url="http://127.0.0.1:9999/hook"),
...                     pagerduty=PagerDutyReceiver(routing_key_env="PD_KEY"))
>>> [n.kind for n in build_notifiers("oncall", receiver, {"PD_KEY": "k"})]
['webhook', 'pagerduty']
>>> build_notifiers("oncall", receiver, {})
Traceback (most recent call last):
...
watchkeeper.errors.ConfigError: alerting.receivers.oncall.pagerduty.routing_key_env: \
environment variable PD_KEY is not set or empty (got 'PD_KEY')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from watchkeeper.alerting.config import Receiver
from watchkeeper.alerting.model import Clock, Notifier
from watchkeeper.errors import ConfigError
from watchkeeper.notify import alertmanager, email, opsgenie, pagerduty, slack, webhook
from watchkeeper.notify.common import Setup, SmtpFactory, utc_now

NotifierFactory = Callable[[Any, Setup], Notifier]


def default_factories() -> dict[str, NotifierFactory]:
    """The built-in notifiers by receiver config key (a new dict on every call)."""
    return {
        "webhook": webhook.from_config,
        "slack": slack.from_config,
        "pagerduty": pagerduty.from_config,
        "opsgenie": opsgenie.from_config,
        "email": email.from_config,
        "alertmanager": alertmanager.from_config,
    }


def build_notifiers(
    name: str,
    receiver: Receiver,
    environ: Mapping[str, str],
    *,
    http_transport: httpx.BaseTransport | None = None,
    smtp_factory: SmtpFactory | None = None,
    clock: Clock = utc_now,
    factories: Mapping[str, NotifierFactory] | None = None,
) -> list[Notifier]:
    """The notifiers of receiver ``name``, in the order of :class:`Receiver`'s fields.

    Raises :class:`ConfigError` naming ``alerting.receivers.<name>.<integration>.<field>``
    when an environment variable the config names is missing or empty, or a timeout is bad.
    """
    registry = default_factories() if factories is None else factories
    notifiers: list[Notifier] = []
    for integration in receiver.__struct_fields__:
        spec = getattr(receiver, integration)
        if spec is None:
            continue
        key = f"alerting.receivers.{name}.{integration}"
        factory = registry.get(integration)
        if factory is None:
            known = ", ".join(sorted(registry)) or "none"
            raise ConfigError(key, integration, f"no notifier registered for it (known: {known})")
        setup = Setup(key, name, environ, http_transport, smtp_factory, clock)
        notifiers.append(factory(spec, setup))
    return notifiers
