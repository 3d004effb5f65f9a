"""The generated default rules: which exist per task, what replaces them, drift escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watchkeeper.alerting.model import Alert, AlertStatus
from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.rules.defaults import default_rules, model_rules, raise_drift_severity
from watchkeeper.rules.engine import evaluate_rules
from watchkeeper.settings import parse_service_config

T = datetime(2026, 3, 1, tzinfo=UTC)


def model(task: str, **extra: object):
    config = parse_service_config(
        {"models": {"m": {"task": task, "windows": ["1d", "1h"], **extra}}}
    )
    return config, config.models["m"]


@pytest.mark.parametrize(
    ("task", "metric", "change"),
    [
        ("binary_classification", "roc_auc", "below"),  # worse is lower
        ("multiclass_classification", "accuracy", "below"),
        ("regression", "rmse", "above"),  # worse is higher
    ],
)
def test_performance_drop_judges_the_task_metric_against_the_reference(task, metric, change):
    _, spec = model(task)
    [drop] = [r for r in default_rules("m", spec) if r.name == "PerformanceDrop"]
    assert drop.metric == metric and drop.change is not None
    assert drop.change.baseline == "reference"
    assert getattr(drop.change, change) is not None
    assert drop.match[0] == "window=1h"  # the shortest window


def test_labels_stopped_only_for_models_with_labels():
    _, without = model("regression")
    _, with_label = model("regression", label="y")
    assert "LabelsStopped" not in {r.name for r in default_rules("m", without)}
    assert "LabelsStopped" in {r.name for r in default_rules("m", with_label)}


def test_a_configured_rule_replaces_the_default_of_the_same_name():
    config = parse_service_config(
        {
            "models": {"m": {"task": "regression"}},
            "alerting": {
                "rules": [{"name": "NoTraffic", "metric": "prediction_count", "below": 1}]
            },
        }
    )
    rules = model_rules("m", config.models["m"], config.alerting)
    mine = [r for r in rules if r.name == "NoTraffic"]
    assert len(mine) == 1 and mine[0].below == 1


def test_default_rules_can_be_turned_off():
    config = parse_service_config(
        {"models": {"m": {"task": "regression"}}, "alerting": {"default_rules": False}}
    )
    assert model_rules("m", config.models["m"], config.alerting) == []


def alert(name: str, severity: str, model_name: str = "m", **labels: str) -> Alert:
    return Alert(
        {"alertname": name, "severity": severity, "model": model_name, **labels},
        {},
        AlertStatus.FIRING,
        T,
        T,
    )


def test_drift_escalates_to_high_while_performance_drops_on_the_same_model():
    drift = alert("FeatureDrift", "warning", feature="age")
    other = alert("FeatureDrift", "warning", "other", feature="age")
    raised = raise_drift_severity([drift, other, alert("PerformanceDrop", "high")])
    assert [a.severity.value for a in raised[:2]] == ["high", "warning"]
    assert "PerformanceDrop fires" in raised[0].reason
    assert raise_drift_severity([drift]) == [drift]


def ground_truth_series(name, values, statuses=None):
    hour = timedelta(hours=1)
    return [
        MetricSample("m", name, {"monitor": "ground_truth", "window": "1h"}, T + i * hour,
                     T + (i + 1) * hour, v, Status(statuses[i] if statuses else "ok"))
        for i, v in enumerate(values)
    ]


@pytest.mark.parametrize(
    ("name", "metric", "values", "statuses", "fires"),
    [
        ("LabelsInvalid", "label_invalid_ratio", [0.0, 0.05], None, True),
        ("LabelsInvalid", "label_invalid_ratio", [0.0, 0.01], None, False),  # not above 1 %
        ("LabelDisagreement", "label_agreement_rate", [0.95, 0.6], None, True),
        ("LabelDisagreement", "label_agreement_rate", [0.95, 0.8], None, False),
        # too few ids labelled twice to judge agreement: provisional, not judged
        ("LabelDisagreement", "label_agreement_rate", [0.95, 0.0], ["ok", "provisional"], False),
    ],
)
def test_ground_truth_rules_fire_on_bad_labels(name, metric, values, statuses, fires):
    _, spec = model("binary_classification", label="y")
    [found] = [r for r in default_rules("m", spec) if r.name == name]
    assert found.metric == metric and found.severity == "warning"
    samples = ground_truth_series(metric, values, statuses)
    alerts = evaluate_rules("m", [found], samples, samples[-1].window_end)
    firing = [a for a in alerts if a.status is AlertStatus.FIRING]
    assert bool(firing) is fires
    if fires:
        assert firing[0].labels["metric"] == metric
        assert firing[0].annotations["runbook_url"] == f"playbook:{name}"


def test_ground_truth_rules_only_for_models_with_labels():
    _, without = model("regression")
    names = {r.name for r in default_rules("m", without)}
    assert not {"LabelsInvalid", "LabelDisagreement"} & names
