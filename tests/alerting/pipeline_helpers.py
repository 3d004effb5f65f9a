"""Builders for the alert pipeline tests: a fake clock, alerts, sections and a scenario runner."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from watchkeeper.alerting.config import AlertingSection
from watchkeeper.alerting.model import Alert, AlertStatus, Decision, Notification
from watchkeeper.alerting.pipeline import AlertPipeline, PipelineResult
from watchkeeper.alerting.state import PipelineState

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
RECEIVERS = ("oncall", "team", "ops", "lead", "pager")


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    """The fake clock: ``minutes`` (and ``seconds``) after T0."""
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def alert(
    series: str,
    status: AlertStatus = AlertStatus.FIRING,
    *,
    when: datetime = T0,
    evidence: dict[str, Any] | None = None,
    **labels: str,
) -> Alert:
    """An alert identified by its ``series`` label; FeatureDrift/warning on credit by default."""
    full = {"alertname": "FeatureDrift", "severity": "warning", "model": "credit"}
    full.update({"monitor": "drift", "series": series, **labels})
    ends = when if status is AlertStatus.RESOLVED else None
    return Alert(full, {"summary": series}, status, T0, when, ends, evidence=evidence or {})


def resolved(series: str, *, when: datetime = T0, **labels: str) -> Alert:
    return alert(series, AlertStatus.RESOLVED, when=when, **labels)


def section(route: dict[str, Any], **rest: Any) -> AlertingSection:
    """An ``alerting`` section as the YAML would give it (receivers filled in)."""
    receivers = {name: {"webhook": {"url": f"http://127.0.0.1:9/{name}"}} for name in RECEIVERS}
    data = {"receivers": receivers, "route": route, **rest}
    return msgspec.convert(data, AlertingSection)


def said(n: Notification) -> str:
    """``receiver: a b -c`` — the firing series, then the resolved ones with a minus (sorted)."""
    firing = sorted(a.labels["series"] for a in n.alerts if a.status is AlertStatus.FIRING)
    gone = sorted("-" + a.labels["series"] for a in n.alerts if a.status is AlertStatus.RESOLVED)
    return f"{n.receiver}: {' '.join([*firing, *gone])}"


def reasons(result: PipelineResult, stage: str) -> list[str]:
    return [d.reason for d in result.decisions if d.stage == stage]


def decisions(result: PipelineResult, stage: str) -> list[Decision]:
    return [d for d in result.decisions if d.stage == stage]


def reload(state: PipelineState) -> PipelineState:
    """A restart: the state through JSON text and back."""
    return PipelineState.from_dict(json.loads(json.dumps(state.to_dict())))


class Scenario:
    """One pipeline over a fake clock, carrying its state from step to step."""

    def __init__(self, alerting: AlertingSection) -> None:
        self.pipeline = AlertPipeline(alerting)
        self.state = PipelineState()

    def step(
        self, minutes: float, alerts: Sequence[Alert] = (), *, restart: bool = False
    ) -> PipelineResult:
        if restart:
            self.state = reload(self.state)
        now = at(minutes)
        reported = [_reported(a, now) for a in alerts]
        result = self.pipeline.run(reported, self.state, now)
        self.state = result.state
        return result

    def sends(self, minutes: float, alerts: Sequence[Alert] = (), **kw: bool) -> list[str]:
        return [said(n) for n in self.step(minutes, alerts, **kw).notifications]


def _reported(alert: Alert, now: datetime) -> Alert:
    """The alert as the rules would report it at ``now``."""
    ends = now if alert.status is AlertStatus.RESOLVED else None
    return replace(alert, updated_at=now, ends_at=ends)
