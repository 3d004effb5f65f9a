"""Incidents as plain data: an :class:`Incident`, its timeline and their JSON form.

The transitions (alerts joining, auto-resolve, reopen, ack, notes) live in
:mod:`watchkeeper.alerting.incidents`; this module only holds the state and serializes it.
Every field is JSON-safe after :meth:`Incident.to_dict`, and :meth:`Incident.from_dict` reads
it back.

>>> from datetime import UTC, datetime
>>> at = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> entry = TimelineEntry(at, EntryKind.NOTE, "looking at the feature pipeline", "ana")
>>> incident = Incident("INC-credit-202603011200-0a1b2c", "credit", "age drifted",
...                     IncidentStatus.OPEN, Severity.WARNING, "ml-team", at, at,
...                     timeline=(entry,))
>>> again = Incident.from_dict(incident.to_dict())
>>> again == incident, again.timeline[0].kind, again.duration(at).total_seconds()
(True, <EntryKind.NOTE: 'note'>, 0.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from watchkeeper.alerting.model import Alert, AlertStatus, Severity

AUTO = "watchkeeper"  # who resolves an incident when all its alerts resolved


class IncidentStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class EntryKind(StrEnum):
    """What a timeline entry records."""

    ALERT_FIRING = "alert_firing"  # an alert opened the incident, joined it or fired again
    ALERT_RESOLVED = "alert_resolved"
    NOTIFICATION = "notification"  # a notification was delivered (or failed)
    ESCALATION = "escalation"  # a notification to a later escalation level, or its decision
    DECISION = "decision"  # a pipeline decision worth showing (inhibited, silenced)
    ACK = "ack"
    NOTE = "note"
    RESOLVE = "resolve"  # by a person, or automatically when every alert resolved
    REOPEN = "reopen"


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: EntryKind
    text: str
    by: str = ""  # a person for ack / note / resolve, AUTO for automatic steps
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind.value,
            "text": self.text,
            "by": self.by,
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TimelineEntry:
        return cls(
            at=datetime.fromisoformat(str(data["at"])),
            kind=EntryKind(str(data["kind"])),
            text=str(data.get("text", "")),
            by=str(data.get("by", "")),
            data=dict(data.get("data", {})),
        )


@dataclass(frozen=True)
class Incident:
    """One ongoing (or past) problem of one model: its alerts, evidence and what was done.

    ``alerts`` maps each alert fingerprint to its latest snapshot, in the order they joined.
    ``severity`` is the worst severity any of its alerts had (it never goes down while the
    alerts resolve: it says how bad the incident got). ``last_active_at`` is when one of its
    alerts was last seen changing or firing; the grouping gap is measured from it.
    ``group_keys`` are the notification groups that carried its alerts (for decisions made on a
    group, such as escalation).
    """

    id: str
    model: str
    title: str
    status: IncidentStatus
    severity: Severity
    owner: str
    opened_at: datetime
    last_active_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str = ""
    resolved_at: datetime | None = None
    resolved_by: str = ""
    alerts: Mapping[str, Alert] = field(default_factory=dict)
    evidence: Mapping[str, Any] = field(default_factory=dict)
    timeline: tuple[TimelineEntry, ...] = ()
    group_keys: tuple[str, ...] = ()

    @property
    def firing(self) -> tuple[str, ...]:
        """Fingerprints of the alerts firing in their latest snapshot."""
        return tuple(f for f, a in self.alerts.items() if a.status is AlertStatus.FIRING)

    @property
    def started_at(self) -> datetime:
        """When the problem started: the earliest alert start (or the opening time)."""
        return min((a.starts_at for a in self.alerts.values()), default=self.opened_at)

    def duration(self, now: datetime) -> timedelta:
        """From the first alert's start until resolution (or ``now`` while not resolved)."""
        return (self.resolved_at or now) - self.started_at

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "model": self.model,
            "title": self.title,
            "status": self.status.value,
            "severity": self.severity.value,
            "owner": self.owner,
            "opened_at": self.opened_at.isoformat(),
            "last_active_at": self.last_active_at.isoformat(),
            "acknowledged_at": _iso(self.acknowledged_at),
            "acknowledged_by": self.acknowledged_by,
            "resolved_at": _iso(self.resolved_at),
            "resolved_by": self.resolved_by,
            "alerts": [a.to_dict() for a in self.alerts.values()],
            "evidence": dict(self.evidence),
            "timeline": [e.to_dict() for e in self.timeline],
            "group_keys": list(self.group_keys),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Incident:
        """The inverse of :meth:`to_dict`."""
        alerts = [Alert.from_dict(a) for a in data.get("alerts", [])]
        return cls(
            id=str(data["id"]),
            model=str(data["model"]),
            title=str(data.get("title", "")),
            status=IncidentStatus(str(data["status"])),
            severity=Severity(str(data["severity"])),
            owner=str(data.get("owner", "")),
            opened_at=datetime.fromisoformat(str(data["opened_at"])),
            last_active_at=datetime.fromisoformat(str(data["last_active_at"])),
            acknowledged_at=_time(data.get("acknowledged_at")),
            acknowledged_by=str(data.get("acknowledged_by", "")),
            resolved_at=_time(data.get("resolved_at")),
            resolved_by=str(data.get("resolved_by", "")),
            alerts={a.fingerprint: a for a in alerts},
            evidence=dict(data.get("evidence", {})),
            timeline=tuple(TimelineEntry.from_dict(e) for e in data.get("timeline", [])),
            group_keys=tuple(str(k) for k in data.get("group_keys", [])),
        )


class ChangeKind(StrEnum):
    """What one transition did to an incident (one per :class:`IncidentChange`)."""

    OPENED = "opened"
    ALERT_FIRING = "alert_firing"  # an alert joined, or one of its alerts fired again
    ALERT_UPDATED = "alert_updated"  # a newer snapshot of a firing alert; no timeline entry
    ALERT_RESOLVED = "alert_resolved"
    AUTO_RESOLVED = "auto_resolved"
    REOPENED = "reopened"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    NOTED = "noted"
    NOTIFICATION = "notification"
    ESCALATION = "escalation"
    DECISION = "decision"


@dataclass(frozen=True)
class IncidentChange:
    """One transition: the incident after it, and the timeline entry it added (if any)."""

    kind: ChangeKind
    incident: Incident
    entry: TimelineEntry | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "incident": self.incident.id,
            "entry": self.entry.to_dict() if self.entry else None,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None
