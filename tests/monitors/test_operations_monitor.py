"""Traffic, errors and latency of a window, overall and per model version."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pytest
from monitor_helpers import AFTER, END, START, meta_table, one

from watchkeeper.monitors.base import Status
from watchkeeper.monitors.latency import GROWTH, LatencyHistogram
from watchkeeper.monitors.operations import operations_samples
from watchkeeper.monitors.scope import Scope, group_rows

SCOPE = Scope("m", START, END, {"window": "1h"})


@pytest.mark.parametrize(
    ("n", "now", "throughput", "still_open"),
    [
        (7200, AFTER, 2.0, False),  # closed: count over the full hour
        (7200, END, 2.0, False),  # evaluated the moment it closes
        (900, START + timedelta(minutes=15), 1.0, True),  # open: over the 15 minutes so far
        (0, AFTER, 0.0, False),  # a silent hour is a real zero
    ],
)
def test_count_and_throughput(n: int, now: datetime, throughput: float, still_open: bool) -> None:
    samples = operations_samples(SCOPE, meta_table(n, seconds_apart=0.5), now).samples
    assert one(samples, "prediction_count").value == n
    rate = one(samples, "throughput_per_second")
    assert rate.value == pytest.approx(throughput)
    assert rate.status is Status.OK
    assert rate.details["window_open"] is still_open


def test_throughput_before_the_window_starts_is_insufficient() -> None:
    samples = operations_samples(SCOPE, meta_table(0), START).samples
    assert one(samples, "throughput_per_second").status is Status.INSUFFICIENT


def test_error_rate_and_latency() -> None:
    latency = np.random.default_rng(2).lognormal(4.0, 0.5, 1_000)
    errors = ["timeout" if i % 20 == 0 else None for i in range(1_000)]
    result = operations_samples(SCOPE, meta_table(1_000, latency=latency, errors=errors), AFTER)
    samples = result.samples
    error_rate = one(samples, "error_rate")
    assert (error_rate.value, error_rate.details["errors"]) == (0.05, 50)
    for q in ("0.5", "0.95", "0.99"):
        exact = float(np.quantile(latency, float(q))) / 1000.0  # seconds
        assert one(samples, "latency_seconds", quantile=q).value == pytest.approx(
            exact, rel=GROWTH - 1
        )
    assert result.latency == LatencyHistogram.from_values(latency)


def test_breakdown_by_version_finds_the_slow_one() -> None:
    versions = ["v1", "v2"] * 500
    latency = [20.0 if v == "v1" else 200.0 for v in versions]
    # v2 serves the odd rows and fails on those ending in 1: one in five of its requests
    errors = ["oom" if i % 10 == 1 else None for i in range(1_000)]
    meta = meta_table(1_000, latency=latency, errors=errors, versions=versions)
    groups = group_rows(meta.column("model_version"), "model_version")
    result = operations_samples(SCOPE, meta, AFTER, groups)
    samples = result.samples
    assert one(samples, "latency_seconds", quantile="0.5", model_version="v1").value == 0.02
    assert one(samples, "latency_seconds", quantile="0.5", model_version="v2").value == 0.2
    assert one(samples, "error_rate", model_version="v1").value == 0.0
    assert one(samples, "error_rate", model_version="v2").value == pytest.approx(0.2)
    assert one(samples, "prediction_count", model_version="v2").value == 500
    assert one(samples, "prediction_count").value == 1_000
    # the window's histogram is the sum of the versions'
    assert result.latency == LatencyHistogram.from_values(np.array(latency))


def test_no_latencies() -> None:
    result = operations_samples(SCOPE, meta_table(10), AFTER)
    latency = one(result.samples, "latency_seconds", quantile="0.99")
    assert latency.status is Status.INSUFFICIENT
    assert math.isnan(latency.value)
    assert result.latency.count == 0
    assert one(result.samples, "error_rate").value == 0.0
