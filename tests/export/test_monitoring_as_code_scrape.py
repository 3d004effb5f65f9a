"""Monitoring as code against a real Prometheus: the generated rules are loaded into the
Debian ``prometheus`` binary, which scrapes a loopback server serving ``render_prometheus``
over synthetic samples of three models (every monitor, task, breakdown and window), read back
from a real store as ``/metrics`` reads them (newest windows, settled windows, reference
performance). Then every
recording rule returns data, every alerting rule's expression runs and its selector finds the
exported series, an alert fires into ``ALERTS``, and every panel query of the three Grafana
dashboards — template variables resolved through Prometheus's label-values API as Grafana
does — parses and returns data."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from export_helpers import exposition_target, running_prometheus

from watchkeeper.cli import main
from watchkeeper.export.health import ServiceHealth
from watchkeeper.export.prometheus import render_prometheus
from watchkeeper.export.prometheus_rules import rule_groups
from watchkeeper.export.promql import MONITOR_OF, TASK_METRICS
from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.server.scheduler import rule_settles
from watchkeeper.settings import ServiceConfig, load_service_config
from watchkeeper.store.duckdb_store import DuckDBStore

pytestmark = pytest.mark.slow

CONFIG = {
    "models": {
        "credit": {
            "task": "binary_classification", "label": "y", "windows": ["1h", "1d"],
            "segments": ["region"], "drift_breakdown": ["model_version", "region"],
            "kpis": {"revenue": {"outcome": "revenue", "aggregate": "sum"}},
        },
        "eta": {"task": "regression", "label": "y", "windows": ["30m"]},
        "shop": {"task": "ranking", "label": "relevance", "windows": ["1h"],
                 "segments": ["query"], "ranking": {"query": "query"}},
    },
    "alerting": {
        "receivers": {"oncall": {"webhook": {"url": "http://127.0.0.1:9/hook"}}},
        "route": {"receiver": "oncall"},
        "rules": [
            {"name": "MissingAge", "metric": "missing_share", "models": ["credit"],
             "match": ["feature=age"], "above": 0.1},
            {"name": "VersionDrift", "metric": "feature_drift", "models": ["credit"],
             "match": ["model_version=~v.+"], "status": "breach"},
            {"name": "CoverageEwma", "metric": "label_coverage", "match": ["window=1h"],
             "anomaly": {"detector": "ewma", "direction": "down", "history": "2d"}},
            {"name": "AccuracyBurn", "metric": "accuracy", "models": ["credit"],
             "match": ["window=1h"],
             "anomaly": {"detector": "burn_rate", "direction": "down"}},
            {"name": "KpiSeasonal", "metric": "kpi", "match": ["window=1h"],
             "anomaly": {"detector": "mad", "history": "1d", "season": "1d"}},
            {"name": "LatencyTrend", "metric": "latency_seconds", "match": ["quantile=0.95"],
             "anomaly": {"detector": "trend", "history": "2d"}, "for": 2, "of": 3},
        ],
    },
}  # fmt: skip
T0 = datetime(2026, 3, 1, tzinfo=UTC)
FEATURES = ("age", "income")
SCOPES = ({}, {"model_version": "v1"}, {"model_version": "v2"},
          {"segment": "region", "segment_value": "EU"},
          {"segment": "region", "segment_value": "US"})  # fmt: skip
DEADLINE_SECONDS = 30
ESTIMATED = {
    "binary_classification": ("accuracy", "precision", "recall", "f1", "roc_auc"),
    "multiclass_classification": ("accuracy", "precision", "recall", "f1"),
    "regression": ("mae", "rmse"),
}


def synthetic_samples(config: ServiceConfig) -> list[MetricSample]:
    """Samples of every series the rules and dashboards read, for every model and window."""
    out: list[MetricSample] = []
    for model, settings in config.models.items():
        for window in settings.windows:
            out += _window_samples(model, settings.task, window)
    return out


def _window_samples(model: str, task: str, window: str) -> list[MetricSample]:
    out: list[MetricSample] = []

    def add(name: str, value: float, scope: dict[str, str], status: Status = Status.OK,
            **labels: str) -> None:  # fmt: skip
        monitor = MONITOR_OF.get(name, "performance")
        all_labels = {"monitor": monitor, "window": window, **scope, **labels}
        end = T0 + timedelta(hours=1)
        out.append(MetricSample(model, name, all_labels, T0, end, value, status))
        if name.startswith("label_"):  # and two days earlier: a settled window
            earlier = timedelta(days=2)
            out.append(MetricSample(model, name, all_labels, T0 - earlier, end - earlier, value))

    for scope in SCOPES:
        for i, feature in enumerate(FEATURES):
            drifted = Status.BREACH if i == 1 else Status.OK
            add("feature_drift", 0.1 + i, scope, drifted, feature=feature, test="ks")
        add("prediction_drift", 0.05, scope, test="psi")
        add("dataset_drift_share", 0.5, scope, Status.BREACH)
        if not scope:
            add("multivariate_drift", 0.07, scope, Status.BREACH, method="pca")
        add("kpi", 120.0, scope, kpi="revenue")
        if "segment" in scope:
            continue
        provisional = Status.PROVISIONAL if scope.get("model_version") == "v2" else Status.OK
        add("prediction_count", 900.0, scope)
        add("throughput_per_second", 0.25, scope)
        add("error_rate", 0.01, scope)
        for q in ("0.5", "0.95", "0.99"):
            add("latency_seconds", 0.02 * float(q), scope, quantile=q)
        add("label_coverage", 0.8, scope)
        if task != "ranking" and not scope:  # estimated without labels, window-wide
            for name in ESTIMATED[task]:
                add(f"estimated_{name}", 0.7, scope)
        for q in ("0.5", "0.9", "0.99"):
            add("label_delay_seconds", 3600 * float(q), scope, quantile=q)
        for name in TASK_METRICS[task]:
            k = {"k": "5"} if name in ("ndcg", "precision_at_k", "recall_at_k") else {}
            add(name, 0.7, scope, provisional, **k)
    for severity, count in (("critical", 0), ("high", 0), ("warning", 2), ("info", 1)):
        add("data_quality_findings", count, {}, severity=severity)
    for feature in FEATURES:
        add("missing_share", 0.02, {}, feature=feature)
        add("unseen_category_share", 0.01, {}, feature=feature)
    add("label_drift", 0.03, {}, test="chi_square")
    for name, value in (("label_invalid_count", 3.0), ("label_invalid_ratio", 0.01),
                        ("label_duplicate_count", 12.0), ("label_agreement_rate", 0.9)):
        add(name, value, {})
    return out


HEALTH = ServiceHealth(
    up_since=T0,
    events_accepted_total={"predictions": 1000, "labels": 800},
    alerts_firing={"critical": 1, "warning": 0},
    notifications_total={"delivered": 3},
    outbox_pending=1,
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The config file and everything `watchkeeper export` writes from it, via the CLI."""
    directory = tmp_path_factory.mktemp("as-code")
    (directory / "watchkeeper.yaml").write_text(yaml.safe_dump(CONFIG))
    config = str(directory / "watchkeeper.yaml")
    for what in ("prometheus-rules", "alertmanager", "grafana"):
        assert main(["export", what, "--config", config, "-o", str(directory / "out")]) == 0
    return directory


@pytest.fixture(scope="module")
def target(generated: Path) -> Iterator[str]:
    config = load_service_config(generated / "watchkeeper.yaml")
    store = DuckDBStore(generated / "store" / "watchkeeper.duckdb")
    store.write_samples(synthetic_samples(config))
    samples = store.latest_samples() + store.settled_samples(rule_settles(config))
    store.close()
    references = {
        model: dict.fromkeys(TASK_METRICS[settings.task], 0.8)
        for model, settings in config.models.items()
    }
    exposition = render_prometheus(samples, HEALTH, references=references)
    with exposition_target(exposition) as address:
        yield address


@pytest.fixture(scope="module")
def prometheus(generated: Path, target: str) -> Iterator[str]:
    work = generated / "prometheus"
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(generated / "out" / "watchkeeper-rules.yml")],
        "scrape_configs": [{"job_name": "watchkeeper", "static_configs": [{"targets": [target]}]}],
    }
    with running_prometheus(work, config) as api:
        with httpx.Client(base_url=api, timeout=5) as client:
            _wait(client, 'count_over_time(up{job="watchkeeper"}[1m]) >= 4', work)
            _wait(client, 'ALERTS{alertname="FeatureDrift"}', work)  # pending: for: 1 window
        yield api


def _wait(client: httpx.Client, promql: str, work: Path) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        try:
            ready = client.get("/-/ready").status_code == 200
            if ready and query(client, promql)[1]:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.25)
    raise AssertionError(f"{promql}: nothing before the deadline\n"
                         + (work / "prometheus.log").read_text()[-2000:])  # fmt: skip


def query(client: httpx.Client, promql: str) -> tuple[str, list[Any]]:
    """(status, result) of an instant query; the error text as status when it failed."""
    body = client.get("/api/v1/query", params={"query": promql}).json()
    if body["status"] != "success":
        return f"{body['errorType']}: {body['error']}", []
    return "success", body["data"]["result"]


def test_every_rule_runs_and_reads_exported_series(prometheus: str, generated: Path) -> None:
    groups = rule_groups(load_service_config(generated / "watchkeeper.yaml"))
    assert {g.model for g in groups} == {"credit", "eta", "shop"}
    problems = []
    with httpx.Client(base_url=prometheus, timeout=10) as client:
        for group in groups:
            for recording in group.recording:
                status, result = query(client, f'{recording.record}{{model="{group.model}"}}')
                if not result:
                    problems.append(f"{group.model} {recording.record}: {status}, no data")
            for rule in group.alerting:
                status, _ = query(client, rule.expr)
                if status != "success":
                    problems.append(f"{group.model} {rule.name}: {status}")
                if not query(client, rule.selector)[1]:
                    problems.append(f"{group.model} {rule.name}: no series for {rule.selector}")
    assert problems == []
    assert sum(len(g.alerting) for g in groups) >= 25


VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
LABEL_VALUES = re.compile(r"^label_values\((.+),\s*(\w+)\)$", re.S)


def resolve_variables(
    client: httpx.Client, board: dict[str, Any], fixed: dict[str, str]
) -> dict[str, str]:
    """Each query variable's value as Grafana would pick it: ``fixed`` ones as given, "All"
    (its allValue) for multi-value ones, else the first value; each must have values."""
    values: dict[str, str] = {}
    for variable in board["templating"]["list"]:
        if variable["type"] != "query":
            continue
        options = variable_options(client, variable, values)
        assert options, f"{board['uid']}: variable {variable['name']} has no values"
        name = variable["name"]
        values[name] = fixed.get(name) or (
            variable["allValue"] if variable["includeAll"] else options[0]
        )
    return values


def variable_options(
    client: httpx.Client, variable: dict[str, Any], values: dict[str, str]
) -> list[str]:
    match = LABEL_VALUES.match(substitute(variable["query"], values))
    assert match, variable["query"]
    selector, label = match.groups()
    found = client.get(f"/api/v1/label/{label}/values", params={"match[]": selector})
    return sorted(found.json()["data"])


def substitute(text: str, values: dict[str, str]) -> str:
    return VARIABLE.sub(lambda m: values[m.group(1) or m.group(2)], text)


def test_every_dashboard_query_returns_data(prometheus: str, generated: Path) -> None:
    """Each query returns data for at least one choice of ``$window`` (a model shows under its
    own window lengths), with every other variable as Grafana picks it."""
    missing: dict[tuple[str, str, str], str] = {}
    with httpx.Client(base_url=prometheus, timeout=10) as client:
        for view in ("engineering", "product", "business"):
            board = json.loads((generated / "out" / "grafana" / f"{view}.json").read_text())
            window = next(v for v in board["templating"]["list"] if v["name"] == "window")
            windows = variable_options(client, window, {"model": ".+"})
            assert windows == ["1d", "1h", "30m"]
            exprs = [(p["title"], t["expr"]) for p in board["panels"] for t in p.get("targets", [])]
            exprs += [("annotation " + a["name"], a["expr"]) for a in board["annotations"]["list"]]
            for choice in windows:
                values = resolve_variables(client, board, {"window": choice})
                for title, expr in exprs:
                    key = (view, title, expr)
                    status, result = query(client, substitute(expr, values))
                    if result:
                        missing[key] = ""
                    elif missing.get(key) != "":
                        missing[key] = status
    assert len(missing) > 60
    assert {key: status for key, status in missing.items() if status} == {}
