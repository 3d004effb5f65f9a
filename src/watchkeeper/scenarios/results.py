"""What a harness run saw, as plain frozen records: the alert transitions at each evaluation,
the notifications the pipeline queued, and the pipeline's refusals (inhibited, silenced, ...)
with their reasons. :func:`episodes` folds them into one row per firing episode of an alert:
when it fired, when it resolved, and whether anyone was notified — or why not.

>>> from datetime import UTC, datetime, timedelta
>>> t = datetime(2026, 3, 2, 6, tzinfo=UTC)
>>> labels = {"alertname": "FeatureDrift", "severity": "warning", "model": "credit",
...           "feature": "income"}
>>> moves = [Transition(t, "fp1", labels, "firing", "drift test breached"),
...          Transition(t + timedelta(hours=6), "fp1", labels, "resolved", "clear")]
>>> muted = [Refusal(t, "fp1", "inhibit", "inhibited by DataQualityBreak (fp0): same model")]
>>> [row] = episodes(moves, [], muted)
>>> row.alertname, row.series, row.resolved_at.hour, row.notified, row.why_not
('FeatureDrift', 'feature=income', 12, False, 'inhibited by DataQualityBreak (fp0): same model')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# labels every alert has; the rest name the series (feature, window, quantile, ...)
IDENTITY = ("alertname", "severity", "model")
HIDDEN = (*IDENTITY, "monitor", "metric")
# stages whose refusal explains a missing notification, most telling first
WHY_NOT = ("inhibit", "silence", "route", "receive", "budget", "dedup")


class _Labelled:
    """What an alert's labels say, for the records below (they all carry ``labels``)."""

    labels: Mapping[str, str]

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "")

    @property
    def model(self) -> str:
        return self.labels.get("model", "")

    @property
    def series(self) -> str:
        return series(self.labels)


@dataclass(frozen=True)
class Transition(_Labelled):
    """An alert changed status at the evaluation ``at`` (the end of a step)."""

    at: datetime
    fingerprint: str
    labels: Mapping[str, str]
    status: str  # pending | firing | resolved
    reason: str = ""
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "alertname": self.alertname,
            "severity": self.severity,
            "status": self.status,
            "model": self.model,
            "labels": dict(self.labels),
            "reason": self.reason,
            "summary": self.summary,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True)
class Sent:
    """A notification the pipeline queued for one integration of a receiver."""

    at: datetime
    receiver: str
    integration: str
    status: str  # firing | resolved (the notification's)
    group_key: str
    alerts: tuple[tuple[str, str, str], ...]  # (fingerprint, alertname, status) in it
    delivered: bool = True
    detail: str = ""

    def names(self, fingerprint: str, status: str = "firing") -> bool:
        """Whether it tells about ``fingerprint`` in ``status``."""
        return any(fp == fingerprint and st == status for fp, _, st in self.alerts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "receiver": self.receiver,
            "integration": self.integration,
            "status": self.status,
            "group_key": self.group_key,
            "alerts": [{"fingerprint": f, "alertname": n, "status": s} for f, n, s in self.alerts],
            "delivered": self.delivered,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Refusal:
    """A pipeline stage stopped an alert (``subject`` its fingerprint) or a group (its key)."""

    at: datetime
    subject: str
    stage: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "subject": self.subject,
            "stage": self.stage,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Episode(_Labelled):
    """One alert from firing to resolved (``resolved_at`` None: still firing at the end)."""

    fingerprint: str
    labels: Mapping[str, str]
    fired_at: datetime
    resolved_at: datetime | None
    notified: bool
    why_not: str = ""  # the reason nobody was notified
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "alertname": self.alertname,
            "severity": self.severity,
            "model": self.model,
            "labels": dict(self.labels),
            "fired_at": self.fired_at.isoformat(),
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "notified": self.notified,
            "why_not": self.why_not,
            "summary": self.summary,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True)
class RunResult:
    """Everything one harness run observed, in time order."""

    start: datetime
    end: datetime
    steps: int
    predictions: int  # records stored
    labels: int
    rejected: int  # records the intake's checks refused
    errors: tuple[str, ...]  # the first reasons for rejected records
    transitions: tuple[Transition, ...]
    sent: tuple[Sent, ...]
    refusals: tuple[Refusal, ...] = field(default=(), repr=False)
    seconds: float = 0.0

    def episodes(self) -> list[Episode]:
        return episodes(self.transitions, self.sent, self.refusals)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "steps": self.steps,
            "predictions": self.predictions,
            "labels": self.labels,
            "rejected": self.rejected,
            "errors": list(self.errors),
            "alerts": [e.to_dict() for e in self.episodes()],
            "transitions": [t.to_dict() for t in self.transitions],
            "notifications": [s.to_dict() for s in self.sent],
            "seconds": round(self.seconds, 3),
        }


def series(labels: Mapping[str, str]) -> str:
    """The labels that tell an alert's series apart, as ``k=v`` text.

    >>> series({"alertname": "LatencySpike", "model": "m", "quantile": "0.99", "window": "6h"})
    'quantile=0.99, window=6h'
    """
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k not in HIDDEN)


def episodes(
    transitions: Sequence[Transition], sent: Sequence[Sent], refusals: Sequence[Refusal]
) -> list[Episode]:
    """One row per firing episode, ordered by firing time."""
    spans: list[tuple[Transition, datetime | None]] = []
    open_: dict[str, Transition] = {}
    for move in transitions:
        if move.status == "firing" and move.fingerprint not in open_:
            open_[move.fingerprint] = move
        elif move.status == "resolved" and move.fingerprint in open_:
            spans.append((open_.pop(move.fingerprint), move.at))
    spans += [(move, None) for move in open_.values()]
    rows = []
    for fired, resolved_at in sorted(spans, key=lambda s: (s[0].at, s[0].alertname)):
        fp, span = fired.fingerprint, (fired.at, resolved_at)
        notified = any(s.names(fp) and _during(s.at, span) for s in sent)
        why = "" if notified else _why_not(fp, [r for r in refusals if _during(r.at, span)])
        rows.append(Episode(fp, fired.labels, fired.at, resolved_at, notified, why, fired.summary))
    return rows


def _during(at: datetime, span: tuple[datetime, datetime | None]) -> bool:
    return span[0] <= at and (span[1] is None or at <= span[1])


def _why_not(fingerprint: str, refusals: Sequence[Refusal]) -> str:
    mine = [r for r in refusals if r.subject == fingerprint]
    for stage in WHY_NOT:
        found = next((r for r in mine if r.stage == stage), None)
        if found is not None:
            return found.reason
    return "no notification was queued for it"
