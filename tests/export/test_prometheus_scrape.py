"""A real Prometheus server scrapes render_prometheus output from a loopback HTTP server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from export_helpers import exposition_target, full_health, running_prometheus, sample

from watchkeeper.export.prometheus import render_prometheus

pytestmark = pytest.mark.slow

MODEL = 'cre"dit\\eu'  # a quote and a backslash survive the scrape
EXPOSITION = render_prometheus(
    [
        sample("label_coverage", 0.625, {"monitor": "performance"}, model=MODEL),
        sample("feature_drift", 0.42, {"monitor": "drift", "feature": "age", "test": "ks"}),
    ],
    full_health(),
)
DEADLINE_SECONDS = 15


@pytest.fixture
def prometheus_api(tmp_path: Path) -> Iterator[str]:
    with exposition_target(EXPOSITION) as target:
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [
                {"job_name": "watchkeeper", "static_configs": [{"targets": [target]}]}
            ],
        }
        with running_prometheus(tmp_path, config) as api:
            yield api


def _query(client: httpx.Client, api: str, promql: str) -> list[dict[str, Any]]:
    try:
        response = client.get(f"{api}/api/v1/query", params={"query": promql}, timeout=2)
    except httpx.TransportError:
        return []  # not listening yet
    if response.status_code != 200:
        return []
    result: list[dict[str, Any]] = response.json()["data"]["result"]
    return result


def _wait_for(client: httpx.Client, api: str, promql: str, deadline: float) -> list[Any]:
    while time.monotonic() < deadline:
        result = _query(client, api, promql)
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"no result for {promql} before the deadline")


def test_prometheus_scrapes_our_metrics(prometheus_api: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    with httpx.Client() as client:
        up = _wait_for(client, prometheus_api, 'up{job="watchkeeper"} == 1', deadline)
        assert up[0]["value"][1] == "1"
        coverage = _wait_for(client, prometheus_api, "watchkeeper_label_coverage_ratio", deadline)
        targets = client.get(f"{prometheus_api}/api/v1/targets", timeout=2).json()
    assert len(coverage) == 1
    assert coverage[0]["metric"]["model"] == MODEL
    assert float(coverage[0]["value"][1]) == 0.625
    active = targets["data"]["activeTargets"]
    assert [t["health"] for t in active] == ["up"]
    assert active[0]["lastError"] == ""
