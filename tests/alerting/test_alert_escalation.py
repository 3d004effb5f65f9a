"""Escalation: start level per severity, the climb while unacknowledged, acks, resolves."""

from __future__ import annotations

from typing import Any

from pipeline_helpers import Scenario, alert, at, decisions, reasons, resolved, said, section

from watchkeeper.alerting.pipeline import next_wakeup
from watchkeeper.alerting.silences import ack

POLICY = {
    "pager": {
        "levels": [
            {"receiver": "oncall", "after": "0m"},
            {"receiver": "ops", "after": "30m"},
            {"receiver": "lead", "after": "60m"},
        ],
        "start": {"critical": 1},
    }
}
ROUTE: dict[str, Any] = {
    "receiver": "team",  # not notified: the policy chooses the receivers
    "group_by": ["model"],
    "group_wait": "0s",
    "group_interval": "5m",
    "repeat_interval": "4h",
    "escalation": "pager",
}


def scenario() -> Scenario:
    return Scenario(section(ROUTE, escalation=POLICY))


def test_an_unacknowledged_group_climbs_the_levels_and_every_level_hears_the_resolve() -> None:
    run = scenario()
    # (minute, reported, sent as "receiver: alerts @level")
    steps = [
        # level 0 at once, instead of the route's receiver
        (0, [alert("a")], ["oncall: a @0"]),
        (29, [], []),
        # 30m unacknowledged: ops is added
        (30, [], ["ops: a @1"]),
        # 60m: lead too (levels count from the start level's page)
        (60, [], ["lead: a @2"]),
        # the resolve goes to everyone told, each on its own group_interval: lead heard at 60
        (61, [resolved("a")], ["oncall: -a @0", "ops: -a @1"]),
        (65, [], ["lead: -a @2"]),
    ]
    for minute, reported, sent in steps:
        result = run.step(minute, reported)
        got = sorted(f"{said(n)} @{n.escalation_level}" for n in result.notifications)
        assert got == sent, minute
    assert run.state.groups == {}  # the episode is over: the next one starts at level 0 again
    assert run.sends(70, [alert("a")]) == ["oncall: a"]


def test_what_the_escalation_decisions_say_and_when_to_wake_up() -> None:
    run = scenario()
    first = run.step(0, [alert("a")])
    assert reasons(first, "escalate") == [
        "policy pager starts at level 0 (oncall)",
        "level 1 (ops) at 2026-03-01T12:30:00Z unless acknowledged",
    ]
    assert next_wakeup(run.state, at(0)) == at(30)
    climb = run.step(30)
    [up] = decisions(climb, "escalate")[:1]
    assert (up.passed, up.subject, up.by) == (True, '{}:{model="credit"}', "pager")
    assert up.reason == "unacknowledged since 2026-03-01T12:00:00Z: escalated to level 1 (ops)"


def test_an_ack_stops_the_climb_and_only_those_told_hear_the_resolve() -> None:
    run = scenario()
    a = alert("a")
    assert run.sends(0, [a]) == ["oncall: a"]
    run.state = ack(run.state, a.fingerprint, "ana", at(10))
    held = run.step(30)
    assert held.notifications == ()
    assert reasons(held, "escalate") == ["acknowledged: escalation stopped at level 0"]
    assert run.sends(40, [resolved("a")]) == ["oncall: -a"]


def test_a_critical_alert_starts_higher_and_climbs_relative_to_its_start() -> None:
    run = scenario()
    crit = alert("c", severity="critical")
    [first] = run.step(0, [crit]).notifications
    assert (said(first), first.escalation_level) == ("ops: c", 1)
    assert run.sends(29) == []
    # lead's 60m minus ops' 30m: thirty minutes after ops was paged
    assert run.sends(30) == ["lead: c"]


def test_a_worse_alert_joining_raises_the_level() -> None:
    run = scenario()
    assert run.sends(0, [alert("w")]) == ["oncall: w"]
    # a critical joins at 10: level 1 (ops) now; oncall hears the change after group_interval
    result = run.step(10, [alert("w"), alert("c", severity="critical", alertname="AccuracyDrop")])
    assert sorted(said(n) for n in result.notifications) == ["oncall: c w", "ops: c w"]
    assert reasons(result, "escalate")[0] == "a worse alert starts at level 1 (ops): raised"


def test_a_new_alert_in_an_acknowledged_group_escalates_from_its_own_first_page() -> None:
    run = scenario()
    a, b = alert("a"), alert("b")
    run.step(0, [a])
    run.state = ack(run.state, a.fingerprint, "ana", at(5))
    # b joins: told to oncall (the acknowledged a is left out), and its clock starts now
    assert run.sends(20, [a, b]) == ["oncall: b"]
    assert run.sends(49) == []
    assert run.sends(50) == ["ops: b"]


def test_a_route_without_escalation_notifies_its_receiver() -> None:
    run = Scenario(section({**ROUTE, "escalation": None}, escalation=POLICY))
    assert run.sends(0, [alert("a")]) == ["team: a"]
    assert run.sends(120) == []
