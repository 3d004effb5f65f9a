"""Incidents: grouping alerts across the gap, severity, auto-resolve, reopen, people's actions,
pipeline records and the saved state — driven by a fake clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from watchkeeper.alerting.incidents import (
    ChangeKind,
    EntryKind,
    Incident,
    IncidentBook,
    IncidentChange,
    IncidentStatus,
    incident_id,
)
from watchkeeper.alerting.model import Alert, AlertStatus, Decision, Notification, Severity
from watchkeeper.errors import InputError

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
FIRING, RESOLVED, PENDING = AlertStatus.FIRING, AlertStatus.RESOLVED, AlertStatus.PENDING


@dataclass
class FakeClock:
    now: datetime = T0

    def at(self, **delta: float) -> datetime:
        """The time ``delta`` after T0 (and the clock moved there)."""
        self.now = T0 + timedelta(**delta)
        return self.now


def make_alert(
    name: str = "FeatureDrift",
    *,
    status: AlertStatus = FIRING,
    severity: str = "warning",
    model: str = "credit",
    starts: datetime = T0,
    seen: datetime | None = None,
    evidence: dict[str, Any] | None = None,
    **labels: str,
) -> Alert:
    """An alert; a resolved one ends when it is ``seen``."""
    seen = seen or starts
    return Alert(
        {"alertname": name, "severity": severity, "model": model, **labels},
        {"summary": f"{name} on {model}"},
        status,
        starts_at=starts,
        updated_at=seen,
        ends_at=seen if status is RESOLVED else None,
        value=1.0,
        evidence=evidence or {},
    )


@dataclass
class Step:
    """At ``minutes`` after T0, observe ``name`` of ``model`` in ``status`` (firing since
    ``since`` minutes after T0); expect these change kinds."""

    minutes: float
    name: str
    status: AlertStatus
    expect: list[str]
    since: float = 0
    model: str = "credit"
    extra: dict[str, str] = field(default_factory=dict)


def run(book: IncidentBook, clock: FakeClock, step: Step) -> list[IncidentChange]:
    now = clock.at(minutes=step.minutes)
    since = T0 + timedelta(minutes=step.since)
    alert = make_alert(
        step.name, status=step.status, model=step.model, starts=since, seen=now, **step.extra
    )
    return book.observe([alert], now)


H = 60  # minutes

GROUPING = [
    pytest.param(
        [
            Step(0, "FeatureDrift", FIRING, ["opened"]),
            Step(30, "AccuracyDrop", FIRING, ["alert_firing"]),
        ],
        ["open"],
        id="a second alert of the model joins its open incident",
    ),
    pytest.param(
        [
            Step(0, "FeatureDrift", FIRING, ["opened"]),
            Step(1, "FeatureDrift", FIRING, ["opened"], model="fraud"),
        ],
        ["open", "open"],
        id="another model opens its own incident",
    ),
    pytest.param(
        [
            Step(0, "FeatureDrift", FIRING, ["opened"]),
            Step(10 * H, "AccuracyDrop", FIRING, ["opened"]),
        ],
        ["open", "open"],
        id="a long-firing alert does not pull a new problem in past the gap: a new incident",
    ),
    pytest.param(
        [
            Step(0, "FeatureDrift", FIRING, ["opened"]),
            Step(1 * H, "FeatureDrift", RESOLVED, ["alert_resolved", "auto_resolved"]),
            Step(3 * H, "FeatureDrift", FIRING, ["reopened", "alert_firing"], since=3 * H),
        ],
        ["open"],
        id="the same alert firing again within the gap reopens",
    ),
    pytest.param(
        [
            Step(0, "FeatureDrift", FIRING, ["opened"]),
            Step(1 * H, "FeatureDrift", RESOLVED, ["alert_resolved", "auto_resolved"]),
            Step(6.9 * H, "AccuracyDrop", FIRING, ["reopened", "alert_firing"], since=6.9 * H),
        ],
        ["open"],
        id="another alert 5.9h after the last activity (within the 6h gap) reopens",
    ),
    pytest.param(
        [
            Step(0, "FeatureDrift", FIRING, ["opened"]),
            Step(1 * H, "FeatureDrift", RESOLVED, ["alert_resolved", "auto_resolved"]),
            Step(7.5 * H, "FeatureDrift", FIRING, ["opened"], since=7.5 * H),
        ],
        ["open", "resolved"],
        id="6.5h after the last activity (past the gap) a new incident opens",
    ),
    pytest.param(
        [
            Step(0, "FeatureDrift", FIRING, ["opened"]),
            Step(5, "FeatureDrift", FIRING, ["alert_updated"]),
        ],
        ["open"],
        id="the same firing alert seen again only refreshes its snapshot",
    ),
    pytest.param(
        [Step(0, "FeatureDrift", PENDING, []), Step(5, "FeatureDrift", RESOLVED, [])],
        [],
        id="pending alerts and alerts never seen firing open nothing",
    ),
    pytest.param(
        [
            Step(0, "FeatureDrift", FIRING, ["opened"]),
            Step(10, "FeatureDrift", FIRING, ["alert_firing"], since=10),
        ],
        ["open"],
        id="a new start time means it fired anew (a missed resolve)",
    ),
]


@pytest.mark.parametrize(("steps", "statuses"), GROUPING)
def test_grouping(steps: list[Step], statuses: list[str]) -> None:
    book, clock = IncidentBook(), FakeClock()
    for step in steps:
        changes = run(book, clock, step)
        assert [c.kind.value for c in changes] == step.expect, step
    assert [i.status.value for i in book.incidents()] == statuses


def test_one_tick_firing_before_resolved_and_worst_first() -> None:
    book, clock = IncidentBook(), FakeClock()
    book.observe([make_alert("A")], clock.at(minutes=0))
    now = clock.at(minutes=10)
    tick = [
        make_alert("A", status=RESOLVED, seen=now),
        make_alert("B", starts=now),
        make_alert("C", model="fraud", severity="info", starts=now),
        make_alert("D", model="fraud", severity="critical", starts=now),
    ]
    kinds = [(c.incident.model, c.kind.value) for c in book.observe(tick, now)]
    assert kinds == [
        ("fraud", "opened"),  # the worst alert opens (and names) the incident
        ("credit", "alert_firing"),  # B joins before A resolves: no resolve-and-reopen
        ("fraud", "alert_firing"),
        ("credit", "alert_resolved"),
    ]
    assert [(i.model, i.status.value, i.title) for i in book.incidents()] == [
        ("fraud", "open", "D on fraud"),
        ("credit", "open", "A on credit"),
    ]
    assert book.holding(make_alert("D", model="fraud", severity="critical").fingerprint)


def test_the_gap_is_a_parameter() -> None:
    book, clock = IncidentBook(gap=timedelta(minutes=30)), FakeClock()
    run(book, clock, Step(0, "FeatureDrift", FIRING, ["opened"]))
    run(book, clock, Step(10, "FeatureDrift", RESOLVED, []))
    assert [c.kind.value for c in run(book, clock, Step(50, "X", FIRING, [], since=50))] == [
        "opened"
    ]


def test_severity_is_the_worst_alert_and_never_drops() -> None:
    book, clock = IncidentBook(), FakeClock()
    book.observe([make_alert("Drift", severity="warning")], clock.at(minutes=0))
    changes = book.observe([make_alert("Accuracy", severity="critical")], clock.at(minutes=5))
    assert changes[0].incident.severity.value == "critical"
    assert "severity raised from warning to critical" in (changes[0].entry or _none()).text
    ended = make_alert("Accuracy", severity="critical", status=RESOLVED, seen=clock.at(minutes=9))
    book.observe([ended], clock.now)
    book.observe([make_alert("Latency", severity="info")], clock.at(minutes=10))
    [incident] = book.incidents()
    assert incident.severity.value == "critical"
    assert len(incident.alerts) == 3


def test_auto_resolve_waits_for_every_alert() -> None:
    book, clock = IncidentBook(), FakeClock()
    book.observe([make_alert("A"), make_alert("B")], clock.at(minutes=0))
    first = book.observe([make_alert("A", status=RESOLVED, seen=clock.at(minutes=20))], clock.now)
    assert [c.kind for c in first] == [ChangeKind.ALERT_RESOLVED]
    assert first[-1].incident.status is IncidentStatus.OPEN
    last = book.observe([make_alert("B", status=RESOLVED, seen=clock.at(minutes=40))], clock.now)
    assert [c.kind for c in last] == [ChangeKind.ALERT_RESOLVED, ChangeKind.AUTO_RESOLVED]
    incident = last[-1].incident
    assert (incident.status, incident.resolved_by, incident.resolved_at) == (
        IncidentStatus.RESOLVED,
        "watchkeeper",
        T0 + timedelta(minutes=40),
    )
    assert incident.timeline[-1].kind is EntryKind.RESOLVE
    assert "resolved automatically" in incident.timeline[-1].text
    assert incident.duration(T0 + timedelta(hours=9)) == timedelta(minutes=40)


def test_reopen_clears_the_acknowledgement_and_keeps_history() -> None:
    book, clock = IncidentBook(), FakeClock()
    [opened] = book.observe([make_alert()], clock.at(minutes=0))
    book.ack(opened.incident.id, "ana", clock.at(minutes=5))
    book.observe([make_alert(status=RESOLVED, seen=clock.at(minutes=30))], clock.now)
    again = make_alert(starts=clock.at(minutes=90))
    changes = book.observe([again], clock.now)
    assert [c.kind for c in changes] == [ChangeKind.REOPENED, ChangeKind.ALERT_FIRING]
    incident = book.get(opened.incident.id)
    assert (incident.status, incident.acknowledged_by, incident.resolved_at) == (
        IncidentStatus.OPEN,
        "",
        None,
    )
    kinds = [e.kind.value for e in incident.timeline]
    assert kinds == ["alert_firing", "ack", "alert_resolved", "resolve", "reopen", "alert_firing"]
    assert "fired 1h 00m after the incident resolved" in incident.timeline[4].text
    assert "fired again" in incident.timeline[5].text


def test_resolved_by_hand_while_firing_stays_resolved_until_it_fires_anew() -> None:
    book, clock = IncidentBook(), FakeClock()
    [opened] = book.observe([make_alert()], clock.at(minutes=0))
    book.resolve(opened.incident.id, "ana", clock.at(minutes=10), "false alarm")
    same = book.observe([make_alert(seen=clock.at(minutes=15))], clock.now)
    assert [c.kind for c in same] == [ChangeKind.ALERT_UPDATED]
    assert book.get(opened.incident.id).status is IncidentStatus.RESOLVED
    anew = book.observe([make_alert(starts=clock.at(minutes=60))], clock.now)
    assert [c.kind for c in anew] == [ChangeKind.REOPENED, ChangeKind.ALERT_FIRING]


@pytest.mark.parametrize(
    ("labels", "routed", "owner"),
    [
        ({"owner": "ana", "team": "risk"}, "oncall", "ana"),  # owner label first
        ({"team": "risk"}, "oncall", "risk"),  # then team
        ({}, "oncall", "oncall"),  # then the routed receiver
        ({}, None, "unassigned"),  # nothing known
    ],
)
def test_owner(labels: dict[str, str], routed: str | None, owner: str) -> None:
    book = IncidentBook()
    owner_for: Callable[[Alert], str] | None = (lambda a: routed) if routed else None
    [change] = book.observe([make_alert(**labels)], T0, owner_for=owner_for)
    assert change.incident.owner == owner


def test_people_actions_on_the_timeline() -> None:
    book, clock = IncidentBook(), FakeClock()
    [opened] = book.observe([make_alert()], clock.at(minutes=0))
    key = opened.incident.id
    cases: list[tuple[Callable[[], list[IncidentChange]], list[str], str, str]] = [
        # action, change kinds, incident status after, timeline text
        (
            lambda: book.ack(key, "ana", clock.at(minutes=3), "on it"),
            ["acknowledged"],
            "acknowledged",
            "acknowledged by ana: on it",
        ),
        (lambda: book.ack(key, "bob", clock.at(minutes=4)), [], "acknowledged", ""),  # no-op
        (
            lambda: book.note(key, "bob", clock.at(minutes=8), " nulls in income "),
            ["noted"],
            "acknowledged",
            "nulls in income",
        ),
        (
            lambda: book.resolve(key, "ana", clock.at(minutes=30), "pipeline fixed"),
            ["resolved"],
            "resolved",
            "resolved by ana: pipeline fixed (1 alert(s) still firing)",
        ),
        (lambda: book.resolve(key, "ana", clock.at(minutes=31)), [], "resolved", ""),  # no-op
        (
            lambda: book.note(key, "ana", clock.at(minutes=40), "root cause: CRM export"),
            ["noted"],
            "resolved",
            "root cause: CRM export",
        ),
    ]
    for action, kinds, status, text in cases:
        changes = action()
        assert [c.kind.value for c in changes] == kinds
        incident = book.get(key)
        assert incident.status.value == status
        if text:
            assert incident.timeline[-1].text == text
            assert incident.timeline[-1].at == clock.now
    incident = book.get(key)
    assert (incident.acknowledged_by, incident.acknowledged_at) == (
        "ana",
        T0 + timedelta(minutes=3),
    )
    assert (incident.resolved_by, incident.resolved_at) == ("ana", T0 + timedelta(minutes=30))
    assert [e.by for e in incident.timeline] == ["watchkeeper", "ana", "bob", "ana", "ana"]


@pytest.mark.parametrize(
    "action",
    [
        lambda book: book.get("INC-nope"),
        lambda book: book.ack("INC-nope", "ana", T0),
        lambda book: book.resolve("INC-nope", "ana", T0),
        lambda book: book.note("INC-nope", "ana", T0, "text"),
    ],
)
def test_unknown_id_is_an_input_error_naming_it(action: Callable[[IncidentBook], Any]) -> None:
    book = IncidentBook()
    book.observe([make_alert()], T0)
    with pytest.raises(InputError, match="INC-nope"):
        action(book)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda b, key: b.note(key, "ana", T0, "  "), "needs text"),
        (lambda b, key: b.ack(key, " ", T0), "'by'"),
        (lambda b, key: b.observe([], T0.replace(tzinfo=None)), "timezone-aware"),
    ],
)
def test_bad_input(action: Callable[[IncidentBook, str], Any], message: str) -> None:
    book = IncidentBook()
    [change] = book.observe([make_alert()], T0)
    with pytest.raises(InputError, match=message):
        action(book, change.incident.id)


def test_a_resolved_incident_cannot_be_acknowledged() -> None:
    book = IncidentBook()
    [change] = book.observe([make_alert()], T0)
    book.resolve(change.incident.id, "ana", T0)
    with pytest.raises(InputError, match="is resolved"):
        book.ack(change.incident.id, "bob", T0)


def test_notifications_and_escalations_are_recorded_per_incident() -> None:
    book = IncidentBook()
    credit, fraud = make_alert(model="credit"), make_alert(model="fraud")
    book.observe([credit, fraud], T0)
    page = Notification("oncall", '{}:{alertname="FeatureDrift"}', {}, (credit, fraud))
    changes = book.record_notification(page, True, "HTTP 202", T0 + timedelta(minutes=1))
    assert sorted(c.incident.model for c in changes) == ["credit", "fraud"]
    assert changes[0].entry is not None
    assert changes[0].entry.text == "sent firing notification to oncall: HTTP 202"
    escalated = Notification("ops", page.group_key, {}, (credit,), escalation_level=1)
    [change] = book.record_notification(escalated, False, "HTTP 503", T0 + timedelta(minutes=31))
    entry = change.entry or _none()
    assert (change.kind, entry.kind) == (ChangeKind.ESCALATION, EntryKind.ESCALATION)
    assert entry.text == "failed to send firing notification to ops (escalation level 1): HTTP 503"
    assert entry.data["delivered"] is False
    unknown = Notification("oncall", "g", {}, (make_alert(model="other"),))
    assert book.record_notification(unknown, True, "", T0) == []


def test_decisions_worth_showing_once() -> None:
    book = IncidentBook()
    drift = make_alert()
    book.observe([drift], T0)
    muted = Decision("inhibit", False, "DataQuality fires for credit", drift.fingerprint, "abc")
    cases = [
        (muted, ["decision"]),  # shown
        (muted, []),  # the same decision every evaluation: shown once
        (Decision("dedup", False, "sent 2m ago", drift.fingerprint), []),  # not worth showing
        (Decision("silence", False, "maintenance", drift.fingerprint, "s1"), ["decision"]),
        (Decision("inhibit", False, "x", "no-such-fingerprint"), []),  # no incident holds it
    ]
    for decision, kinds in cases:
        assert [c.kind.value for c in book.record_decision(decision, T0)] == kinds
    [incident] = book.incidents()
    assert incident.timeline[-1].text == "silence stopped by s1: maintenance"


def test_escalation_decisions_on_a_group_key_find_the_incident() -> None:
    book = IncidentBook()
    drift = make_alert()
    book.observe([drift], T0)
    book.record_notification(Notification("oncall", "group-1", {}, (drift,)), True, "", T0)
    decision = Decision("escalate", True, "unacknowledged for 30m", "group-1", "pager")
    [change] = book.record_decision(decision, T0 + timedelta(minutes=30))
    assert change.kind is ChangeKind.ESCALATION


def test_evidence_is_merged_from_the_alerts() -> None:
    book, clock = IncidentBook(), FakeClock()
    age = {"drifted_features": [{"feature": "age", "score": 2.0, "drifted": True}]}
    zip_ = {
        "drifted_features": [{"feature": "zip", "score": 3.0, "drifted": True}],
        "labels": {"coverage": 0.4},
    }
    book.observe([make_alert("A", evidence=age)], clock.at(minutes=0))
    book.observe([make_alert("B", evidence=zip_, seen=clock.at(minutes=5))], clock.now)
    [incident] = book.incidents()
    assert [f["feature"] for f in incident.evidence["drifted_features"]] == ["zip", "age"]
    assert incident.evidence["labels"] == {"coverage": 0.4}
    resolved = make_alert("A", status=RESOLVED, seen=clock.at(minutes=9))
    book.observe([resolved], clock.now)  # a resolved alert keeps the evidence it fired with
    assert book.get(incident.id).alerts[resolved.fingerprint].evidence == age


def test_ids_are_deterministic_and_unique() -> None:
    def replay() -> list[str]:
        book, clock = IncidentBook(gap=timedelta(0)), FakeClock()
        book.observe([make_alert()], clock.at(minutes=0))
        book.observe([make_alert(status=RESOLVED, seen=clock.now)], clock.now)
        book.observe([make_alert(starts=clock.at(seconds=1))], clock.now)  # same minute
        return [i.id for i in book.incidents()]

    ids = replay()
    assert ids == replay()
    assert len(set(ids)) == 2
    assert all(i.startswith("INC-credit-202603011200-") for i in ids)


def test_an_id_already_taken_gets_a_suffix() -> None:
    alert = make_alert()
    taken = incident_id("credit", T0, alert.fingerprint)
    other = Incident(taken, "other-model", "", IncidentStatus.RESOLVED, Severity.INFO, "", T0, T0)
    book = IncidentBook(incidents=[other])
    [change] = book.observe([alert], T0)
    assert change.incident.id == taken + "-2"


def test_state_round_trip() -> None:
    book, clock = IncidentBook(gap=timedelta(hours=2)), FakeClock()
    evidence = {"drifted_features": [{"feature": "age", "score": 2.0, "drifted": True}]}
    drift = make_alert(evidence=evidence)
    [opened] = book.observe([drift], clock.at(minutes=0), owner_for=lambda a: "ml")
    book.observe([make_alert("B", severity="critical", model="fraud")], clock.at(minutes=1))
    book.record_notification(Notification("ml", "g", {}, (drift,)), True, "ok", clock.at(minutes=2))
    book.record_decision(Decision("inhibit", False, "dq", drift.fingerprint, "x"), clock.now)
    book.ack(opened.incident.id, "ana", clock.at(minutes=3), "mine")
    book.note(opened.incident.id, "ana", clock.at(minutes=4), "looking")
    book.resolve(opened.incident.id, "ana", clock.at(minutes=5), "done")
    saved = json.loads(json.dumps(book.to_dict(), allow_nan=False))
    again = IncidentBook.from_dict(saved)
    assert again.to_dict() == book.to_dict()
    assert again.incidents() == book.incidents()
    assert again.gap == timedelta(hours=2)
    assert IncidentBook.from_dict(saved, gap=timedelta(hours=6)).gap == timedelta(hours=6)
    with pytest.raises(InputError, match="format"):
        IncidentBook.from_dict({"format": 99})


def test_forget_drops_old_resolved_incidents_only() -> None:
    book, clock = IncidentBook(), FakeClock()
    [old] = book.observe([make_alert(model="a")], clock.at(minutes=0))
    book.resolve(old.incident.id, "ana", clock.at(minutes=1))
    book.observe([make_alert(model="b")], clock.at(minutes=2))
    assert book.forget(T0 + timedelta(days=1)) == 1
    assert [i.model for i in book.incidents()] == ["b"]
    assert [i.model for i in book.incidents(status=IncidentStatus.OPEN, model="b")] == ["b"]


def _none() -> Any:
    raise AssertionError("expected a timeline entry")
