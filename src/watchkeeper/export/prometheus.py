"""Prometheus text exposition of monitor samples and of the service's own health (``/metrics``).

Metric names (every series also has ``model``, plus ``monitor``, ``model_version``, ``segment``,
``segment_value`` and ``window`` when the sample has them; *extra labels* are kept on top):

| metric | type | from sample name (unit of the sample) | extra labels |
|---|---|---|---|
| `watchkeeper_feature_drift_statistic` | gauge | `feature_drift` (test's scale) | feature, test |
| `watchkeeper_feature_drift_detected` | gauge | `feature_drift` status (0 or 1) | feature, test |
| `watchkeeper_prediction_drift_statistic` | gauge | `prediction_drift` | test |
| `watchkeeper_prediction_drift_detected` | gauge | `prediction_drift` status (0 or 1) | test |
| `watchkeeper_multivariate_drift_statistic` | gauge | `multivariate_drift` | method |
| `watchkeeper_multivariate_drift_detected` | gauge | `multivariate_drift` status (0/1) | method |
| `watchkeeper_dataset_drifted_features_ratio` | gauge | `dataset_drift_share` (0..1) | |
| `watchkeeper_dataset_drift_detected` | gauge | `dataset_drift_share` status (0 or 1) | |
| `watchkeeper_data_quality_findings` | gauge | `data_quality_findings` (count) | finding_severity |
| `watchkeeper_feature_missing_ratio` | gauge | `missing_share` (0..1) | feature |
| `watchkeeper_feature_unseen_category_ratio` | gauge | `unseen_category_share` (0..1) | feature |
| `watchkeeper_window_predictions` | gauge | `prediction_count` (count in the window) | |
| `watchkeeper_predictions_per_second` | gauge | `throughput_per_second` | |
| `watchkeeper_prediction_error_ratio` | gauge | `error_rate` (0..1) | |
| `watchkeeper_prediction_latency_seconds` | gauge | `latency_seconds` | percentile |
| `watchkeeper_label_coverage_ratio` | gauge | `label_coverage` (0..1) | |
| `watchkeeper_label_delay_seconds` | gauge | `label_delay_seconds` | percentile |
| `watchkeeper_model_accuracy_ratio` | gauge | `accuracy` (0..1) | |
| `watchkeeper_model_precision_ratio` | gauge | `precision` (0..1) | |
| `watchkeeper_model_recall_ratio` | gauge | `recall` (0..1) | |
| `watchkeeper_model_f1_score` | gauge | `f1` | |
| `watchkeeper_model_roc_auc` | gauge | `roc_auc` | |
| `watchkeeper_model_log_loss` | gauge | `log_loss` | |
| `watchkeeper_model_calibration_error` | gauge | `calibration_error` | |
| `watchkeeper_model_mean_absolute_error` | gauge | `mae` (the target's unit) | |
| `watchkeeper_model_root_mean_squared_error` | gauge | `rmse` (the target's unit) | |
| `watchkeeper_model_mean_absolute_percentage_error` | gauge | `mape` (0.1 = 10%) | |
| `watchkeeper_model_r2_score` | gauge | `r2` | |
| `watchkeeper_model_ndcg` | gauge | `ndcg` (ranking) | k |
| `watchkeeper_model_precision_at_k_ratio` | gauge | `precision_at_k` (0..1) | k |
| `watchkeeper_model_recall_at_k_ratio` | gauge | `recall_at_k` (0..1) | k |
| `watchkeeper_model_mean_reciprocal_rank` | gauge | `mrr` | |
| `watchkeeper_model_mean_average_precision` | gauge | `map` | |
| `watchkeeper_labels_invalid` | gauge | `label_invalid_count` (count) | |
| `watchkeeper_label_invalid_ratio` | gauge | `label_invalid_ratio` (0..1) | |
| `watchkeeper_label_duplicate_ids` | gauge | `label_duplicate_count` (count) | |
| `watchkeeper_label_agreement_ratio` | gauge | `label_agreement_rate` (0..1) | |
| `watchkeeper_label_drift_statistic` | gauge | `label_drift` | test |
| `watchkeeper_label_drift_detected` | gauge | `label_drift` status (0 or 1) | test |
| `watchkeeper_model_estimated_accuracy_ratio` | gauge | `estimated_accuracy` (0..1) | |
| `watchkeeper_model_estimated_accuracy_out_of_range` | gauge | `estimated_accuracy` breach, 0/1 | |
| `watchkeeper_model_estimated_precision_ratio` | gauge | `estimated_precision` (0..1) | |
| `watchkeeper_model_estimated_precision_out_of_range` | gauge | `estimated_precision` 0/1 | |
| `watchkeeper_model_estimated_recall_ratio` | gauge | `estimated_recall` (0..1) | |
| `watchkeeper_model_estimated_recall_out_of_range` | gauge | `estimated_recall` breach, 0/1 | |
| `watchkeeper_model_estimated_f1_score` | gauge | `estimated_f1` | |
| `watchkeeper_model_estimated_f1_out_of_range` | gauge | `estimated_f1` breach, 0/1 | |
| `watchkeeper_model_estimated_roc_auc` | gauge | `estimated_roc_auc` | |
| `watchkeeper_model_estimated_roc_auc_out_of_range` | gauge | `estimated_roc_auc` breach, 0/1 | |
| `watchkeeper_model_estimated_mean_absolute_error` | gauge | `estimated_mae` (target unit) | |
| `watchkeeper_model_estimated_mae_out_of_range` | gauge | `estimated_mae` breach, 0/1 | |
| `watchkeeper_model_estimated_root_mean_squared_error` | gauge | `estimated_rmse` (target unit) | |
| `watchkeeper_model_estimated_rmse_out_of_range` | gauge | `estimated_rmse` breach, 0/1 | |
| `watchkeeper_model_estimation_error` | gauge | `estimation_error` (estimate − realized) | metric |
| `watchkeeper_business_kpi` | gauge | `kpi` (the KPI's unit) | kpi |
| `watchkeeper_reference_metric` | gauge | the task's metrics on the reference rows | metric |
| `watchkeeper_monitor_value` | gauge | any other name | metric (= sample name) |
| `watchkeeper_monitor_status` | gauge | per monitor: 1 for its state, 0 for the others | status |
| `watchkeeper_monitor_window_end_timestamp_seconds` | gauge | per monitor: newest window end | |
| `watchkeeper_exporter_series_dropped` | gauge | series left out by the cap | metric |
| `watchkeeper_start_time_seconds` | gauge | ServiceHealth.up_since | |
| `watchkeeper_events_accepted_total` | counter | ServiceHealth.events_accepted_total | kind |
| `watchkeeper_events_rejected_total` | counter | ServiceHealth.events_rejected_total | |
| `watchkeeper_events_dropped_total` | counter | ServiceHealth.drops_total | source |
| `watchkeeper_ingest_queue_depth` | gauge | ServiceHealth.ingest_queue_depth | |
| `watchkeeper_wal_lag_frames` | gauge | ServiceHealth.wal_lag_frames | |
| `watchkeeper_wal_lag_seconds` | gauge | ServiceHealth.wal_lag_seconds | |
| `watchkeeper_apply_duration_seconds` | gauge | ServiceHealth.apply_duration_seconds | |
| `watchkeeper_evaluation_duration_seconds` | gauge | ServiceHealth.evaluation_duration_seconds | |
| `watchkeeper_evaluations_total` | counter | ServiceHealth.evaluations_total | |
| `watchkeeper_store_bytes` | gauge | ServiceHealth.store_bytes | |
| `watchkeeper_alerts_firing` | gauge | ServiceHealth.alerts_firing | severity |
| `watchkeeper_notifications_total` | counter | ServiceHealth.notifications_total | result |
| `watchkeeper_outbox_pending` | gauge | ServiceHealth.outbox_pending | |
| `watchkeeper_alerting_duration_seconds` | gauge | ServiceHealth.alerting_duration_seconds | |

Rules: only the newest window of each series is exported (largest ``window_end``), plus, for the
metrics a rule judges only once late labels have arrived (``settle: 1d``), the newest window
that ended that long before the series' newest one, as the same series with ``settled="1d"``
(see the store's ``settled_samples``). The window's end is the gauge
``watchkeeper_monitor_window_end_timestamp_seconds``, never a label. A monitor's status is the
worst status of its newest samples (breach > insufficient_data > provisional > ok), one series
per state; a ``*_detected`` verdict (1 on breach, 0 on ok) is absent while its sample lacks
data. Sample labels outside the lists above and ``details`` are not exported. The sample label
``quantile`` becomes ``percentile`` (reserved for summaries) and ``severity`` becomes
``finding_severity`` (so an alert rule's own ``severity`` cannot collide with it). Each metric
keeps at most ``max_series`` series (sorted by labels); the rest are counted in
``watchkeeper_exporter_series_dropped``, a gauge because every rendering starts afresh.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from watchkeeper.export.catalog import (
    COMMON_LABELS,
    DEFAULT_MAX_SERIES,
    SETTLED,
    Series,
    cap_series,
    newest_series,
)
from watchkeeper.export.health import HEALTH_METRICS, ServiceHealth, health_readings
from watchkeeper.monitors.base import MetricSample, Status

PREFIX = "watchkeeper_"
STATUS_SEVERITY = (Status.OK, Status.PROVISIONAL, Status.INSUFFICIENT, Status.BREACH)
_RENAMED_LABELS = {"quantile": "percentile", "severity": "finding_severity"}


def render_prometheus(
    samples: Sequence[MetricSample],
    health: ServiceHealth,
    *,
    references: Mapping[str, Mapping[str, float]] | None = None,
    max_series: int = DEFAULT_MAX_SERIES,
) -> bytes:
    """The Prometheus text exposition (format 0.0.4) of the newest samples and the health.

    ``references`` holds per model the task's metrics on its reference rows (what
    ``change: {baseline: reference}`` rules compare with).

    >>> from datetime import UTC, datetime
    >>> t0, t1 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC)
    >>> sample = MetricSample("credit", "accuracy", {"monitor": "performance"}, t0, t1, 0.93)
    >>> text = render_prometheus([sample], ServiceHealth(up_since=t0)).decode()
    >>> [line for line in text.splitlines() if line.startswith("watchkeeper_model_acc")]
    ['watchkeeper_model_accuracy_ratio{model="credit",monitor="performance"} 0.93']
    """
    registry = CollectorRegistry(auto_describe=False)
    families = list(_families(samples, health, max_series))
    families.append(_reference_family(references or {}))
    registry.register(_FamiliesCollector(families))
    return generate_latest(registry)


def _reference_family(references: Mapping[str, Mapping[str, float]]) -> Metric:
    family = GaugeMetricFamily(
        "watchkeeper_reference_metric",
        "The task's metric on the model's reference rows (prediction against label).",
        labels=["model", "metric"],
    )
    for model in sorted(references):
        for metric, value in sorted(references[model].items()):
            if math.isfinite(value):
                family.add_metric([model, metric], value)
    return family


class _FamiliesCollector:
    """Hands prebuilt metric families to a private registry."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return iter(self._families)


def _families(
    samples: Iterable[MetricSample], health: ServiceHealth, max_series: int
) -> Iterator[Metric]:
    newest = newest_series(samples)
    selected, dropped = cap_series(newest, max_series)
    by_metric: dict[str, list[Series]] = {}
    for series in selected:
        by_metric.setdefault(series.spec.prometheus_name, []).append(series)
    for name, members in by_metric.items():
        family = GaugeMetricFamily(name, members[0].spec.help)
        for series in members:
            family.add_sample(name, _prometheus_labels(series.labels), series.value)
        yield family
    monitors, monitors_dropped = _monitor_states(newest, max_series)
    yield from _monitor_families(monitors)
    if monitors_dropped:
        dropped["watchkeeper_monitor_status"] = monitors_dropped
        dropped["watchkeeper_monitor_window_end_timestamp_seconds"] = monitors_dropped
    dropped_family = GaugeMetricFamily(
        "watchkeeper_exporter_series_dropped",
        "Series left out of this exposition because their metric reached the series cap.",
        labels=["metric"],
    )
    for metric, count in sorted(dropped.items()):
        dropped_family.add_metric([metric], count)
    yield dropped_family
    yield from _health_families(health)


def _prometheus_labels(labels: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {_RENAMED_LABELS.get(key, key): value for key, value in labels}


MonitorKey = tuple[tuple[str, str], ...]


def _monitor_states(
    selected: Iterable[Series], max_series: int
) -> tuple[dict[MonitorKey, tuple[Status, datetime]], int]:
    """Worst status and newest window end per monitor (model + common labels), capped.

    Computed over every newest series, also those the cap leaves out of their own metric.
    """
    states: dict[MonitorKey, tuple[Status, datetime]] = {}
    for series in selected:
        if SETTLED in series.sample.labels:  # an older window again: not the monitor's state
            continue
        key = tuple((k, v) for k, v in series.labels if k == "model" or k in COMMON_LABELS)
        sample = series.sample
        if key in states:
            status, end = states[key]
            if STATUS_SEVERITY.index(sample.status) > STATUS_SEVERITY.index(status):
                status = sample.status
            states[key] = (status, max(end, sample.window_end))
        else:
            states[key] = (sample.status, sample.window_end)
    kept = sorted(states)[:max_series]
    return {key: states[key] for key in kept}, len(states) - len(kept)


def _monitor_families(states: dict[MonitorKey, tuple[Status, datetime]]) -> Iterator[Metric]:
    status_name = "watchkeeper_monitor_status"
    status_family = GaugeMetricFamily(
        status_name,
        "Worst status of the monitor's newest samples: 1 for the current state, 0 for the others.",
    )
    end_name = "watchkeeper_monitor_window_end_timestamp_seconds"
    end_family = GaugeMetricFamily(end_name, "End of the newest evaluated window, Unix seconds.")
    for key, (status, end) in states.items():
        labels = dict(key)
        for state in STATUS_SEVERITY:
            status_family.add_sample(
                status_name, {**labels, "status": state.value}, float(state == status)
            )
        end_family.add_sample(end_name, labels, end.timestamp())
    yield status_family
    yield end_family


def _health_families(health: ServiceHealth) -> Iterator[Metric]:
    families: dict[str, CounterMetricFamily | GaugeMetricFamily] = {}
    for metric in HEALTH_METRICS:
        labels = [metric.label] if metric.label else None
        if metric.kind == "counter":
            families[metric.name] = CounterMetricFamily(PREFIX + metric.name, metric.help,
                                                        labels=labels)
        else:
            families[metric.name] = GaugeMetricFamily(PREFIX + metric.name, metric.help,
                                                      labels=labels)
    for metric, pairs, value in health_readings(health):
        families[metric.name].add_metric([label for _, label in pairs], value)
    yield from families.values()
