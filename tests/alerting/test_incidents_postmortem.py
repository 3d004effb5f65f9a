"""The postmortem draft: an incident built from real evidence (gathered from samples), people's
actions and notifications, rendered to Markdown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.alerting.evidence import gather_evidence
from watchkeeper.alerting.incidents import Incident, IncidentBook
from watchkeeper.alerting.incidents_postmortem import render_postmortem
from watchkeeper.alerting.model import Alert, AlertStatus, Notification
from watchkeeper.monitors.base import MetricSample, Status

HOUR = timedelta(hours=1)
T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)  # the earlier window starts
FIRED = T0 + 2 * HOUR  # the alerts fire when the second window has closed


def sample(
    name: str, value: float, start: datetime, status: Status = Status.OK, **kw: Any
) -> MetricSample:
    labels = {k: v for k, v in kw.items() if isinstance(v, str)}
    details = {k: v for k, v in kw.items() if not isinstance(v, str)}
    return MetricSample(
        "credit", name, {"window": "1h", **labels}, start, start + HOUR, value, status, details
    )


def window_samples(start: datetime, *, bad: bool) -> list[MetricSample]:
    breach = Status.BREACH if bad else Status.OK
    finding = {"check": "missing_values", "column": "income", "message": "income 35% missing"}
    return [
        sample("feature_drift", 0.31 if bad else 0.02, start, breach, feature="age", test="psi",
               threshold=0.2),
        sample("feature_drift", 0.15 if bad else 0.01, start, breach, feature="income",
               test="wasserstein", threshold=0.1),
        sample("data_quality_findings", 1 if bad else 0, start, breach, severity="high",
               findings=[finding] if bad else []),
        sample("accuracy", 0.80, start),
        sample("accuracy", 0.86, start, model_version="v1"),
        sample("accuracy", 0.62 if bad else 0.85, start, model_version="v2" if bad else "v1b",
               n_labelled=300),
        sample("kpi", 0.05, start, kpi="approval"),
        sample("kpi", 0.01, start, kpi="approval", segment="region", segment_value="north",
               predictions=400),
        sample("label_coverage", 0.42 if bad else 0.9, start, labelled=420, predictions=1000,
               min_label_coverage=0.5),
        sample("label_delay_seconds", 7200.0, start, quantile="0.5"),
    ]  # fmt: skip


def fired(
    name: str, metric: str, severity: str, samples: list[MetricSample], **labels: str
) -> Alert:
    base = Alert(
        {"alertname": name, "severity": severity, "model": "credit", "metric": metric,
         "window": "1h", **labels},
        {"summary": f"{name} on credit"},
        AlertStatus.FIRING,
        FIRED,
        FIRED,
        value=0.8,
    )  # fmt: skip
    return Alert(
        base.labels, base.annotations, base.status, base.starts_at, base.updated_at,
        value=base.value, evidence=gather_evidence(base, samples),
    )  # fmt: skip


@pytest.fixture
def incident() -> Incident:
    samples = window_samples(T0, bad=False) + window_samples(T0 + HOUR, bad=True)
    drift = fired("FeatureDrift", "feature_drift", "warning", samples)
    accuracy = fired("AccuracyDrop", "accuracy", "critical", samples)
    approval = fired("ApprovalDrop", "kpi", "high", samples, kpi="approval")
    book = IncidentBook()
    [opened] = book.observe([drift], FIRED, owner_for=lambda a: "ml-team")
    key = opened.incident.id
    book.observe([accuracy, approval], FIRED + timedelta(minutes=5))
    page = Notification("ml-team", "g1", {"model": "credit"}, (drift, accuracy))
    book.record_notification(page, True, "HTTP 200", FIRED + timedelta(minutes=6))
    book.record_notification(page, False, "HTTP 503", FIRED + timedelta(minutes=7))
    book.ack(key, "ana", FIRED + timedelta(minutes=20), "looking at income")
    book.note(key, "ana", FIRED + timedelta(minutes=45), "CRM export writes nulls since 10:40")
    for alert in (drift, accuracy, approval):
        ended = FIRED + 3 * HOUR
        resolved = Alert(
            alert.labels, alert.annotations, AlertStatus.RESOLVED, alert.starts_at, ended, ended
        )
        book.observe([resolved], ended)
    return book.get(key)


def test_postmortem_holds_the_evidence(incident: Incident) -> None:
    text = render_postmortem(incident)
    # top drifted features with their statistics
    assert "| age | psi | 0.31 | 0.2 | – | 1.55 | yes |" in text
    assert "| income | wasserstein | 0.15 | 0.1 | – | 1.5 | yes |" in text
    # data-quality findings
    assert "- **high** `missing_values` on `income`: income 35% missing" in text
    # affected segments and versions
    assert (
        "- `region=north`: kpi, kpi=approval 0.01 vs 0.05 overall (80.0% worse, ok, n=400)" in text
    )
    assert "- `v2`: accuracy 0.62 vs 0.8 overall (22.5% worse, ok, n=300)" in text
    assert "Version changes: serving v1, v2; before: v1, v1b; new: v2" in text
    assert "- Model versions affected: v2 (served in the window: v1, v2)" in text
    assert "- Segments affected: region=north" in text
    # label coverage
    assert "- Coverage: 42.0% (420 of 1,000 predictions labelled; metrics need 50.0%)" in text
    assert "90.0%; 2026-03-01 12:00 UTC: 42.0%" in text


def test_postmortem_summary_timeline_and_actions(incident: Incident) -> None:
    text = render_postmortem(incident)
    assert text.startswith("# Postmortem: FeatureDrift on credit\n")
    assert "| Severity | critical (the worst of its alerts) |" in text
    assert "| Status | resolved automatically at 2026-03-01 15:00 UTC |" in text
    assert "| Acknowledged | 2026-03-01 12:20 UTC by ana (after 20m) |" in text
    assert "- Duration: 3h 00m (from 2026-03-01 12:00 UTC to 2026-03-01 15:00 UTC)" in text
    timeline = [line for line in text.splitlines() if line.startswith("| 2026-")]
    assert [row.split(" | ")[1] for row in timeline] == [
        "alert_firing", "alert_firing", "alert_firing", "notification", "notification", "ack",
        "note", "alert_resolved", "alert_resolved", "alert_resolved", "resolve",
    ]  # fmt: skip
    assert "| 2026-03-01 12:45 UTC | note | ana | CRM export writes nulls since 10:40 |" in text
    assert "- 2026-03-01 12:20 UTC: acknowledged by ana: looking at income" in text
    assert "- 2026-03-01 12:45 UTC: note by ana: CRM export writes nulls since 10:40" in text
    assert "- Notifications: 2 notification(s), 0 escalation(s), 1 failed deliveries" in text


def test_follow_ups_are_the_playbook_remediation_steps(incident: Incident, tmp_path: Path) -> None:
    text = render_postmortem(incident)
    follow_ups = text[text.index("## Follow-ups") :].splitlines()[2:]
    assert all(line.startswith("- [ ] ") for line in follow_ups)
    assert any("roll back to v1b" in line for line in follow_ups)  # filled-in placeholders
    assert any("retrain" in line for line in follow_ups)
    assert len(follow_ups) == len(set(follow_ups))
    (tmp_path / "performance.md").write_text("## Ours\n\n### Remediate\n\n1. page the ML lead\n")
    custom = render_postmortem(incident, overrides_dir=tmp_path)
    assert "- [ ] page the ML lead" in custom


def test_unresolved_incident_without_evidence() -> None:
    book = IncidentBook()
    alert = Alert({"alertname": "Odd", "model": "m"}, {}, AlertStatus.FIRING, FIRED, FIRED)
    [change] = book.observe([alert], FIRED)
    text = render_postmortem(change.incident, now=FIRED + 90 * timedelta(minutes=1))
    assert "- Duration: 1h 30m (from 2026-03-01 12:00 UTC to now, unresolved)" in text
    assert "### Top drifted features\n\nnot available" in text
    assert "- Coverage: not available" in text
    assert "| Odd | warning | model=m | – | 2026-03-01 12:00 UTC | firing |" in text
