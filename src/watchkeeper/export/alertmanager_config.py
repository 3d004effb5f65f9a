"""An Alertmanager configuration translating ``alerting:`` (``watchkeeper export alertmanager``),
for teams whose Prometheus evaluates the generated rules and whose Alertmanager notifies.

- ``route`` → ``route``: ``match`` → ``matchers``, ``group_by``, ``group_wait``,
  ``group_interval``, ``repeat_interval``, ``continue`` and the children, with watchkeeper's root
  defaults written out (``group_by: [model, alertname]``, ``group_wait: 0s``, ``5m``, ``4h``).
- ``escalation`` on a route → its receiver becomes the policy's starting level (severities that
  ``start`` elsewhere get a child route after the route's own). Alertmanager does not escalate:
  later levels are left to the pager's own escalation policy (a header note lists them).
  ``max_per_hour`` (the alert budget) has no counterpart either (noted).
- ``receivers``: ``webhook`` → ``webhook_configs`` (a ``url_env`` URL cannot be given, as
  Alertmanager 0.25 reads no webhook URL from a file: noted, add it by hand; ``headers_env``
  likewise), ``slack`` → ``slack_configs`` (``api_url_file``), ``pagerduty`` →
  ``pagerduty_configs`` (``routing_key_file``, severity mapped to PagerDuty's), ``opsgenie`` →
  ``opsgenie_configs`` (``api_key_file``, responders as teams, priority P1–P5 from severity),
  ``email`` → ``email_configs`` (``auth_password_file``; ``tls: ssl`` is implicit TLS, which
  Alertmanager does on port 465 only), ``alertmanager`` → nothing (those alerts already go to
  that Alertmanager). Secrets never enter the file: each ``*_env`` variable becomes a file
  ``<secrets_dir>/<VARIABLE>`` that must hold its value. A literal ``url`` is written as given.
- ``inhibit_rules`` → ``source_matchers`` / ``target_matchers`` / ``equal``, then with
  ``builtin_inhibitions`` the built-ins of :mod:`watchkeeper.alerting.inhibit`: a data-quality
  alert (``monitor`` quality) or an outage (``NoTraffic``, ``PipelineDown``) mutes the drift and
  performance alerts of its model — of its feature when it names one, of its model version when
  it names one (four rules per source); a featureless data-quality alert mutes all of them
  (watchkeeper narrows that to the features in its evidence, which labels do not carry) — and a
  critical alert mutes the warning and info alerts of the same alertname, model and feature.

>>> from watchkeeper.settings import parse_service_config
>>> config = parse_service_config({"alerting": {
...     "receivers": {"ml": {"slack": {"url_env": "SLACK_URL", "channel": "#ml"}}},
...     "route": {"receiver": "ml"}}})
>>> am = alertmanager_config(config.alerting)
>>> am.config["receivers"]
[{'name': 'ml', 'slack_configs': [{'api_url_file': '/etc/alertmanager/secrets/SLACK_URL', \
'channel': '#ml', 'send_resolved': True}]}]
>>> len(am.config["inhibit_rules"])
9
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from watchkeeper.alerting.config import (
    AlertingSection,
    EmailReceiver,
    OpsgenieReceiver,
    PagerDutyReceiver,
    Receiver,
    RouteSpec,
    SlackReceiver,
    WebhookReceiver,
)
from watchkeeper.alerting.inhibit import DRIFT_MONITORS, OUTAGE_ALERTS, QUALITY_MONITORS
from watchkeeper.alerting.matchers import Matcher, parse_matchers
from watchkeeper.export.prometheus_rules import dump_yaml
from watchkeeper.export.promql import duration, quote
from watchkeeper.settings import parse_duration

CONFIG_FILE = "alertmanager.yml"
DEFAULT_SECRETS_DIR = "/etc/alertmanager/secrets"
NULL_RECEIVER = "watchkeeper-null"
ROOT_DEFAULTS = {"group_wait": "0s", "group_interval": "5m", "repeat_interval": "4h"}
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
OPSGENIE_URL = "https://api.opsgenie.com"
_SEVERITY_TEMPLATE = (
    '{{{{ if eq .CommonLabels.severity "critical" }}}}{critical}'
    '{{{{ else if eq .CommonLabels.severity "high" }}}}{high}'
    '{{{{ else if eq .CommonLabels.severity "info" }}}}{info}'
    "{{{{ else }}}}{warning}{{{{ end }}}}"
)


@dataclass(frozen=True)
class AlertmanagerConfig:
    config: dict[str, Any]
    notes: tuple[str, ...]  # what could not be expressed, for the file's header


def alertmanager_config(
    section: AlertingSection, secrets_dir: str = DEFAULT_SECRETS_DIR
) -> AlertmanagerConfig:
    notes: list[str] = []
    receivers = [
        _receiver(name, receiver, secrets_dir.rstrip("/"), notes)
        for name, receiver in section.receivers.items()
    ]
    route = _route(section.route, section, "route", notes, root=True)
    if route["receiver"] == NULL_RECEIVER:
        receivers.append({"name": NULL_RECEIVER})
        notes.append(f"no receiver is configured: every alert goes to {NULL_RECEIVER!r} (nowhere)")
    inhibit = [
        {
            "source_matchers": _matchers(spec.source),
            "target_matchers": _matchers(spec.target),
            **({"equal": list(spec.equal)} if spec.equal else {}),
        }
        for spec in section.inhibit_rules
    ]
    if section.builtin_inhibitions:
        inhibit += builtin_inhibit_rules()
    config = {"route": route, "receivers": receivers, "inhibit_rules": inhibit}
    return AlertmanagerConfig(config, tuple(notes))


def _matchers(texts: list[str]) -> list[str]:
    return [_am(m) for m in parse_matchers(texts, "match")]


def _am(m: Matcher) -> str:
    return f"{m.name}{m.op}{quote(m.value)}"


def _route(
    spec: RouteSpec, section: AlertingSection, key: str, notes: list[str], *, root: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    receiver = spec.receiver or (NULL_RECEIVER if root else None)
    extra: list[dict[str, Any]] = []
    if spec.escalation is not None:
        receiver, extra = _escalation(spec.escalation, section, key, notes)
    if receiver is not None:
        out["receiver"] = receiver
    if spec.match:
        out["matchers"] = _matchers(spec.match)
    if spec.group_by is not None or root:
        out["group_by"] = list(
            spec.group_by if spec.group_by is not None else ["model", "alertname"]
        )
    for field in ("group_wait", "group_interval", "repeat_interval"):
        value = getattr(spec, field)
        if value is not None:
            out[field] = _duration(value)
        elif root:
            out[field] = ROOT_DEFAULTS[field]
    if spec.continue_:
        out["continue"] = True
    if spec.max_per_hour:
        notes.append(f"{key}: max_per_hour {spec.max_per_hour} (the alert budget) not expressed")
    children = [
        _route(child, section, f"{key}.routes.{i}", notes, root=False)
        for i, child in enumerate(spec.routes)
    ]
    if children or extra:
        out["routes"] = [*children, *extra]
    return out


def _escalation(
    name: str, section: AlertingSection, key: str, notes: list[str]
) -> tuple[str, list[dict[str, Any]]]:
    """The receiver a route with ``escalation: name`` notifies first, and child routes for the
    severities that start at another level."""
    policy = section.escalation[name]
    levels = policy.levels
    later = [f"{lv.receiver} after {lv.after}" for lv in levels[1:]]
    if later:
        notes.append(
            f"{key}: escalation {name!r} notifies {levels[0].receiver} first; Alertmanager does "
            f"not escalate, so {', '.join(later)} is left to your pager's escalation policy"
        )
    extra = [
        {"receiver": levels[level].receiver, "matchers": [_am(Matcher("severity", "=", sev))]}
        for sev, level in sorted(policy.start.items())
        if level != 0
    ]
    return levels[0].receiver, extra


def _duration(text: str) -> str:
    if text.strip() in ("0", "0s", "0m"):
        return "0s"
    return duration(parse_duration(text))


def _receiver(name: str, spec: Receiver, secrets: str, notes: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    key = f"receivers.{name}"
    if spec.webhook is not None:
        webhook = _webhook(spec.webhook, key, notes)
        if webhook:
            out["webhook_configs"] = [webhook]
    if spec.slack is not None:
        out["slack_configs"] = [_slack(spec.slack, secrets)]
    if spec.pagerduty is not None:
        out["pagerduty_configs"] = [_pagerduty(spec.pagerduty, secrets)]
    if spec.opsgenie is not None:
        out["opsgenie_configs"] = [_opsgenie(spec.opsgenie, secrets)]
    if spec.email is not None:
        out["email_configs"] = [_email(spec.email, secrets, key, notes)]
    if spec.alertmanager is not None:
        notes.append(
            f"{key}.alertmanager: nothing generated; watchkeeper already sends these alerts to "
            f"{spec.alertmanager.url}"
        )
    return out


def _webhook(spec: WebhookReceiver, key: str, notes: list[str]) -> dict[str, Any] | None:
    if spec.headers_env:
        headers = ", ".join(f"{h} from ${env}" for h, env in spec.headers_env.items())
        notes.append(f"{key}.webhook: headers ({headers}) not expressed; add them by hand")
    if spec.url is None:
        notes.append(
            f"{key}.webhook: the URL is in ${spec.url_env}; Alertmanager 0.25 reads no webhook "
            "URL from a file, so add webhook_configs with that URL by hand"
        )
        return None
    return {"url": spec.url, "send_resolved": True}


def _slack(spec: SlackReceiver, secrets: str) -> dict[str, Any]:
    out: dict[str, Any] = (
        {"api_url": spec.url} if spec.url else {"api_url_file": f"{secrets}/{spec.url_env}"}
    )
    if spec.channel:
        out["channel"] = spec.channel
    out["send_resolved"] = True
    return out


def _pagerduty(spec: PagerDutyReceiver, secrets: str) -> dict[str, Any]:
    out: dict[str, Any] = {"routing_key_file": f"{secrets}/{spec.routing_key_env}"}
    if spec.url.rstrip("/") != PAGERDUTY_URL:
        out["url"] = spec.url
    severity = _SEVERITY_TEMPLATE.format(
        critical="critical", high="error", info="info", warning="warning"
    )
    return {**out, "severity": severity, "send_resolved": True}


def _opsgenie(spec: OpsgenieReceiver, secrets: str) -> dict[str, Any]:
    out: dict[str, Any] = {"api_key_file": f"{secrets}/{spec.api_key_env}"}
    if spec.url.rstrip("/") != OPSGENIE_URL:
        out["api_url"] = spec.url.rstrip("/") + "/"
    if spec.responders:
        out["responders"] = [{"name": team, "type": "team"} for team in spec.responders]
    if spec.tags:
        out["tags"] = ",".join(spec.tags)
    out["priority"] = _SEVERITY_TEMPLATE.format(critical="P1", high="P2", warning="P3", info="P5")
    out["send_resolved"] = True
    return out


def _email(spec: EmailReceiver, secrets: str, key: str, notes: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "to": ", ".join(spec.to),
        "from": spec.sender,
        "smarthost": f"{spec.host}:{spec.port}",
    }
    if spec.username:
        out["auth_username"] = spec.username
    if spec.password_env:
        out["auth_password_file"] = f"{secrets}/{spec.password_env}"
    out["require_tls"] = spec.tls == "starttls"
    if spec.tls == "ssl" and spec.port != 465:
        notes.append(f"{key}.email: tls ssl on port {spec.port}: Alertmanager uses it on 465 only")
    out["send_resolved"] = True
    return out


def builtin_inhibit_rules() -> list[dict[str, Any]]:
    """The built-in inhibitions of :mod:`watchkeeper.alerting.inhibit` as Alertmanager rules."""
    drift = _am(Matcher("monitor", "=~", "|".join(sorted(DRIFT_MONITORS))))
    sources = (
        _am(Matcher("monitor", "=~", "|".join(sorted(QUALITY_MONITORS)))),
        _am(Matcher("alertname", "=~", "|".join(sorted(OUTAGE_ALERTS)))),
    )
    rules = []
    for source in sources:
        for named in ("feature", "model_version"), ("feature",), ("model_version",), ():
            scope = [
                _am(Matcher(label, "=~" if label in named else "=", ".+" if label in named else ""))
                for label in ("feature", "model_version")
            ]
            equal = ["model", *(label for label in ("feature", "model_version") if label in named)]
            rules.append(
                {
                    "source_matchers": [source, 'model=~".+"', *scope],
                    "target_matchers": [drift],
                    "equal": equal,
                }
            )
    rules.append(
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity=~"|info|warning"'],
            "equal": ["alertname", "model", "feature"],
        }
    )
    return rules


def render_alertmanager(
    am: AlertmanagerConfig, source: str = "watchkeeper.yaml", secrets_dir: str = ""
) -> str:
    lines = [
        f"# Alertmanager configuration generated by `watchkeeper export alertmanager` from "
        f"{source}.",
        "# Secrets are read from files named after the environment variables that hold them in",
        f"# watchkeeper (e.g. {secrets_dir or DEFAULT_SECRETS_DIR}/SLACK_WEBHOOK_URL holds the "
        "value of $SLACK_WEBHOOK_URL).",
        *(f"# note: {note}" for note in am.notes),
    ]
    return "\n".join(lines) + "\n" + dump_yaml(am.config)
