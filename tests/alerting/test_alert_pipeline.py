"""The pipeline as a whole: purity, persistent state, restarts without duplicates, stages."""

from __future__ import annotations

import json
from typing import Any

from pipeline_helpers import Scenario, alert, at, reload, resolved, said, section

from watchkeeper.alerting.model import Alert, Decision, Notification
from watchkeeper.alerting.pipeline import STAGES, AlertPipeline, next_wakeup
from watchkeeper.alerting.silences import ack, add_silence, new_silence
from watchkeeper.alerting.stages import Flow, StageResult, Tick
from watchkeeper.alerting.state import PipelineState

ROUTE: dict[str, Any] = {
    "receiver": "team",
    "group_by": ["model", "alertname"],
    "group_wait": "30s",
    "group_interval": "5m",
    "repeat_interval": "1h",
    "routes": [
        {"match": ["severity=critical"], "escalation": "pager", "continue": True},
        {"match": ["model=fraud"], "receiver": "ops", "max_per_hour": 2, "group_by": ["series"]},
    ],
}
POLICY = {"pager": {"levels": [{"receiver": "oncall"}, {"receiver": "lead", "after": "20m"}]}}
QUALITY = {"alertname": "DataQuality", "monitor": "quality", "severity": "critical"}
LATENCY = {"alertname": "LatencyHigh", "monitor": "operations", "severity": "critical"}

# (minute, reported): a day in the life, touching every stage
DAY: list[tuple[float, list[Alert]]] = [
    (0, [alert("a"), alert("q", **QUALITY), alert("d", feature="age")]),
    (0.5, []),
    (1, [alert("f1", model="fraud"), alert("f2", model="fraud"), alert("f3", model="fraud")]),
    (2, [alert("f4", model="fraud")]),
    (10, [alert("b"), alert("c", **LATENCY)]),
    (21, []),
    (30, [resolved("q", **QUALITY)]),
    (40, []),
    (61, []),
    (75, [resolved("a"), resolved("b"), resolved("c", **LATENCY)]),
    (80, [resolved("d", feature="age")]),
    (130, []),
    (200, [resolved("f1", model="fraud"), resolved("f2", model="fraud")]),
    (260, [resolved("f3", model="fraud"), resolved("f4", model="fraud")]),
    (330, []),
]


def play(restart: bool) -> list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    run = Scenario(section(ROUTE, escalation=POLICY))
    log = []
    for minute, reported in DAY:
        if minute == 21:  # someone silences the fraud model's f4 for an hour
            run.state = add_silence(run.state, new_silence(["series=f4"], at(21), at(81), "bo"))
        if minute == 40:  # and acknowledges the critical group
            [critical] = [k for k in run.state.groups if k.startswith('{}/{severity="critical"}')]
            run.state = ack(run.state, critical, "ana", at(40))
        result = run.step(minute, reported, restart=restart)
        notes = [n.to_dict() for n in result.notifications]
        log.append((notes, [d.to_dict() for d in result.decisions]))
    assert run.state.alerts == {} and run.state.groups == {}
    return log


def test_a_restart_at_every_step_makes_the_same_decisions() -> None:
    assert play(restart=True) == play(restart=False)


# what each step of DAY sends: "receiver: alerts" (-x: x resolved), (n) a summary of n alerts
SENT = [
    [],  # group_wait
    ["oncall: q"],  # a and d are inhibited by the dataset-level quality alert q
    [],  # group_wait for the fraud alerts (their own route, one group each)
    ["ops: f1", "ops: f2 f3 (2)"],  # budget 2/h: one alone, the rest in one summary
    [],  # b, c: group_wait; f4 held by the budget
    ["lead: q", "oncall: c"],  # q unacknowledged for 20m: lead added; f4 silenced
    ["lead: -q", "oncall: -q"],  # q resolves: both told; a, b, d no longer inhibited
    ["team: a b d"],  # ... and sent after group_wait; c's group acknowledged
    [],  # nothing due
    ["oncall: -c", "ops: f1", "ops: f2 f3 (2)", "team: d -a -b"],  # resolves; fraud repeats
    ["team: -d"],
    [],  # f4's silence ended: group_wait
    ["ops: -f1", "ops: f3 f4 -f2 (3)"],
    ["ops: -f3", "ops: -f4"],
    [],
]


def test_the_day_sends_what_it_should() -> None:
    for (minute, _), (notes, _), sent in zip(DAY, play(restart=False), SENT, strict=True):
        got = [Notification.from_dict(n) for n in notes]
        assert sorted(said(n) + (f" ({n.folded})" if n.folded else "") for n in got) == sent, minute


def test_no_duplicate_page_after_a_restart_between_send_and_next_tick() -> None:
    pipeline = AlertPipeline(section({**ROUTE, "group_wait": "0s"}, escalation=POLICY))
    first = pipeline.run([alert("a")], PipelineState(), at(0))
    assert [said(n) for n in first.notifications] == ["team: a"]
    restarted = reload(first.state)
    assert pipeline.run([alert("a", when=at(1))], restarted, at(1)).notifications == ()
    # a crash before the state was persisted re-runs the same tick: the same notification,
    # which the orchestrator's outbox did not commit either
    again = pipeline.run([alert("a")], PipelineState(), at(0))
    assert [n.to_dict() for n in again.notifications] == [n.to_dict() for n in first.notifications]


def test_run_leaves_the_given_state_alone_and_the_state_is_json() -> None:
    run = Scenario(section(ROUTE, escalation=POLICY))
    for minute, reported in DAY[:6]:
        before = json.dumps(run.state.to_dict(), sort_keys=True)
        result = run.pipeline.run(reported, run.state, at(minute))
        assert json.dumps(run.state.to_dict(), sort_keys=True) == before
        text = json.dumps(result.to_dict(), allow_nan=False)
        assert (
            PipelineState.from_dict(json.loads(text)["state"]).to_dict() == result.state.to_dict()
        )
        run.state = result.state


def test_next_wakeup_of_an_empty_state_is_none() -> None:
    assert next_wakeup(PipelineState(), at(0)) is None


def test_a_plain_function_is_a_stage() -> None:
    def drop_tests(flow: Flow, tick: Tick) -> StageResult:
        kept = tuple(a for a in flow.alerts if a.labels.get("env") != "test")
        said_no = tuple(
            Decision("env", False, "a test environment: not notified", a.fingerprint)
            for a in flow.alerts
            if a.labels.get("env") == "test"
        )
        return StageResult(Flow(flow.reported, kept), said_no)

    stages = (STAGES[0], drop_tests, *STAGES[1:])
    pipeline = AlertPipeline(section({**ROUTE, "group_wait": "0s"}), stages)
    result = pipeline.run(
        [alert("a"), alert("t", env="test", alertname="Other")], PipelineState(), at(0)
    )
    assert [said(n) for n in result.notifications] == ["team: a"]
    assert [d.reason for d in result.decisions if d.stage == "env"] == [
        "a test environment: not notified"
    ]
