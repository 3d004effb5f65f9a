"""Grafana dashboards built with grafana-foundation-sdk: one per view, the template variables,
the ALERTS annotation, panels per task, and every query naming only metrics /metrics exports.
(That each query returns data from a real Prometheus is in test_monitoring_as_code_scrape.py.)"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from watchkeeper.export.catalog import ALL_SPECS
from watchkeeper.export.grafana import dashboard_json
from watchkeeper.export.grafana_views import views
from watchkeeper.export.health import HEALTH_METRICS
from watchkeeper.settings import parse_service_config

TASKS = {
    "binary_classification": ["roc_auc", "accuracy", "precision", "recall", "f1", "log_loss",
                              "calibration_error"],
    "multiclass_classification": ["accuracy", "precision", "recall", "f1", "log_loss"],
    "regression": ["rmse", "mae", "mape", "r2"],
    "ranking": ["ndcg", "precision_at_k", "recall_at_k", "mrr", "map"],
}  # fmt: skip
EXPORTED = {
    *(spec.prometheus_name for spec in ALL_SPECS),
    *(f"watchkeeper_{m.name}" for m in HEALTH_METRICS),
    "watchkeeper_monitor_status",
    "watchkeeper_monitor_window_end_timestamp_seconds",
}


def boards(models: dict[str, Any]) -> dict[str, dict[str, Any]]:
    config = parse_service_config({"models": models})
    return {view.name: dashboard_json(view) for view in views(config)}


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in board["panels"] if p["type"] != "row"]


def model(task: str) -> dict[str, Any]:
    if task == "ranking":
        return {"task": task, "segments": ["query"], "ranking": {"query": "query"}}
    return {"task": task}


@pytest.mark.parametrize("task", sorted(TASKS))
def test_the_product_view_shows_the_task_metrics(task: str) -> None:
    product = boards({"m": model(task)})["product"]
    titles = [p["title"] for p in panels(product)]
    every_metric = {name for names in TASKS.values() for name in names}
    assert [t for t in titles if t in every_metric] == TASKS[task]


def test_three_dashboards_with_variables_and_the_alerts_annotation() -> None:
    built = boards({"a": model("binary_classification"), "b": model("regression")})
    assert {name: b["uid"] for name, b in built.items()} == {
        "engineering": "watchkeeper-engineering", "product": "watchkeeper-product",
        "business": "watchkeeper-business"}  # fmt: skip
    variables = {name: [v["name"] for v in b["templating"]["list"]] for name, b in built.items()}
    assert variables["engineering"] == ["datasource", "model", "window"]
    assert variables["business"][-1] == "kpi"
    for board in built.values():
        assert board["schemaVersion"] == 41
        model_variable = board["templating"]["list"][1]
        assert model_variable["query"] == "label_values(watchkeeper_monitor_status, model)"
        assert (model_variable["includeAll"], model_variable["allValue"]) == (True, ".+")
        [annotation] = board["annotations"]["list"]
        assert annotation["expr"] == 'ALERTS{alertstate="firing", model=~"$model"}'
        assert annotation["titleFormat"] == "{{alertname}}"
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids))
        for panel in panels(board):
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert [t["refId"] for t in panel["targets"]] == list("ABCD"[: len(panel["targets"])])
    product_titles = [p["title"] for p in panels(built["product"])]
    assert "roc_auc" in product_titles and "rmse" in product_titles  # both tasks


def test_every_query_names_exported_metrics_only() -> None:
    built = boards({"a": model("binary_classification"), "b": model("ranking")})
    for board in built.values():
        queries = [t["expr"] for p in panels(board) for t in p["targets"]]
        queries += [v["query"] for v in board["templating"]["list"] if v["type"] == "query"]
        for query in queries:
            for name in re.findall(r"\bwatchkeeper_\w+", query):
                assert name in EXPORTED, (board["uid"], name)


def test_the_engineering_view_covers_the_operational_signals() -> None:
    engineering = boards({"m": model("binary_classification")})["engineering"]
    kinds = {p["title"]: p["type"] for p in panels(engineering)}
    assert kinds["Monitor status (overall series)"] == "state-timeline"
    assert kinds["Feature drift statistic"] == "heatmap"
    for title in ("Latency p50 / p95 / p99", "Throughput", "Error rate", "Label coverage",
                  "Label delay p50 / p90 / p99", "Data-quality findings by severity"):  # fmt: skip
        assert kinds[title] == "timeseries"
    status = next(p for p in panels(engineering) if p["title"].startswith("Monitor status"))
    mapping = status["fieldConfig"]["defaults"]["mappings"][0]["options"]
    assert {k: v["text"] for k, v in mapping.items()} == {
        "0": "ok",
        "1": "provisional",
        "2": "insufficient_data",
        "3": "breach",
    }
    assert json.loads(json.dumps(engineering)) == engineering  # plain JSON all the way down
