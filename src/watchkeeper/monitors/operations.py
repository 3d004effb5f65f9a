"""Serving health of one window: traffic, failures and latency, overall and per model version.

* ``prediction_count`` — predictions in the window (0 is a real value: traffic stopped).
* ``throughput_per_second`` — count over the window's length, or over the time elapsed so far
  while the window is still open at ``now``.
* ``error_rate`` — share of predictions whose ``error`` is set.
* ``latency_seconds{quantile=0.5|0.95|0.99}`` — from the mergeable :class:`LatencyHistogram`
  of ``latency_ms``, in seconds; ``insufficient_data`` without latencies.

The window's histogram is returned with the samples so windows can be stored and merged.

>>> import pyarrow as pa
>>> from datetime import UTC, datetime
>>> start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC)
>>> meta = pa.table({"latency_ms": [10.0, 20.0, None, 40.0], "error": [None, None, "oom", None]})
>>> r = operations_samples(Scope("credit", start, end), meta, end)
>>> [(s.name, s.labels.get("quantile"), round(s.value, 3)) for s in r.samples[:4]]
[('prediction_count', None, 4.0), ('throughput_per_second', None, 0.001),
 ('error_rate', None, 0.25), ('latency_seconds', '0.5', 0.02)]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa

from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.monitors.latency import LatencyHistogram
from watchkeeper.monitors.scope import Groups, Scope
from watchkeeper.profiles.convert import to_float

LATENCY_QUANTILES = (0.5, 0.95, 0.99)
LABELS = {"monitor": "operations"}


@dataclass(frozen=True)
class OperationsResult:
    samples: tuple[MetricSample, ...]
    latency: LatencyHistogram


def operations_samples(
    scope: Scope, meta: pa.Table, now: datetime, versions: Groups | None = None
) -> OperationsResult:
    """Traffic, error and latency samples; per model version too when ``versions`` is given."""
    rows = meta.num_rows
    latency = (
        to_float(meta.column("latency_ms")).values
        if "latency_ms" in meta.column_names
        else np.full(rows, np.nan)
    )
    failed = (
        meta.column("error").is_valid().to_numpy(zero_copy_only=False)
        if "error" in meta.column_names and rows
        else np.zeros(rows, dtype=bool)
    )
    elapsed, still_open = _elapsed(scope, now)
    if versions is None:
        histogram = LatencyHistogram.from_values(latency)
        return OperationsResult(
            tuple(_samples(scope, rows, int(failed.sum()), histogram, elapsed, still_open)),
            histogram,
        )
    groups = len(versions.names)
    errors = np.bincount(versions.codes, weights=failed, minlength=groups)
    histograms = LatencyHistogram.grouped(latency, versions.codes, groups)
    histogram = sum(histograms[1:], histograms[0])  # the groups add up to the window exactly
    samples = _samples(scope, rows, int(failed.sum()), histogram, elapsed, still_open)
    for g in range(groups):
        child = scope.child(**versions.labels(g))
        size = int(versions.sizes[g])
        samples += _samples(child, size, int(errors[g]), histograms[g], elapsed, still_open)
    return OperationsResult(tuple(samples), histogram)


def _elapsed(scope: Scope, now: datetime) -> tuple[float, bool]:
    """Seconds of the window that have passed at ``now``, and whether it is still open."""
    still_open = now < scope.end
    until = now if still_open else scope.end
    return max((until - scope.start).total_seconds(), 0.0), still_open


def _samples(
    scope: Scope,
    rows: int,
    errors: int,
    histogram: LatencyHistogram,
    elapsed: float,
    still_open: bool,
) -> list[MetricSample]:
    out = [scope.sample("prediction_count", LABELS, rows)]
    timing = {"seconds": elapsed, "window_open": still_open}
    if elapsed > 0:
        out.append(scope.sample("throughput_per_second", LABELS, rows / elapsed, details=timing))
    else:
        out.append(
            scope.sample("throughput_per_second", LABELS, float("nan"), Status.INSUFFICIENT, timing)
        )
    rate, status = (errors / rows, Status.OK) if rows else (float("nan"), Status.INSUFFICIENT)
    out.append(
        scope.sample("error_rate", LABELS, rate, status, {"errors": errors, "predictions": rows})
    )
    status = Status.OK if histogram.count else Status.INSUFFICIENT
    details = {
        "n": histogram.count,
        "invalid": histogram.invalid,
        "mean_seconds": histogram.mean / 1000.0 if histogram.count else None,
        "max_seconds": histogram.max / 1000.0 if histogram.count else None,
    }
    for q in LATENCY_QUANTILES:
        labels = {**LABELS, "quantile": str(q)}
        value = histogram.quantile(q) / 1000.0
        out.append(scope.sample("latency_seconds", labels, value, status, details))
    return out
