"""The routing tree: which routes an alert goes to and with which (inherited) settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pipeline_helpers import Scenario, alert, decisions, said, section

from watchkeeper.alerting.pipeline import compile_plan
from watchkeeper.alerting.routing import Route, compile_route
from watchkeeper.errors import ConfigError

TREE: dict[str, Any] = {
    "receiver": "team",
    "group_by": ["model", "alertname"],
    "routes": [
        # 0.0: every critical alert also pages, then routing goes on
        {
            "match": ["severity=critical"],
            "receiver": "pager",
            "group_wait": "10s",
            "continue": True,
        },
        # 0.1: credit has its own team, grouped per model, repeated hourly
        {
            "match": ["model=credit"],
            "receiver": "oncall",
            "group_by": ["model"],
            "repeat_interval": "1h",
            "routes": [
                # 0.1.0: drift of credit goes to ops, on a budget
                {"match": ["monitor=drift"], "receiver": "ops", "max_per_hour": 5},
                # 0.1.1: inherits receiver, group_by and repeat from 0.1
                {
                    "match": ["monitor=~performance|business"],
                    "group_interval": "1m",
                    "escalation": "pager",
                },
            ],
        },
        # 0.2 and 0.3: the same matchers, two receivers
        {"match": ["team=ml"], "receiver": "lead", "group_by": ["..."], "continue": True},
        {"match": ["team=ml"], "receiver": "ops"},
    ],
}

Effective = tuple[str, str | None, tuple[str, ...], int, int, int, int, str | None]


def effective(route: Route) -> Effective:
    return (
        route.id,
        route.receiver,
        route.group_by,
        int(route.group_wait.total_seconds()),
        int(route.group_interval.total_seconds()),
        int(route.repeat_interval.total_seconds()),
        route.max_per_hour,
        route.escalation,
    )


MA = ("model", "alertname")

CASES = [
    # nothing below the root matches: the root keeps it, with the root defaults (group_wait 0s)
    ({"model": "fraud"}, [("0", "team", MA, 0, 300, 14400, 0, None)]),
    # a matching `continue` child is kept even when no later sibling matches
    ({"severity": "critical", "model": "fraud"}, [("0.0", "pager", MA, 10, 300, 14400, 0, None)]),
    # continue, then depth first: credit's drift child wins over credit itself
    (
        {"severity": "critical", "model": "credit", "monitor": "drift"},
        [
            ("0.0", "pager", MA, 10, 300, 14400, 0, None),
            ("0.1.0", "ops", ("model",), 0, 300, 3600, 5, None),
        ],
    ),
    # no child of 0.1 matches: 0.1 keeps it
    (
        {"model": "credit", "monitor": "quality"},
        [("0.1", "oncall", ("model",), 0, 300, 3600, 0, None)],
    ),
    # settings not set on 0.1.1 come from 0.1, which got its unset ones from the root
    (
        {"model": "credit", "monitor": "business"},
        [("0.1.1", "oncall", ("model",), 0, 60, 3600, 0, "pager")],
    ),
    # 0.1 matches without continue: the team=ml routes after it are never tried
    ({"model": "credit", "team": "ml"}, [("0.1", "oncall", ("model",), 0, 300, 3600, 0, None)]),
    # two siblings with the same matchers, the first with continue: both
    (
        {"model": "fraud", "team": "ml"},
        [
            ("0.2", "lead", ("...",), 0, 300, 14400, 0, None),
            ("0.3", "ops", MA, 0, 300, 14400, 0, None),
        ],
    ),
    # continue chains across three siblings
    (
        {"severity": "critical", "model": "fraud", "team": "ml"},
        [
            ("0.0", "pager", MA, 10, 300, 14400, 0, None),
            ("0.2", "lead", ("...",), 0, 300, 14400, 0, None),
            ("0.3", "ops", MA, 0, 300, 14400, 0, None),
        ],
    ),
    # a regex matches whole values only: "performance_x" is not "performance"
    (
        {"model": "credit", "monitor": "performance_x"},
        [("0.1", "oncall", ("model",), 0, 300, 3600, 0, None)],
    ),
]


@pytest.mark.parametrize(("labels", "expected"), CASES)
def test_an_alert_goes_to_the_routes_of_the_table(
    labels: dict[str, str], expected: list[Effective]
) -> None:
    root = compile_route(section(TREE).route)
    assert [effective(r) for r in root.match(labels)] == expected


def test_route_keys_chain_the_matchers_like_alertmanager() -> None:
    plan = compile_plan(section(TREE))
    keys = {r.id: r.key for r in plan.root.walk()}
    assert keys == {
        "0": "{}",
        "0.0": '{}/{severity="critical"}',
        "0.1": '{}/{model="credit"}',
        "0.1.0": '{}/{model="credit"}/{monitor="drift"}',
        "0.1.1": '{}/{model="credit"}/{monitor=~"performance|business"}',
        "0.2": '{}/{team="ml"}',
        "0.3": '{}/{team="ml"}#3',  # same matchers as its sibling: told apart
    }
    assert set(plan.routes) == set(keys.values())


@pytest.mark.parametrize(
    ("group_by", "labels", "expected"),
    [
        # only the group_by labels the alert has
        (["model", "alertname"], {"model": "credit", "severity": "high"}, {"model": "credit"}),
        # "..." groups by every label
        (["..."], {"model": "credit", "severity": "high"}, {"model": "credit", "severity": "high"}),
        # an empty group_by puts every alert of the route in one group
        ([], {"model": "credit"}, {}),
    ],
)
def test_group_labels(
    group_by: list[str], labels: dict[str, str], expected: dict[str, str]
) -> None:
    root = compile_route(section({"receiver": "team", "group_by": group_by}).route)
    assert root.group_labels(labels) == expected


def test_the_root_matches_everything_even_with_matchers_set() -> None:
    root = compile_route(section({"receiver": "team", "match": ["model=credit"]}).route)
    assert [r.id for r in root.match({"model": "fraud"})] == ["0"]


def test_zero_durations_are_allowed_and_bad_ones_name_the_key() -> None:
    root = compile_route(
        section({"receiver": "team", "group_wait": "0s", "group_interval": "0m"}).route
    )
    assert root.group_wait == root.group_interval == timedelta(0)
    bad = section({"receiver": "team", "routes": [{"match": ["a=b"], "repeat_interval": "soon"}]})
    with pytest.raises(ConfigError, match=r"alerting\.route\.routes\.0\.repeat_interval"):
        compile_route(bad.route)


def test_each_route_gets_its_own_notification_and_the_decision_lists_the_routes() -> None:
    run = Scenario(section(TREE))
    critical = alert("a", severity="critical", model="fraud", team="ml")
    result = run.step(0, [critical])
    assert sorted(said(n) for n in result.notifications) == ["lead: a", "ops: a"]
    assert run.sends(10 / 60) == ["pager: a"]  # route 0.0 waits 10s
    [route] = decisions(result, "route")
    assert route.passed and route.subject == critical.fingerprint and route.by == "0.0,0.2,0.3"
    assert route.reason == "matched routes 0.0 (pager), 0.2 (lead), 0.3 (ops)"


def test_a_route_without_a_receiver_notifies_nobody_and_says_so() -> None:
    run = Scenario(section({"group_by": ["model"]}))
    result = run.step(0, [alert("a")])
    assert result.notifications == ()
    [route] = decisions(result, "route")
    assert (route.passed, route.reason, route.by) == (
        False,
        "route 0 has no receiver: not notified",
        "0",
    )
