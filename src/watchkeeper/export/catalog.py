"""Which monitor sample becomes which exported metric, with which unit and which labels.

One table shared by every exporter (Prometheus, StatsD, CloudWatch EMF), so a metric has the same
name, unit and bounded label set everywhere. The Prometheus names are documented in
:mod:`watchkeeper.export.prometheus`.

>>> spec_for("accuracy").prometheus_name, spec_for("accuracy").unit
('watchkeeper_model_accuracy_ratio', <Unit.RATIO: 'ratio'>)
>>> spec_for("a_metric_no_one_registered").prometheus_name
'watchkeeper_monitor_value'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from watchkeeper.monitors.base import MetricSample, Status

# sample labels every series keeps when present (besides ``model``), in this order
COMMON_LABELS = ("monitor", "model_version", "segment", "segment_value", "window")
# the label of a series exported a second time at its newest *settled* window (one that ended
# at least this long before the series' newest window: late labels have arrived for it)
SETTLED = "settled"
DEFAULT_MAX_SERIES = 2000  # per metric name


class Unit(StrEnum):
    """The unit of an exported value (samples come in base units already)."""

    NONE = "none"  # a score without a unit: test statistic, p-value, AUC, a 0/1 flag
    RATIO = "ratio"  # a fraction in [0, 1]
    SECONDS = "seconds"
    BYTES = "bytes"
    COUNT = "count"  # a number of things in the window (no name suffix: `_count` is reserved)
    PER_SECOND = "per_second"


_NAME_SUFFIX = {Unit.RATIO, Unit.SECONDS, Unit.BYTES, Unit.PER_SECOND}


@dataclass(frozen=True)
class MetricSpec:
    sample: str  # MetricSample.name ("*" for the fallback of unlisted names)
    base: str  # metric name without the prefix and the unit suffix
    unit: Unit
    help: str
    labels: tuple[str, ...] = ()  # sample labels kept beyond model and COMMON_LABELS
    # a second, 0/1 metric read from the sample's status: 1 on breach, 0 on ok
    verdict: MetricSpec | None = None

    @property
    def name(self) -> str:
        """The name without prefix, e.g. ``model_accuracy_ratio``."""
        return f"{self.base}_{self.unit.value}" if self.unit in _NAME_SUFFIX else self.base

    @property
    def prometheus_name(self) -> str:
        return "watchkeeper_" + self.name


def _spec(
    sample: str, base: str, unit: Unit, text: str, *labels: str, verdict: str = ""
) -> MetricSpec:
    flag = None
    if verdict:
        flag = MetricSpec(sample, verdict, Unit.NONE, f"1 when {verdict.replace('_', ' ')}, "
                          "0 when not (absent without enough data).", labels)
    return MetricSpec(sample, base, unit, text, labels, flag)


_Q = "quantile"
CATALOG: tuple[MetricSpec, ...] = (
    _spec("feature_drift", "feature_drift_statistic", Unit.NONE,
          "Deciding drift statistic of a feature against the reference.", "feature", "test",
          verdict="feature_drift_detected"),
    _spec("prediction_drift", "prediction_drift_statistic", Unit.NONE,
          "Deciding drift statistic of the prediction against the reference.", "test",
          verdict="prediction_drift_detected"),
    _spec("dataset_drift_share", "dataset_drifted_features", Unit.RATIO,
          "Share of tested features that drifted.", verdict="dataset_drift_detected"),
    _spec("data_quality_findings", "data_quality_findings", Unit.COUNT,
          "Data-quality findings in the window, per severity.", "severity"),
    _spec("missing_share", "feature_missing", Unit.RATIO,
          "Share of rows where the feature is missing.", "feature"),
    _spec("unseen_category_share", "feature_unseen_category", Unit.RATIO,
          "Share of values in categories the reference never saw.", "feature"),
    _spec("prediction_count", "window_predictions", Unit.COUNT, "Predictions in the window."),
    _spec("throughput_per_second", "predictions", Unit.PER_SECOND,
          "Predictions per second over the window (so far, while it is open)."),
    _spec("error_rate", "prediction_error", Unit.RATIO,
          "Share of predictions that reported an error."),
    _spec("latency_seconds", "prediction_latency", Unit.SECONDS,
          "Prediction latency at a quantile.", _Q),
    _spec("label_coverage", "label_coverage", Unit.RATIO,
          "Share of the window's predictions with a label."),
    _spec("label_delay_seconds", "label_delay", Unit.SECONDS,
          "Delay between a prediction and its label, at a quantile.", _Q),
    _spec("accuracy", "model_accuracy", Unit.RATIO, "Accuracy on labelled predictions."),
    _spec("precision", "model_precision", Unit.RATIO, "Precision on labelled predictions."),
    _spec("recall", "model_recall", Unit.RATIO, "Recall on labelled predictions."),
    _spec("f1", "model_f1_score", Unit.NONE, "F1 score on labelled predictions."),
    _spec("roc_auc", "model_roc_auc", Unit.NONE, "ROC AUC on labelled predictions."),
    _spec("log_loss", "model_log_loss", Unit.NONE, "Log loss on labelled predictions."),
    _spec("calibration_error", "model_calibration_error", Unit.NONE,
          "Expected calibration error of the scores."),
    _spec("mae", "model_mean_absolute_error", Unit.NONE,
          "Mean absolute error, in the target's unit."),
    _spec("rmse", "model_root_mean_squared_error", Unit.NONE,
          "Root mean squared error, in the target's unit."),
    _spec("mape", "model_mean_absolute_percentage_error", Unit.NONE,
          "Mean absolute percentage error as a fraction (0.1 = 10%)."),
    _spec("r2", "model_r2_score", Unit.NONE, "Coefficient of determination."),
    _spec("ndcg", "model_ndcg", Unit.NONE, "NDCG at k, mean over labelled queries.", "k"),
    _spec("precision_at_k", "model_precision_at_k", Unit.RATIO,
          "Share of relevant items in the top k, mean over labelled queries.", "k"),
    _spec("recall_at_k", "model_recall_at_k", Unit.RATIO,
          "Share of a query's relevant items in its top k, mean over queries.", "k"),
    _spec("mrr", "model_mean_reciprocal_rank", Unit.NONE,
          "Mean reciprocal rank of the first relevant item."),
    _spec("map", "model_mean_average_precision", Unit.NONE,
          "Mean average precision over labelled queries."),
    _spec("label_drift", "label_drift_statistic", Unit.NONE,
          "Deciding drift statistic of the arrived labels against the reference's.", "test",
          verdict="label_drift_detected"),
    _spec("multivariate_drift", "multivariate_drift_statistic", Unit.NONE,
          "Multivariate drift statistic (PCA reconstruction error, domain classifier AUC).",
          "method", verdict="multivariate_drift_detected"),
    _spec("kpi", "business_kpi", Unit.NONE, "Business KPI value, in the KPI's unit.", "kpi"),
)
CATALOG += (
    _spec("label_invalid_count", "labels_invalid", Unit.COUNT,
          "Labels in the window outside the label set."),
    _spec("label_invalid_ratio", "label_invalid", Unit.RATIO,
          "Share of the window's labels outside the label set."),
    _spec("label_duplicate_count", "label_duplicate_ids", Unit.COUNT,
          "Ids of the window labelled more than once."),
    _spec("label_agreement_rate", "label_agreement", Unit.RATIO,
          "Share of the ids labelled more than once whose labels all agree."),
)  # fmt: skip
# label-free estimates (monitor estimated_performance): name, base, unit, what
_ESTIMATED = (
    ("accuracy", "model_estimated_accuracy", Unit.RATIO),
    ("precision", "model_estimated_precision", Unit.RATIO),
    ("recall", "model_estimated_recall", Unit.RATIO),
    ("f1", "model_estimated_f1_score", Unit.NONE),
    ("roc_auc", "model_estimated_roc_auc", Unit.NONE),
    ("mae", "model_estimated_mean_absolute_error", Unit.NONE),
    ("rmse", "model_estimated_root_mean_squared_error", Unit.NONE),
)
ESTIMATED_METRICS = tuple(f"estimated_{name}" for name, _, _ in _ESTIMATED)
CATALOG += tuple(
    _spec(f"estimated_{name}", base, unit,
          f"{name} estimated without labels (assumes no concept drift).",
          verdict=f"model_estimated_{name}_out_of_range")
    for name, base, unit in _ESTIMATED
)  # fmt: skip
CATALOG += (
    _spec("estimation_error", "model_estimation_error", Unit.NONE,
          "Estimated minus realized metric, once the window's labels are final.", "metric"),
)  # fmt: skip
FALLBACK = _spec("*", "monitor_value", Unit.NONE,
                 "A monitor value without a dedicated metric; `metric` names it.", "metric")
ALL_SPECS = (
    *CATALOG,
    *(spec.verdict for spec in CATALOG if spec.verdict is not None),
    FALLBACK,
)
_BY_SAMPLE = {spec.sample: spec for spec in CATALOG}


def spec_for(sample_name: str) -> MetricSpec:
    """The catalogue entry of a sample name, or the fallback for unlisted names."""
    return _BY_SAMPLE.get(sample_name, FALLBACK)


def exported_values(sample: MetricSample) -> list[tuple[MetricSpec, float]]:
    """What one sample becomes: its value under its metric, plus the 0/1 verdict if any.

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> drifted = MetricSample("m", "feature_drift", {"feature": "age"}, t, t, 0.4, Status.BREACH)
    >>> [(spec.name, value) for spec, value in exported_values(drifted)]
    [('feature_drift_statistic', 0.4), ('feature_drift_detected', 1.0)]
    """
    spec = spec_for(sample.name)
    values = [(spec, sample.value)]
    if spec.verdict is not None and sample.status in (Status.OK, Status.BREACH):
        values.append((spec.verdict, float(sample.status is Status.BREACH)))
    return values


LabelPairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Series:
    """One exported series: its metric, its bounded labels and the newest sample behind it."""

    spec: MetricSpec
    labels: LabelPairs  # model first, then the common labels, then the spec's labels
    sample: MetricSample
    value: float


def series_labels(sample: MetricSample, spec: MetricSpec) -> LabelPairs:
    """The sample's labels that the metric keeps (empty values are left out)."""
    pairs = [("model", sample.model)]
    for key in (*COMMON_LABELS, *spec.labels, SETTLED):
        value = sample.name if spec is FALLBACK and key == "metric" else sample.labels.get(key)
        if value:
            pairs.append((key, str(value)))
    return tuple(pairs)


def newest_series(samples: Iterable[MetricSample]) -> list[Series]:
    """The newest sample of every exported series.

    Two samples map to the same series when their metric and kept labels agree; the one with
    the later ``window_end`` wins (on a tie, the later in the input).
    """
    newest: dict[tuple[str, LabelPairs], Series] = {}
    for sample in samples:
        for spec, value in exported_values(sample):
            labels = series_labels(sample, spec)
            key = (spec.prometheus_name, labels)
            kept = newest.get(key)
            if kept is None or sample.window_end >= kept.sample.window_end:
                newest[key] = Series(spec, labels, sample, value)
    return list(newest.values())


def cap_series(
    series: Iterable[Series], max_series: int = DEFAULT_MAX_SERIES
) -> tuple[list[Series], dict[str, int]]:
    """At most ``max_series`` series per metric, grouped by metric and sorted by labels.

    The returned dict counts the series left out, per Prometheus metric name.
    """
    by_metric: dict[str, list[Series]] = {}
    for one in series:
        by_metric.setdefault(one.spec.prometheus_name, []).append(one)
    kept: list[Series] = []
    dropped: dict[str, int] = {}
    for metric in sorted(by_metric):
        members = sorted(by_metric[metric], key=lambda one: one.labels)
        kept.extend(members[:max_series])
        if len(members) > max_series:
            dropped[metric] = len(members) - max_series
    return kept, dropped
