"""Rule evaluation: conditions, for / of / resolve_after, hysteresis, labels and annotations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watchkeeper.alerting.config import ChangeSpec, RuleSpec
from watchkeeper.alerting.model import AlertStatus
from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.rules.engine import evaluate_rules, rule_lookback
from watchkeeper.rules.lifecycle import State, replay
from watchkeeper.rules.verdicts import Kind, Verdict

T0 = datetime(2026, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def series(values, name="error_rate", labels=None, statuses=None):
    out = []
    for i, value in enumerate(values):
        status = Status(statuses[i]) if statuses else Status.OK
        out.append(
            MetricSample(
                "credit",
                name,
                {"monitor": "operations", "window": "1h", **(labels or {})},
                T0 + i * HOUR,
                T0 + (i + 1) * HOUR,
                float(value),
                status,
            )
        )
    return out


def at(hours):
    return T0 + hours * HOUR


# (verdict kinds, for, of, resolve_after, expected state, fired at hour, resolved at hour)
LIFECYCLE = [
    # one breach fires at once with for=1
    ("CB", 1, None, 1, State.FIRING, 2, None),
    # for=2 needs two in a row: one breach is pending
    ("CB", 2, None, 1, State.PENDING, 2, None),
    # ... and a clear in between resets it
    ("BCB", 2, None, 1, State.PENDING, 3, None),
    ("BBC", 2, None, 1, State.RESOLVED, 2, 3),
    # 2 of 3: breach, clear, breach fires on the second breach
    ("BCB", 2, 3, 1, State.FIRING, 3, None),
    # resolve_after=2: one clear is not enough
    ("BBC", 1, None, 2, State.FIRING, 1, None),
    ("BBCC", 1, None, 2, State.RESOLVED, 1, 4),
    # hold windows (hysteresis band) neither resolve nor reset the clear run
    ("BHHC", 1, None, 1, State.RESOLVED, 1, 4),
    ("BCHC", 1, None, 2, State.FIRING, 1, None),
    # unknown windows are skipped entirely
    ("BUUB", 2, None, 1, State.FIRING, 4, None),
    # a breach after a resolve opens a new episode
    ("BCB", 1, None, 1, State.FIRING, 3, None),
    # nothing but clear: inactive
    ("CCC", 1, None, 1, State.INACTIVE, None, None),
]
KINDS = {"B": Kind.BREACH, "C": Kind.CLEAR, "H": Kind.HOLD, "U": Kind.UNKNOWN}


@pytest.mark.parametrize(
    ("kinds", "for_", "of", "resolve", "state", "fired", "resolved"), LIFECYCLE
)
def test_lifecycle(kinds, for_, of, resolve, state, fired, resolved):
    verdicts = [Verdict(KINDS[k], k) for k in kinds]
    ends = [at(i + 1) for i in range(len(kinds))]
    track = replay(verdicts, ends, for_=for_, of=of, resolve_after=resolve)
    assert track.state is state
    assert track.starts_at == (at(fired) if fired else None)
    assert track.ends_at == (at(resolved) if resolved else None)


def rule(**spec):
    return RuleSpec(name="R", metric="error_rate", **spec)


# (rule, values, statuses, expected status or None, reason fragment)
RULES = [
    # a static threshold
    (rule(above=0.1), [0.0, 0.3], None, AlertStatus.FIRING, "0.3 > 0.1"),
    (rule(below=0.5), [0.9, 0.3], None, AlertStatus.FIRING, "0.3 < 0.5"),
    # hysteresis: 0.07 is below the firing level but above the resolve level: still firing
    (rule(above=0.1, resolve_below=0.05), [0.3, 0.07], None, AlertStatus.FIRING, "0.3 > 0.1"),
    (rule(above=0.1, resolve_below=0.05), [0.3, 0.07, 0.01], None, AlertStatus.RESOLVED, "clear"),
    # provisional samples are skipped unless asked for
    (rule(above=0.1), [0.0, 0.3], ["ok", "provisional"], None, ""),
    (
        rule(above=0.1, include_provisional=True),
        [0.0, 0.3],
        ["ok", "provisional"],
        AlertStatus.FIRING,
        "> 0.1",
    ),
    # NaN values cannot breach
    (rule(above=0.1), [0.0, float("nan")], None, None, ""),
    # the sample's own verdict
    (rule(status="breach"), [0.1, 0.4], ["ok", "breach"], AlertStatus.FIRING, "breached"),
    # relative change against the mean of the baseline span
    (
        rule(change=ChangeSpec(baseline="3h", below=-0.5)),
        [100, 100, 100, 10],
        None,
        AlertStatus.FIRING,
        "-90.0%",
    ),
    (rule(change=ChangeSpec(baseline="3h", below=-0.5)), [100, 100, 100, 80], None, None, ""),
    # no baseline yet: nothing to judge
    (rule(change=ChangeSpec(baseline="3h", above=0.5)), [10], None, None, ""),
    (
        rule(change=ChangeSpec(baseline="3h", above=1.0)),
        [1, 1, 1, 5],
        None,
        AlertStatus.FIRING,
        "+400.0%",
    ),
]


@pytest.mark.parametrize(("spec", "values", "statuses", "expected", "reason"), RULES)
def test_conditions(spec, values, statuses, expected, reason):
    alerts = evaluate_rules("credit", [spec], series(values, statuses=statuses), at(len(values)))
    if expected is None:
        assert [a for a in alerts if a.status is not AlertStatus.RESOLVED] == []
        return
    [alert] = alerts
    assert alert.status is expected
    assert reason in alert.reason


def test_a_change_needs_a_baseline_of_a_few_windows():
    spec = rule(change=ChangeSpec(baseline="2h", above=1.0))
    assert evaluate_rules("credit", [spec], series([1, 1, 5]), at(3)) == []


def test_a_noisy_window_whose_interval_reaches_the_limit_holds_instead_of_firing():
    spec = RuleSpec(
        name="Drop", metric="roc_auc", change=ChangeSpec(baseline="reference", below=-0.1)
    )

    def auc(value, low, high):
        return MetricSample(
            "credit",
            "roc_auc",
            {"monitor": "performance"},
            T0,
            T0 + HOUR,
            value,
            Status.OK,
            {"reference": 0.8, "ci_low": low, "ci_high": high},
        )

    wide = [auc(0.6, 0.4, 0.78)]  # -25%, but the interval reaches -2.5% (> half the limit)
    assert evaluate_rules("credit", [spec], wide, at(1)) == []
    narrow = [auc(0.6, 0.55, 0.65)]
    [alert] = evaluate_rules("credit", [spec], narrow, at(1))
    assert alert.status is AlertStatus.FIRING and "vs the reference 0.8" in alert.reason


def test_labels_annotations_and_series_selection():
    spec = RuleSpec(
        name="Slow",
        metric="latency_seconds",
        severity="critical",
        match=["quantile=0.99"],
        above=1.0,
        labels={"team": "ml"},
        annotations={"summary": "p{labels[quantile]} {value:.1f}s on {model}", "x": "{oops"},
    )
    samples = series([0.5, 2.0], "latency_seconds", {"quantile": "0.99", "severity": "x"})
    samples += series([5.0, 5.0], "latency_seconds", {"quantile": "0.5"})
    [alert] = evaluate_rules("credit", [spec], samples, at(2))
    assert alert.labels == {
        "alertname": "Slow",
        "severity": "critical",
        "model": "credit",
        "metric": "latency_seconds",
        "monitor": "operations",
        "window": "1h",
        "quantile": "0.99",
        "series_severity": "x",  # a series label never shadows the alert's own
        "team": "ml",
    }
    assert alert.annotations["summary"] == "p0.99 2.0s on credit"
    assert alert.annotations["x"] == "{oops"  # a broken template is kept, not fatal
    assert alert.evidence["sample"]["value"] == 2.0


def test_rules_for_other_models_and_future_windows_are_ignored():
    spec = RuleSpec(name="R", metric="error_rate", above=0.1, models=["other"])
    assert evaluate_rules("credit", [spec], series([0.5]), at(1)) == []
    spec = RuleSpec(name="R", metric="error_rate", above=0.1)
    assert evaluate_rules("credit", [spec], series([0.0, 0.5]), at(1)) == []


def test_every_series_gets_its_own_alert():
    spec = RuleSpec(name="Drift", metric="feature_drift", status="breach")
    samples = series([0.1, 0.5], "feature_drift", {"feature": "age"}, ["ok", "breach"])
    samples += series([0.1, 0.6], "feature_drift", {"feature": "income"}, ["ok", "breach"])
    samples += series([0.1, 0.1], "feature_drift", {"feature": "term"}, ["ok", "ok"])
    alerts = evaluate_rules("credit", [spec], samples, at(2))
    assert sorted(a.labels["feature"] for a in alerts) == ["age", "income"]
    assert len({a.fingerprint for a in alerts}) == 2


def test_lookback_covers_baselines_and_counted_windows():
    change = RuleSpec(name="R", metric="m", change=ChangeSpec(baseline="7d", below=-0.1))
    assert rule_lookback(change, HOUR) >= timedelta(days=7)
    simple = RuleSpec(name="R", metric="m", above=1.0)
    assert rule_lookback(simple, HOUR) == timedelta(days=2)  # never less than two days
