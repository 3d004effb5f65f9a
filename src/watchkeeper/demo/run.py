"""``watchkeeper demo``: the whole loop on one machine, in about a minute.

It trains a small model on generated data, starts the service (HTTP API, store, evaluation,
alerting, dashboard) on 127.0.0.1 with an embedded store in a temporary (or given) directory,
and a local webhook sink standing in for the pager. Then it streams five simulated days of
production traffic through the HTTP API, one simulated hour every ``pace`` seconds, with labels
and outcomes arriving late, evaluates each hour as it closes, and prints each page as the sink
receives it. At the end it prints what it caught; the service keeps running for the dashboard
until Ctrl-C or ``duration`` seconds after the start.
"""

from __future__ import annotations

import heapq
import json
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

from watchkeeper.demo.model import LogisticModel, train
from watchkeeper.demo.traffic import HOUR, DemoTraffic
from watchkeeper.simulate import CreditSimulation

EVALUATE_EVERY = 3  # simulated hours between evaluations (late labels re-evaluate old windows)
CONFIG = """\
# The demo's configuration: one credit model, hourly and daily windows, default alert rules,
# every alert routed to the local webhook sink.
store: wk-data
server: {{host: 127.0.0.1, port: {port}, evaluate_every: 1d}}  # the demo evaluates each hour
models:
  credit:
    task: binary_classification
    reference: reference.parquet      # the model's validation set: features, score, label
    prediction: score
    label: label
    segments: [region]
    windows: [1h, 1d]
    performance: {{min_label_coverage: 0.6}}
    kpis:
      conversion: {{outcome: accepted, aggregate: rate}}
      interest_per_prediction: {{outcome: interest, aggregate: mean, delay: 1d}}
alerting:
  external_url: http://127.0.0.1:{port}
  receivers:
    pager: {{webhook: {{url: "{sink}"}}}}
  route: {{receiver: pager, group_interval: 1m, repeat_interval: 30d}}
"""


@dataclass
class Pager:
    """The local webhook sink: records and prints each notification (Alertmanager v4 body)."""

    console: Console
    clock: list[datetime]
    pages: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        pager = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
                pager.receive(body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def receive(self, body: dict[str, Any]) -> None:
        shown = self.clock[0].strftime("%a %H:%M")
        for alert in body.get("alerts", []):
            self.pages.append(alert)
            labels = alert["labels"]
            style = "red" if alert["status"] == "firing" else "green"
            self.console.print(
                f"  [{style}]{alert['status'].upper():8}[/{style}] {labels.get('severity', ''):8}"
                f" {labels.get('alertname', '')}: {alert['annotations'].get('summary', '')}"
                f"  [dim](simulated {shown})[/dim]"
            )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(directory: Path, port: int, sink: str) -> tuple[Path, LogisticModel, float]:
    """Train the model, write its validation set as the reference and the config."""
    model, validation = train(CreditSimulation(seed=11), rows=20_000, seed=11)
    pq.write_table(pa.table(validation["columns"]), directory / "reference.parquet")
    path = directory / "watchkeeper.yaml"
    path.write_text(CONFIG.format(port=port, sink=sink))
    return path, model, float(validation["auc"])


@contextmanager
def running_service(config_path: Path) -> Iterator[None]:
    """The service of ``watchkeeper serve``, in this process (uvicorn in a thread)."""
    import uvicorn

    from watchkeeper.server.run import assembled
    from watchkeeper.settings import load_service_config

    config = load_service_config(config_path)
    with assembled(config) as running:
        server = uvicorn.Server(
            uvicorn.Config(
                running.app,
                host="127.0.0.1",
                port=config.server.port,
                log_level="warning",
                access_log=False,
                lifespan="off",
                ws="none",
            )
        )
        thread = threading.Thread(target=server.run, name="demo-http", daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 30
            while not server.started and time.monotonic() < deadline:
                time.sleep(0.05)
            yield
        finally:
            server.should_exit = True
            thread.join(timeout=30)


def run_demo(
    port: int | None = None,
    directory: Path | None = None,
    duration: float | None = None,
    *,
    pace: float = 0.3,
    per_hour: int = 300,
    hours: int | None = None,
    linger: bool = True,
    console: Console | None = None,
) -> dict[str, Any]:
    """Run the demo; returns what it caught (also printed). ``hours`` shortens the five
    simulated days; without ``linger`` it stops once the summary is printed."""
    console = console or Console()
    began = time.monotonic()
    port = port or free_port()
    root = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="watchkeeper-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    start = (datetime.now(UTC) - timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    clock = [start]
    pager = Pager(console, clock)
    try:
        config_path, model, auc = prepare(root, port, pager.url)
        console.print(f"[bold]watchkeeper demo[/bold] in {root}")
        console.print(
            f"  trained a logistic regression on 20,000 generated applications "
            f"(validation ROC AUC {auc:.3f})"
        )
        with running_service(config_path):
            url = f"http://127.0.0.1:{port}"
            console.print(f"  dashboard: [link={url}/]{url}/[/link]   API: {url}/v1/models\n")
            console.print("Streaming 5 simulated days (pages below as the pager receives them):")
            traffic = DemoTraffic(start, model, per_hour, limit=hours)
            stopped = _stream(url, traffic, clock, pace, began, duration)
            _wait_for_outbox(url)
            summary = _summary(url, pager)
            _print_summary(console, summary, url)
            if linger and not stopped:
                _serve_until(duration, began, console)
        return summary
    finally:
        pager.close()


def _stream(
    url: str,
    traffic: DemoTraffic,
    clock: list[datetime],
    pace: float,
    began: float,
    duration: float | None,
) -> bool:
    """Post each simulated hour and evaluate it; True when the duration ran out first."""
    later: list[tuple[str, int, str, dict[str, Any]]] = []  # (time, order, kind, record)
    order = 0
    with httpx.Client(base_url=url, timeout=60) as client:
        for index in range(traffic.hours):
            tick = time.monotonic()
            hour = traffic.hour(index)
            end = hour.start + HOUR
            clock[0] = end
            _post(client, "predictions", hour.predictions)
            for kind, records in (("labels", hour.labels), ("outcomes", hour.outcomes)):
                for record in records:
                    heapq.heappush(later, (record["timestamp"], order, kind, record))
                    order += 1
            due: dict[str, list[dict[str, Any]]] = {"labels": [], "outcomes": []}
            while later and datetime.fromisoformat(later[0][0]) < end:
                _, _, kind, record = heapq.heappop(later)
                due[kind].append(record)
            for kind, records in due.items():
                _post(client, kind, records)
            if (index + 1) % EVALUATE_EVERY == 0 or index + 1 == traffic.hours:
                response = client.post("/v1/evaluate", params={"until": end.isoformat()})
                response.raise_for_status()
            if duration is not None and time.monotonic() - began > duration:
                return True
            time.sleep(max(0.0, pace - (time.monotonic() - tick)))
    return False


def _post(client: httpx.Client, kind: str, records: list[dict[str, Any]]) -> None:
    if records:
        response = client.post(f"/v1/models/credit/{kind}", json=records)
        response.raise_for_status()


def _wait_for_outbox(url: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = httpx.get(url + "/v1/notifications", timeout=10).json()["notifications"]
        if all(i["delivered_at"] or i["failed_at"] for i in items):
            return
        time.sleep(0.2)


def _summary(url: str, pager: Pager) -> dict[str, Any]:
    """Each alert episode the pager heard of (fired, and resolved if it did), in order."""
    incidents = httpx.get(url + "/v1/incidents", timeout=30).json()["incidents"]
    episodes: dict[str, dict[str, Any]] = {}
    for page in pager.pages:
        episode = episodes.get(page["fingerprint"])
        if episode is None or (page["status"] == "firing" and "resolved" in episode):
            episode = {"labels": page["labels"], "fired": page["startsAt"], "pages": 0}
            episodes[page["fingerprint"] + page["startsAt"]] = episode
            episodes[page["fingerprint"]] = episode
        episode["pages"] += 1
        if page["status"] == "resolved":
            episode["resolved"] = page["endsAt"]
        else:
            episode.pop("resolved", None)
    return {
        "episodes": sorted(
            {id(e): e for e in episodes.values()}.values(),
            key=lambda e: (e["fired"], e["labels"]["alertname"]),
        ),
        "incidents": incidents,
        "pages": len(pager.pages),
    }


def _print_summary(console: Console, summary: dict[str, Any], url: str) -> None:
    table = Table(title="What watchkeeper paged", title_justify="left")
    for column in ("alert", "severity", "on", "fired (simulated)", "resolved"):
        table.add_column(column)
    for episode in summary["episodes"]:
        labels = episode["labels"]
        on = labels.get("feature") or labels.get("kpi") or ""
        resolved = episode.get("resolved")
        table.add_row(
            labels.get("alertname", ""),
            labels.get("severity", ""),
            on,
            _short(episode["fired"]),
            _short(resolved) if resolved else "still firing",
        )
    console.print()
    console.print(table)
    console.print(
        f"{len(summary['incidents'])} incident(s) with playbooks and evidence; "
        f"{summary['pages']} page(s) sent to the local sink."
    )
    console.print(f"Open {url}/ for the dashboard, {url}/v1/incidents for the incidents.")


def _short(text: str) -> str:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).strftime("%a %H:%M")


def _serve_until(duration: float | None, began: float, console: Console) -> None:
    console.print("The service keeps running for the dashboard; Ctrl-C stops it.")
    try:
        while duration is None or time.monotonic() - began < duration:
            time.sleep(0.2)
    except KeyboardInterrupt:
        console.print("stopping")
