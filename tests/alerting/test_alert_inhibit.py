"""Inhibition: configured rules, the built-ins, and what a muted alert's decision says."""

from __future__ import annotations

import pytest
from pipeline_helpers import Scenario, alert, at, decisions, resolved, said, section

from watchkeeper.alerting.inhibit import inhibit_stage
from watchkeeper.alerting.model import Alert
from watchkeeper.alerting.pipeline import compile_plan
from watchkeeper.alerting.stages import Flow, Tick
from watchkeeper.alerting.state import PipelineState

PIPELINE_DOWN = {
    "source": ["alertname=PipelineDown"],
    "target": ["monitor=~drift|performance"],
    "equal": ["model"],
}

# sources
Q_AGE = alert("q-age", alertname="MissingValues", monitor="quality", feature="age", severity="high")
Q_ALL = alert("q-all", alertname="DataQuality", monitor="quality", severity="critical")
Q_EVIDENCE = alert(
    "q-ev",
    alertname="DataQuality",
    monitor="quality",
    evidence={
        "data_quality": [
            {"check": "range", "feature": "age", "severity": "critical"},
            {"check": "duplicates", "feature": None, "severity": "low"},  # not what breached
        ]
    },
)
Q_DATASET = alert(
    "q-rows",
    alertname="DataQuality",
    monitor="quality",
    evidence={"data_quality": [{"check": "row_count", "feature": None, "severity": "critical"}]},
)
Q_V2 = alert("q-v2", alertname="MissingValues", monitor="quality", model_version="v2")
NO_TRAFFIC = alert("down", alertname="NoTraffic", monitor="operations", severity="critical")
PIPELINE = alert("pipe", alertname="PipelineDown", monitor="operations", severity="critical")
PIPELINE_FRAUD = alert("pipe-f", alertname="PipelineDown", monitor="operations", model="fraud")
CRIT_AGE = alert("c-age", severity="critical", feature="age")

# targets
DRIFT_AGE = alert("d-age", feature="age")
DRIFT_INCOME = alert("d-inc", feature="income")
PRED = alert("pred", alertname="PredictionDrift")
JOINT = alert("joint", alertname="MultivariateDrift", metric="multivariate_drift", method="pca")
PERF = alert("perf", alertname="AccuracyDrop", monitor="performance")
KPI = alert("kpi", alertname="KpiDrop", monitor="business")
FRAUD_AGE = alert("d-fraud", model="fraud", feature="age")
HIGH_AGE = alert("h-age", severity="high", feature="age")
DRIFT_V2 = alert("d-v2", feature="age", model_version="v2")
DRIFT_V1 = alert("d-v1", feature="age", model_version="v1")

QUALITY_WHY = "a data-quality alert on model credit"

CASES = [
    # a feature's quality break mutes that feature's drift
    (True, [], [Q_AGE], DRIFT_AGE, Q_AGE, f"{QUALITY_WHY} (feature age) explains its drift"),
    # ... but not another feature's
    (True, [], [Q_AGE], DRIFT_INCOME, None, ""),
    # ... nor the model's prediction drift, which has no feature label
    (True, [], [Q_AGE], PRED, None, ""),
    # ... but the drift of the features taken together, which age is part of
    (True, [], [Q_AGE], JOINT, Q_AGE,
     f"{QUALITY_WHY} (features age, which it takes together) explains its drift"),
    # a dataset-level break (no feature, no evidence) mutes all drift of the model
    (
        True,
        [],
        [Q_ALL],
        DRIFT_INCOME,
        Q_ALL,
        f"{QUALITY_WHY} (the whole dataset) explains its drift",
    ),
    (True, [], [Q_ALL], PERF, Q_ALL, f"{QUALITY_WHY} (the whole dataset) explains its performance"),
    # ... but not business KPIs, nor another model's drift
    (True, [], [Q_ALL], KPI, None, ""),
    (True, [], [Q_ALL], FRAUD_AGE, None, ""),
    # the features of the evidence's breaching findings scope the source
    (
        True,
        [],
        [Q_EVIDENCE],
        DRIFT_AGE,
        Q_EVIDENCE,
        f"{QUALITY_WHY} (feature age) explains its drift",
    ),
    (True, [], [Q_EVIDENCE], DRIFT_INCOME, None, ""),
    # a breaching finding without a feature (row count) is dataset level
    (
        True,
        [],
        [Q_DATASET],
        DRIFT_INCOME,
        Q_DATASET,
        f"{QUALITY_WHY} (the whole dataset) explains its drift",
    ),
    # a source about one model version only mutes that version
    (True, [], [Q_V2], DRIFT_V2, Q_V2, f"{QUALITY_WHY} (the whole dataset) explains its drift"),
    (True, [], [Q_V2], DRIFT_V1, None, ""),
    # an outage mutes all drift and performance of the model
    (
        True,
        [],
        [NO_TRAFFIC],
        PERF,
        NO_TRAFFIC,
        "a pipeline outage on model credit (the whole dataset) explains its performance",
    ),
    # critical mutes warning of the same alertname, model and feature
    (
        True,
        [],
        [CRIT_AGE],
        DRIFT_AGE,
        CRIT_AGE,
        "critical mutes warning of the same alertname, model and feature",
    ),
    # ... but not another feature, nor a high alert
    (True, [], [CRIT_AGE], DRIFT_INCOME, None, ""),
    (True, [], [CRIT_AGE], HIGH_AGE, None, ""),
    # built-ins off: nothing of the above
    (False, [], [Q_ALL, CRIT_AGE], DRIFT_AGE, None, ""),
    # a configured rule, equal on model
    (False, [PIPELINE_DOWN], [PIPELINE], PERF, PIPELINE, "inhibit_rules.0 (same model='credit')"),
    (False, [PIPELINE_DOWN], [PIPELINE_FRAUD], PERF, None, ""),
    # configured rules come before the built-ins
    (
        True,
        [PIPELINE_DOWN],
        [PIPELINE],
        DRIFT_AGE,
        PIPELINE,
        "inhibit_rules.0 (same model='credit')",
    ),
    # a resolved source mutes nothing
    (
        True,
        [],
        [resolved("q-all", alertname="DataQuality", monitor="quality")],
        DRIFT_AGE,
        None,
        "",
    ),
    # an alert matching both sides never mutes itself
    (
        False,
        [{"source": ["monitor=drift"], "target": ["monitor=drift"]}],
        [DRIFT_AGE],
        DRIFT_AGE,
        None,
        "",
    ),
]


@pytest.mark.parametrize(("builtin", "rules", "sources", "target", "by", "why"), CASES)
def test_inhibition_table(
    builtin: bool,
    rules: list[dict[str, list[str]]],
    sources: list[Alert],
    target: Alert,
    by: Alert | None,
    why: str,
) -> None:
    plan = compile_plan(
        section({"receiver": "team"}, inhibit_rules=rules, builtin_inhibitions=builtin)
    )
    state = PipelineState(alerts={a.fingerprint: a for a in [*sources, target]})
    result = inhibit_stage(Flow(alerts=(target,)), Tick(at(0), plan, state))
    if by is None:
        assert result.flow.alerts == (target,)
        assert result.decisions == ()
        return
    assert result.flow.alerts == ()
    [decision] = result.decisions
    assert (decision.stage, decision.passed, decision.subject, decision.by) == (
        "inhibit",
        False,
        target.fingerprint,
        by.fingerprint,
    )
    assert decision.reason == f"inhibited by {by.name} ({by.fingerprint}): {why}"


def test_a_muted_alert_is_notified_once_its_source_resolves() -> None:
    run = Scenario(section({"receiver": "team", "group_by": ["series"], "group_interval": "1m"}))
    first = run.step(0, [Q_ALL, DRIFT_AGE])
    assert [said(n) for n in first.notifications] == ["team: q-all"]
    [muted] = decisions(first, "inhibit")
    assert (muted.subject, muted.by) == (DRIFT_AGE.fingerprint, Q_ALL.fingerprint)
    # still muted while the quality alert fires, without being reported again
    assert run.sends(5) == []
    # the quality alert resolves: its resolve goes out, and the drift it hid is now notified
    both = run.sends(
        10, [resolved("q-all", alertname="DataQuality", monitor="quality", severity="critical")]
    )
    assert sorted(both) == ["team: -q-all", "team: d-age"]
