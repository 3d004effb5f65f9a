"""Escalation: who hears about a group, and who is added while nobody acknowledges it.

A route without ``escalation`` notifies its receiver. A route with ``escalation: policy``
notifies the policy's receivers *instead*: the group starts at the level ``start`` gives the
worst severity among its firing alerts (default 0; a worse alert joining later raises it), and
while the group has a firing alert that nobody acknowledged, the next level's receiver is
added once its delay has passed. Delays count from the first notification of the oldest
unacknowledged firing alert, and are relative to the starting level's ``after`` (levels
``[0m, 30m, 60m]`` starting at level 1 add level 2 thirty minutes after level 1 was paged).
Receivers added stay for the episode: they hear later changes, repeats and every resolve
(grouping and dedup apply to each as usual). Acknowledging stops the climb; the episode — and
the level — ends when the group has nothing firing and every receiver has heard the resolves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from watchkeeper.alerting.config import AlertingSection
from watchkeeper.alerting.model import Alert, Decision, iso
from watchkeeper.alerting.routing import duration
from watchkeeper.alerting.stages import Flow, Group, Recipient, StageResult, Tick
from watchkeeper.alerting.state import GroupLog


@dataclass(frozen=True)
class Level:
    receiver: str
    after: timedelta


@dataclass(frozen=True)
class Policy:
    name: str
    levels: tuple[Level, ...]
    start: Mapping[str, int]

    def start_level(self, alerts: Sequence[Alert]) -> int:
        """The level the worst of ``alerts`` starts at."""
        levels = [self.start.get(a.severity.value, 0) for a in alerts]
        return min(max(levels, default=0), len(self.levels) - 1)

    def delay(self, start: int, level: int) -> timedelta:
        """How long after the start level was paged ``level`` is added."""
        return max(timedelta(0), self.levels[level].after - self.levels[start].after)


def compile_policies(section: AlertingSection) -> dict[str, Policy]:
    policies = {}
    for name, spec in section.escalation.items():
        key = f"alerting.escalation.{name}.levels"
        levels = tuple(
            Level(lv.receiver, duration(lv.after, f"{key}.{i}.after"))
            for i, lv in enumerate(spec.levels)
        )
        policies[name] = Policy(name, levels, {str(k): v for k, v in spec.start.items()})
    return policies


def escalate_stage(flow: Flow, tick: Tick) -> StageResult:
    """Fill in each group's recipients, raising escalation levels that are due."""
    groups, decisions = [], []
    for group in flow.groups:
        log = tick.state.groups[group.key]
        policy = tick.plan.policies.get(group.route.escalation or "")
        if policy is None:
            receiver = group.route.receiver
            targets = [Recipient(receiver)] if receiver else []
        else:
            _clamp(log, policy)
            decisions.extend(_climb(group, log, policy, tick))
            targets = _engaged(log, policy)
        names = {t.receiver for t in targets}
        gone = [
            Recipient(name, entry.level, active=False)
            for name, entry in sorted(log.receivers.items())
            if name not in names
        ]
        groups.append(replace(group, recipients=(*targets, *gone)))
    return StageResult(replace(flow, groups=tuple(groups)), tuple(decisions))


def _climb(group: Group, log: GroupLog, policy: Policy, tick: Tick) -> list[Decision]:
    if not group.alerts:
        return []
    decisions = []

    def say(passed: bool, reason: str) -> None:
        decisions.append(Decision("escalate", passed, reason, group.key, policy.name))

    start = policy.start_level(group.alerts)
    if log.level is None or log.start_level is None:
        log.start_level = log.level = start
        say(True, f"policy {policy.name} starts at level {start} ({_at(policy, start)})")
    elif start > log.level:
        log.level = start
        say(True, f"a worse alert starts at level {start} ({_at(policy, start)}): raised")
    unacked = [a for a in group.alerts if a.fingerprint not in tick.state.acks]
    if log.level >= len(policy.levels) - 1:
        return decisions
    if not unacked:
        say(False, f"acknowledged: escalation stopped at level {log.level}")
        return decisions
    # the clock starts with the first notification: at the earliest now, after group_wait
    clock = _paged_since(log, unacked) or max(tick.now, log.first_seen + group.route.group_wait)
    while log.level < len(policy.levels) - 1:
        level = log.level + 1
        due = clock + policy.delay(log.start_level, level)
        if tick.now < due:
            say(False, f"level {level} ({_at(policy, level)}) at {iso(due)} unless acknowledged")
            tick.state.timers[f"escalate {group.key}"] = due
            break
        log.level = level
        say(
            True,
            f"unacknowledged since {iso(clock)}: escalated to level {level} ({_at(policy, level)})",
        )
    return decisions


def _paged_since(log: GroupLog, alerts: Sequence[Alert]) -> datetime | None:
    """When the first of ``alerts`` was first announced to any receiver of the group."""
    times = [
        entry.open[a.fingerprint]
        for a in alerts
        for entry in log.receivers.values()
        if a.fingerprint in entry.open
    ]
    return min(times, default=None)


def _clamp(log: GroupLog, policy: Policy) -> None:
    """Keep the levels reached within the policy (it may have shrunk since a reload)."""
    if log.level is not None and log.start_level is not None:
        log.level = min(log.level, len(policy.levels) - 1)
        log.start_level = min(log.start_level, log.level)


def _engaged(log: GroupLog, policy: Policy) -> list[Recipient]:
    if log.level is None or log.start_level is None:
        return []
    targets: dict[str, Recipient] = {}
    for level in range(log.start_level, log.level + 1):
        receiver = policy.levels[level].receiver
        targets.setdefault(receiver, Recipient(receiver, level))
    return list(targets.values())


def _at(policy: Policy, level: int) -> str:
    return policy.levels[level].receiver
