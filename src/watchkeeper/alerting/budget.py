"""The alert budget: a route's ``max_per_hour`` caps what each of its receivers gets.

The budget counts notifications per route and receiver over a rolling hour (so escalation to
a second receiver has a budget of its own). When more notifications are due than the budget
has room for, nothing is dropped: with ``free`` sends left and ``n > free`` due, the
``free - 1`` most severe go out as they are and the rest are folded into one summary
notification (group key ``{route key}:summary``, ``folded`` = the number of alerts in it,
every alert listed); with no room left, they are held — still due, nothing recorded as sent —
and go out as one summary (or one plain notification when only one is due) as soon as the
oldest send of the hour leaves the window. A summary counts as one send, and settles the
notification log of every group it folds, exactly as if each had been sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from watchkeeper.alerting.grouping import alert_order
from watchkeeper.alerting.model import Alert, Decision, Notification, iso
from watchkeeper.alerting.stages import Flow, Outgoing, StageResult, Tick

WINDOW = timedelta(hours=1)


def budget_key(out: Outgoing) -> str:
    return f"{out.notification.receiver}@{out.route.key}"


def budget_stage(flow: Flow, tick: Tick) -> StageResult:
    """Pass what fits the budget, fold the excess into a summary, hold it when none is left."""
    budgets = tick.state.budgets
    for key in list(budgets):  # forget sends older than the window
        budgets[key] = [t for t in budgets[key] if t > tick.now - WINDOW]
        if not budgets[key]:
            del budgets[key]
    passed: list[Outgoing] = []
    capped: dict[str, list[Outgoing]] = {}
    for out in flow.outgoing:
        if out.route.max_per_hour > 0:
            capped.setdefault(budget_key(out), []).append(out)
        else:
            passed.append(out)
    decisions: list[Decision] = []
    for key, due in sorted(capped.items()):
        sent, said = _spend(key, due, tick)
        passed.extend(sent)
        decisions.extend(said)
    return StageResult(replace(flow, outgoing=tuple(passed)), tuple(decisions))


def _spend(key: str, due: list[Outgoing], tick: Tick) -> tuple[list[Outgoing], list[Decision]]:
    route = due[0].route
    limit = route.max_per_hour
    used = tick.state.budgets.get(key, [])
    free = limit - len(used)
    due = sorted(due, key=lambda o: (-o.notification.severity.rank, o.notification.group_key))
    if len(due) <= free:
        tick.state.budgets[key] = used + [tick.now] * len(due)
        return due, []
    usage = f"{len(used)} of {limit} notifications in the last hour on route {route.id}"
    if free <= 0:
        until = min(used) + WINDOW
        tick.state.timers[f"budget {key}"] = until
        reason = f"budget: {usage}; held, to go out as one summary at {iso(until)}"
        return [], [_say(out, False, reason) for out in due]
    single, folded = due[: free - 1], due[free - 1 :]
    summary = fold(folded)
    tick.state.budgets[key] = used + [tick.now] * free
    groups = len({c.group_key for o in folded for c in o.covers})
    reason = (
        f"budget: {usage}; folded into one summary of {summary.notification.folded} alerts "
        f"from {groups} groups"
    )
    return [*single, summary], [_say(out, True, reason) for out in folded]


def fold(outgoing: Sequence[Outgoing]) -> Outgoing:
    """One summary notification listing every alert of ``outgoing`` (one route, one receiver)."""
    first = outgoing[0]
    alerts: dict[str, Alert] = {}
    for out in outgoing:
        for alert in out.notification.alerts:
            alerts.setdefault(alert.fingerprint, alert)
    listed = tuple(sorted(alerts.values(), key=alert_order))
    notification = Notification(
        first.notification.receiver,
        f"{first.route.key}:summary",
        {},
        listed,
        external_url=first.notification.external_url,
        folded=len(listed),
        escalation_level=max(o.notification.escalation_level for o in outgoing),
    )
    covers = tuple(c for out in outgoing for c in out.covers)
    return Outgoing(notification, first.route, covers)


def _say(out: Outgoing, passed: bool, reason: str) -> Decision:
    return Decision("budget", passed, reason, out.notification.group_key, out.route.id)
