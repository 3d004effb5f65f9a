"""Sample builders and the system binaries (promtool, prometheus) the export tests run."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from watchkeeper.export.health import ServiceHealth
from watchkeeper.monitors.base import MetricSample, Status

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def sample(
    name: str,
    value: float,
    labels: Mapping[str, str] | None = None,
    *,
    model: str = "credit",
    hour: int = 0,
    status: Status = Status.OK,
    details: Mapping[str, Any] | None = None,
) -> MetricSample:
    """A sample of the one-hour window starting ``hour`` hours after T0."""
    start = T0 + hour * HOUR
    return MetricSample(
        model, name, dict(labels or {}), start, start + HOUR, value, status, dict(details or {})
    )


def full_health() -> ServiceHealth:
    """A health reading with every field set to a distinct value."""
    return ServiceHealth(
        up_since=T0,
        events_accepted_total={"predictions": 1200, "labels": 300, "outcomes": 7},
        events_rejected_total=4,
        drops_total={"sdk": 2, "intake": 1},
        ingest_queue_depth=17,
        wal_lag_frames=3,
        wal_lag_seconds=0.25,
        apply_duration_seconds=0.012,
        evaluation_duration_seconds=0.4,
        evaluations_total=60,
        store_bytes=1_048_576,
    )


def system_binary(name: str) -> str:
    """Path of a Debian-packaged binary; skipped when absent outside CI, a failure in CI."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} not found on PATH (install with scripts/install-system-deps.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def promtool_check(exposition: bytes) -> subprocess.CompletedProcess[str]:
    """``promtool check metrics`` on an exposition; returncode 0 means no problems."""
    return subprocess.run(
        [system_binary("promtool"), "check", "metrics"],
        input=exposition.decode(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def exposition_target(exposition: bytes) -> Iterator[str]:
    """A loopback HTTP server answering ``GET /metrics`` with ``exposition`` (404 elsewhere);
    yields its ``host:port`` as a Prometheus scrape target."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/metrics":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(exposition)))
            self.end_headers()
            self.wfile.write(exposition)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def running_prometheus(work: Path, config: Mapping[str, Any]) -> Iterator[str]:
    """The Debian ``prometheus`` binary with ``config`` on a free loopback port, its data and
    log (``prometheus.log``) under ``work``; yields its base URL. Fails the test when it does
    not stop cleanly."""
    binary = system_binary("prometheus")
    work.mkdir(parents=True, exist_ok=True)
    config_file = work / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(dict(config)))
    address = f"127.0.0.1:{free_port()}"
    log = (work / "prometheus.log").open("w")
    process = subprocess.Popen(
        [binary, f"--config.file={config_file}", f"--storage.tsdb.path={work / 'tsdb'}",
         f"--web.listen-address={address}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
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
        pytest.fail((work / "prometheus.log").read_text()[-2000:])
