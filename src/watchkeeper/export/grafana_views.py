"""What the three Grafana dashboards show (``watchkeeper export grafana``): plain data — views,
rows, panels and their PromQL — rendered to Grafana JSON by :mod:`.grafana`.

Every query reads the series of ``/metrics`` (:mod:`watchkeeper.export.prometheus`) through the
template variables ``$model`` (multi, all = ``.+``), ``$window`` (one window length),
``$model_version`` and ``$segment_value`` (multi, all = ``.+``), ``$segment`` (one segment key)
and, on the business view, ``$kpi``. Overall panels select the model-wide series
(``model_version=""``, ``segment=""``); "by model version" and "by segment" panels the
breakdowns.

- engineering: status per monitor, per-feature drift (heatmap and verdicts), drifted share,
  prediction drift, data-quality findings, missing and unseen values, latency p50/p95/p99,
  throughput, predictions, error rate, label coverage and delay, and the service's own health;
- product: prediction drift overall / by model version / by segment, the performance metrics
  of every task in the config (overall and by model version), whether they are provisional,
  label coverage, drift by segment;
- business: KPIs overall / by model version / by segment, KPIs against their 7-day mean, with
  traffic and each task's main performance metric for context.

>>> from watchkeeper.settings import parse_service_config
>>> config = parse_service_config({"models": {"m": {"task": "regression"}}})
>>> [view.name for view in views(config)]
['engineering', 'product', 'business']
>>> [p.title for p in views(config)[1].rows[1].panels]
['rmse', 'mae', 'mape', 'r2']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from watchkeeper.alerting.inhibit import BREAKING
from watchkeeper.export.catalog import Unit, spec_for
from watchkeeper.export.promql import TASK_METRICS
from watchkeeper.settings import ServiceConfig

Kind = Literal["timeseries", "heatmap", "state", "stat"]
BASE = 'model=~"$model", window="$window"'
OVERALL = BASE + ', model_version="", segment=""'
BY_VERSION = BASE + ', model_version=~"$model_version", model_version!=""'
BY_SEGMENT = BASE + ', segment="$segment", segment_value=~"$segment_value"'
# the worst status per monitor as a number (value mappings name them)
STATUS_CODES = (("ok", 0, "green"), ("provisional", 1, "blue"),
                ("insufficient_data", 2, "text"), ("breach", 3, "red"))  # fmt: skip
_UNITS = {Unit.RATIO: "percentunit", Unit.SECONDS: "s", Unit.PER_SECOND: "reqps"}


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[Query, ...]
    kind: Kind = "timeseries"
    unit: str = ""
    description: str = ""
    mappings: tuple[tuple[str, int, str], ...] = ()  # (text, value, color)


@dataclass(frozen=True)
class Row:
    title: str
    panels: tuple[Panel, ...]


@dataclass(frozen=True)
class View:
    name: str
    title: str
    description: str
    variables: tuple[str, ...]
    rows: tuple[Row, ...]

    @property
    def uid(self) -> str:
        return f"watchkeeper-{self.name}"


def views(config: ServiceConfig) -> list[View]:
    tasks = sorted({model.task for model in config.models.values()})
    return [engineering(), product(tasks), business(tasks)]


def unit(sample: str) -> str:
    return _UNITS.get(spec_for(sample).unit, "")


def _metric(sample: str, selector: str, legend: str, **extra: str) -> Query:
    labels = selector + "".join(f", {k}={v}" for k, v in extra.items())
    return Query(f"{spec_for(sample).prometheus_name}{{{labels}}}", legend)


def _status_expr(selector: str) -> str:
    parts = [
        f'{code} * (watchkeeper_monitor_status{{{selector}, status="{name}"}} == 1)'
        for name, code, _ in reversed(STATUS_CODES)
    ]
    return "max by (model, monitor) (\n  " + "\n  or ".join(parts) + "\n)"


def engineering() -> View:
    status = Panel(
        "Monitor status (overall series)",
        (Query(_status_expr(OVERALL), "{{model}} {{monitor}}"),),
        "state",
        description="The worst status of each monitor's newest samples.",
        mappings=STATUS_CODES,
    )
    alerts = Panel(
        "Alerts firing in watchkeeper",
        (Query("sum by (severity) (watchkeeper_alerts_firing)", "{{severity}}"),),
        "stat",
    )
    drift = Row("Drift", (
        Panel("Feature drift statistic", (Query(
            f"max by (model, feature) (watchkeeper_feature_drift_statistic{{{OVERALL}}})",
            "{{model}} {{feature}}"),), "heatmap",
            description="The deciding drift test's statistic per feature (its own scale)."),
        Panel("Drift verdict per feature", (Query(
            f"max by (model, feature) (watchkeeper_feature_drift_detected{{{OVERALL}}})",
            "{{model}} {{feature}}"),), "state",
            mappings=(("no drift", 0, "green"), ("drifted", 1, "red"))),
        Panel("Drifted feature share", (_metric(
            "dataset_drift_share", OVERALL, "{{model}}"),), unit=unit("dataset_drift_share")),
        Panel("Prediction drift statistic", (_metric(
            "prediction_drift", OVERALL, "{{model}} ({{test}})"),)),
    ))  # fmt: skip
    serious = "|".join(sorted(BREAKING))
    quality = Row("Data quality", (
        Panel("Data-quality findings by severity", (Query(
            f"sum by (model, finding_severity) (watchkeeper_data_quality_findings{{{BASE}}})",
            "{{model}} {{finding_severity}}"),),
            description=f"Findings of severity {serious} break the data (DataQualityBreak)."),
        Panel("Missing values by feature", (_metric(
            "missing_share", OVERALL, "{{model}} {{feature}}"),), unit="percentunit"),
        Panel("Unseen categories by feature", (_metric(
            "unseen_category_share", OVERALL, "{{model}} {{feature}}"),), unit="percentunit"),
    ))  # fmt: skip
    operations = Row("Operations", (
        Panel("Latency p50 / p95 / p99", (_metric(
            "latency_seconds", OVERALL, "{{model}} p{{percentile}}",
            percentile='~"0.5|0.95|0.99"'),), unit="s"),
        Panel("Throughput", (_metric(
            "throughput_per_second", OVERALL, "{{model}}"),), unit="reqps"),
        Panel("Predictions per window", (_metric("prediction_count", OVERALL, "{{model}}"),)),
        Panel("Error rate", (_metric("error_rate", OVERALL, "{{model}}"),), unit="percentunit"),
    ))  # fmt: skip
    labels = Row("Labels", (
        Panel("Label coverage", (_metric(
            "label_coverage", OVERALL, "{{model}}"),), unit="percentunit"),
        Panel("Label delay p50 / p90 / p99", (_metric(
            "label_delay_seconds", OVERALL, "{{model}} p{{percentile}}",
            percentile='~"0.5|0.9|0.99"'),), unit="s"),
    ))  # fmt: skip
    service = Row("Service", (
        Panel("Events accepted per second", (Query(
            "sum by (kind) (rate(watchkeeper_events_accepted_total[5m]))", "{{kind}}"),),
            unit="reqps"),
        Panel("Ingest backlog", (
            Query("watchkeeper_wal_lag_seconds", "WAL lag (s)"),
            Query("watchkeeper_ingest_queue_depth", "queued events"))),
        Panel("Notifications", (
            Query("watchkeeper_outbox_pending", "pending"),
            Query("sum by (result) (increase(watchkeeper_notifications_total[1h]))",
                  "{{result}} in the last hour"))),
    ))  # fmt: skip
    return View(
        "engineering",
        "watchkeeper · engineering",
        "Is the monitoring healthy and what broke: monitor status, drift per feature, data "
        "quality, latency, throughput, errors, labels.",
        ("datasource", "model", "window"),
        (Row("Status", (status, alerts)), drift, quality, operations, labels, service),
    )


def product(tasks: Sequence[str]) -> View:
    predictions = Row("Predictions", (
        Panel("Prediction drift (overall)", (_metric(
            "prediction_drift", OVERALL, "{{model}} ({{test}})"),)),
        Panel("Prediction drift by model version", (_metric(
            "prediction_drift", BY_VERSION, "{{model}} {{model_version}}"),)),
        Panel("Prediction drift by segment", (_metric(
            "prediction_drift", BY_SEGMENT, "{{model}} {{segment}}={{segment_value}}"),)),
        Panel("Predictions by model version", (_metric(
            "prediction_count", BY_VERSION, "{{model}} {{model_version}}"),)),
    ))  # fmt: skip
    metrics = dict.fromkeys(m for task in tasks for m in TASK_METRICS[task])
    performance = Row("Performance (realized on labelled predictions)", tuple(
        Panel(name, (
            _metric(name, OVERALL, "{{model}} overall"),
            _metric(name, BY_VERSION, "{{model}} {{model_version}}")),
            unit=unit(name),
            description="Provisional while label coverage is below "
            "performance.min_label_coverage (see Labels).")
        for name in metrics
    ))  # fmt: skip
    labels = Row("Labels", (
        Panel("Performance provisional (too few labels)", (Query(
            f'max by (model, model_version) (watchkeeper_monitor_status{{{BASE}, '
            f'monitor="performance", status="provisional"}})', "{{model}} {{model_version}}"),),
            "state", mappings=(("realized", 0, "green"), ("provisional", 1, "blue"))),
        Panel("Label coverage by model version", (
            _metric("label_coverage", OVERALL, "{{model}} overall"),
            _metric("label_coverage", BY_VERSION, "{{model}} {{model_version}}")),
            unit="percentunit"),
    ))  # fmt: skip
    segments = Row("Segments", (
        Panel("Drifted feature share by segment", (_metric(
            "dataset_drift_share", BY_SEGMENT, "{{model}} {{segment}}={{segment_value}}"),),
            unit="percentunit"),
        Panel("Prediction drift verdict by segment", (Query(
            f"watchkeeper_prediction_drift_detected{{{BY_SEGMENT}}}",
            "{{model}} {{segment}}={{segment_value}}"),), "state",
            mappings=(("no drift", 0, "green"), ("drifted", 1, "red"))),
    ))  # fmt: skip
    return View(
        "product",
        "watchkeeper · product",
        "Is the model still right: predictions and their drift, realized performance by model "
        "version and segment, and how much of it is provisional.",
        ("datasource", "model", "window", "model_version", "segment", "segment_value"),
        (predictions, performance, labels, segments),
    )


def business(tasks: Sequence[str]) -> View:
    from watchkeeper.rules.defaults import MAIN_METRIC

    kpi = ', kpi=~"$kpi"'
    kpis = Row("KPIs", (
        Panel("KPIs", (Query(
            f"watchkeeper_business_kpi{{{OVERALL}{kpi}}}", "{{model}} {{kpi}}"),)),
        Panel("KPIs by model version", (Query(
            f"watchkeeper_business_kpi{{{BY_VERSION}{kpi}}}",
            "{{model}} {{kpi}} {{model_version}}"),)),
        Panel("KPIs by segment", (Query(
            f"watchkeeper_business_kpi{{{BY_SEGMENT}{kpi}}}",
            "{{model}} {{kpi}} {{segment}}={{segment_value}}"),)),
        Panel("KPIs against their 7-day mean", (Query(
            f"watchkeeper_business_kpi{{{OVERALL}{kpi}}} / "
            f"avg_over_time(watchkeeper_business_kpi{{{OVERALL}{kpi}}}[7d]) - 1",
            "{{model}} {{kpi}}"),), unit="percentunit"),
    ))  # fmt: skip
    main = dict.fromkeys(MAIN_METRIC[task][0] for task in tasks)
    context = Row("Context", (
        Panel("Predictions served", (_metric("prediction_count", OVERALL, "{{model}}"),)),
        Panel("Model quality (main metric)", tuple(
            _metric(name, OVERALL, f"{{{{model}}}} {name}") for name in main)),
    ))  # fmt: skip
    return View(
        "business",
        "watchkeeper · business",
        "What the models are worth: business KPIs overall, by model version and by segment.",
        ("datasource", "model", "window", "model_version", "segment", "segment_value", "kpi"),
        (kpis, context),
    )
