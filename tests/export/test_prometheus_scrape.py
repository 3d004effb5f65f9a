"""A real Prometheus server scrapes render_prometheus output from a loopback HTTP server."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from export_helpers import full_health, sample, system_binary

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


class _MetricsHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path != "/metrics":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(EXPOSITION)))
        self.end_headers()
        self.wfile.write(EXPOSITION)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def metrics_target() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _MetricsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def prometheus_api(metrics_target: str, tmp_path: Path) -> Iterator[str]:
    binary = system_binary("prometheus")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        f"  - job_name: watchkeeper\n    static_configs: [{{targets: ['{metrics_target}']}}]\n"
    )
    address = f"127.0.0.1:{_free_port()}"
    log = (tmp_path / "prometheus.log").open("w")
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address={address}"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://{address}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
    if process.returncode not in (0, -15):
        pytest.fail((tmp_path / "prometheus.log").read_text()[-2000:])


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
