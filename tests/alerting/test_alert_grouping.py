"""Grouping and dedup on a fake clock: group_wait, group_interval, repeat, resolves, flaps."""

from __future__ import annotations

import pytest
from pipeline_helpers import Scenario, alert, at, decisions, reasons, resolved, said, section

from watchkeeper.alerting.model import Alert, AlertStatus
from watchkeeper.alerting.pipeline import next_wakeup

ROUTE = {
    "receiver": "team",
    "group_by": ["model", "alertname"],
    "group_wait": "30s",
    "group_interval": "5m",
    "repeat_interval": "1h",
}
A, B = alert("a"), alert("b")

# (minute, alerts reported, notifications sent, the dedup decision's reason)
TIMELINE: list[tuple[float, list[Alert], list[str], list[str]]] = [
    # the group's first alert: wait group_wait for others to join
    (0, [A], [], ["group_wait 30s: first at 2026-03-01T12:00:30Z"]),
    # group_wait over (a timer run: nothing reported)
    (0.5, [], ["team: a"], ["first notification: 1 firing"]),
    # a new alert joins: held until group_interval after the last notification
    (
        1,
        [A, B],
        [],
        [
            "1 new firing since 2026-03-01T12:00:30Z; "
            "group_interval: next notification at 2026-03-01T12:05:30Z"
        ],
    ),
    (5.5, [], ["team: a b"], ["1 new firing since the notification at 2026-03-01T12:00:30Z"]),
    # nothing new: dedup
    (6, [A, B], [], ["already notified at 2026-03-01T12:05:30Z; repeat at 2026-03-01T13:05:30Z"]),
    # a resolves, group_interval long past: sent at once, with b still firing
    (
        20,
        [resolved("a")],
        ["team: b -a"],
        ["1 resolved since the notification at 2026-03-01T12:05:30Z"],
    ),
    # the resolve was sent once and forgotten: reporting it again says nothing
    (
        21,
        [resolved("a")],
        [],
        ["already notified at 2026-03-01T12:20:00Z; repeat at 2026-03-01T13:20:00Z"],
    ),
    # unchanged for repeat_interval: sent again
    (80, [], ["team: b"], ["unchanged since 2026-03-01T12:20:00Z: repeat_interval elapsed"]),
    # b resolves within group_interval of the repeat: held
    (
        81,
        [resolved("b")],
        [],
        [
            "1 resolved since 2026-03-01T13:20:00Z; "
            "group_interval: next notification at 2026-03-01T13:25:00Z"
        ],
    ),
    (85, [], ["team: -b"], ["1 resolved since the notification at 2026-03-01T13:20:00Z"]),
    # the group is gone: nothing to decide
    (86, [], [], []),
    # a fires again: a new group, so group_wait again
    (87, [A], [], ["group_wait 30s: first at 2026-03-01T13:27:30Z"]),
]


def test_timeline_of_one_group() -> None:
    run = Scenario(section(ROUTE))
    for minute, reported, sent, why in TIMELINE:
        result = run.step(minute, reported)
        assert [said(n) for n in result.notifications] == sent, minute
        assert reasons(result, "dedup") == why, minute
    assert list(run.state.alerts) == [A.fingerprint]


def test_the_forgotten_resolve_says_so() -> None:
    run = Scenario(section(ROUTE))
    run.step(0, [A])
    run.step(0.5)
    result = run.step(6, [resolved("a")])
    assert [said(n) for n in result.notifications] == ["team: -a"]
    [forget] = decisions(result, "record")
    assert (forget.subject, forget.reason) == (
        A.fingerprint,
        "resolved, and no receiver is still to hear of it: forgotten",
    )
    assert run.state.alerts == {} and run.state.groups == {}
    again = run.step(7, [resolved("a")])
    assert reasons(again, "receive") == [
        "resolved, and no receiver was told it fired: nothing to say"
    ]


def test_alerts_are_grouped_by_the_group_by_labels() -> None:
    run = Scenario(section({**ROUTE, "group_wait": "0s"}))
    alerts = [
        alert("a"),
        alert("b"),
        alert("c", alertname="AccuracyDrop"),
        alert("d", model="fraud"),
    ]
    result = run.step(0, alerts)
    assert {n.group_key: said(n) for n in result.notifications} == {
        '{}:{alertname="AccuracyDrop", model="credit"}': "team: c",
        '{}:{alertname="FeatureDrift", model="credit"}': "team: a b",
        '{}:{alertname="FeatureDrift", model="fraud"}': "team: d",
    }
    notification = result.notifications[1]
    assert notification.group_labels == {"alertname": "FeatureDrift", "model": "credit"}
    assert (
        notification.webhook_payload()["groupKey"]
        == '{}:{alertname="FeatureDrift", model="credit"}'
    )
    grouped = decisions(result, "group")
    assert (
        grouped[0].reason
        == 'route 0 groups by model, alertname: group {}:{alertname="FeatureDrift", model="credit"}'
    )


def test_a_flap_within_group_interval_sends_nothing() -> None:
    run = Scenario(section({**ROUTE, "group_wait": "0s"}))
    assert run.sends(0, [A]) == ["team: a"]
    assert run.sends(1, [resolved("a")]) == []  # held by group_interval
    assert run.sends(2, [A]) == []  # fires again before the resolve went out
    assert run.sends(6) == []  # the receiver still believes it fires: nothing to say
    assert reasons(run.step(7), "dedup") == [
        "already notified at 2026-03-01T12:00:00Z; repeat at 2026-03-01T13:00:00Z"
    ]


def test_an_alert_resolved_within_group_wait_is_never_sent() -> None:
    run = Scenario(section(ROUTE))
    assert run.sends(0, [A]) == []
    result = run.step(0.25, [resolved("a")])
    assert result.notifications == ()
    assert reasons(result, "record") == [
        "resolved, and no receiver is still to hear of it: forgotten"
    ]
    assert run.state.groups == {} and run.state.alerts == {}
    assert next_wakeup(run.state, at(0.25)) is None


@pytest.mark.parametrize(
    ("reported", "reason"),
    [
        # pending: the rule's `for` has not held long enough yet
        (alert("p", AlertStatus.PENDING), "pending: not notified until it fires"),
        # resolved, never seen firing
        (resolved("r"), "resolved, and no receiver was told it fired: nothing to say"),
    ],
)
def test_what_is_not_taken_in(reported: Alert, reason: str) -> None:
    run = Scenario(section(ROUTE))
    result = run.step(0, [reported])
    [decision] = decisions(result, "receive")
    assert (decision.passed, decision.reason, decision.subject) == (
        False,
        reason,
        reported.fingerprint,
    )
    assert run.state.alerts == {}


def test_a_stale_report_is_ignored() -> None:
    run = Scenario(section({**ROUTE, "group_wait": "0s"}))
    run.step(0, [A])
    late = resolved("a", when=at(-1))  # older than what is known: out of order
    result = run.pipeline.run([late], run.state, at(1))
    assert reasons(result, "receive") == [
        "stale: updated 2026-03-01T11:59:00Z, known 2026-03-01T12:00:00Z"
    ]
    assert result.state.alerts[A.fingerprint].status is AlertStatus.FIRING


@pytest.mark.parametrize(
    ("minute", "wakeup"),
    [
        (0, 0.5),  # group_wait ends
        (0.5, 60.5),  # repeat_interval after the first notification
        (1, 5.5),  # a held change: group_interval after the notification
    ],
)
def test_next_wakeup_is_the_next_moment_something_is_due(minute: float, wakeup: float) -> None:
    run = Scenario(section(ROUTE))
    steps = {0: [A], 0.5: [], 1: [A, B]}
    for m, reported in steps.items():
        run.step(m, reported)
        if m == minute:
            break
    assert next_wakeup(run.state, at(minute)) == at(wakeup)
    assert next_wakeup(run.state, at(100)) == at(100)  # overdue: now
