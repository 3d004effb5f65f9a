"""``init``: the ``alerting`` and ``export`` sections for the stack detection found.

Receivers: ``team`` (Slack and/or email; a local webhook sink when neither is found and no
Alertmanager takes the alerts), ``pager`` (PagerDuty and/or Opsgenie) and ``alertmanager``.
Route: critical and high alerts page through ``pager`` with an escalation to the team channel
while nobody acknowledges them; everything else goes to ``team``; an Alertmanager found gets a
copy of every alert. Only variable *names* are written, never their values.

>>> from watchkeeper.setup.stack import Stack
>>> section = alerting_section(Stack(()))
>>> section.receivers
{'team': ['webhook']}
>>> to_data(Block([section.entry]))["alerting"]["route"]["receiver"]
'team'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from watchkeeper.setup.stack import Finding, Stack
from watchkeeper.setup.yamltext import Block, Comment, Entry, Items, scalar, to_data

LOCAL_SINK = "http://127.0.0.1:9999/hook"
PAGE_MATCH = "severity=~critical|high"
EMAIL_TO_PLACEHOLDER = "ml-team@example.com"
DEFAULT_RULES = (
    "DataQualityBreak, FeatureDrift, PredictionDrift, PerformanceDrop, LatencySpike,\n"
    "ErrorRateSpike, NoTraffic, KpiDrop, LabelsStopped, LabelsDelayed, LabelDrift"
)

__all__ = ["AlertingPlan", "ExportPlan", "alerting_section", "export_section", "to_data"]


@dataclass
class AlertingPlan:
    entry: Entry
    receivers: dict[str, list[str]]  # receiver -> integrations
    route: str  # one line: where alerts go
    notes: list[str] = field(default_factory=list)  # what the user still has to do


@dataclass
class ExportPlan:
    item: Entry | Comment
    targets: list[str]  # "statsd (Datadog agent 10.0.0.5:8125)", ...
    notes: list[str] = field(default_factory=list)


def _evidence(finding: Finding) -> str:
    return f"{finding.label}: " + "; ".join(e.describe() for e in finding.evidence)


def _team(stack: Stack, notes: list[str]) -> tuple[Entry | None, list[str]]:
    slack, email = stack.on("slack"), stack.on("email")
    integrations: list[Entry] = []
    found: list[Finding] = []
    if slack is not None:
        found.append(slack)
        integrations.append(Entry("slack", dict(slack.settings)))
    if email is not None:
        found.append(email)
        integrations.append(Entry("email", _email(email, notes)))
    if not integrations:
        if stack.on("alertmanager") is not None:
            return None, []  # the Alertmanager found takes every alert
        notes.append(
            f"alerts below high severity go to the local webhook {LOCAL_SINK}: replace "
            "alerting.receivers.team with your own (slack url_env, email, webhook)"
        )
        comment = (
            "No Slack (SLACK_WEBHOOK_URL), email (SMTP_HOST) or Alertmanager found: a local\n"
            "webhook sink (Alertmanager webhook format). Replace it with your own receiver."
        )
        sink = Entry("webhook", {"url": LOCAL_SINK})
        return Entry("team", Block([sink]), comment=comment), ["webhook"]
    comment = "\n".join(_evidence(f) for f in found)
    return Entry("team", Block(integrations), comment=comment), [i.key for i in integrations]


def _email(finding: Finding, notes: list[str]) -> dict[str, Any]:
    settings = finding.settings
    to = [a.strip() for a in settings.get("to", "").split(",") if a.strip()]
    if not to:
        to = [EMAIL_TO_PLACEHOLDER]
        notes.append(
            f"set alerting.receivers.team.email.to (now the placeholder {EMAIL_TO_PLACEHOLDER}; "
            "ALERT_EMAIL_TO fills it in)"
        )
    sender = settings.get("from") or _sender(settings.get("username"))
    spec: dict[str, Any] = {
        "to": to,
        "from": sender,
        "host": settings["host"],
        "port": int(settings["port"]),
        "tls": settings["tls"],
    }
    if settings.get("username"):
        spec["username"] = settings["username"]
    if settings.get("password_env"):
        spec["password_env"] = settings["password_env"]
    return spec


def _sender(username: str | None) -> str:
    return username if username and "@" in username else "watchkeeper@example.com"


def _pager(stack: Stack) -> tuple[Entry | None, list[str]]:
    pagerduty, opsgenie = stack.on("pagerduty"), stack.on("opsgenie")
    integrations: list[Entry] = []
    found: list[Finding] = []
    if pagerduty is not None:
        found.append(pagerduty)
        integrations.append(Entry("pagerduty", dict(pagerduty.settings)))
    if opsgenie is not None:
        found.append(opsgenie)
        spec: dict[str, Any] = {"api_key_env": opsgenie.settings["api_key_env"]}
        if "url" in opsgenie.settings:
            spec["url"] = opsgenie.settings["url"]
        if "responders" in opsgenie.settings:
            spec["responders"] = [opsgenie.settings["responders"]]
        integrations.append(Entry("opsgenie", spec))
    if not integrations:
        return None, []
    comment = "\n".join(_evidence(f) for f in found)
    return Entry("pager", Block(integrations), comment=comment), [i.key for i in integrations]


def alerting_section(stack: Stack) -> AlertingPlan:
    notes: list[str] = []
    team, team_kinds = _team(stack, notes)
    pager, pager_kinds = _pager(stack)
    manager = stack.on("alertmanager")
    receivers: list[Entry] = [r for r in (team, pager) if r is not None]
    kinds = {r.key: k for r, k in ((team, team_kinds), (pager, pager_kinds)) if r is not None}
    if manager is not None:
        url = manager.settings["url"]
        receivers.append(
            Entry(
                "alertmanager",
                Block([Entry("alertmanager", {"url": url})]),
                comment=_evidence(manager),
            )
        )
        kinds["alertmanager"] = ["alertmanager"]
    root = "team" if team is not None else "alertmanager"
    route, summary = _route(root, pager is not None, manager is not None and root != "alertmanager")
    entries: list[Entry | Comment] = [
        Entry("external_url", "http://127.0.0.1:8000", note="the service's URL in notifications"),
        Entry(
            "default_rules",
            True,
            comment="Generated rules for every model, on its shortest window:\n" + DEFAULT_RULES,
            note="a rule under `rules:` with the same name replaces one",
        ),
        Entry(
            "receivers",
            Block(receivers),
            comment="Where notifications go. Secrets stay in the environment: each receiver "
            "names the\nvariable that holds its URL, key or password.",
        ),
        Entry("route", route, comment=summary),
    ]
    if pager is not None:
        entries.append(_escalation(team is not None))
    entries += [
        Entry(
            "playbooks",
            "./playbooks",
            comment="Incident playbooks (Markdown, one per alert kind) copied here for your "
            "team to edit.",
        ),
        Entry("max_retry_delay", "5m", note="failed deliveries retry with backoff up to this"),
    ]
    section = Entry(
        "alerting",
        Block(entries),
        comment="Alerting: rules -> inhibition -> silences -> grouping -> routing -> "
        "notifiers -> escalation,\nwith incidents and playbooks. See the README's "
        '"Alerting" section for every key.',
    )
    return AlertingPlan(section, kinds, summary.replace("\n", " "), notes)


def _route(root: str, paging: bool, copy_to_manager: bool) -> tuple[Block, str]:
    children: list[dict[str, Any]] = []
    notes: list[str] = []
    if copy_to_manager:
        children.append({"receiver": "alertmanager", "continue": True})
        notes.append("a copy of every alert to Alertmanager")
    if paging:
        children.append({"match": [PAGE_MATCH], "receiver": "pager", "escalation": "pager"})
        notes.append("critical and high alerts page")
    if copy_to_manager:
        children.append({"receiver": root})
        notes.append(f"the rest to {root} (the copy above counts as a match)")
    entries: list[Entry | Comment] = [
        Entry("receiver", root, note="alerts no child route below takes"),
        Entry("group_by", ["model", "alertname"]),
        Entry("group_interval", "5m", note="how often a changed group is re-sent"),
        Entry("repeat_interval", "4h", note="how often a still-firing group is re-sent"),
    ]
    if children:
        entries.append(Entry("routes", Items(children, notes)))
    if paging:
        summary = f"Critical and high alerts page (pager, escalating); the rest go to {root}."
    else:
        summary = f"Every alert goes to {root}."
    if copy_to_manager:
        summary += "\nAlertmanager gets a copy of each, so its silences and routes apply too."
    return Block(entries), summary


def _escalation(has_team: bool) -> Entry:
    levels: list[dict[str, str]] = [{"receiver": "pager", "after": "0m"}]
    comment = "An unacknowledged page"
    if has_team:
        levels.append({"receiver": "team", "after": "30m"})
        comment += " reaches the team channel too after 30 minutes"
    comment += ";\n`watchkeeper alerts ack ID` (or an ack in PagerDuty / Opsgenie) stops it."
    policy = Block([Entry("levels", levels), Entry("start", {"critical": 0, "high": 0})])
    return Entry("escalation", Block([Entry("pager", policy)]), comment=comment)


def export_section(stack: Stack) -> ExportPlan:
    """Push exporters for the StatsD / Datadog, OTLP and CloudWatch targets found."""
    entries: list[Entry | Comment] = []
    targets: list[str] = []
    notes: list[str] = []
    statsd = stack.on("datadog") or stack.on("statsd")
    if statsd is not None:
        s = statsd.settings
        spec = {"host": s["host"], "port": int(s["port"]), "prefix": s["prefix"]}
        spec["tags_style"] = s["tags_style"]
        entries.append(Entry("statsd", spec, comment=_evidence(statsd)))
        targets.append(f"statsd ({statsd.label} {s['host']}:{s['port']})")
    otlp = stack.on("otlp")
    if otlp is not None:
        entries.append(
            Entry("otlp", {"endpoint": otlp.settings["endpoint"]}, comment=_evidence(otlp))
        )
        targets.append(f"otlp ({otlp.settings['endpoint']})")
        if otlp.settings.get("headers_var"):
            names = [n for n in otlp.settings.get("headers", "").split(",") if n]
            example = {n: f"WK_OTLP_{n.upper().replace('-', '_')}" for n in names or ["header"]}
            entries.append(
                Comment(
                    f"{otlp.settings['headers_var']} sets headers; watchkeeper reads each from a "
                    "variable of its own:\n"
                    f"  headers_env: {scalar(example)}   (move this under otlp:)"
                )
            )
            notes.append(
                f"OTLP headers: put each value of {otlp.settings['headers_var']} in a variable "
                "of its own and name it under export.otlp.headers_env"
            )
    cloudwatch = stack.on("cloudwatch")
    if cloudwatch is not None:
        path = cloudwatch.settings["path"]
        entries.append(Entry("emf", {"path": path}, comment=_evidence(cloudwatch)))
        targets.append(f"emf ({path})")
        if path != "/dev/stdout":
            notes.append(
                f"CloudWatch: have the CloudWatch agent ship {path} (EMF) to CloudWatch Logs"
            )
    if not entries:
        comment = (
            "Push exporters (none found): each evaluation's new samples can also go to\n"
            "export:\n"
            "  statsd: {host: 127.0.0.1, port: 8125, tags_style: dogstatsd}\n"
            '  otlp: {endpoint: "http://127.0.0.1:4318/v1/metrics"}\n'
            "  emf: {path: ./emf.jsonl}"
        )
        return ExportPlan(Comment(comment), [], notes)
    block = Entry(
        "export",
        Block(entries),
        comment="Push exporters: each evaluation's new samples also go to the targets found.",
    )
    return ExportPlan(block, targets, notes)
