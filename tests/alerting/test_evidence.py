"""Evidence gathered for an alert from synthetic metric samples: ranking, breakdowns, labels,
version changes, window choice, JSON safety and determinism."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from watchkeeper.alerting.evidence import gather_evidence
from watchkeeper.alerting.model import Alert, AlertStatus
from watchkeeper.monitors.base import MetricSample, Status

HOUR = timedelta(hours=1)
NOW_START = datetime(2026, 3, 1, 11, tzinfo=UTC)  # the window the alert fired on
OK, BREACH, INSUFFICIENT = Status.OK, Status.BREACH, Status.INSUFFICIENT


def sample(
    name: str,
    value: float,
    status: Status = OK,
    *,
    start: datetime = NOW_START,
    length: timedelta = HOUR,
    model: str = "credit",
    **labels_and_details: Any,
) -> MetricSample:
    """Keyword arguments in ``str`` are labels, the rest details (``details={...}`` too)."""
    details = dict(labels_and_details.pop("details", {}))
    labels = {k: v for k, v in labels_and_details.items() if isinstance(v, str)}
    details.update({k: v for k, v in labels_and_details.items() if not isinstance(v, str)})
    window = "1h" if length == HOUR else "1d"
    return MetricSample(
        model, name, {"window": window, **labels}, start, start + length, value, status, details
    )


def alert(metric: str | None = None, **labels: str) -> Alert:
    extra = {"metric": metric} if metric else {}
    return Alert(
        {"alertname": "X", "severity": "warning", "model": "credit", **extra, **labels},
        {},
        AlertStatus.FIRING,
        NOW_START + HOUR,
        NOW_START + HOUR,
    )


def drift(feature: str, statistic: float, threshold: float, status: Status = OK) -> MetricSample:
    return sample(
        "feature_drift", statistic, status, feature=feature, test="psi", monitor="drift",
        threshold=threshold, p_value=None,
    )  # fmt: skip


def test_drifted_features_ranked_by_statistic_over_threshold() -> None:
    samples = [
        drift("f_small", 0.05, 0.2),  # score 0.25
        drift("f_big", 0.9, 0.3, BREACH),  # score 3
        drift("f_mid", 0.3, 0.2, BREACH),  # score 1.5
        drift("f_nan", math.nan, 0.2, INSUFFICIENT),  # not computable: left out
        drift("f_p", 0.12, 0.2, BREACH),  # drifted on its p-value, score 0.6: still first group
        *(drift(f"f{i:02d}", 0.01 * i, 0.2) for i in range(1, 10)),  # scores 0.05 .. 0.45
        sample("feature_drift", 0.5, OK, feature="other_model", model="fraud", threshold=0.1),
    ]
    features = gather_evidence(alert("feature_drift"), samples)["drifted_features"]
    names = [f["feature"] for f in features]
    assert names == [
        "f_big", "f_mid", "f_p", "f09", "f08", "f07", "f06", "f05", "f_small", "f04",
    ]  # fmt: skip
    assert features[0] == {
        "feature": "f_big",
        "test": "psi",
        "statistic": 0.9,
        "p_value": None,
        "threshold": 0.3,
        "score": 3.0,
        "drifted": True,
    }


def test_findings_most_severe_first() -> None:
    def findings(severity: str, *found: tuple[str, str | None]) -> MetricSample:
        listed = [{"check": c, "column": col, "message": f"{c} on {col}"} for c, col in found]
        status = BREACH if found and severity in ("critical", "high") else OK
        return sample(
            "data_quality_findings", len(found), status, severity=severity, monitor="quality",
            findings=listed,
        )  # fmt: skip

    samples = [
        findings("warning", ("unseen_categories", "country")),
        findings("critical", ("schema_changes", None)),
        findings("high", ("missing_values", "income"), ("type_errors", "age")),
        findings("info"),
    ]
    rows = gather_evidence(alert(), samples)["data_quality"]
    assert [(r["severity"], r["check"], r["feature"]) for r in rows] == [
        ("critical", "schema_changes", None),
        ("high", "missing_values", "income"),
        ("high", "type_errors", "age"),
        ("warning", "unseen_categories", "country"),
    ]
    assert rows[1]["message"] == "missing_values on income"


@pytest.mark.parametrize(
    ("metric", "groups", "expected"),
    [
        # accuracy: lower is worse; v3 better than overall is left out
        ("accuracy", {"v1": (0.70, OK), "v2": (0.78, OK), "v3": (0.95, OK)}, ["v1", "v2"]),
        # latency: higher is worse
        ("latency_seconds", {"v1": (0.3, OK), "v2": (0.9, OK), "v3": (0.1, OK)}, ["v2", "v1"]),
        # a breaching group comes first whatever its deviation
        ("accuracy", {"v1": (0.70, OK), "v2": (0.85, BREACH)}, ["v2", "v1"]),
        # groups without a usable value are left out
        ("accuracy", {"v1": (math.nan, INSUFFICIENT)}, []),
    ],
)
def test_model_versions_that_deviate_most(
    metric: str, groups: dict[str, tuple[float, Status]], expected: list[str]
) -> None:
    overall = 0.8 if metric == "accuracy" else 0.25
    samples = [sample(metric, overall, quantile="0.99")]
    samples += [
        sample(metric, v, s, quantile="0.99", model_version=name, n_labelled=100)
        for name, (v, s) in groups.items()
    ]
    samples.append(sample(metric, 0.01, quantile="0.5", model_version="v1"))  # another series
    rows = gather_evidence(alert(metric, quantile="0.99"), samples)["model_versions"]
    assert [r["model_version"] for r in rows] == expected
    if expected and metric == "accuracy" and groups["v1"][1] is OK:
        v1 = next(r for r in rows if r["model_version"] == "v1")
        assert v1 == {
            "metric": "accuracy",
            "labels": {"quantile": "0.99"},
            "model_version": "v1",
            "value": 0.7,
            "overall": 0.8,
            "deviation": 0.125,
            "status": "ok",
            "n": 100,
        }


def test_segments_of_a_kpi() -> None:
    def kpi(value: float, **labels: str) -> MetricSample:
        return sample("kpi", value, kpi="conversion", monitor="business", predictions=500, **labels)

    samples = [
        kpi(0.05),
        kpi(0.01, segment="country", segment_value="DE"),
        kpi(0.04, segment="country", segment_value="FR"),
        kpi(0.07, segment="country", segment_value="US"),  # better: not affected
        kpi(0.02, model_version="v2"),
        sample("kpi", 0.0, kpi="revenue", segment="country", segment_value="DE"),  # other KPI
    ]
    evidence = gather_evidence(alert("kpi", kpi="conversion"), samples)
    segments = evidence["segments"]
    assert [(r["segment"], r["segment_value"], r["deviation"]) for r in segments] == [
        ("country", "DE", 0.8),
        ("country", "FR", 0.2),
    ]
    assert segments[0]["n"] == 500
    assert [r["model_version"] for r in evidence["model_versions"]] == ["v2"]


def test_without_a_metric_breaching_breakdowns_of_any_metric() -> None:
    samples = [
        sample("error_rate", 0.01),
        sample("error_rate", 0.3, BREACH, model_version="v2"),
        sample("error_rate", 0.02, OK, model_version="v1"),
    ]
    rows = gather_evidence(alert(), samples)["model_versions"]
    assert [(r["metric"], r["model_version"]) for r in rows] == [("error_rate", "v2")]


def test_labels_coverage_delay_and_history() -> None:
    samples = [
        sample("label_coverage", c, start=NOW_START - k * HOUR, labelled=int(c * 1000),
               predictions=1000, min_label_coverage=0.5, oldest_unlabelled_seconds=7200.0)
        for k, c in enumerate([0.1, 0.85, 0.9])
    ]  # fmt: skip
    samples += [
        sample("label_delay_seconds", v, quantile=q) for q, v in (("0.5", 60.0), ("0.9", 600.0))
    ]
    samples.append(sample("label_coverage", 0.0, model_version="v2"))  # a breakdown: not used
    labels = gather_evidence(alert("label_coverage"), samples)["labels"]
    assert labels == {
        "coverage": 0.1,
        "labelled": 100,
        "predictions": 1000,
        "min_label_coverage": 0.5,
        "oldest_unlabelled_seconds": 7200.0,
        "delay_seconds": {"0.5": 60.0, "0.9": 600.0},
        "history": [
            {"window_end": "2026-03-01T10:00:00+00:00", "coverage": 0.9},
            {"window_end": "2026-03-01T11:00:00+00:00", "coverage": 0.85},
            {"window_end": "2026-03-01T12:00:00+00:00", "coverage": 0.1},
        ],
    }


@pytest.mark.parametrize(
    ("earlier", "now", "expected"),
    [
        # a new version rolled out next to the old one
        (["v1"], ["v1", "v2"], {"current": ["v1", "v2"], "earlier": ["v1"], "new": ["v2"],
                                "gone": []}),
        # replaced
        (["v1"], ["v2"], {"current": ["v2"], "earlier": ["v1"], "new": ["v2"], "gone": ["v1"]}),
        # no history given: nothing can be called new
        (None, ["v1"], {"current": ["v1"], "earlier": None, "new": [], "gone": []}),
        # a model without versions
        ([], [], None),
    ],
)  # fmt: skip
def test_version_changes(
    earlier: list[str] | None, now: list[str], expected: dict[str, Any] | None
) -> None:
    samples = [sample("prediction_count", 10.0)]
    samples += [sample("prediction_count", 5.0, model_version=v) for v in now]
    if earlier is not None:
        start = NOW_START - 2 * HOUR
        samples.append(sample("prediction_count", 10.0, start=start))
        samples += [sample("prediction_count", 5.0, start=start, model_version=v) for v in earlier]
    evidence = gather_evidence(alert("prediction_count"), samples)
    assert evidence["version_changes"] == expected
    assert evidence["history_windows"] == (0 if earlier is None else 1)


def test_the_window_is_the_latest_shortest_or_the_alerts() -> None:
    day_start = NOW_START + HOUR - timedelta(days=1)
    samples = [
        drift("hourly", 0.5, 0.2, BREACH),
        sample("feature_drift", 0.9, BREACH, start=day_start, length=timedelta(days=1),
               feature="daily", test="psi", threshold=0.2),
        sample("feature_drift", 0.7, BREACH, start=NOW_START - HOUR, feature="old",
               threshold=0.2),  # an earlier window
    ]  # fmt: skip
    hourly = gather_evidence(alert(), samples)
    assert [f["feature"] for f in hourly["drifted_features"]] == ["hourly"]
    assert hourly["window"] == {
        "start": "2026-03-01T11:00:00+00:00",
        "end": "2026-03-01T12:00:00+00:00",
    }
    daily = gather_evidence(alert(window="1d"), samples)
    assert [f["feature"] for f in daily["drifted_features"]] == ["daily"]


def test_verdicts_of_prediction_and_dataset_drift() -> None:
    samples = [
        sample("prediction_drift", 0.27, BREACH, test="psi", threshold=0.2, p_value=None),
        sample("dataset_drift_share", 0.6, BREACH, threshold=0.5, drifted_columns=["b", "a"]),
    ]
    evidence = gather_evidence(alert("prediction_drift"), samples)
    assert evidence["prediction_drift"] == {
        "test": "psi",
        "statistic": 0.27,
        "p_value": None,
        "threshold": 0.2,
        "score": 1.35,
        "drifted": True,
    }
    assert evidence["dataset_drift"] == {
        "share": 0.6,
        "threshold": 0.5,
        "drifted": True,
        "drifted_columns": ["a", "b"],
    }


def test_no_samples_gives_the_same_keys_empty() -> None:
    evidence = gather_evidence(alert("accuracy"), [])
    assert evidence == {
        "model": "credit",
        "metric": "accuracy",
        "window": None,
        "history_windows": 0,
        "drifted_features": [],
        "prediction_drift": None,
        "dataset_drift": None,
        "data_quality": [],
        "segments": [],
        "model_versions": [],
        "labels": None,
        "version_changes": None,
        "drivers": None,
        "slices": None,
    }


def test_json_safe_and_deterministic() -> None:
    samples = [
        drift("a", math.inf, 0.2, BREACH),
        drift("b", 0.3, 0.0, BREACH),  # no usable threshold: no score
        sample("label_coverage", math.nan, predictions=0, labelled=0),
        sample("accuracy", 0.8),
        *(sample("accuracy", 0.5 + i / 100, model_version=f"v{i}") for i in range(30)),
    ]
    expected = gather_evidence(alert("accuracy"), samples, metric="accuracy")
    json.dumps(expected, allow_nan=False)
    assert [f["score"] for f in expected["drifted_features"]] == [None, None]
    assert len(expected["model_versions"]) == 10  # cut to the worst ten
    assert expected["model_versions"][0]["model_version"] == "v0"
    for seed in range(5):
        shuffled = samples[:]
        random.Random(seed).shuffle(shuffled)
        assert gather_evidence(alert("accuracy"), shuffled) == expected


def test_the_metric_argument_wins_over_the_label() -> None:
    samples = [sample("error_rate", 0.1), sample("error_rate", 0.5, model_version="v2")]
    evidence = gather_evidence(alert("accuracy"), samples, metric="error_rate")
    assert evidence["metric"] == "error_rate"
    assert [r["model_version"] for r in evidence["model_versions"]] == ["v2"]


def test_drivers_and_slices_come_from_the_window_s_own_samples() -> None:
    drivers = {"low_impact": True, "drivers": [{"feature": "zip", "impact": "low"}]}
    slices = {"metric": "accuracy", "slices": [{"column": "country", "value": "fr"}]}
    samples = [
        sample("drift_drivers", 0.0, monitor="drift", details=drivers),
        sample("performance_slices", 0.2, monitor="performance", details=slices),
        sample("drift_drivers", 1.0, start=NOW_START - HOUR, monitor="drift",
               details={"old": True}),
    ]
    evidence = gather_evidence(alert("feature_drift"), samples)
    assert evidence["drivers"] == drivers
    assert evidence["slices"] == slices
    assert gather_evidence(alert("feature_drift"), samples[2:])["drivers"] == {"old": True}
