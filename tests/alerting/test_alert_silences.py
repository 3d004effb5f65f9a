"""Silences and acknowledgements: kept in the state, applied by the pipeline, with reasons."""

from __future__ import annotations

import pytest
from pipeline_helpers import Scenario, alert, at, decisions, reasons, resolved, section

from watchkeeper.alerting.pipeline import compile_plan, next_wakeup
from watchkeeper.alerting.silences import (
    ack,
    add_silence,
    expire_silence,
    list_silences,
    new_silence,
    silence_stage,
)
from watchkeeper.alerting.stages import Flow, Tick
from watchkeeper.alerting.state import PipelineState
from watchkeeper.errors import InputError

HOURLY = {"receiver": "team", "group_wait": "0s", "group_interval": "5m", "repeat_interval": "1h"}

SILENCE_CASES = [
    # active and matching: silenced, the reason names the silence, its end and its author
    (["model=credit"], 0, 60, 10, {}, True),
    # the matchers must all match
    (["model=credit", "feature=age"], 0, 60, 10, {"feature": "income"}, False),
    # a regex matches whole values
    (["alertname=~Feature.*"], 0, 60, 10, {}, True),
    (["alertname=~Feature"], 0, 60, 10, {}, False),
    # != matches an alert without the label
    (["team!=ml"], 0, 60, 10, {}, True),
    # not started yet
    (["model=credit"], 30, 60, 10, {}, False),
    # ended: ends_at itself is no longer silenced
    (["model=credit"], 0, 60, 60, {}, False),
]


@pytest.mark.parametrize(("matchers", "start", "end", "now", "labels", "silenced"), SILENCE_CASES)
def test_silence_table(
    matchers: list[str], start: int, end: int, now: int, labels: dict[str, str], silenced: bool
) -> None:
    silence = new_silence(matchers, at(start), at(end), "ana", "deploy")
    state = add_silence(PipelineState(), silence)
    target = alert("a", **labels)
    tick = Tick(at(now), compile_plan(section({"receiver": "team"})), state)
    result = silence_stage(Flow(alerts=(target,)), tick)
    if not silenced:
        assert (result.flow.alerts, result.decisions) == ((target,), ())
        return
    [decision] = result.decisions
    assert result.flow.alerts == ()
    assert (decision.stage, decision.passed, decision.subject, decision.by) == (
        "silence",
        False,
        target.fingerprint,
        silence.id,
    )
    assert decision.reason == f"silenced by {silence.id} until 2026-03-01T13:00:00Z (ana: deploy)"


@pytest.mark.parametrize(
    ("matchers", "start", "end", "message"),
    [
        ([], 0, 60, r"silence\.matchers: give at least one matcher"),  # would silence everything
        (["model"], 0, 60, r"silence\.matchers\.0: not a matcher"),
        (["model=~("], 0, 60, r"silence\.matchers\.0: bad regular expression"),
        (["model=credit"], 60, 60, r"silence\.ends_at: must be after starts_at"),
    ],
)
def test_a_bad_silence_is_refused(matchers: list[str], start: int, end: int, message: str) -> None:
    with pytest.raises(InputError, match=message):
        new_silence(matchers, at(start), at(end), "ana")


def test_silences_are_added_listed_and_expired_without_touching_the_given_state() -> None:
    early = new_silence(["model=credit"], at(0), at(60), "ana", "retraining")
    later = new_silence(["model=fraud"], at(30), at(90), "bo")
    assert early.id == new_silence(["model=credit"], at(0), at(60), "ana", "retraining").id
    empty = PipelineState()
    state = add_silence(add_silence(add_silence(empty, early), later), early)  # re-adding: no-op
    assert empty.silences == {}
    assert [s.id for s in list_silences(state)] == [later.id, early.id]  # newest start first
    assert [s.status(at(10)) for s in list_silences(state)] == ["pending", "active"]
    ended = expire_silence(expire_silence(state, early.id, at(10)), later.id, at(10))
    assert [s.status(at(10)) for s in list_silences(ended)] == ["expired", "expired"]
    assert state.silences[early.id].ends_at == at(60)
    with pytest.raises(InputError, match="no such silence"):
        expire_silence(state, "nope", at(10))


def test_a_silenced_alert_is_notified_when_the_silence_ends_and_the_pipeline_wakes_for_it() -> None:
    run = Scenario(section(HOURLY))
    run.state = add_silence(run.state, new_silence(["feature=age"], at(0), at(30), "ana"))
    first = run.step(0, [alert("a", feature="age")])
    assert first.notifications == ()
    assert reasons(first, "silence")[0].startswith("silenced by ")
    assert next_wakeup(run.state, at(0)) == at(30)
    assert run.sends(30) == ["team: a"]


def test_expired_silences_are_dropped_after_five_days() -> None:
    run = Scenario(section(HOURLY))
    run.state = add_silence(run.state, new_silence(["feature=age"], at(0), at(30), "ana"))
    run.step(60 * 24 * 5)
    assert len(run.state.silences) == 1
    run.step(30 + 60 * 24 * 5)
    assert run.state.silences == {}


def test_an_acknowledged_alert_is_not_repeated_but_its_resolve_is_sent() -> None:
    run = Scenario(section(HOURLY))
    a = alert("a")
    assert run.sends(0, [a]) == ["team: a"]
    run.state = ack(run.state, a.fingerprint, "ana", at(10), "looking")
    later = run.step(61)
    assert later.notifications == ()
    assert reasons(later, "dedup") == [
        "already notified at 2026-03-01T12:00:00Z; acknowledged: not repeated"
    ]
    [acked] = decisions(later, "ack")
    assert (acked.subject, acked.by) == (a.fingerprint, "ana")
    assert acked.reason == (
        "acknowledged by ana at 2026-03-01T12:10:00Z: not repeated or escalated, "
        "its resolve is still sent"
    )
    assert run.sends(70, [resolved("a")]) == ["team: -a"]
    assert run.state.acks == {}  # forgotten with the alert


def test_acknowledging_a_group_acknowledges_its_firing_alerts() -> None:
    run = Scenario(section({**HOURLY, "group_by": ["model"]}))
    a, b = alert("a"), alert("b")
    run.step(0, [a, b])
    [key] = run.state.groups
    assert key == '{}:{model="credit"}'
    state = ack(run.state, key, "bo", at(1))
    assert sorted(state.acks) == sorted([a.fingerprint, b.fingerprint])
    assert run.state.acks == {}  # the state given is left alone


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("0123456789abcdef", "no such alert fingerprint or alert group"),
        ("resolved", "nothing firing to acknowledge"),
    ],
)
def test_a_bad_ack_is_refused(target: str, message: str) -> None:
    run = Scenario(section({**HOURLY, "group_interval": "1h"}))
    gone = alert("a")
    run.step(0, [gone])
    run.step(1, [resolved("a")])  # held by group_interval: still known, but resolved
    with pytest.raises(InputError, match=message):
        ack(run.state, gone.fingerprint if target == "resolved" else target, "ana", at(2))


def test_a_resolve_reaches_a_receiver_even_if_the_alert_was_silenced_after_it_was_told() -> None:
    run = Scenario(section(HOURLY))
    assert run.sends(0, [alert("a")]) == ["team: a"]
    run.state = add_silence(run.state, new_silence(["series=a"], at(1), at(120), "ana"))
    assert run.sends(10) == []
    assert run.sends(20, [resolved("a")]) == ["team: -a"]
    assert next_wakeup(run.state, at(20)) == at(120)  # only the silence's end is left


def test_a_group_acknowledged_before_its_first_notification_is_never_sent() -> None:
    run = Scenario(section({**HOURLY, "group_wait": "10m"}))
    a = alert("a")
    run.step(0, [a])
    run.state = ack(run.state, a.fingerprint, "ana", at(1))
    result = run.step(10)
    assert result.notifications == ()
    assert reasons(result, "dedup") == [
        "every firing alert was acknowledged before any notification"
    ]
    assert run.sends(20, [resolved("a")]) == []  # nobody was told it fired: nothing to resolve
    assert run.state.alerts == {} and run.state.acks == {}
