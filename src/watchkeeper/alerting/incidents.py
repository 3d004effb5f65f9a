"""Incidents: alerts of one model grouped into one problem, with a timeline of what happened.

An :class:`IncidentBook` holds every incident and changes them only through its methods, each
taking the time (``now``) as an argument and returning the :class:`IncidentChange` list it
made; nothing here reads a clock, a file or the network. Rules of :meth:`IncidentBook.observe`:

* A firing alert of model M joins M's incident in which an alert last started firing within
  the grouping ``gap`` (open or acknowledged first), reopening it if it had resolved; else it
  opens a new incident. An alert that keeps firing for days does not keep its incident
  "active": a problem starting a day later is a new incident, not a line in an old one.
* The gap defaults to 6 hours: several 1h windows, so an alert that resolves after one clear
  window and fires again a few windows later (a flapping metric, a fix that did not hold)
  lands in the same incident, while tomorrow's problem gets a new one. It is longer than
  Alertmanager's default repeat interval (4h).
* A resolved alert is recorded; once every alert of an incident is resolved, the incident is
  resolved automatically (by ``"watchkeeper"``). An incident resolved by a person while alerts
  still fire stays resolved until one of them fires anew (resolved, then firing).
* Pending alerts are ignored; an already-known state observed again only refreshes the
  alert's snapshot (change ``alert_updated``, no timeline entry). So ``alerts`` may be every
  alert's state at each tick or only the changes: a firing alert stays firing until its
  resolved state arrives. Within one call: oldest first, firing before resolved, worst first.
* Severity is the worst of its alerts' severities; the owner is the first alert's ``owner`` or
  ``team`` label, else ``owner_for(alert)`` (the routed receiver's name), else ``"unassigned"``.

>>> from datetime import UTC, datetime, timedelta
>>> t = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> drift = Alert({"alertname": "FeatureDrift", "severity": "warning", "model": "credit"},
...               {"summary": "age drifted"}, AlertStatus.FIRING, t, t)
>>> book = IncidentBook()
>>> [c.kind.value for c in book.observe([drift], t, owner_for=lambda a: "ml-team")]
['opened']
>>> incident = book.incidents()[0]
>>> incident.id, incident.owner, incident.status.value
('INC-credit-202603011200-b89794', 'ml-team', 'open')
>>> later = t + timedelta(hours=1)
>>> ended = Alert(drift.labels, drift.annotations, AlertStatus.RESOLVED, t, later, later)
>>> [c.kind.value for c in book.observe([ended], later)]
['alert_resolved', 'auto_resolved']
>>> book.get(incident.id).resolved_by
'watchkeeper'
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from watchkeeper.alerting import incidents_transitions as step
from watchkeeper.alerting.incidents_model import (
    ChangeKind,
    EntryKind,
    Incident,
    IncidentChange,
    IncidentStatus,
    TimelineEntry,
)
from watchkeeper.alerting.model import Alert, AlertStatus, Decision, Notification
from watchkeeper.errors import InputError

__all__ = [
    "GAP",
    "SHOWN_STAGES",
    "ChangeKind",
    "EntryKind",
    "Incident",
    "IncidentBook",
    "IncidentChange",
    "IncidentStatus",
    "TimelineEntry",
    "incident_id",
]

GAP = timedelta(hours=6)
SHOWN_STAGES = frozenset({"inhibit", "silence", "escalate"})  # decisions put on the timeline
FORMAT = 1  # version of IncidentBook.to_dict
OwnerFor = Callable[[Alert], str]


def incident_id(model: str, opened_at: datetime, fingerprint: str) -> str:
    """``INC-<model>-<yyyymmddHHMM>-<6 hex>``: a function of the model, the opening time and
    the opening alert, so replaying the same alerts gives the same ids.

    >>> incident_id("credit v2", datetime(2026, 3, 1, 12, 5, tzinfo=UTC), "dd646f0c5e76ff8e")
    'INC-credit-v2-202603011205-458559'
    """
    slug = re.sub(r"[^A-Za-z0-9_.]+", "-", model).strip("-") or "unknown"
    text = f"{model}\x00{opened_at.isoformat()}\x00{fingerprint}"
    digest = hashlib.sha256(text.encode()).hexdigest()[:6]
    return f"INC-{slug}-{opened_at.astimezone(UTC):%Y%m%d%H%M}-{digest}"


class IncidentBook:
    """Every incident, in the order they opened; serializable with :meth:`to_dict`."""

    def __init__(self, gap: timedelta = GAP, incidents: Iterable[Incident] = ()) -> None:
        self.gap = gap
        self._incidents: dict[str, Incident] = {i.id: i for i in incidents}

    def get(self, incident_id: str) -> Incident:
        try:
            return self._incidents[incident_id]
        except KeyError:
            raise InputError(f"unknown incident id {incident_id!r}") from None

    def holding(self, key: str) -> Incident | None:
        """The incident holding an alert fingerprint (or a notification group key): the
        latest unresolved one, else the latest opened."""
        holding = [i for i in self._incidents.values() if key in i.alerts or key in i.group_keys]
        unresolved = [i for i in holding if i.status is not IncidentStatus.RESOLVED]
        chosen = unresolved or holding
        return chosen[-1] if chosen else None

    def incidents(
        self, *, model: str | None = None, status: IncidentStatus | None = None
    ) -> list[Incident]:
        """Incidents, newest first, optionally of one model and / or status."""
        return [
            i
            for i in reversed(self._incidents.values())
            if (model is None or i.model == model) and (status is None or i.status is status)
        ]

    def forget(self, resolved_before: datetime) -> int:
        """Drop incidents resolved before ``resolved_before`` (retention); how many."""
        old = [
            key
            for key, i in self._incidents.items()
            if i.resolved_at is not None and i.resolved_at < resolved_before
        ]
        for key in old:
            del self._incidents[key]
        return len(old)

    # -- alerts ------------------------------------------------------------------------------

    def observe(
        self, alerts: Iterable[Alert], now: datetime, owner_for: OwnerFor | None = None
    ) -> list[IncidentChange]:
        """Record the alerts' current states (the rules are in the module docstring)."""
        _aware(now)
        changes: list[IncidentChange] = []
        for alert in sorted(alerts, key=_order):
            if alert.status is AlertStatus.FIRING:
                changes += self._firing(alert, now, owner_for)
            elif alert.status is AlertStatus.RESOLVED:
                home = self.holding(alert.fingerprint)
                if home is not None:  # an alert never seen firing resolves nothing
                    changes += self._keep(step.resolve_alert(home, alert, now))
        return changes

    def _firing(
        self, alert: Alert, now: datetime, owner_for: OwnerFor | None
    ) -> list[IncidentChange]:
        home = self.holding(alert.fingerprint)
        if home is not None:
            before = home.alerts[alert.fingerprint]
            anew = before.status is not AlertStatus.FIRING or before.starts_at != alert.starts_at
            if not anew or home.status is not IncidentStatus.RESOLVED:
                return self._keep([step.join(home, alert, now, anew=anew)])
        target = self._candidate(alert.model, now)
        if target is None:
            owner = alert.labels.get("owner") or alert.labels.get("team")
            owner = owner or (owner_for(alert) if owner_for else "") or "unassigned"
            opened = step.open_incident(self._new_id(alert, now), alert, now, owner)
            return self._keep([opened])
        changes = []
        if target.status is IncidentStatus.RESOLVED:
            changes += self._keep([step.reopen(target, alert, now)])
            target = changes[-1].incident
        return changes + self._keep([step.join(target, alert, now, anew=True)])

    def _candidate(self, model: str, now: datetime) -> Incident | None:
        """The model's incident active most recently, if within the gap (unresolved first)."""
        best: tuple[datetime, bool, int] | None = None
        found = None
        for order, incident in enumerate(self._incidents.values()):
            if incident.model != model:
                continue
            unresolved = incident.status is not IncidentStatus.RESOLVED
            active = incident.last_active_at  # the last time an alert fired in it
            key = (active, unresolved, order)
            if active >= now - self.gap and (best is None or key > best):
                best, found = key, incident
        return found

    def _new_id(self, alert: Alert, now: datetime) -> str:
        base = new = incident_id(alert.model, now, alert.fingerprint)
        suffix = 1
        while new in self._incidents:
            suffix += 1
            new = f"{base}-{suffix}"
        return new

    def _keep(self, changes: list[IncidentChange]) -> list[IncidentChange]:
        for change in changes:
            self._incidents[change.incident.id] = change.incident
        return changes

    # -- the pipeline --------------------------------------------------------------------------

    def record_notification(
        self, notification: Notification, delivered: bool, detail: str, now: datetime
    ) -> list[IncidentChange]:
        """A send to a receiver, on every incident holding one of the notification's alerts."""
        _aware(now)
        homes: dict[str, Incident] = {}
        for alert in notification.alerts:
            home = self.holding(alert.fingerprint)
            if home is not None:
                homes.setdefault(home.id, home)
        return self._keep(
            [step.notified(i, notification, delivered, detail, now) for i in homes.values()]
        )

    def record_decision(self, decision: Decision, now: datetime) -> list[IncidentChange]:
        """An inhibition, silence or escalation decision on one alert (fingerprint) or group
        (a group key seen in a recorded notification); other stages are not shown."""
        _aware(now)
        home = self.holding(decision.subject) if decision.stage in SHOWN_STAGES else None
        change = step.decided(home, decision, now) if home is not None else None
        return self._keep([change] if change else [])

    # -- people ------------------------------------------------------------------------------

    def ack(
        self, incident_id: str, by: str, now: datetime, comment: str = ""
    ) -> list[IncidentChange]:
        """Acknowledge (no change if already acknowledged; an error if resolved)."""
        _aware(now)
        change = step.acknowledge(self.get(incident_id), by, now, comment)
        return self._keep([change] if change else [])

    def resolve(
        self, incident_id: str, by: str, now: datetime, note: str = ""
    ) -> list[IncidentChange]:
        """Resolve by hand (no change if already resolved)."""
        _aware(now)
        change = step.resolve(self.get(incident_id), by, now, note)
        return self._keep([change] if change else [])

    def note(self, incident_id: str, by: str, now: datetime, text: str) -> list[IncidentChange]:
        _aware(now)
        return self._keep([step.add_note(self.get(incident_id), by, now, text)])

    # -- state -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "gap_seconds": self.gap.total_seconds(),
            "incidents": [i.to_dict() for i in self._incidents.values()],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], gap: timedelta | None = None) -> IncidentBook:
        """The inverse of :meth:`to_dict`; ``gap`` (e.g. from the config) overrides the saved."""
        if data.get("format") != FORMAT:
            raise InputError(f"incident state: unknown format {data.get('format')!r}")
        saved = timedelta(seconds=float(data.get("gap_seconds", GAP.total_seconds())))
        incidents = [Incident.from_dict(i) for i in data.get("incidents", [])]
        return cls(gap if gap is not None else saved, incidents)


def _order(alert: Alert) -> tuple[datetime, bool, int, str]:
    """Oldest first; at the same time firing before resolved (a model whose alert resolves
    while another fires keeps its incident open) and the worst first (it opens and names the
    incident)."""
    resolved = alert.status is AlertStatus.RESOLVED
    return alert.updated_at, resolved, -alert.severity.rank, alert.fingerprint


def _aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise InputError(f"now must be a timezone-aware datetime (got {now.isoformat()})")
