"""Alertmanager's notification pipeline, in process: a pure function of (alerts, config,
state, now).

``AlertPipeline(section).run(alerts, state, now)`` returns the notifications to send, every
decision with its reason, and the new state; it reads no clock and does no I/O, and never
changes the state passed in. The orchestrator persists the new state (``to_dict``, JSON) and
the notifications (the outbox) in one transaction, sends them, and calls ``run`` again at
``next_wakeup(state, now)`` — the earliest group_wait / group_interval / repeat / escalation /
budget / silence-end moment — or when new alerts arrive, and after adding or expiring a silence
or acknowledging. ``alerts`` are the alerts the rules reported since the last run (firing,
resolved or pending); an alert not reported keeps its last known status, so a timer run may
pass none. Because every decision is made from the state alone, a restart
(``PipelineState.from_dict(state.to_dict())``) makes the same decisions: no duplicate page.

The stages, in order (each ``stage(flow, tick) -> StageResult``, see ``stages.py``):
ingest → inhibit → silence (and acks) → route → group → escalate (who hears) → dedup (what
is due when) → budget → record (the notification log).

>>> from datetime import UTC, datetime, timedelta
>>> from watchkeeper.alerting.config import AlertingSection, RouteSpec
>>> from watchkeeper.alerting.model import Alert, AlertStatus
>>> at = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> pipeline = AlertPipeline(AlertingSection(route=RouteSpec(receiver="oncall")))
>>> drift = Alert({"alertname": "FeatureDrift", "model": "credit", "severity": "warning"}, {},
...               AlertStatus.FIRING, starts_at=at, updated_at=at)
>>> first = pipeline.run([drift], PipelineState(), at)
>>> [(n.receiver, n.group_key) for n in first.notifications]
[('oncall', '{}:{alertname="FeatureDrift", model="credit"}')]
>>> again = pipeline.run([drift], first.state, at + timedelta(minutes=1))
>>> again.notifications, [d.reason for d in again.decisions if d.stage == "dedup"]
((), ['already notified at 2026-03-01T12:00:00Z; repeat at 2026-03-01T16:00:00Z'])
>>> next_wakeup(again.state, at + timedelta(minutes=1))
datetime.datetime(2026, 3, 1, 16, 0, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from watchkeeper.alerting.budget import budget_stage
from watchkeeper.alerting.config import AlertingSection
from watchkeeper.alerting.escalation import compile_policies, escalate_stage
from watchkeeper.alerting.grouping import dedup_stage, group_stage
from watchkeeper.alerting.inhibit import compile_inhibitions, inhibit_stage
from watchkeeper.alerting.ledger import ingest_stage, record_stage
from watchkeeper.alerting.model import Alert, Decision, Notification
from watchkeeper.alerting.routing import compile_route, route_stage
from watchkeeper.alerting.silences import silence_stage
from watchkeeper.alerting.stages import Flow, Plan, Stage, Tick
from watchkeeper.alerting.state import PipelineState

STAGES: tuple[Stage, ...] = (
    ingest_stage,
    inhibit_stage,
    silence_stage,
    route_stage,
    group_stage,
    escalate_stage,
    dedup_stage,
    budget_stage,
    record_stage,
)


@dataclass(frozen=True)
class PipelineResult:
    notifications: tuple[Notification, ...]
    decisions: tuple[Decision, ...]
    state: PipelineState

    def to_dict(self) -> dict[str, Any]:
        return {
            "notifications": [n.to_dict() for n in self.notifications],
            "decisions": [d.to_dict() for d in self.decisions],
            "state": self.state.to_dict(),
        }


def compile_plan(section: AlertingSection) -> Plan:
    """Parse the section's durations and matchers once (raises ConfigError naming the key)."""
    root = compile_route(section.route)
    return Plan(
        root=root,
        routes={route.key: route for route in root.walk()},
        inhibitions=compile_inhibitions(section),
        policies=compile_policies(section),
        external_url=section.external_url,
    )


class AlertPipeline:
    """The stages chained over one compiled ``alerting`` section."""

    def __init__(self, section: AlertingSection, stages: Sequence[Stage] = STAGES) -> None:
        self.plan = compile_plan(section)
        self.stages = tuple(stages)

    def run(self, alerts: Iterable[Alert], state: PipelineState, now: datetime) -> PipelineResult:
        """One tick: what to send now, why, and the state to persist with it."""
        work = state.copy()
        work.timers.clear()  # each run sets the timers it still needs
        tick = Tick(now, self.plan, work)
        flow = Flow(reported=tuple(alerts))
        decisions: list[Decision] = []
        for stage in self.stages:
            result = stage(flow, tick)
            flow = result.flow
            decisions.extend(result.decisions)
        notifications = tuple(out.notification for out in flow.outgoing)
        return PipelineResult(notifications, tuple(decisions), work)


def next_wakeup(state: PipelineState, now: datetime) -> datetime | None:
    """When ``run`` should be called next with no new alerts; None: only when alerts come.

    A moment at or before ``now`` is returned as ``now`` (call right away).
    """
    moments = list(state.timers.values())
    moments += [s.ends_at for s in state.silences.values() if s.ends_at > now]
    if not moments:
        return None
    return max(now, min(moments))
