"""The postmortem of an incident, as Markdown: summary, impact, alerts, timeline, evidence,
what was done and follow-ups (the remediation steps of its playbook, as checkboxes).

A draft to edit, written from the incident alone (pure: the duration of an unresolved
incident runs to ``now``, by default its last activity).

>>> from datetime import UTC, datetime, timedelta
>>> from watchkeeper.alerting.incidents import IncidentBook
>>> from watchkeeper.alerting.model import Alert, AlertStatus
>>> t = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> evidence = {"drifted_features": [{"feature": "age", "test": "psi", "statistic": 0.31,
...                                   "threshold": 0.2, "score": 1.55, "drifted": True}]}
>>> alert = Alert({"alertname": "FeatureDrift", "severity": "warning", "model": "credit",
...                "metric": "feature_drift"}, {}, AlertStatus.FIRING, t, t, evidence=evidence)
>>> book = IncidentBook()
>>> _ = book.observe([alert], t)
>>> incident = book.incidents()[0]
>>> _ = book.resolve(incident.id, "ana", t + timedelta(hours=2), "reference refreshed")
>>> text = render_postmortem(book.get(incident.id))
>>> "| age | psi | 0.31 | 0.2 | – | 1.55 | yes |" in text, "Duration: 2h 00m" in text
(True, True)
>>> [line[:40] for line in text.splitlines() if line.startswith("- [ ]")][0]
'- [ ] If an upstream pipeline broke (nul'
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from watchkeeper.alerting import incidents_format as fmt
from watchkeeper.alerting.incidents_model import AUTO, EntryKind, Incident
from watchkeeper.alerting.model import AlertStatus
from watchkeeper.alerting.playbooks import DEFAULT_URL, remediation_steps, render_playbook

PEOPLE = (EntryKind.ACK, EntryKind.NOTE, EntryKind.RESOLVE, EntryKind.REOPEN)


def render_postmortem(
    incident: Incident,
    *,
    now: datetime | None = None,
    overrides_dir: str | Path | None = None,
    base_url: str = DEFAULT_URL,
) -> str:
    """The incident's postmortem draft (Markdown)."""
    until = now or incident.resolved_at or incident.last_active_at
    parts = [
        f"# Postmortem: {incident.title}",
        _summary(incident, until),
        _impact(incident, until),
        _alerts(incident),
        _timeline(incident),
        _evidence(incident),
        _done(incident),
        _follow_ups(incident, overrides_dir, base_url),
    ]
    return "\n\n".join(parts) + "\n"


def _summary(incident: Incident, until: datetime) -> str:
    names = ", ".join(sorted({a.name for a in incident.alerts.values()})) or "no alerts"
    state = incident.status.value
    if incident.resolved_at:
        by = "automatically" if incident.resolved_by == AUTO else f"by {incident.resolved_by}"
        state += f" {by} at {fmt.when(incident.resolved_at)}"
    rows = [
        ("Incident", f"`{incident.id}`"),
        ("Model", f"`{incident.model}`"),
        ("Severity", f"{incident.severity.value} (the worst of its alerts)"),
        ("Owner", incident.owner),
        ("Status", state),
        ("Alerts", names),
        ("Problem started", fmt.when(incident.started_at)),
        ("Incident opened", fmt.when(incident.opened_at)),
    ]
    if incident.acknowledged_at:
        wait = fmt.duration((incident.acknowledged_at - incident.opened_at).total_seconds())
        ack = f"{fmt.when(incident.acknowledged_at)} by {incident.acknowledged_by} (after {wait})"
        rows.append(("Acknowledged", ack))
    return "## Summary\n\n" + fmt.table(["", ""], rows)


def _impact(incident: Incident, until: datetime) -> str:
    evidence = incident.evidence
    labels = [a.labels for a in incident.alerts.values()]
    versions = {fmt.group_name(g) for g in fmt.rows(evidence, "model_versions")}
    versions |= {v["model_version"] for v in labels if "model_version" in v}
    changes = fmt.part(evidence, "version_changes")
    served = [str(v) for v in changes.get("current") or []]
    segments = {fmt.group_name(g) for g in fmt.rows(evidence, "segments")}
    segments |= {f"{v['segment']}={v.get('segment_value', '?')}" for v in labels if "segment" in v}
    return "\n".join(
        [
            "## Impact",
            "",
            f"- Duration: {fmt.duration(incident.duration(until).total_seconds())} "
            f"(from {fmt.when(incident.started_at)} to "
            f"{fmt.when(incident.resolved_at) if incident.resolved_at else 'now, unresolved'})",
            f"- Severity: {incident.severity.value}",
            f"- Models: `{incident.model}`",
            f"- Model versions affected: {', '.join(sorted(versions)) or fmt.NOT_AVAILABLE}"
            f" (served in the window: {', '.join(served) or fmt.NOT_AVAILABLE})",
            f"- Segments affected: {', '.join(sorted(segments)) or fmt.NOT_AVAILABLE}",
            f"- Label coverage: {fmt.coverage_text(evidence) or fmt.NOT_AVAILABLE}",
        ]
    )


def _alerts(incident: Incident) -> str:
    body = []
    for a in incident.alerts.values():
        ended = fmt.when(a.ends_at) if a.status is AlertStatus.RESOLVED else a.status.value
        series = ", ".join(
            f"{k}={v}" for k, v in sorted(a.labels.items()) if k not in ("alertname", "severity")
        )
        body.append(
            [a.name, a.severity.value, series, fmt.number(a.value), fmt.when(a.starts_at), ended]
        )
    header = ["alert", "severity", "labels", "value", "started", "ended"]
    return "## Alerts\n\n" + fmt.table(header, body)


def _timeline(incident: Incident) -> str:
    body = [[fmt.when(e.at), e.kind.value, e.by or "–", e.text] for e in incident.timeline]
    return "## Timeline\n\n" + fmt.table(["time", "kind", "by", "what"], body)


def _evidence(incident: Incident) -> str:
    evidence = incident.evidence
    window = fmt.part(evidence, "window")
    na = fmt.NOT_AVAILABLE
    sections = [
        "## Evidence",
        f"Window: {fmt.when(window.get('start'))} → {fmt.when(window.get('end'))}"
        if window
        else f"Window: {na}",
        "### Top drifted features\n\n" + (fmt.features_md(evidence) or na),
        f"Dataset drift: {fmt.dataset_text(evidence) or na}. Prediction drift: "
        f"{fmt.verdict_text(fmt.part(evidence, 'prediction_drift')) or na}.",
        "### Data-quality findings\n\n" + (fmt.findings_md(evidence) or na),
        "### Affected segments\n\n" + (fmt.groups_md(evidence, "segments") or na),
        "### Affected model versions\n\n" + (fmt.groups_md(evidence, "model_versions") or na),
        f"Version changes: {fmt.versions_text(evidence) or na}",
        "### Labels\n\n"
        f"- Coverage: {fmt.coverage_text(evidence) or na}\n"
        f"- Delay: {fmt.delay_text(evidence) or na}\n"
        f"- Coverage of recent windows: {fmt.history_text(evidence) or na}",
    ]
    return "\n\n".join(sections)


def _done(incident: Incident) -> str:
    lines = [
        f"- {fmt.when(e.at)}: "
        + (f"note by {e.by}: {e.text}" if e.kind is EntryKind.NOTE else e.text)
        for e in incident.timeline
        if e.kind in PEOPLE
    ]
    sent = [e for e in incident.timeline if e.kind is EntryKind.NOTIFICATION]
    escalations = [e for e in incident.timeline if e.kind is EntryKind.ESCALATION]
    failed = sum(1 for e in sent + escalations if e.data.get("delivered") is False)
    lines.append(
        f"- Notifications: {len(sent)} notification(s), {len(escalations)} escalation(s), "
        f"{failed} failed deliveries"
    )
    return "## What was done\n\n" + "\n".join(lines)


def _follow_ups(incident: Incident, overrides_dir: str | Path | None, base_url: str) -> str:
    steps = remediation_steps(render_playbook(incident, overrides_dir, base_url=base_url))
    boxes = [f"- [ ] {step}" for step in dict.fromkeys(steps)]
    boxes.append("- [ ] Write down the root cause and how it was confirmed")
    return "## Follow-ups\n\n" + "\n".join(boxes)
