"""The one interface of the alert pipeline: ``stage(flow, tick) -> StageResult``.

A :class:`Flow` is what moves from stage to stage: the reported alerts, the firing alerts still
to notify, their routes, their groups, and the notifications planned. Each stage reads what the
stages before it filled in, returns the survivors in a new flow plus one :class:`Decision` per
verdict (muted, routed, held, sent, escalated, ...), and may record what it did in
``tick.state`` — the run's private copy of the :class:`PipelineState`. A plain function is a
valid stage; :class:`~watchkeeper.alerting.pipeline.AlertPipeline` chains them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from watchkeeper.alerting.model import Alert, Decision, Notification
from watchkeeper.alerting.state import PipelineState

if TYPE_CHECKING:
    from watchkeeper.alerting.escalation import Policy
    from watchkeeper.alerting.inhibit import InhibitRule
    from watchkeeper.alerting.routing import Route


@dataclass(frozen=True)
class Plan:
    """The ``alerting`` section compiled once: durations parsed, matchers compiled."""

    root: Route
    routes: Mapping[str, Route]  # by route key
    inhibitions: tuple[InhibitRule, ...]
    policies: Mapping[str, Policy]
    external_url: str = ""


@dataclass(frozen=True)
class Tick:
    """What every stage may read: one ``now`` per run, the compiled config, the working state."""

    now: datetime
    plan: Plan
    state: PipelineState


@dataclass(frozen=True)
class Recipient:
    """A receiver of a group; an inactive one (no longer routed to) only hears resolves."""

    receiver: str
    level: int = 0
    active: bool = True


@dataclass(frozen=True)
class Group:
    """One alert group: a route and the values of its ``group_by`` labels."""

    key: str
    route: Route
    labels: Mapping[str, str]
    alerts: tuple[Alert, ...]  # firing, not muted, routed here now
    recipients: tuple[Recipient, ...] = ()


@dataclass(frozen=True)
class Cover:
    """What one notification tells one receiver about one group (for the notification log)."""

    group_key: str
    receiver: str
    level: int
    firing: tuple[str, ...]
    resolved: tuple[str, ...]


@dataclass(frozen=True)
class Outgoing:
    """A notification the pipeline decided to send, and the log entries it settles."""

    notification: Notification
    route: Route
    covers: tuple[Cover, ...]


@dataclass(frozen=True)
class Flow:
    """What one stage hands the next; each stage fills in its part (``dataclasses.replace``)."""

    reported: tuple[Alert, ...] = ()  # what the caller passed in this run
    alerts: tuple[Alert, ...] = ()  # firing alerts still to be notified
    routed: tuple[tuple[Alert, Route], ...] = ()
    groups: tuple[Group, ...] = ()
    outgoing: tuple[Outgoing, ...] = ()


@dataclass(frozen=True)
class StageResult:
    flow: Flow
    decisions: tuple[Decision, ...] = field(default=())


Stage = Callable[[Flow, Tick], StageResult]
