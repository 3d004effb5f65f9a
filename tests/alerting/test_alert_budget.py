"""The alert budget: max_per_hour per route and receiver; the excess folds into a summary."""

from __future__ import annotations

from pipeline_helpers import Scenario, alert, at, decisions, resolved, said, section

from watchkeeper.alerting.pipeline import next_wakeup

# every alert its own group, so each is one notification
BUDGETED = {
    "receiver": "team",
    "group_by": ["series"],
    "group_interval": "1m",
    "repeat_interval": "4h",
    "max_per_hour": 3,
}


def test_the_excess_is_folded_into_one_summary_then_held_until_the_hour_allows() -> None:
    run = Scenario(section(BUDGETED))
    # (minute, reported, notifications as said, folded counts)
    steps = [
        # 1 of 3
        (0, [alert("a")], ["team: a"], [0]),
        # 2 of 3
        (1, [alert("b")], ["team: b"], [0]),
        # three due, one send left: all three folded into the last one
        (2, [alert("c"), alert("d"), alert("e")], ["team: c d e"], [3]),
        # budget used up: held (not dropped)
        (3, [alert("f")], [], []),
        (4, [alert("g")], [], []),
        # a's resolve is due too, and held with them
        (10, [resolved("a")], [], []),
        # the send of minute 0 leaves the window: one send free, three due: one summary
        (60, [], ["team: f g -a"], [3]),
        # everything told: nothing due
        (61, [], [], []),
    ]
    for minute, reported, sent, folded in steps:
        result = run.step(minute, reported)
        assert [said(n) for n in result.notifications] == sent, minute
        assert [n.folded for n in result.notifications] == folded, minute
    assert run.state.alerts.keys() == {alert(s).fingerprint for s in "bcdefg"}


def test_what_the_budget_decisions_say() -> None:
    run = Scenario(section(BUDGETED))
    run.step(0, [alert("a")])
    run.step(1, [alert("b")])
    folding = run.step(2, [alert("c"), alert("d")])
    [summary] = folding.notifications
    assert summary.group_key == "{}:summary" and summary.group_labels == {}
    assert [d.subject for d in decisions(folding, "budget")] == [
        '{}:{series="c"}',
        '{}:{series="d"}',
    ]
    assert {(d.passed, d.reason, d.by) for d in decisions(folding, "budget")} == {
        (
            True,
            "budget: 2 of 3 notifications in the last hour on route 0; "
            "folded into one summary of 2 alerts from 2 groups",
            "0",
        )
    }
    holding = run.step(3, [alert("e")])
    [held] = decisions(holding, "budget")
    assert (held.passed, held.subject) == (False, '{}:{series="e"}')
    assert held.reason == (
        "budget: 3 of 3 notifications in the last hour on route 0; "
        "held, to go out as one summary at 2026-03-01T13:00:00Z"
    )
    assert next_wakeup(run.state, at(3)) == at(60)
    # once free again, a single due notification goes out as itself
    [alone] = run.step(60).notifications
    assert (said(alone), alone.folded, alone.group_key) == ("team: e", 0, '{}:{series="e"}')


def test_the_most_severe_go_out_on_their_own_and_the_rest_fold() -> None:
    run = Scenario(section(BUDGETED))
    run.step(0, [alert("a")])
    # two sends free, three due: the critical one alone, the two warnings folded
    result = run.step(
        1, [alert("w1"), alert("crit", severity="critical", alertname="AccuracyDrop"), alert("w2")]
    )
    assert [(said(n), n.folded) for n in result.notifications] == [
        ("team: crit", 0),
        ("team: w1 w2", 2),
    ]


def test_a_summary_settles_every_group_it_folds() -> None:
    run = Scenario(section(BUDGETED))
    run.step(0, [alert("a"), alert("b"), alert("c"), alert("d")])  # 2 alone + 1 summary of 2
    # nothing is sent twice: every group's receiver log says it was told
    result = run.step(5)
    assert result.notifications == ()
    assert all(log.receivers["team"].last_sent == at(0) for log in run.state.groups.values())


def test_no_budget_means_no_limit() -> None:
    run = Scenario(section({**BUDGETED, "max_per_hour": 0}))
    result = run.step(0, [alert(s) for s in "abcdef"])
    assert len(result.notifications) == 6 and decisions(result, "budget") == []
    assert run.state.budgets == {}


def test_the_budget_is_per_route_and_receiver() -> None:
    route = {
        **BUDGETED,
        "max_per_hour": 1,
        "routes": [
            {"match": ["team=ml"], "receiver": "ops", "continue": True},
            {"match": ["team=ml"], "receiver": "team"},
        ],
    }
    run = Scenario(section(route))
    # one send an hour for each of ops and team
    assert sorted(run.sends(0, [alert("a", team="ml")])) == ["ops: a", "team: a"]
    assert sorted(run.state.budgets) == ['ops@{}/{team="ml"}', 'team@{}/{team="ml"}#1']
    # both used up: held for each
    result = run.step(1, [alert("b", team="ml")])
    assert result.notifications == ()
    assert [d.by for d in decisions(result, "budget")] == ["0.0", "0.1"]
