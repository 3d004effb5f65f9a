"""Prometheus exposition: names, labels, values, newest windows, the series cap, escaping, and
``promtool check metrics`` on every rendering."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from export_helpers import HOUR, T0, full_health, promtool_check, sample
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from watchkeeper.export import prometheus
from watchkeeper.export.catalog import ALL_SPECS, CATALOG, FALLBACK
from watchkeeper.export.health import HEALTH_METRICS, ServiceHealth
from watchkeeper.export.prometheus import render_prometheus
from watchkeeper.monitors.base import MetricSample, Status

Key = tuple[str, frozenset[tuple[str, str]]]


def parse(exposition: bytes) -> dict[Key, float]:
    series: dict[Key, float] = {}
    for family in text_string_to_metric_families(exposition.decode()):
        for s in family.samples:
            key = (s.name, frozenset(s.labels.items()))
            assert key not in series, f"duplicate series {key}"
            series[key] = s.value
    return series


def value_of(series: dict[Key, float], name: str, **labels: str) -> float:
    return series[(name, frozenset(labels.items()))]


DRIFT = {"monitor": "drift", "feature": "age", "test": "ks", "window": "1h"}
DRIFT_LABELS = {"model": "credit", **DRIFT}
CASES = [
    # drift statistic keeps feature/test/window; an unlisted label and the details are dropped
    (sample("feature_drift", 0.31, {**DRIFT, "reference": "v7"}, details={"p_value": 0.2}),
     "watchkeeper_feature_drift_statistic", DRIFT_LABELS, 0.31),
    # ... and its status becomes the 0/1 verdict: ok -> 0
    (sample("feature_drift", 0.01, DRIFT), "watchkeeper_feature_drift_detected", DRIFT_LABELS,
     0.0),
    # breach -> 1
    (sample("feature_drift", 0.31, DRIFT, status=Status.BREACH),
     "watchkeeper_feature_drift_detected", DRIFT_LABELS, 1.0),
    # the dataset verdict comes from the share's status
    (sample("dataset_drift_share", 0.5, {"monitor": "drift"}, status=Status.BREACH),
     "watchkeeper_dataset_drift_detected", {"model": "credit", "monitor": "drift"}, 1.0),
    # a ratio metric with segment and model version labels
    (sample("accuracy", 0.93, {"monitor": "performance", "segment": "country",
                               "segment_value": "DE", "model_version": "3"}),
     "watchkeeper_model_accuracy_ratio",
     {"model": "credit", "monitor": "performance", "segment": "country",
      "segment_value": "DE", "model_version": "3"},
     0.93),
    # label coverage; an empty label value is left out
    (sample("label_coverage", 0.4, {"monitor": "performance", "segment": ""}),
     "watchkeeper_label_coverage_ratio", {"model": "credit", "monitor": "performance"}, 0.4),
    # quantile becomes percentile (promtool reserves quantile for summaries)
    (sample("latency_seconds", 0.25, {"monitor": "operations", "quantile": "0.99"}),
     "watchkeeper_prediction_latency_seconds",
     {"model": "credit", "monitor": "operations", "percentile": "0.99"}, 0.25),
    # severity becomes finding_severity (an alert rule sets its own severity)
    (sample("data_quality_findings", 3.0, {"monitor": "quality", "severity": "high"}),
     "watchkeeper_data_quality_findings",
     {"model": "credit", "monitor": "quality", "finding_severity": "high"}, 3.0),
    # a count of predictions in the window is a plain gauge without suffix
    (sample("prediction_count", 5400.0, {"monitor": "operations"}),
     "watchkeeper_window_predictions", {"model": "credit", "monitor": "operations"}, 5400.0),
    # a business KPI keeps its name as a label
    (sample("kpi", 12.5, {"monitor": "business", "kpi": "revenue"}),
     "watchkeeper_business_kpi", {"model": "credit", "monitor": "business", "kpi": "revenue"},
     12.5),
    # an unlisted sample name falls back to the generic gauge with the name as a label
    (sample("my_custom_score", 7.0, {"monitor": "custom", "feature": "age"}),
     "watchkeeper_monitor_value", {"model": "credit", "monitor": "custom", "metric":
                                   "my_custom_score"}, 7.0),
]


@pytest.mark.parametrize(("given", "name", "labels", "value"), CASES)
def test_sample_maps_to_metric_labels_and_value(
    given: MetricSample, name: str, labels: dict[str, str], value: float
) -> None:
    series = parse(render_prometheus([given], ServiceHealth(up_since=T0)))
    assert value_of(series, name, **labels) == pytest.approx(value)
    ours = {n for n, _ in series if n == name}
    assert ours == {name}, "exactly one series for one sample"


TRICKY_MODELS = [
    'cre"dit',  # a double quote
    "c:\\models\\credit",  # backslashes
    "credit\nv2",  # a newline
    'end\\"',  # a backslash before a quote
    "kredit-ü-模型",  # non-ASCII
]
FEATURES = [f"f{i:02d}" for i in range(25)]


def capped_exposition() -> bytes:
    samples = [sample("feature_drift", 0.1, {**DRIFT, "feature": f}) for f in FEATURES]
    samples.append(sample("accuracy", 0.9, {"monitor": "performance"}))
    return render_prometheus(samples, ServiceHealth(up_since=T0), max_series=10)


@pytest.mark.parametrize(
    "exposition",
    [
        # every row of the table plus a health reading with every field set
        pytest.param(lambda: render_prometheus([c[0] for c in CASES], full_health()), id="table"),
        # label values that need escaping
        pytest.param(lambda: render_prometheus(
            [sample("accuracy", 0.5, {"monitor": "p"}, model=m) for m in TRICKY_MODELS],
            ServiceHealth(up_since=T0)), id="escaping"),
        # a metric over the series cap, so the dropped-series gauge has a sample
        pytest.param(capped_exposition, id="capped"),
    ],
)
def test_promtool_finds_no_problems(exposition: Callable[[], bytes]) -> None:
    result = promtool_check(exposition())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout + result.stderr == ""


def test_promtool_reports_a_lint_problem() -> None:
    # the check above can fail: a gauge named like a counter is a lint error
    result = promtool_check(b"# HELP x_total x\n# TYPE x_total gauge\nx_total 1\n")
    assert result.returncode != 0
    assert "_total" in result.stdout + result.stderr


def test_health_metrics() -> None:
    series = parse(render_prometheus([], full_health()))
    assert value_of(series, "watchkeeper_events_accepted_total", kind="predictions") == 1200
    assert value_of(series, "watchkeeper_events_accepted_total", kind="outcomes") == 7
    assert value_of(series, "watchkeeper_events_dropped_total", source="sdk") == 2
    assert value_of(series, "watchkeeper_events_rejected_total") == 4
    assert value_of(series, "watchkeeper_evaluations_total") == 60
    assert value_of(series, "watchkeeper_wal_lag_seconds") == 0.25
    assert value_of(series, "watchkeeper_store_bytes") == 1_048_576
    assert value_of(series, "watchkeeper_start_time_seconds") == T0.timestamp()


@pytest.mark.parametrize("model", TRICKY_MODELS)
def test_label_values_are_escaped(model: str) -> None:
    given = sample("accuracy", 0.5, {"monitor": "performance"}, model=model)
    series = parse(render_prometheus([given], ServiceHealth(up_since=T0)))
    assert value_of(series, "watchkeeper_model_accuracy_ratio", model=model,
                    monitor="performance") == 0.5


def test_only_the_newest_window_of_a_series_is_exported() -> None:
    labels = {"monitor": "performance", "window": "1h"}
    samples = [
        sample("accuracy", 0.90, labels, hour=0),
        sample("accuracy", 0.70, labels, hour=2),  # newest
        sample("accuracy", 0.80, labels, hour=1),  # arrives last, but older
        sample("accuracy", 0.99, {**labels, "window": "1d"}, hour=0),  # another series
    ]
    series = parse(render_prometheus(samples, ServiceHealth(up_since=T0)))
    kept = {k: v for k, v in series.items() if k[0] == "watchkeeper_model_accuracy_ratio"}
    assert sorted(kept.values()) == [0.70, 0.99]
    end = value_of(series, "watchkeeper_monitor_window_end_timestamp_seconds",
                   model="credit", monitor="performance", window="1h")
    assert end == (T0 + 3 * HOUR).timestamp()


def test_same_window_twice_keeps_the_later_sample() -> None:
    first = sample("accuracy", 0.1, {"monitor": "performance"})
    again = sample("accuracy", 0.2, {"monitor": "performance"})  # a re-evaluated window
    series = parse(render_prometheus([first, again], ServiceHealth(up_since=T0)))
    assert value_of(series, "watchkeeper_model_accuracy_ratio", model="credit",
                    monitor="performance") == 0.2


def test_monitor_status_is_the_worst_state_one_series_per_state() -> None:
    samples = [
        sample("feature_drift", 0.01, {**DRIFT, "feature": "age"}),
        sample("feature_drift", 0.40, {**DRIFT, "feature": "income"}, status=Status.BREACH),
        sample("feature_drift", math.nan, {**DRIFT, "feature": "zip"},
               status=Status.INSUFFICIENT),
        sample("accuracy", 0.9, {"monitor": "performance"}, status=Status.PROVISIONAL),
    ]
    series = parse(render_prometheus(samples, ServiceHealth(up_since=T0)))
    states = {s.value: value_of(series, "watchkeeper_monitor_status", model="credit",
                                monitor="drift", window="1h", status=s.value) for s in Status}
    assert states == {"ok": 0, "provisional": 0, "insufficient_data": 0, "breach": 1}
    assert value_of(series, "watchkeeper_monitor_status", model="credit",
                    monitor="performance", status="provisional") == 1
    nan = value_of(series, "watchkeeper_feature_drift_statistic", model="credit",
                   monitor="drift", feature="zip", test="ks", window="1h")
    assert math.isnan(nan)


def test_a_verdict_is_absent_without_enough_data() -> None:
    given = sample("feature_drift", math.nan, DRIFT, status=Status.INSUFFICIENT)
    series = parse(render_prometheus([given], ServiceHealth(up_since=T0)))
    names = {name for name, _ in series}
    assert "watchkeeper_feature_drift_statistic" in names
    assert "watchkeeper_feature_drift_detected" not in names


def test_series_cap_keeps_the_first_series_and_counts_the_rest() -> None:
    series = parse(capped_exposition())
    kept = sorted(dict(labels)["feature"] for name, labels in series
                  if name == "watchkeeper_feature_drift_statistic")
    assert kept == FEATURES[:10]
    assert value_of(series, "watchkeeper_exporter_series_dropped",
                    metric="watchkeeper_feature_drift_statistic") == 15
    assert value_of(series, "watchkeeper_model_accuracy_ratio", model="credit",
                    monitor="performance") == 0.9


def test_the_default_registry_is_left_alone() -> None:
    render_prometheus(CASES[0][:1], full_health())
    names = {metric.name for metric in REGISTRY.collect()}
    assert not any(name.startswith("watchkeeper") for name in names)


def _documented() -> dict[str, str]:
    doc = prometheus.__doc__ or ""
    return dict(re.findall(r"^\| `(watchkeeper_[a-z0-9_]+)` \| (gauge|counter) \|", doc, re.M))


def test_every_exported_metric_is_in_the_module_table_and_no_more() -> None:
    samples = [sample(spec.sample if spec is not FALLBACK else "unlisted", 1.0,
                      {"monitor": "m", "feature": "f", "test": "t", "severity": "low",
                       "quantile": "0.5", "kpi": "k"}) for spec in (*CATALOG, FALLBACK)]
    exposition = render_prometheus(samples, full_health(), max_series=1)
    rendered = {}
    for family in text_string_to_metric_families(exposition.decode()):
        name = family.name + ("_total" if family.type == "counter" else "")
        rendered[name] = family.type
    assert rendered == _documented()
    expected = {spec.prometheus_name for spec in ALL_SPECS}
    expected |= {"watchkeeper_" + metric.name for metric in HEALTH_METRICS}
    assert expected <= set(rendered)


def test_reference_metrics_and_settled_series_are_exported() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    t1 = t0 + timedelta(hours=1)
    labels = {"monitor": "performance", "window": "1h"}
    newest = MetricSample("credit", "label_coverage", labels, t0, t1, 0.1, Status.PROVISIONAL)
    settled = MetricSample("credit", "label_coverage", {**labels, "settled": "1d"},
                           t0 - timedelta(days=1), t1 - timedelta(days=1), 0.9)  # fmt: skip
    references = {"credit": {"roc_auc": 0.91, "log_loss": math.nan}}
    text = render_prometheus([newest, settled], ServiceHealth(up_since=t0),
                             references=references).decode()  # fmt: skip
    lines = text.splitlines()
    assert 'watchkeeper_reference_metric{metric="roc_auc",model="credit"} 0.91' in lines
    assert not any('metric="log_loss"' in line for line in lines)  # NaN: not computable
    coverage = [line for line in lines if line.startswith("watchkeeper_label_coverage_ratio")]
    assert coverage == [
        'watchkeeper_label_coverage_ratio{model="credit",monitor="performance",window="1h"} 0.1',
        'watchkeeper_label_coverage_ratio{model="credit",monitor="performance",settled="1d",'
        'window="1h"} 0.9',
    ]
    # the monitor's state is its newest window's, not the settled one's
    status = [line for line in lines if line.startswith("watchkeeper_monitor_status{") and
              line.endswith(" 1.0")]  # fmt: skip
    assert status == [
        'watchkeeper_monitor_status{model="credit",monitor="performance",status="provisional",'
        'window="1h"} 1.0'
    ]
