"""Traffic for the harness: the simulation's outages only leave records out, simulated labels
wait for their arrival time, recorded files map their columns like `watchkeeper ingest`, and
expectations are judged on transitions (table-driven, no store needed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from watchkeeper.errors import InputError
from watchkeeper.scenarios.expect import judge
from watchkeeper.scenarios.results import Refusal, RunResult, Sent, Transition
from watchkeeper.scenarios.spec import Expectation
from watchkeeper.scenarios.traffic import Columns, RecordedTraffic, SimulatedTraffic
from watchkeeper.simulate import CreditSimulation

T0 = datetime(2026, 3, 2, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _ids(records: list[dict]) -> set[str]:
    return {r["id"] for r in records}


@pytest.mark.parametrize(
    "incident",
    [
        {"outage": (T0 + 2 * HOUR, T0 + 4 * HOUR)},
        {"label_outage": (T0 + 2 * HOUR, T0 + 4 * HOUR)},
    ],
)
def test_outages_only_leave_records_out(incident: dict) -> None:
    plain = CreditSimulation(seed=3)
    broken = CreditSimulation(seed=3, **incident)
    for hour in range(6):
        start = T0 + hour * HOUR
        p0, l0 = plain.generate(start, start + HOUR, 60)
        p1, l1 = broken.generate(start, start + HOUR, 60)
        assert all(p in p0 for p in p1) and all(label in l0 for label in l1)
        span = next(iter(incident.values()))
        if "outage" in incident:  # nothing stamped in the span, nor its labels
            assert _ids(p1) == {p["id"] for p in p0 if not span[0] <= _at(p) < span[1]}
            assert _ids(l1) == _ids(p1)
        else:  # every prediction; the labels arriving in the span are lost
            assert p1 == p0
            assert l1 == [lab for lab in l0 if not span[0] <= _at(lab) < span[1]]


def _at(record: dict) -> datetime:
    return datetime.fromisoformat(record["timestamp"])


def test_simulated_labels_arrive_late_and_in_order() -> None:
    traffic = SimulatedTraffic(CreditSimulation(seed=2), T0, T0 + 6 * HOUR, 30)
    ticks = [T0 + 2 * HOUR, T0 + 4 * HOUR, T0 + 6 * HOUR]
    steps = list(traffic.arrivals(T0, ticks))
    assert [s.predictions for s in steps] == [60, 60, 60]
    seen: set[str] = set()
    for tick, step in zip(ticks, steps, strict=True):
        labels = json.loads(step.label_body)
        assert all(_at(lab) <= tick for lab in labels)  # none before its arrival
        seen |= _ids(labels)
    assert 0 < len(seen) < 180  # some are still on their way after the last step


def test_recorded_columns_map_like_ingest_plus_api_fields() -> None:
    table = pa.table(
        {
            "request": ["b", "a", "c"],
            "at": ["2026-03-02T00:20:00Z", "2026-03-02T00:10:00", "2026-03-02T01:30:00+00:00"],
            "age": [30.0, 40.0, 50.0],
            "score": [0.1, 0.2, 0.3],
            "latency_ms": [12.0, 13.0, 14.0],
            "model_version": ["v1", "v2", "v2"],
            "segment.region": ["north", None, "east"],
            "truth": [1, None, 0],
        }
    )
    traffic = RecordedTraffic(
        table, None, Columns(id="request", timestamp="at", prediction="score", label="truth")
    )
    assert traffic.span()[0] == T0 + timedelta(minutes=10)
    first, second = traffic.arrivals(T0, [T0 + HOUR, T0 + 2 * HOUR])
    records = json.loads(first.prediction_body)
    assert [r["id"] for r in records] == ["a", "b"]  # event-time order
    assert records[0] == {
        "id": "a",
        "features": {"age": 40.0},
        "prediction": 0.2,
        "timestamp": (T0 + timedelta(minutes=10)).timestamp(),
        "latency_ms": 13.0,
        "model_version": "v2",
    }
    assert records[1]["segment"] == {"region": "north"}
    assert json.loads(first.label_body) == [
        {"id": "b", "label": 1, "timestamp": (T0 + timedelta(minutes=20)).timestamp()}
    ]
    assert (second.predictions, second.labels) == (1, 1)


@pytest.mark.parametrize(
    ("table", "columns", "message"),
    [
        # no event time at all
        ({"id": ["a"], "prediction": [0.1]}, Columns(), "a replay needs event times"),
        # a named column that is not there
        (
            {"id": ["a"], "timestamp": [0.0], "prediction": [0.1]},
            Columns(label="y"),
            "no label column 'y'",
        ),
        # a time that is not one
        (
            {"id": ["a"], "timestamp": ["soon"], "prediction": [0.1]},
            Columns(),
            "row 0: not an ISO 8601 time",
        ),
    ],
)
def test_recorded_files_are_checked(table: dict, columns: Columns, message: str) -> None:
    with pytest.raises(InputError, match=message):
        RecordedTraffic(pa.table(table), None, columns)


# -- verdicts -------------------------------------------------------------------------------

LABELS = {"alertname": "LatencySpike", "severity": "critical", "model": "credit"}
DRIFT = {"alertname": "FeatureDrift", "severity": "warning", "model": "credit", "feature": "age"}


def _run(*moves: Transition, sent: tuple[Sent, ...] = (), refusals=()) -> RunResult:
    return RunResult(T0, T0, 1, 0, 0, 0, (), moves, sent, tuple(refusals))


def _fire(hour: int, labels=LABELS, fp="fp") -> Transition:
    return Transition(T0 + hour * HOUR, fp, labels, "firing")


def _resolve(hour: int, labels=LABELS, fp="fp") -> Transition:
    return Transition(T0 + hour * HOUR, fp, labels, "resolved")


def _sent(hour: int, fp="fp") -> Sent:
    return Sent(T0 + hour * HOUR, "oncall", "webhook", "firing", "g", ((fp, "x", "firing"),))


SPAN = (T0 + 2 * HOUR, T0 + 4 * HOUR)


@pytest.mark.parametrize(
    ("run", "expectation", "observed"),
    [
        # fired in the span, resolved in time, notified
        (
            _run(_fire(3), _resolve(5), sent=(_sent(3),)),
            Expectation(
                "LatencySpike",
                "critical",
                fires_between=SPAN,
                resolves_by=T0 + 6 * HOUR,
                notified=True,
            ),
            [
                (True, "fired 2026-03-02 03:00Z"),
                (True, "resolved 2026-03-02 05:00Z"),
                (True, "notified when it fired 2026-03-02 03:00Z"),
            ],
        ),
        # fired too early
        (
            _run(_fire(1)),
            Expectation("LatencySpike", fires_between=SPAN),
            [(False, "fired 2026-03-02 01:00Z instead (outside the span)")],
        ),
        # fired with another severity
        (
            _run(_fire(3, {**LABELS, "severity": "warning"})),
            Expectation("LatencySpike", "critical", fires_between=SPAN),
            [(False, "fired as LatencySpike warning at 2026-03-02 03:00Z, not as expected")],
        ),
        # never fired; something else did
        (
            _run(_fire(3, DRIFT, "d")),
            Expectation("LatencySpike", fires_between=SPAN),
            [
                (
                    False,
                    "never fired; fired instead: FeatureDrift warning {feature=age} at "
                    "2026-03-02 03:00Z",
                )
            ],
        ),
        # still firing at the end
        (
            _run(_fire(3)),
            Expectation("LatencySpike", resolves_by=T0 + 6 * HOUR),
            [
                (True, "fired 2026-03-02 03:00Z"),
                (False, "still firing at the end (since 2026-03-02 03:00Z)"),
            ],
        ),
        # resolved too late
        (
            _run(_fire(3), _resolve(8)),
            Expectation("LatencySpike", resolves_by=T0 + 6 * HOUR),
            [(True, "fired 2026-03-02 03:00Z"), (False, "resolved 2026-03-02 08:00Z, too late")],
        ),
        # expected muted, and it was: the reason is shown
        (
            _run(
                _fire(3, DRIFT, "d"),
                refusals=[Refusal(T0 + 3 * HOUR, "d", "inhibit", "inhibited by DataQualityBreak")],
            ),
            Expectation("FeatureDrift", labels={"feature": "age"}, notified=False),
            [
                (True, "fired 2026-03-02 03:00Z"),
                (True, "not notified: inhibited by DataQualityBreak"),
            ],
        ),
        # a label that does not match
        (
            _run(_fire(3, DRIFT, "d")),
            Expectation("FeatureDrift", labels={"feature": "income"}),
            [
                (
                    False,
                    "fired as FeatureDrift warning {feature=age} at 2026-03-02 03:00Z, "
                    "not as expected",
                )
            ],
        ),
    ],
)
def test_expectations(run: RunResult, expectation: Expectation, observed: list) -> None:
    verdicts = judge(run, [expectation], [], [])
    assert [(v.passed, v.observed) for v in verdicts] == observed


def test_quiet_and_never() -> None:
    run = _run(_fire(3), _resolve(4), _fire(9, DRIFT, "d"))
    verdicts = judge(
        run,
        [],
        [(T0, T0 + 2 * HOUR), (T0 + 3 * HOUR, T0 + 5 * HOUR)],
        ["NoTraffic", "FeatureDrift"],
    )
    assert [(v.check, v.passed) for v in verdicts] == [
        ("nothing fires in [2026-03-02 00:00Z, 2026-03-02 02:00Z]", True),
        ("nothing fires in [2026-03-02 03:00Z, 2026-03-02 05:00Z]", False),  # ends included
        ("NoTraffic never fires", True),
        ("FeatureDrift never fires", False),
    ]
    assert verdicts[1].observed == "LatencySpike critical at 2026-03-02 03:00Z"
