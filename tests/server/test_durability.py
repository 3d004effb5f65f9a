"""kill -9 mid-stream loses no acknowledged event and stores none twice.

The service runs as ``watchkeeper.server.run.serve`` in a child process. A client thread streams
batches and remembers the ids of every batch answered 202; the child is SIGKILLed mid-stream
and started again (replaying its log), then stopped with SIGTERM, and the store file is read
directly: every acknowledged id is there exactly once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
BATCH = 50


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(root: Path) -> Path:
    pq.write_table(
        pa.table({"age": [float(i % 70) for i in range(200)],
                  "plan": ["gold", "silver"] * 100,
                  "score": [i / 200 for i in range(200)],
                  "label": [i % 2 for i in range(200)]}),
        root / "reference.parquet",
    )
    config = root / "watchkeeper.yaml"
    config.write_text(
        "store: store\nmodels:\n  credit:\n    task: binary_classification\n"
        "    reference: reference.parquet\n    prediction: score\n    label: label\n"
    )
    return config


class Service:
    def __init__(self, config: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        code = (
            "from watchkeeper.server.run import serve; "
            f"serve({str(config)!r}, '127.0.0.1', {self.port})"
        )
        self.process = subprocess.Popen([sys.executable, "-c", code],
                                        env={**os.environ, "PYTHONPATH": str(SRC)})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        self.process.kill()
        raise AssertionError("the service did not become ready")


def stream(url: str, acknowledged: list[str], stop: threading.Event) -> None:
    """Post batches until the server goes away; keep the ids of every 202."""
    with httpx.Client(base_url=url, timeout=5) as client:
        number = 0
        while not stop.is_set():
            ids = [f"b{number}-{i}" for i in range(BATCH)]
            records = [{"id": ident, "timestamp": 1772366400 + number, "prediction": 0.5,
                        "features": {"age": 40, "plan": "gold"}} for ident in ids]
            try:
                response = client.post("/v1/models/credit/predictions", json=records)
            except httpx.TransportError:
                return
            if response.status_code == 202:
                acknowledged.extend(ids)
            number += 1


@pytest.mark.slow
def test_acknowledged_events_survive_kill_9_exactly_once(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    first = Service(config)
    acknowledged: list[str] = []
    stop = threading.Event()
    clients = [threading.Thread(target=stream, args=(first.url, acknowledged, stop))]
    for client in clients:
        client.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 20 * BATCH and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # mid-stream
    first.process.send_signal(signal.SIGKILL)
    assert first.process.wait(10) == -signal.SIGKILL
    for client in clients:
        client.join(10)
    assert len(acknowledged) >= 20 * BATCH

    second = Service(config)  # replays what the store had not applied
    count = httpx.get(second.url + "/v1/models/credit").json()["predictions"]
    assert count >= len(acknowledged)
    second.process.send_signal(signal.SIGTERM)
    assert second.process.wait(30) == 0

    con = duckdb.connect(str(tmp_path / "store" / "watchkeeper.duckdb"), read_only=True)
    con.register("acked", pa.table({"id": acknowledged}))
    missing, repeated = con.execute(
        'SELECT (SELECT count(*) FROM acked a ANTI JOIN "predictions__credit" p ON a.id = p.id),'
        ' (SELECT count(*) - count(DISTINCT id) FROM "predictions__credit")'
    ).fetchall()[0]
    con.close()
    assert (missing, repeated) == (0, 0)
