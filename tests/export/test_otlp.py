"""OTLP/HTTP JSON export, received by a real loopback HTTP server."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from export_helpers import sample

from watchkeeper.export.otlp import OtlpExporter, render_otlp
from watchkeeper.monitors.base import Status


class _Receiver(BaseHTTPRequestHandler):
    """Answers like an OTLP/HTTP receiver: 200 with an empty JSON response."""

    received: ClassVar[list[tuple[str, dict[str, str], Any]]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, dict(self.headers), json.loads(body)))
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received = []
    _Receiver.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/metrics"
    finally:
        server.shutdown()
        server.server_close()


def _points(body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    [resource] = body["resourceMetrics"]
    [scope] = resource["scopeMetrics"]
    return {m["name"]: m["gauge"]["dataPoints"] for m in scope["metrics"]}


def test_samples_arrive_as_gauges(receiver: str) -> None:
    samples = [
        sample("accuracy", 0.81, {"monitor": "performance"}, hour=0),
        sample("accuracy", 0.92, {"monitor": "performance"}, hour=1),  # newer window wins
        sample(
            "feature_drift",
            0.4,
            {"monitor": "drift", "feature": "age", "test": "ks"},
            status=Status.BREACH,
        ),
        sample("latency_seconds", math.nan, {"monitor": "operations", "quantile": "0.99"}),
    ]
    exporter = OtlpExporter(receiver, headers={"Authorization": "Bearer t"})
    assert exporter.send(samples) and exporter.sent == 1
    [(path, headers, body)] = _Receiver.received
    assert path == "/v1/metrics" and headers["Content-Type"] == "application/json"
    assert headers["Authorization"] == "Bearer t"
    resource = body["resourceMetrics"][0]["resource"]["attributes"]
    assert resource == [{"key": "service.name", "value": {"stringValue": "watchkeeper"}}]
    points = _points(body)
    assert [p["asDouble"] for p in points["watchkeeper.model_accuracy_ratio"]] == [0.92]
    assert points["watchkeeper.feature_drift_detected"][0]["asDouble"] == 1.0
    assert "watchkeeper.prediction_latency_seconds" not in points  # NaN is left out
    point = points["watchkeeper.feature_drift_statistic"][0]
    attributes = {a["key"]: a["value"]["stringValue"] for a in point["attributes"]}
    assert attributes == {"model": "credit", "monitor": "drift", "feature": "age", "test": "ks"}
    # 64-bit times as decimal strings, window end after window start
    assert int(point["timeUnixNano"]) - int(point["startTimeUnixNano"]) == 3600 * 10**9


@pytest.mark.parametrize(
    ("endpoint_suffix", "status"),
    [
        ("", 503),  # the receiver refuses
        ("-closed", 200),  # nothing listens there
    ],
)
def test_failures_are_counted_not_raised(receiver: str, endpoint_suffix: str, status: int) -> None:
    _Receiver.status = status
    endpoint = receiver if not endpoint_suffix else "http://127.0.0.1:1/v1/metrics"
    exporter = OtlpExporter(endpoint, timeout=2)
    assert exporter.send([sample("accuracy", 0.5)]) is False
    assert exporter.failures == 1 and exporter.last_error


def test_units_follow_ucum() -> None:
    body = render_otlp(
        [sample("latency_seconds", 0.2, {"quantile": "0.5"}), sample("prediction_count", 10.0)]
    )
    [scope] = body["resourceMetrics"][0]["scopeMetrics"]
    units = {m["name"]: m["unit"] for m in scope["metrics"]}
    assert units["watchkeeper.prediction_latency_seconds"] == "s"
    assert units["watchkeeper.window_predictions"] == "{count}"
