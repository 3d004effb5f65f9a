"""OpenTelemetry export: monitor samples as OTLP/HTTP metrics in the JSON encoding.

The newest window of every series becomes one gauge data point (``startTimeUnixNano`` = window
start, ``timeUnixNano`` = window end), under the same names, units and bounded attributes as
the other exporters (``watchkeeper.<name>``, e.g. ``watchkeeper.model_accuracy_ratio`` with unit
``1``). Any OTLP/HTTP receiver (an OpenTelemetry Collector's ``otlphttp`` receiver, most
vendors' endpoints) accepts the body at ``.../v1/metrics`` with ``Content-Type:
application/json``. Values that are not finite are left out.

>>> from datetime import UTC, datetime
>>> from watchkeeper.monitors.base import MetricSample
>>> t0, t1 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC)
>>> sample = MetricSample("credit", "accuracy", {"monitor": "performance"}, t0, t1, 0.9)
>>> body = render_otlp([sample])
>>> metric = body["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]
>>> metric["name"], metric["unit"], metric["gauge"]["dataPoints"][0]["asDouble"]
('watchkeeper.model_accuracy_ratio', '1', 0.9)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import msgspec

from watchkeeper.export.catalog import Unit, cap_series, newest_series
from watchkeeper.monitors.base import MetricSample

# UCUM units, as OpenTelemetry expects them
UNITS = {
    Unit.NONE: "1",
    Unit.RATIO: "1",
    Unit.SECONDS: "s",
    Unit.BYTES: "By",
    Unit.COUNT: "{count}",
    Unit.PER_SECOND: "1/s",
}


def _nanos(moment: datetime) -> str:
    """OTLP JSON writes 64-bit integers as decimal strings."""
    return str(int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000)


def _attributes(pairs: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"key": key, "value": {"stringValue": value}} for key, value in pairs]


def render_otlp(
    samples: Iterable[MetricSample], *, service_name: str = "watchkeeper", version: str = ""
) -> dict[str, Any]:
    """An ``ExportMetricsServiceRequest`` in the OTLP JSON encoding."""
    series, _ = cap_series(newest_series(samples))
    metrics: dict[str, dict[str, Any]] = {}
    for one in series:
        if not math.isfinite(one.value):
            continue
        spec = one.spec
        metric = metrics.setdefault(
            spec.name,
            {
                "name": f"watchkeeper.{spec.name}",
                "description": spec.help,
                "unit": UNITS[spec.unit],
                "gauge": {"dataPoints": []},
            },
        )
        metric["gauge"]["dataPoints"].append(
            {
                "attributes": _attributes(one.labels),
                "startTimeUnixNano": _nanos(one.sample.window_start),
                "timeUnixNano": _nanos(one.sample.window_end),
                "asDouble": float(one.value),
            }
        )
    resource = _attributes([("service.name", service_name)])
    scope = {"name": "watchkeeper", "version": version}
    return {
        "resourceMetrics": [
            {
                "resource": {"attributes": resource},
                "scopeMetrics": [{"scope": scope, "metrics": list(metrics.values())}],
            }
        ]
    }


@dataclass
class OtlpExporter:
    """Posts samples to an OTLP/HTTP metrics endpoint; failures are counted, never raised."""

    endpoint: str  # e.g. http://127.0.0.1:4318/v1/metrics
    headers: Mapping[str, str] | None = None
    transport: httpx.BaseTransport | None = None
    timeout: float = 10.0
    sent: int = 0
    failures: int = 0
    last_error: str | None = None

    def send(self, samples: Iterable[MetricSample]) -> bool:
        body = msgspec.json.encode(render_otlp(samples))
        headers = {"Content-Type": "application/json", **(self.headers or {})}
        try:
            with httpx.Client(transport=self.transport, timeout=self.timeout) as client:
                response = client.post(self.endpoint, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return self._failed(f"{type(exc).__name__}: {exc}")
        if response.status_code >= 300:
            return self._failed(f"HTTP {response.status_code}: {response.text[:200]}")
        self.sent += 1
        return True

    def _failed(self, error: str) -> bool:
        self.failures += 1
        self.last_error = error
        return False
