"""Alert delivery after a breaching window is evaluated, against the DESIGN budget (<= 2 s).

A real DuckDB store holds a realistic history for one model: ``--features`` drift series plus
the operations, quality and performance series of the default rules, hourly for ``--days``
days. A loopback HTTP receiver (its own thread, 127.0.0.1) plays the webhook. Each round writes
one more hour in which ``--breaching`` features drift, then times, from the start of the
alerting tick (the moment evaluation has written the window's samples):

* the tick itself (every default rule over every series' recent history, the pipeline,
  incidents, one transaction);
* until the receiver has the notification (outbox -> courier -> HTTP).

    python benchmarks/alert_bench.py
    python benchmarks/alert_bench.py --features 200 --days 14 --rounds 10
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
if (SRC / "watchkeeper").is_dir() and str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from watchkeeper.monitors.base import MetricSample, Status  # noqa: E402
from watchkeeper.server.alerts import AlertService  # noqa: E402
from watchkeeper.settings import parse_service_config  # noqa: E402
from watchkeeper.store.duckdb_store import DuckDBStore  # noqa: E402

BUDGET_S = 2.0  # DESIGN.md section 3: alert delivered after a breaching window is evaluated
T0 = datetime(2026, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


class Receiver:
    def __init__(self) -> None:
        self.arrived: list[float] = []
        self.event = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.arrived.append(time.perf_counter())
                receiver.event.set()
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def hour_samples(hour: int, features: int, drifted: set[int]) -> list[MetricSample]:
    start, end = T0 + hour * HOUR, T0 + (hour + 1) * HOUR
    base = {"window": "1h"}

    def s(name: str, value: float, status: Status = Status.OK, **labels: str) -> MetricSample:
        monitor = labels.pop("monitor")
        return MetricSample(
            "m", name, {**base, "monitor": monitor, **labels}, start, end, value, status
        )

    out = [
        s(
            "feature_drift",
            0.3 if i in drifted else 0.01,
            Status.BREACH if i in drifted else Status.OK,
            monitor="drift",
            feature=f"f{i}",
            test="psi",
        )
        for i in range(features)
    ]
    out += [
        s("prediction_count", 1000 + hour % 7, monitor="operations"),
        s("error_rate", 0.001, monitor="operations"),
        s("latency_seconds", 0.04, monitor="operations", quantile="0.99"),
        s("data_quality_findings", 0, monitor="quality", severity="high"),
        s("roc_auc", 0.8, monitor="performance"),
        s("label_coverage", 0.9, monitor="performance"),
    ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--breaching", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    receiver = Receiver()
    with tempfile.TemporaryDirectory() as tmp:
        store = DuckDBStore(Path(tmp) / "wk.duckdb")
        config = parse_service_config(
            {
                "models": {
                    "m": {"task": "binary_classification", "label": "label", "windows": ["1h"]}
                },
                "alerting": {
                    "receivers": {"hook": {"webhook": {"url": receiver.url}}},
                    "route": {"receiver": "hook", "group_by": ["model", "alertname", "feature"]},
                },
            }
        )
        hours = args.days * 24
        history = [s for h in range(hours) for s in hour_samples(h, args.features, set())]
        store.write_samples(history)
        service = AlertService(config, store)
        service.start()
        service.tick(T0 + hours * HOUR)
        ticks, deliveries = [], []
        for r in range(args.rounds):
            hour = hours + r
            drifted = set(range(r * args.breaching, (r + 1) * args.breaching))
            store.write_samples(hour_samples(hour, args.features, drifted))
            receiver.event.clear()
            before = len(receiver.arrived)
            started = time.perf_counter()
            service.tick(T0 + (hour + 1) * HOUR)
            ticked = time.perf_counter()
            deadline = started + 30
            while (
                len(receiver.arrived) < before + args.breaching and time.perf_counter() < deadline
            ):
                receiver.event.wait(0.05)
                receiver.event.clear()
            ticks.append(ticked - started)
            deliveries.append(receiver.arrived[-1] - started)
        service.stop()
        store.close()
    series = args.features + 6
    result = {
        "series": series,
        "windows_per_series": hours,
        "tick_s_median": statistics.median(ticks),
        "delivered_s_median": statistics.median(deliveries),
        "delivered_s_max": max(deliveries),
        "budget_s": BUDGET_S,
    }
    print(
        f"{series} series x {hours} hourly windows, {args.breaching} new alerts per round, "
        f"{args.rounds} rounds"
    )
    print(f"  alerting tick        median {result['tick_s_median'] * 1000:8.1f} ms")
    print(
        f"  delivered (all)      median {result['delivered_s_median'] * 1000:8.1f} ms, "
        f"max {result['delivered_s_max'] * 1000:.1f} ms   (budget {BUDGET_S:.0f} s)"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
