"""Pure transitions of one :class:`Incident`: each takes the incident and the time, and returns
an :class:`IncidentChange` holding the new incident (or ``None`` when nothing changes).

Which incident an alert belongs to is :class:`watchkeeper.alerting.incidents.IncidentBook`'s
decision; these functions only apply it.

>>> from datetime import UTC, datetime, timedelta
>>> from watchkeeper.alerting.model import Severity
>>> t = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> warn = Alert({"alertname": "FeatureDrift", "severity": "warning", "model": "credit"}, {},
...              AlertStatus.FIRING, t, t)
>>> opened = open_incident("INC-1", warn, t, "ml-team")
>>> crit = Alert({**warn.labels, "alertname": "AccuracyDrop", "severity": "critical"}, {},
...              AlertStatus.FIRING, t, t)
>>> change = join(opened.incident, crit, t + timedelta(minutes=5), anew=True)
>>> change.incident.severity.value, change.entry.text
('critical', 'joined: AccuracyDrop (critical); severity raised from warning to critical')
>>> acknowledge(change.incident, "ana", t, "on it").incident.status.value
'acknowledged'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from functools import reduce
from typing import Any

from watchkeeper.alerting.evidence import RANKINGS, ranked
from watchkeeper.alerting.incidents_model import (
    AUTO,
    ChangeKind,
    EntryKind,
    Incident,
    IncidentChange,
    IncidentStatus,
    TimelineEntry,
)
from watchkeeper.alerting.model import Alert, AlertStatus, Decision, Notification
from watchkeeper.errors import InputError


def open_incident(incident_id: str, alert: Alert, now: datetime, owner: str) -> IncidentChange:
    """A new incident opened by ``alert``."""
    title = alert.annotations.get("summary") or f"{alert.name or 'alert'} on {alert.model}"
    incident = Incident(
        id=incident_id,
        model=alert.model,
        title=title,
        status=IncidentStatus.OPEN,
        severity=alert.severity,
        owner=owner,
        opened_at=now,
        last_active_at=now,
    )
    return replace(join(incident, alert, now, anew=True, opening=True), kind=ChangeKind.OPENED)


def join(
    incident: Incident, alert: Alert, now: datetime, *, anew: bool, opening: bool = False
) -> IncidentChange:
    """``alert`` firing in ``incident``: a new member, or one firing again (``anew``), or the
    same firing alert seen again (a snapshot refresh without a timeline entry)."""
    before = incident.alerts.get(alert.fingerprint)
    alerts = {**incident.alerts, alert.fingerprint: alert}
    if not anew:
        changed = replace(incident, alerts=alerts, evidence=_evidence(alerts))
        return IncidentChange(ChangeKind.ALERT_UPDATED, changed)
    severity = max(incident.severity, alert.severity, key=lambda s: s.rank)
    what = "opened by" if opening else "fired again:" if before else "joined:"
    text = f"{what} {alert.name} ({alert.severity.value})"
    summary = alert.annotations.get("summary")
    text += f" — {summary}" if summary else ""
    data: dict[str, Any] = {
        "fingerprint": alert.fingerprint,
        "labels": dict(alert.labels),
        "value": None if alert.value != alert.value else alert.value,
        "starts_at": alert.starts_at.isoformat(),
    }
    if severity is not incident.severity:
        text += f"; severity raised from {incident.severity.value} to {severity.value}"
        data["severity_raised_from"] = incident.severity.value
    entry = TimelineEntry(now, EntryKind.ALERT_FIRING, text, AUTO, data)
    changed = replace(
        incident,
        alerts=alerts,
        severity=severity,
        evidence=_evidence(alerts),
        last_active_at=max(now, incident.last_active_at),
        timeline=(*incident.timeline, entry),
    )
    return IncidentChange(ChangeKind.ALERT_FIRING, changed, entry)


def reopen(incident: Incident, alert: Alert, now: datetime) -> IncidentChange:
    """A resolved incident opened again because ``alert`` fired (acknowledgement cleared)."""
    since = now - (incident.resolved_at or incident.last_active_at)
    text = f"reopened: {alert.name} fired {_span(since)} after the incident resolved"
    data = {"resolved_at": _iso(incident.resolved_at), "resolved_by": incident.resolved_by}
    entry = TimelineEntry(now, EntryKind.REOPEN, text, AUTO, data)
    changed = replace(
        incident,
        status=IncidentStatus.OPEN,
        acknowledged_at=None,
        acknowledged_by="",
        resolved_at=None,
        resolved_by="",
        timeline=(*incident.timeline, entry),
    )
    return IncidentChange(ChangeKind.REOPENED, changed, entry)


def resolve_alert(incident: Incident, alert: Alert, now: datetime) -> list[IncidentChange]:
    """``alert`` resolved; the incident resolves automatically when none of its alerts fires.
    The alert keeps the evidence of when it fired."""
    before = incident.alerts[alert.fingerprint]
    alerts = {**incident.alerts, alert.fingerprint: replace(alert, evidence=before.evidence)}
    if before.status is AlertStatus.RESOLVED:
        return [IncidentChange(ChangeKind.ALERT_UPDATED, replace(incident, alerts=alerts))]
    ended = alert.ends_at or now
    text = f"{alert.name} resolved after {_span(ended - alert.starts_at)}"
    data = {"fingerprint": alert.fingerprint, "ends_at": ended.isoformat()}
    entry = TimelineEntry(now, EntryKind.ALERT_RESOLVED, text, AUTO, data)
    changed = replace(
        incident,
        alerts=alerts,
        last_active_at=max(now, incident.last_active_at),
        timeline=(*incident.timeline, entry),
    )
    changes = [IncidentChange(ChangeKind.ALERT_RESOLVED, changed, entry)]
    if changed.status is not IncidentStatus.RESOLVED and not changed.firing:
        text = f"all {len(alerts)} alert(s) resolved; incident resolved automatically"
        done = TimelineEntry(now, EntryKind.RESOLVE, text, AUTO, {})
        closed = replace(
            changed,
            status=IncidentStatus.RESOLVED,
            resolved_at=now,
            resolved_by=AUTO,
            timeline=(*changed.timeline, done),
        )
        changes.append(IncidentChange(ChangeKind.AUTO_RESOLVED, closed, done))
    return changes


def acknowledge(
    incident: Incident, by: str, now: datetime, comment: str = ""
) -> IncidentChange | None:
    """Someone took it; ``None`` when already acknowledged. A resolved incident cannot be."""
    _who(by)
    if incident.status is IncidentStatus.RESOLVED:
        raise InputError(f"incident {incident.id!r} is resolved; it cannot be acknowledged")
    if incident.status is IncidentStatus.ACKNOWLEDGED:
        return None
    text = f"acknowledged by {by}" + (f": {comment}" if comment else "")
    entry = TimelineEntry(now, EntryKind.ACK, text, by, {"comment": comment})
    changed = replace(
        incident,
        status=IncidentStatus.ACKNOWLEDGED,
        acknowledged_at=now,
        acknowledged_by=by,
        timeline=(*incident.timeline, entry),
    )
    return IncidentChange(ChangeKind.ACKNOWLEDGED, changed, entry)


def resolve(incident: Incident, by: str, now: datetime, note: str = "") -> IncidentChange | None:
    """Someone resolved it (``None`` when already resolved); alerts still firing are listed."""
    _who(by)
    if incident.status is IncidentStatus.RESOLVED:
        return None
    firing = list(incident.firing)
    text = f"resolved by {by}" + (f": {note}" if note else "")
    text += f" ({len(firing)} alert(s) still firing)" if firing else ""
    entry = TimelineEntry(now, EntryKind.RESOLVE, text, by, {"note": note, "firing": firing})
    changed = replace(
        incident,
        status=IncidentStatus.RESOLVED,
        resolved_at=now,
        resolved_by=by,
        last_active_at=max(now, incident.last_active_at),
        timeline=(*incident.timeline, entry),
    )
    return IncidentChange(ChangeKind.RESOLVED, changed, entry)


def add_note(incident: Incident, by: str, now: datetime, text: str) -> IncidentChange:
    _who(by)
    if not text.strip():
        raise InputError(f"a note on incident {incident.id!r} needs text (got {text!r})")
    entry = TimelineEntry(now, EntryKind.NOTE, text.strip(), by, {})
    changed = replace(incident, timeline=(*incident.timeline, entry))
    return IncidentChange(ChangeKind.NOTED, changed, entry)


def notified(
    incident: Incident, notification: Notification, delivered: bool, detail: str, now: datetime
) -> IncidentChange:
    """A notification about some of the incident's alerts was delivered (or failed)."""
    level = notification.escalation_level
    outcome = "sent" if delivered else "failed to send"
    text = f"{outcome} {notification.status} notification to {notification.receiver}"
    text += f" (escalation level {level})" if level else ""
    text += f": {detail}" if detail else ""
    data = {
        "receiver": notification.receiver,
        "group_key": notification.group_key,
        "status": notification.status,
        "delivered": delivered,
        "detail": detail,
        "escalation_level": level,
        "folded": notification.folded,
        "alerts": [a.fingerprint for a in notification.alerts if a.fingerprint in incident.alerts],
    }
    kind = EntryKind.ESCALATION if level else EntryKind.NOTIFICATION
    entry = TimelineEntry(now, kind, text, AUTO, data)
    keys = incident.group_keys
    if notification.group_key not in keys:
        keys = (*keys, notification.group_key)
    changed = replace(incident, group_keys=keys, timeline=(*incident.timeline, entry))
    change = ChangeKind.ESCALATION if level else ChangeKind.NOTIFICATION
    return IncidentChange(change, changed, entry)


def decided(incident: Incident, decision: Decision, now: datetime) -> IncidentChange | None:
    """A pipeline decision on one of its alerts or groups; ``None`` when the same decision on
    the same subject is already the latest one shown (decisions repeat every evaluation)."""
    data = decision.to_dict()
    for entry in reversed(incident.timeline):
        if (
            entry.kind in (EntryKind.DECISION, EntryKind.ESCALATION)
            and entry.data.get("subject") == decision.subject
            and "stage" in entry.data
        ):
            if dict(entry.data) == data:
                return None
            break
    verdict = "passed" if decision.passed else "stopped"
    text = f"{decision.stage} {verdict}" + (f" by {decision.by}" if decision.by else "")
    text += f": {decision.reason}" if decision.reason else ""
    escalating = decision.stage == "escalate"
    kind = EntryKind.ESCALATION if escalating else EntryKind.DECISION
    entry = TimelineEntry(now, kind, text, AUTO, data)
    changed = replace(incident, timeline=(*incident.timeline, entry))
    return IncidentChange(
        ChangeKind.ESCALATION if escalating else ChangeKind.DECISION, changed, entry
    )


def _evidence(alerts: dict[str, Alert]) -> dict[str, Any]:
    """The incident's evidence: its alerts' evidence merged, the latest snapshot last."""
    ordered = sorted(alerts.values(), key=lambda a: (a.updated_at, a.fingerprint))
    return reduce(merge_evidence, (a.evidence for a in ordered if a.evidence), {})


def merge_evidence(older: Mapping[str, Any], newer: Mapping[str, Any]) -> dict[str, Any]:
    """Evidence of two alerts as one: the ranked lists of :mod:`.evidence` are merged by
    identity (a feature, a finding, a metric's group), ``newer`` winning, then ranked and cut
    again; any other key takes ``newer``'s value unless that is ``None``.

    >>> merge_evidence({"labels": {"coverage": 0.5}, "data_quality": []},
    ...                {"labels": None, "data_quality": [{"check": "missing_values"}]})
    {'labels': {'coverage': 0.5}, 'data_quality': [{'check': 'missing_values'}]}
    """
    merged = dict(older)
    for key, value in newer.items():
        previous = merged.get(key)
        if key in RANKINGS and isinstance(value, list) and isinstance(previous, list):
            rows = [r for r in (*previous, *value) if isinstance(r, Mapping)]
            merged[key] = ranked(key, rows)
        elif value is not None or key not in merged:
            merged[key] = value
    return merged


def _who(by: str) -> None:
    if not by.strip():
        raise InputError(f"say who does it: 'by' must name a person or system (got {by!r})")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _span(delta: timedelta) -> str:
    """``2h 05m``, ``35m``, ``1d 2h``: a duration for people.

    >>> _span(timedelta(hours=26, minutes=5)), _span(timedelta(minutes=35)), _span(timedelta(0))
    ('1d 2h', '35m', '0m')
    """
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"
