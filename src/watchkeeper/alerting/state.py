"""The alert pipeline's persistent state: what it knows, what it told whom, and when.

Everything the pipeline needs to resume after a restart without a duplicate page lives here
and round-trips through JSON (``to_dict`` / ``from_dict``): the known alerts, the notification
log per alert group and receiver, silences, acknowledgements, escalation progress, the alert
budget's send times and the timers the orchestrator should wake up for.

>>> from datetime import UTC, datetime
>>> at = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> state = PipelineState()
>>> until = at.replace(hour=14)
>>> state.silences["s1"] = Silence("s1", ("model=credit",), at, until, "ana", "deploy")
>>> PipelineState.from_dict(state.to_dict()).to_dict() == state.to_dict()
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from watchkeeper.alerting.model import Alert

STATE_VERSION = 1


@dataclass(frozen=True)
class Silence:
    """Mutes every firing alert its matchers match, from ``starts_at`` until ``ends_at``."""

    id: str
    matchers: tuple[str, ...]  # Alertmanager-style matcher strings, e.g. "model=credit"
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str = ""

    def status(self, now: datetime) -> str:
        """``"pending"`` before it starts, ``"active"``, or ``"expired"`` from ``ends_at``."""
        if now < self.starts_at:
            return "pending"
        return "active" if now < self.ends_at else "expired"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "matchers": list(self.matchers),
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "created_by": self.created_by,
            "comment": self.comment,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Silence:
        return cls(
            id=str(data["id"]),
            matchers=tuple(str(m) for m in data["matchers"]),
            starts_at=_time(data["starts_at"]),
            ends_at=_time(data["ends_at"]),
            created_by=str(data["created_by"]),
            comment=str(data.get("comment", "")),
        )


@dataclass(frozen=True)
class Ack:
    """Someone is on it: no repeats and no escalation for this alert; its resolve is sent."""

    fingerprint: str
    by: str
    at: datetime
    comment: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "by": self.by,
            "at": self.at.isoformat(),
            "comment": self.comment,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ack:
        return cls(
            str(data["fingerprint"]),
            str(data["by"]),
            _time(data["at"]),
            str(data.get("comment", "")),
        )


@dataclass
class ReceiverLog:
    """What one receiver was told about one group (the notification log entry)."""

    level: int = 0  # the escalation level that brought this receiver in (0 without one)
    open: dict[str, datetime] = field(default_factory=dict)  # told firing (since), not resolved
    last_sent: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "open": {fp: at.isoformat() for fp, at in sorted(self.open.items())},
            "last_sent": self.last_sent.isoformat() if self.last_sent else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReceiverLog:
        last = data.get("last_sent")
        return cls(
            level=int(data.get("level", 0)),
            open={str(fp): _time(at) for fp, at in dict(data.get("open", {})).items()},
            last_sent=_time(last) if last else None,
        )


@dataclass
class GroupLog:
    """One alert group of one route, from its first alert until every receiver heard the end."""

    route: str  # the route's key
    labels: dict[str, str]  # the group labels
    first_seen: datetime  # when it got its first alert to notify (group_wait counts from here)
    members: list[str] = field(default_factory=list)  # firing fingerprints routed here last run
    receivers: dict[str, ReceiverLog] = field(default_factory=dict)
    start_level: int | None = None  # escalation: the level this episode started at
    level: int | None = None  # escalation: the highest level reached

    def to_dict(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "labels": dict(sorted(self.labels.items())),
            "first_seen": self.first_seen.isoformat(),
            "members": sorted(self.members),
            "receivers": {name: r.to_dict() for name, r in sorted(self.receivers.items())},
            "start_level": self.start_level,
            "level": self.level,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GroupLog:
        start, level = data.get("start_level"), data.get("level")
        return cls(
            route=str(data["route"]),
            labels={str(k): str(v) for k, v in dict(data["labels"]).items()},
            first_seen=_time(data["first_seen"]),
            members=[str(fp) for fp in data.get("members", [])],
            receivers={
                str(name): ReceiverLog.from_dict(r)
                for name, r in dict(data.get("receivers", {})).items()
            },
            start_level=None if start is None else int(start),
            level=None if level is None else int(level),
        )


@dataclass
class PipelineState:
    """All of the pipeline's memory; :func:`copy` before changing a state someone else holds."""

    alerts: dict[str, Alert] = field(default_factory=dict)  # firing, or resolved to be told
    groups: dict[str, GroupLog] = field(default_factory=dict)
    silences: dict[str, Silence] = field(default_factory=dict)
    acks: dict[str, Ack] = field(default_factory=dict)
    budgets: dict[str, list[datetime]] = field(default_factory=dict)  # sends in the last hour
    timers: dict[str, datetime] = field(default_factory=dict)  # what is due when

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (sorted, so equal states serialize equally)."""
        return {
            "version": STATE_VERSION,
            "alerts": {fp: a.to_dict() for fp, a in sorted(self.alerts.items())},
            "groups": {key: g.to_dict() for key, g in sorted(self.groups.items())},
            "silences": {sid: s.to_dict() for sid, s in sorted(self.silences.items())},
            "acks": {fp: a.to_dict() for fp, a in sorted(self.acks.items())},
            "budgets": {k: [t.isoformat() for t in v] for k, v in sorted(self.budgets.items())},
            "timers": {k: t.isoformat() for k, t in sorted(self.timers.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PipelineState:
        """The inverse of :meth:`to_dict`."""
        version = data.get("version", STATE_VERSION)
        if version != STATE_VERSION:
            raise ValueError(f"alert pipeline state version {version!r} is not {STATE_VERSION}")
        return cls(
            alerts={str(fp): Alert.from_dict(a) for fp, a in dict(data["alerts"]).items()},
            groups={str(k): GroupLog.from_dict(g) for k, g in dict(data["groups"]).items()},
            silences={str(k): Silence.from_dict(s) for k, s in dict(data["silences"]).items()},
            acks={str(k): Ack.from_dict(a) for k, a in dict(data["acks"]).items()},
            budgets={str(k): [_time(t) for t in v] for k, v in dict(data["budgets"]).items()},
            timers={str(k): _time(t) for k, t in dict(data.get("timers", {})).items()},
        )

    def copy(self) -> PipelineState:
        """A deep copy that shares nothing mutable with this state."""
        return PipelineState(
            alerts=dict(self.alerts),  # Alert is frozen
            groups={k: GroupLog.from_dict(g.to_dict()) for k, g in self.groups.items()},
            silences=dict(self.silences),
            acks=dict(self.acks),
            budgets={k: list(v) for k, v in self.budgets.items()},
            timers=dict(self.timers),
        )


def _time(text: Any) -> datetime:
    return datetime.fromisoformat(str(text))
