"""Playbooks: which template an alert gets, the built-in templates, placeholders, missing
evidence and a user's override directory."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.alerting.incidents import Incident, IncidentBook
from watchkeeper.alerting.model import Alert, AlertStatus
from watchkeeper.alerting.playbooks import (
    KINDS,
    playbook_kind,
    remediation_steps,
    render_playbook,
    sections,
)
from watchkeeper.errors import InputError

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
BUILT_IN = Path(__file__).resolve().parents[2] / "src/watchkeeper/alerting/playbooks"
LEFT_OVER = re.compile(r"\$\{?[A-Za-z_]")  # a placeholder that was not substituted


def make_alert(
    name: str = "X",
    severity: str = "warning",
    evidence: dict[str, Any] | None = None,
    **labels: str,
) -> Alert:
    return Alert(
        {"alertname": name, "severity": severity, "model": "credit", **labels},
        {"summary": f"{name} fired"},
        AlertStatus.FIRING,
        T0,
        T0,
        value=0.42,
        evidence=evidence or {},
    )


def incident_of(*alerts: Alert) -> Incident:
    book = IncidentBook()
    for k, alert in enumerate(alerts):
        book.observe([alert], T0 + timedelta(minutes=k))
    [incident] = book.incidents()
    return incident


@pytest.mark.parametrize(
    ("labels", "kind"),
    [
        ({"metric": "feature_drift"}, "feature_drift"),
        ({"metric": "dataset_drift_share"}, "feature_drift"),
        ({"metric": "prediction_drift"}, "prediction_drift"),
        ({"metric": "missing_share"}, "data_quality"),
        ({"metric": "roc_auc"}, "performance"),
        ({"metric": "rmse"}, "performance"),
        ({"metric": "label_drift"}, "performance"),  # the ground truth moved: concept drift
        ({"metric": "label_coverage"}, "label"),
        ({"metric": "label_delay_seconds"}, "label"),
        ({"metric": "label_invalid_ratio"}, "ground_truth"),
        ({"metric": "label_agreement_rate"}, "ground_truth"),
        ({"alertname": "LabelDisagreement"}, "ground_truth"),
        ({"metric": "latency_seconds"}, "latency"),
        ({"metric": "error_rate"}, "error_rate"),
        ({"metric": "prediction_count"}, "throughput"),
        ({"metric": "kpi"}, "business_kpi"),
        ({"alertname": "ScoreShift"}, "prediction_drift"),  # no metric label: the name decides
        ({"alertname": "PipelineDown"}, "throughput"),
        ({"alertname": "LabelsLate"}, "label"),
        ({"alertname": "DataQualityBreak"}, "data_quality"),
        ({"alertname": "LatencySpike"}, "latency"),
        ({"alertname": "ConversionDrop"}, "business_kpi"),
        ({"alertname": "AucDrop"}, "performance"),
        ({"alertname": "Something", "monitor": "drift"}, "feature_drift"),  # then the monitor
        ({"alertname": "Something", "monitor": "operations"}, "default"),
        ({"alertname": "Something"}, "default"),
        ({"metric": "accuracy", "playbook": "latency"}, "latency"),  # named by the rule
        ({"metric": "accuracy", "playbook": "no_such_playbook"}, "performance"),
        ({"metric": "accuracy", "playbook": "../../etc/passwd"}, "performance"),
    ],
)
def test_playbook_kind(labels: dict[str, str], kind: str) -> None:
    labels = {"alertname": "X", **labels}
    assert playbook_kind(make_alert(**labels)) == kind


def test_every_kind_has_a_built_in_template_with_both_sections() -> None:
    assert sorted(p.stem for p in BUILT_IN.glob("*.md")) == sorted(KINDS)
    for kind in KINDS:
        text = (BUILT_IN / f"{kind}.md").read_text(encoding="utf-8")
        assert "### Investigate" in text and "### Remediate" in text, kind
        assert len(remediation_steps(text)) >= 3, kind


@pytest.mark.parametrize("kind", KINDS)
def test_templates_render_without_evidence(kind: str) -> None:
    alert = make_alert(playbook=kind) if kind != "default" else make_alert()
    text = render_playbook(incident_of(alert))
    assert not LEFT_OVER.search(text), LEFT_OVER.findall(text)
    assert "not available" in text
    assert "INC-credit-" in text


def test_placeholders_filled_from_incident_and_evidence() -> None:
    evidence = {
        "metric": "feature_drift",
        "window": {"start": "2026-03-01T11:00:00+00:00", "end": "2026-03-01T12:00:00+00:00"},
        "drifted_features": [
            {"feature": "age", "test": "psi", "statistic": 0.31, "threshold": 0.2,
             "p_value": None, "score": 1.55, "drifted": True},
        ],
        "data_quality": [{"check": "missing_values", "feature": "income", "severity": "high",
                          "value": 0.35, "message": "35% missing"}],
        "version_changes": {"current": ["v2"], "earlier": ["v1"], "new": ["v2"], "gone": ["v1"]},
        "labels": {"coverage": 0.42, "labelled": 42, "predictions": 100},
    }  # fmt: skip
    incident = incident_of(make_alert("FeatureDrift", metric="feature_drift", evidence=evidence))
    text = render_playbook(incident, base_url="http://wk.internal:8000/")
    assert "## Feature drift: credit" in text
    assert "Top drifted features: age (psi 0.31, threshold 0.2)" in text
    assert "| age | psi | 0.31 | 0.2 | – | 1.55 | yes |" in text
    assert "**high** `missing_values` on `income` (value 0.35): 35% missing" in text
    assert (
        "http://wk.internal:8000/v1/models/credit/metrics?name=feature_drift"
        "&start=2026-02-22T11:00:00Z&end=2026-03-01T12:00:00Z"
    ) in text
    assert "roll back to v1" in text
    assert "42.0% (42 of 100 predictions labelled)" in text
    assert not LEFT_OVER.search(text)


def test_sections_upstream_causes_first_worst_alert_each() -> None:
    incident = incident_of(
        make_alert("AccuracyDrop", metric="accuracy"),
        make_alert("FeatureDrift", metric="feature_drift"),
        make_alert("DriftBig", severity="critical", metric="feature_drift"),
        make_alert("Nulls", metric="data_quality_findings"),
    )
    chosen = [(kind, alert.name if alert else None) for kind, alert in sections(incident)]
    assert chosen == [
        ("data_quality", "Nulls"),
        ("feature_drift", "DriftBig"),
        ("performance", "AccuracyDrop"),
    ]
    text = render_playbook(incident)
    order = [text.index(h) for h in ("## Data quality", "## Feature drift", "## Model perf")]
    assert order == sorted(order)


def test_override_directory(tmp_path: Path) -> None:
    (tmp_path / "feature_drift.md").write_text(
        "## Our drift runbook for $model\n\nAsk #ml-oncall. Budget: $5 (a stray dollar).\n"
        "Unknown: $no_such_placeholder.\n\n### Remediate\n\n- call $owner\n",
        encoding="utf-8",
    )
    (tmp_path / "fraud_rules.md").write_text("## Fraud rules for $model\n", encoding="utf-8")
    incident = incident_of(
        make_alert("FeatureDrift", metric="feature_drift", owner="ana"),
        make_alert("AccuracyDrop", metric="accuracy"),
        make_alert("RuleHits", playbook="fraud_rules"),
    )
    text = render_playbook(incident, tmp_path)
    assert "## Our drift runbook for credit" in text
    assert "Budget: $5 (a stray dollar)." in text
    assert "Unknown: not available." in text
    assert "## Model performance: credit" in text  # no override: the built-in
    assert text.index("## Fraud rules for credit") < text.index("## Our drift")  # named first
    assert remediation_steps(text)[0] == "call ana"
    assert "## Our drift" not in render_playbook(incident)  # without the directory: built-ins


def test_override_problems_are_input_errors(tmp_path: Path) -> None:
    incident = incident_of(make_alert(metric="accuracy"))
    with pytest.raises(InputError, match="not a directory"):
        render_playbook(incident, tmp_path / "missing")
    (tmp_path / "performance.md").write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(InputError, match=r"performance\.md"):
        render_playbook(incident, tmp_path)


def test_foreign_evidence_never_crashes() -> None:
    evidence: dict[str, Any] = {
        "drifted_features": ["age", {"feature": None, "statistic": "big"}],
        "labels": {"coverage": "high", "delay_seconds": {"p50": 3, "0.9": None}},
        "segments": [{"segment": "country"}],
        "version_changes": {"current": "v2", "earlier": "v1"},
        "window": {"start": "yesterday"},
        "data_quality": None,
    }
    text = render_playbook(incident_of(make_alert(metric="accuracy", evidence=evidence)))
    assert "## Model performance: credit" in text
