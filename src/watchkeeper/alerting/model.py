"""What the alert pipeline passes along: alerts, notifications, deliveries and decisions.

An :class:`Alert` is one rule firing for one metric series (``labels`` identify it: the rule's
``alertname``, ``severity``, ``model``, ``monitor`` and the series labels); its fingerprint is a
stable hash of those labels, so the same problem keeps the same identity across evaluations and
restarts. A :class:`Notification` is what a receiver gets for one alert group; its
:meth:`Notification.webhook_payload` is the Alertmanager webhook format (version 4).

>>> from datetime import UTC, datetime
>>> at = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> a = Alert({"alertname": "FeatureDrift", "severity": "warning", "model": "credit"},
...           {"summary": "age drifted"}, AlertStatus.FIRING, starts_at=at, updated_at=at)
>>> a.fingerprint, a.severity, a.severity.rank
('dd646f0c5e76ff8e', <Severity.WARNING: 'warning'>, 1)
>>> n = Notification("oncall", "{}:{model=\\"credit\\"}", {"model": "credit"}, (a,))
>>> p = n.webhook_payload()
>>> p["version"], p["status"], p["alerts"][0]["endsAt"], p["commonLabels"]["alertname"]
('4', 'firing', '0001-01-01T00:00:00Z', 'FeatureDrift')
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any, ClassVar, Protocol

Clock = Callable[[], datetime]
ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's "not ended yet"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: critical 3, high 2, warning 1, info 0."""
        return _RANK[self]


_RANK = {Severity.CRITICAL: 3, Severity.HIGH: 2, Severity.WARNING: 1, Severity.INFO: 0}


class AlertStatus(StrEnum):
    PENDING = "pending"  # the condition holds, but not yet for long enough (``for``)
    FIRING = "firing"
    RESOLVED = "resolved"


def fingerprint(labels: Mapping[str, str]) -> str:
    """A stable 16-hex-digit identity of a label set (order does not matter).

    >>> fingerprint({"b": "2", "a": "1"}) == fingerprint({"a": "1", "b": "2"})
    True
    """
    text = "\x00".join(f"{k}\x01{labels[k]}" for k in sorted(labels))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` suffix, as Alertmanager writes times."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Alert:
    """One rule's verdict on one metric series, at one evaluation.

    ``starts_at`` is when it started firing (pending: when the condition first held);
    ``ends_at`` is set once resolved. ``evidence`` is gathered when it fires (top drifted
    features, data-quality findings, affected segments, ...) for incidents and playbooks.
    ``reason`` says why the rule decided what it decided (shown in notifications and logs).
    """

    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    status: AlertStatus
    starts_at: datetime
    updated_at: datetime
    ends_at: datetime | None = None
    value: float = float("nan")
    reason: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @cached_property
    def fingerprint(self) -> str:
        return fingerprint(self.labels)

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def model(self) -> str:
        return self.labels.get("model", "")

    @property
    def severity(self) -> Severity:
        return Severity(self.labels.get("severity", "warning"))

    def webhook_alert(self, generator_url: str = "") -> dict[str, Any]:
        """This alert in the Alertmanager webhook format (version 4)."""
        resolved = self.status is AlertStatus.RESOLVED
        return {
            "status": "resolved" if resolved else "firing",
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "startsAt": iso(self.starts_at),
            "endsAt": iso(self.ends_at) if resolved and self.ends_at else ZERO_TIME,
            "generatorURL": generator_url,
            "fingerprint": self.fingerprint,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "status": self.status.value,
            "starts_at": self.starts_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
            "value": None if self.value != self.value else self.value,
            "reason": self.reason,
            "evidence": dict(self.evidence),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alert:
        """The inverse of :meth:`to_dict`."""
        ends = data.get("ends_at")
        value = data.get("value")
        return cls(
            labels={str(k): str(v) for k, v in dict(data["labels"]).items()},
            annotations={str(k): str(v) for k, v in dict(data.get("annotations", {})).items()},
            status=AlertStatus(str(data["status"])),
            starts_at=datetime.fromisoformat(str(data["starts_at"])),
            updated_at=datetime.fromisoformat(str(data["updated_at"])),
            ends_at=datetime.fromisoformat(str(ends)) if ends else None,
            value=float("nan") if value is None else float(value),
            reason=str(data.get("reason", "")),
            evidence=dict(data.get("evidence", {})),
        )


@dataclass(frozen=True)
class Notification:
    """One message for one receiver about one alert group.

    ``folded`` counts alerts left out of individual messages by the route's budget
    (``max_per_hour``): a summary notification lists them instead of dropping them.
    ``escalation_level`` is the escalation policy level that chose this receiver (0 first).
    """

    receiver: str
    group_key: str
    group_labels: Mapping[str, str]
    alerts: tuple[Alert, ...]
    external_url: str = ""
    folded: int = 0
    escalation_level: int = 0

    @property
    def status(self) -> str:
        firing = any(a.status is AlertStatus.FIRING for a in self.alerts)
        return "firing" if firing else "resolved"

    @property
    def severity(self) -> Severity:
        """The worst severity among the alerts."""
        return max((a.severity for a in self.alerts), key=lambda s: s.rank, default=Severity.INFO)

    @property
    def common_labels(self) -> dict[str, str]:
        return _common([a.labels for a in self.alerts])

    @property
    def common_annotations(self) -> dict[str, str]:
        return _common([a.annotations for a in self.alerts])

    @property
    def key(self) -> str:
        """A stable identity for dedup at the vendor (PagerDuty dedup_key, Opsgenie alias)."""
        return hashlib.sha256(f"{self.receiver}\x00{self.group_key}".encode()).hexdigest()[:32]

    def webhook_payload(self) -> dict[str, Any]:
        """The Alertmanager webhook body (version 4) of DESIGN.md."""
        return {
            "version": "4",
            "groupKey": self.group_key,
            "truncatedAlerts": 0,
            "status": self.status,
            "receiver": self.receiver,
            "groupLabels": dict(self.group_labels),
            "commonLabels": self.common_labels,
            "commonAnnotations": self.common_annotations,
            "externalURL": self.external_url,
            "alerts": [a.webhook_alert(self.external_url) for a in self.alerts],
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "receiver": self.receiver,
            "group_key": self.group_key,
            "group_labels": dict(self.group_labels),
            "alerts": [a.to_dict() for a in self.alerts],
            "external_url": self.external_url,
            "folded": self.folded,
            "escalation_level": self.escalation_level,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Notification:
        return cls(
            receiver=str(data["receiver"]),
            group_key=str(data["group_key"]),
            group_labels={str(k): str(v) for k, v in dict(data["group_labels"]).items()},
            alerts=tuple(Alert.from_dict(a) for a in data["alerts"]),
            external_url=str(data.get("external_url", "")),
            folded=int(data.get("folded", 0)),
            escalation_level=int(data.get("escalation_level", 0)),
        )


def _common(items: list[Mapping[str, str]]) -> dict[str, str]:
    if not items:
        return {}
    first = items[0]
    return {k: v for k, v in first.items() if all(i.get(k) == v for i in items[1:])}


@dataclass(frozen=True)
class Delivery:
    """What a notifier says about one send: delivered, or why not and whether to retry."""

    ok: bool
    detail: str  # e.g. "HTTP 202", "HTTP 429: rate limited", "connection refused"
    retryable: bool = True  # False: retrying cannot help (e.g. HTTP 400, a bad config)


class Notifier(Protocol):
    """Sends one notification to one destination. Never raises for a delivery failure."""

    kind: ClassVar[str]  # the receiver config key: "slack", "pagerduty", "webhook", ...

    def send(self, notification: Notification) -> Delivery: ...


@dataclass(frozen=True)
class Decision:
    """One pipeline stage's verdict on an alert or group, with its reason.

    ``stage`` is e.g. ``"inhibit"``, ``"silence"``, ``"ack"``, ``"group"``, ``"dedup"``,
    ``"route"``, ``"budget"``, ``"escalate"``; ``passed`` False means the stage stopped it.
    ``by`` names what decided (the inhibiting alert's fingerprint, the silence id, the route).
    """

    stage: str
    passed: bool
    reason: str
    subject: str = ""  # the alert fingerprint or group key decided on
    by: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "passed": self.passed,
            "reason": self.reason,
            "subject": self.subject,
            "by": self.by,
        }
