"""Detectors of where alerts can go: Slack, PagerDuty, Opsgenie and email (SMTP).

Secrets are found by the *name* of the variable holding them; the receivers ``init`` writes
name that variable (``url_env``, ``routing_key_env``, ``api_key_env``, ``password_env``).

>>> env = Environment({"PD_ROUTING_KEY": "R0UT1NG", "SMTP_HOST": "127.0.0.1",
...                    "SMTP_PORT": "1025"})
>>> found = detect_pagerduty(env, {})
>>> found.status.value, dict(found.settings), [e.describe() for e in found.evidence]
('on', {'routing_key_env': 'PD_ROUTING_KEY'}, ['env PD_ROUTING_KEY (set)'])
>>> detect_email(env, {}).settings["tls"]
'none'
"""

from __future__ import annotations

from collections.abc import Mapping

from watchkeeper.setup.stack import Detector, Environment, Evidence, Finding, Status

SLACK_WEBHOOK = "SLACK_WEBHOOK_URL"
SLACK_TOKENS = ("SLACK_BOT_TOKEN", "SLACK_TOKEN")
PAGERDUTY_KEYS = ("PAGERDUTY_ROUTING_KEY", "PD_ROUTING_KEY", "PAGERDUTY_INTEGRATION_KEY")
PAGERDUTY_API_TOKENS = ("PAGERDUTY_TOKEN", "PAGERDUTY_API_KEY", "PAGERDUTY_API_TOKEN")
OPSGENIE_KEYS = ("OPSGENIE_API_KEY", "OPSGENIE_KEY")
SMTP_USERS = ("SMTP_USER", "SMTP_USERNAME")
SMTP_PASSWORDS = ("SMTP_PASSWORD", "SMTP_PASS")
EMAIL_TO = ("ALERT_EMAIL_TO", "SMTP_TO")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _present(*items: Evidence | None) -> tuple[Evidence, ...]:
    return tuple(e for e in items if e is not None)


def _first(env: Environment, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if env.var(n)), None)


def detect_slack(env: Environment, probes: Mapping[str, Evidence]) -> Finding | None:
    evidence = _present(
        env.evidence(SLACK_WEBHOOK, secret=True),
        env.evidence("SLACK_CHANNEL"),
        *(env.evidence(n, secret=True) for n in SLACK_TOKENS),
    )
    if not evidence:
        return None
    if not env.var(SLACK_WEBHOOK):
        return Finding(
            "slack",
            "Slack",
            Status.INCOMPLETE,
            evidence,
            f"a Slack token, but watchkeeper posts to an incoming webhook: set {SLACK_WEBHOOK}",
            "slack receiver",
            "alerting.receivers.team.slack",
        )
    settings = {"url_env": SLACK_WEBHOOK}
    channel = env.var("SLACK_CHANNEL")
    if channel:
        settings["channel"] = channel
    return Finding(
        "slack",
        "Slack",
        Status.ON,
        evidence,
        f"alerts below high severity go to the incoming webhook in {SLACK_WEBHOOK}",
        "slack receiver",
        "alerting.receivers.team.slack",
        settings,
    )


def detect_pagerduty(env: Environment, probes: Mapping[str, Evidence]) -> Finding | None:
    evidence = _present(
        *(env.evidence(n, secret=True) for n in PAGERDUTY_KEYS + PAGERDUTY_API_TOKENS)
    )
    if not evidence:
        return None
    key = _first(env, PAGERDUTY_KEYS)
    if key is None:
        return Finding(
            "pagerduty",
            "PagerDuty",
            Status.INCOMPLETE,
            evidence,
            "a PagerDuty REST API token, not an Events v2 routing key: set PAGERDUTY_ROUTING_KEY "
            "(the service's integration key)",
            "pagerduty receiver",
            "alerting.receivers.pager.pagerduty",
        )
    return Finding(
        "pagerduty",
        "PagerDuty",
        Status.ON,
        evidence,
        f"critical and high alerts page through Events v2 with the routing key in {key}, "
        "escalating while unacknowledged",
        "pagerduty receiver",
        "alerting.receivers.pager.pagerduty",
        {"routing_key_env": key},
    )


def detect_opsgenie(env: Environment, probes: Mapping[str, Evidence]) -> Finding | None:
    evidence = _present(
        *(env.evidence(n, secret=True) for n in OPSGENIE_KEYS),
        env.evidence("OPSGENIE_API_URL", url=True),
        env.evidence("OPSGENIE_TEAM"),
    )
    if not evidence:
        return None
    key = _first(env, OPSGENIE_KEYS)
    if key is None:
        return Finding(
            "opsgenie",
            "Opsgenie",
            Status.INCOMPLETE,
            evidence,
            "no API key: set OPSGENIE_API_KEY",
            "opsgenie receiver",
            "alerting.receivers.pager.opsgenie",
        )
    settings = {"api_key_env": key}
    url = env.var("OPSGENIE_API_URL")
    if url:
        settings["url"] = url.rstrip("/")
    team = env.var("OPSGENIE_TEAM")
    if team:
        settings["responders"] = team
    return Finding(
        "opsgenie",
        "Opsgenie",
        Status.ON,
        evidence,
        f"critical and high alerts open Opsgenie alerts with the API key in {key}",
        "opsgenie receiver",
        "alerting.receivers.pager.opsgenie",
        settings,
    )


def detect_email(env: Environment, probes: Mapping[str, Evidence]) -> Finding | None:
    names = ("SMTP_HOST", "SMTP_PORT", *SMTP_USERS, "SMTP_FROM", *EMAIL_TO)
    evidence = _present(
        *(env.evidence(n) for n in names),
        *(env.evidence(n, secret=True) for n in SMTP_PASSWORDS),
    )
    if not evidence:
        return None
    host = env.var("SMTP_HOST")
    port_text = env.var("SMTP_PORT") or "587"
    if host is None or not port_text.isdigit():
        problem = "no SMTP_HOST" if host is None else "SMTP_PORT is not a port number"
        return Finding(
            "email",
            "Email (SMTP)",
            Status.INCOMPLETE,
            evidence,
            problem,
            "email receiver",
            "alerting.receivers.team.email",
        )
    tls, why = _tls(host, int(port_text))
    settings = {"host": host, "port": port_text, "tls": tls}
    user = _first(env, SMTP_USERS)
    if user:
        settings["username"] = env.var(user) or ""
    password = _first(env, SMTP_PASSWORDS)
    if password:
        settings["password_env"] = password
    sender = env.var("SMTP_FROM")
    if sender:
        settings["from"] = sender
    to = next((v for n in EMAIL_TO if (v := env.var(n))), None)
    if to:
        settings["to"] = to
    return Finding(
        "email",
        "Email (SMTP)",
        Status.ON,
        evidence,
        f"alerts below high severity are mailed through {host}:{port_text} ({why})",
        "email receiver",
        "alerting.receivers.team.email",
        settings,
    )


def _tls(host: str, port: int) -> tuple[str, str]:
    if port == 465:
        return "ssl", "port 465: TLS from the start"
    if host in LOOPBACK:
        return "none", "a local relay: no TLS"
    return "starttls", "STARTTLS"


DETECTORS = (
    Detector("slack", detect_slack),
    Detector("pagerduty", detect_pagerduty),
    Detector("opsgenie", detect_opsgenie),
    Detector("email", detect_email),
)
