"""The generated default rules: which exist per task, what replaces them, drift escalation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watchkeeper.alerting.model import Alert, AlertStatus
from watchkeeper.rules.defaults import default_rules, model_rules, raise_drift_severity
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
