"""Grouping and dedup: one notification per group and receiver, and only when something is new.

A group is a route plus the values of its ``group_by`` labels; its key reads like
Alertmanager's, ``{}/{severity=~"critical|high"}:{alertname="FeatureDrift", model="credit"}``.
For each receiver of a group the notification log says which alerts it was told fire (and
since when) and when it last heard; from that:

* the first notification goes out ``group_wait`` after the group's first alert;
* a change — a firing alert the receiver was not told about, or an alert it was told fires
  that has resolved — goes out ``group_interval`` after the previous notification;
* an unchanged firing group is sent again after ``repeat_interval``;
* otherwise nothing is sent: the decision says "already notified at T".

A notification lists the group's firing alerts and the resolved ones being announced.
Acknowledged alerts are left out of notifications (they are never repeated); their resolve is
still announced, as is the resolve of an alert that was silenced or inhibited after it was
announced: a receiver told an alert fires is always told when it resolves. Resolved alerts are
announced once, then forgotten.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from watchkeeper.alerting.model import Alert, AlertStatus, Decision, Notification, iso
from watchkeeper.alerting.routing import Route
from watchkeeper.alerting.stages import (
    Cover,
    Flow,
    Group,
    Outgoing,
    Recipient,
    StageResult,
    Tick,
)
from watchkeeper.alerting.state import GroupLog, ReceiverLog


def group_key(route: Route, labels: Mapping[str, str]) -> str:
    """``{route key}:{label="value", ...}`` (labels sorted by name)."""
    return route.key + ":{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def alert_order(alert: Alert) -> tuple[int, float, str]:
    """Firing before resolved, then oldest first."""
    return (alert.status is AlertStatus.RESOLVED, alert.starts_at.timestamp(), alert.fingerprint)


def group_stage(flow: Flow, tick: Tick) -> StageResult:
    """Gather routed alerts into groups, and keep the groups whose receivers await a resolve."""
    current: dict[str, tuple[Route, dict[str, str], list[Alert]]] = {}
    decisions = []
    for alert, route in flow.routed:
        labels = route.group_labels(alert.labels)
        key = group_key(route, labels)
        current.setdefault(key, (route, labels, []))[2].append(alert)
        reason = f"route {route.id} groups by {', '.join(route.group_by)}: group {key}"
        decisions.append(Decision("group", True, reason, alert.fingerprint, key))
    groups = tick.state.groups
    for key, (route, labels, alerts) in current.items():
        if key not in groups:
            groups[key] = GroupLog(route.key, labels, tick.now)
        groups[key].members = sorted(a.fingerprint for a in alerts)
    found = []
    for key, log in sorted(groups.items()):
        if key in current:
            route, labels, alerts = current[key]
            found.append(Group(key, route, labels, tuple(sorted(alerts, key=alert_order))))
        else:  # nothing firing here now; receivers may still need to hear resolves
            log.members = []
            route = tick.plan.routes.get(log.route, tick.plan.root)
            found.append(Group(key, route, dict(log.labels), ()))
    return StageResult(replace(flow, groups=tuple(found)), tuple(decisions))


def dedup_stage(flow: Flow, tick: Tick) -> StageResult:
    """Plan one notification per group and receiver that has something to say now."""
    outgoing, decisions = [], []
    for group in flow.groups:
        log = tick.state.groups[group.key]
        for recipient in group.recipients:
            entry = log.receivers.get(recipient.receiver)
            out, decision, due = _decide(group, log, entry, recipient, tick)
            if out is not None:
                outgoing.append(out)
            if decision is not None:
                decisions.append(decision)
            if due is not None:
                tick.state.timers[f"notify {group.key} {recipient.receiver}"] = due
    return StageResult(replace(flow, outgoing=tuple(outgoing)), tuple(decisions))


Verdict = tuple[Outgoing | None, Decision | None, datetime | None]


def _decide(
    group: Group, log: GroupLog, entry: ReceiverLog | None, recipient: Recipient, tick: Tick
) -> Verdict:
    """What ``recipient`` gets now (if anything), why, and when something is due next."""
    alerts = tick.state.alerts
    acked = [a for a in group.alerts if a.fingerprint in tick.state.acks]
    firing = [a for a in group.alerts if a.fingerprint not in tick.state.acks]
    firing = firing if recipient.active else []
    told = entry.open if entry is not None else {}
    resolved = [alerts[fp] for fp in sorted(told) if fp in alerts and _resolved(alerts[fp])]
    last = entry.last_sent if entry is not None else None
    said = _timing(group, log, last, firing, told, resolved, tick.now)
    if said is None:
        if acked and recipient.active:
            reason = "every firing alert was acknowledged before any notification"
            if last is not None:
                reason = f"already notified at {iso(last)}; acknowledged: not repeated"
            said = (False, reason, None)
        elif last is None:
            return None, None, None
        else:
            said = (False, f"already notified at {iso(last)}; nothing new", None)
    passed, reason, due = said
    decision = Decision("dedup", passed, reason, group.key, recipient.receiver)
    if not passed:
        return None, decision, due
    return _outgoing(group, recipient, firing, resolved, tick), decision, None


def _timing(
    group: Group,
    log: GroupLog,
    last: datetime | None,
    firing: Sequence[Alert],
    told: Mapping[str, datetime],
    resolved: Sequence[Alert],
    now: datetime,
) -> tuple[bool, str, datetime | None] | None:
    """(send now?, why, when due) — None when there is nothing to say at all."""
    route = group.route
    if last is None:
        if not firing:
            return None
        due = log.first_seen + route.group_wait
        if now < due:
            return False, f"group_wait {_span(route.group_wait)}: first at {iso(due)}", due
        return True, f"first notification: {len(firing)} firing", None
    new = [a for a in firing if a.fingerprint not in told]
    if new or resolved:
        what = _changes(new, resolved)
        due = last + route.group_interval
        if now < due:
            reason = f"{what} since {iso(last)}; group_interval: next notification at {iso(due)}"
            return False, reason, due
        return True, f"{what} since the notification at {iso(last)}", None
    if not firing:
        return None
    due = last + route.repeat_interval
    if now < due:
        return False, f"already notified at {iso(last)}; repeat at {iso(due)}", due
    return True, f"unchanged since {iso(last)}: repeat_interval elapsed", None


def _resolved(alert: Alert) -> bool:
    return alert.status is AlertStatus.RESOLVED


def _changes(new: Sequence[Alert], resolved: Sequence[Alert]) -> str:
    parts = [f"{len(new)} new firing"] if new else []
    parts += [f"{len(resolved)} resolved"] if resolved else []
    return ", ".join(parts)


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _outgoing(
    group: Group,
    recipient: Recipient,
    firing: Sequence[Alert],
    resolved: Sequence[Alert],
    tick: Tick,
) -> Outgoing:
    alerts = tuple(sorted([*firing, *resolved], key=alert_order))
    notification = Notification(
        recipient.receiver,
        group.key,
        dict(group.labels),
        alerts,
        external_url=tick.plan.external_url,
        escalation_level=recipient.level,
    )
    cover = Cover(
        group.key,
        recipient.receiver,
        recipient.level,
        tuple(a.fingerprint for a in firing),
        tuple(a.fingerprint for a in resolved),
    )
    return Outgoing(notification, group.route, (cover,))
