"""The whole service as a user runs it: `watchkeeper serve` in a subprocess, three simulated
days of traffic over HTTP with drift and a performance decay starting on day two and labels
arriving late, then `/v1/evaluate`: the metric series show both, at the right windows, and
nothing before."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from service_process import ServeProcess, free_port
from watchkeeper.simulate import CreditSimulation

START = datetime(2026, 3, 2, tzinfo=UTC)
DAY = timedelta(days=1)
PER_HOUR = 160

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def statsd_socket() -> Iterator[socket.socket]:
    """A real UDP receiver for the service's StatsD export."""
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("service")


@pytest.fixture(scope="module")
def service(root: Path, statsd_socket: socket.socket) -> Iterator[str]:
    statsd_port = statsd_socket.getsockname()[1]
    sim = CreditSimulation(seed=3)
    pq.write_table(pa.table(sim.reference_table(20_000)), root / "reference.parquet")
    (root / "watchkeeper.yaml").write_text(
        "store: wk-data\n"
        "server: {evaluate_every: 1h}\n"
        "models:\n"
        "  credit:\n"
        "    task: binary_classification\n"
        "    reference: reference.parquet\n"
        "    prediction: score\n"
        "    label: label\n"
        "    segments: [region]\n"
        "    windows: [6h, 1d]\n"
        "    performance: {min_label_coverage: 0.8}\n"
        "export:\n"
        f"  statsd: {{port: {statsd_port}}}\n"
        "  emf: {path: emf.jsonl}\n"
    )
    server = ServeProcess(root / "watchkeeper.yaml")
    server.start()
    try:
        _post_traffic(server.url)
        yield server.url
    finally:
        server.stop()


def _post_traffic(url: str) -> None:
    sim = CreditSimulation(seed=3, drift_start=START + DAY, decay_start=START + DAY)
    with httpx.Client(base_url=url, timeout=30) as client:
        for hour in range(72):
            begin = START + timedelta(hours=hour)
            predictions, labels = sim.generate(begin, begin + timedelta(hours=1), PER_HOUR)
            for path, body in (("predictions", predictions), ("labels", labels)):
                response = client.post(f"/v1/models/credit/{path}", json=body)
                assert response.status_code == 202, response.text


def _samples(url: str, name: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/v1/models/credit/metrics", params={"name": name}, timeout=30)
    assert response.status_code == 200
    return list(response.json()["samples"])


def _at(sample: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(sample["window_start"])


def test_evaluation_then_counts(service: str) -> None:
    result = httpx.post(
        f"{service}/v1/evaluate", params={"until": (START + 3 * DAY).isoformat()}, timeout=120
    ).json()
    assert result["windows"] == 12 + 3  # 6-hour and daily windows of three days
    model = httpx.get(f"{service}/v1/models/credit", timeout=10).json()
    assert model["predictions"] == 72 * PER_HOUR  # evaluation waited for every acknowledged event
    assert model["labels"] == 72 * PER_HOUR


def test_feature_drift_from_day_two_and_nothing_before(service: str) -> None:
    income = [
        s
        for s in _samples(service, "feature_drift")
        if s["labels"].get("feature") == "income" and "model_version" not in s["labels"]
    ]
    before = [s for s in income if _at(s) < START + DAY]
    after = [s for s in income if _at(s) >= START + DAY]
    assert len(before) == 4 + 1 and len(after) == 8 + 2
    assert all(s["status"] == "ok" for s in before), before
    assert all(s["status"] == "breach" for s in after), after
    quiet = [
        s
        for s in _samples(service, "feature_drift")
        if s["labels"].get("feature") in ("age", "region") and _at(s) < START + DAY
    ]
    assert quiet and all(s["status"] == "ok" for s in quiet)


def test_performance_drop_after_the_decay(service: str) -> None:
    daily = {
        _at(s): s
        for s in _samples(service, "roc_auc")
        if s["labels"].get("window") == "1d" and "model_version" not in s["labels"]
    }
    assert sorted(daily) == [START, START + DAY, START + 2 * DAY]
    first, second, third = (daily[d] for d in sorted(daily))
    assert first["status"] == "ok"
    assert second["value"] < first["value"] - 0.1
    assert third["value"] < first["value"] - 0.1
    coverage = [s for s in _samples(service, "label_coverage") if s["labels"].get("window") == "1d"]
    assert coverage and all(s["value"] == pytest.approx(1.0) for s in coverage)


def test_metrics_endpoint_exposes_the_latest_windows(service: str) -> None:
    text = httpx.get(f"{service}/metrics", timeout=10).text
    assert "watchkeeper_feature_drift_detected{" in text
    assert "watchkeeper_events_accepted_total" in text
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI"):
            raise AssertionError("promtool is missing (scripts/install-system-deps.sh)")
        pytest.skip("promtool not installed")
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_real_prometheus_scrapes_the_service(service: str, tmp_path: Path) -> None:
    binary = shutil.which("prometheus")
    if binary is None:
        if os.environ.get("CI"):
            raise AssertionError("prometheus is missing (scripts/install-system-deps.sh)")
        pytest.skip("prometheus not installed")
    target = service.removeprefix("http://")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s}\n"
        "scrape_configs:\n  - job_name: watchkeeper\n"
        f"    static_configs: [{{targets: ['{target}']}}]\n"
    )
    api = f"127.0.0.1:{free_port()}"
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address={api}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    query = 'watchkeeper_feature_drift_detected{feature="income",window="1d"}'
    result: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not result:
            try:
                response = httpx.get(
                    f"http://{api}/api/v1/query", params={"query": query}, timeout=2
                )
                if response.status_code == 200:
                    result = response.json()["data"]["result"]
            except httpx.TransportError:
                pass
            time.sleep(0.25)
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert result, "Prometheus never scraped the drift verdict"
    # the newest daily window (day three) is drifted
    assert {r["value"][1] for r in result} == {"1"}


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_metrics_for_bi_tools(service: str, tmp_path: Path, fmt: str) -> None:
    from watchkeeper.cli import main
    from watchkeeper.export.bi import read_metrics

    out = tmp_path / f"metrics.{fmt}"
    assert (
        main(
            [
                "export",
                "metrics",
                "--url",
                service,
                "--name",
                "roc_auc",
                "--format",
                fmt,
                "-o",
                str(out),
            ]
        )
        == 0
    )
    table = read_metrics(out, fmt)
    assert table.num_rows > 0
    assert set(table.column("name").to_pylist()) == {"roc_auc"}
    assert set(table.column("model").to_pylist()) == {"credit"}


def test_new_samples_are_pushed_to_statsd_and_emf(
    service: str, root: Path, statsd_socket: socket.socket
) -> None:
    # the evaluation test ran first (module order): its samples went to both sinks
    datagram = statsd_socket.recv(65536).decode()
    assert "watchkeeper." in datagram and "#model:credit" in datagram
    lines = (root / "emf.jsonl").read_text().splitlines()
    assert lines and all('"_aws"' in line for line in lines)
