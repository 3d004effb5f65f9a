"""The model's performance on its reference: the yardstick of ``PerformanceDrop``.

A reference data file holds the prediction (and scores) with the label, i.e. the validation
set the model was accepted on. Its metrics are computed once, with the same code the windows
use, and each window's performance sample carries the reference value in
``details["reference"]`` so a rule can compare against it (``change: {baseline: reference}``):
a gradual decline is measured against where the model started, not against a rolling
baseline that declines with it. Saved profiles and production references have no rows to
score, so they give no reference performance.

>>> import pyarrow as pa
>>> from watchkeeper.settings import parse_service_config
>>> model = parse_service_config({"models": {"m": {"task": "regression", "prediction": "y_hat",
...                                                 "label": "y"}}}).models["m"]
>>> table = pa.table({"y_hat": [1.0, 2.0, 3.0] * 10, "y": [1.5, 2.0, 2.5] * 10})
>>> round(reference_performance(table, model)["mae"], 4)
0.3333
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.monitors.performance import performance_samples
from watchkeeper.monitors.scope import Scope
from watchkeeper.settings import ModelConfig

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def reference_performance(table: pa.Table, config: ModelConfig) -> dict[str, float]:
    """The task's metrics on a reference table with the prediction and label columns;
    empty when either column is missing or the metrics cannot be computed."""
    names = table.column_names
    if config.label is None or config.prediction not in names or config.label not in names:
        return {}
    rows = table.num_rows
    ids = pa.array([str(i) for i in range(rows)])
    at = pa.array(np.zeros(rows, dtype="datetime64[us]")).cast(pa.timestamp("us", tz="UTC"))
    meta = {"id": ids, "timestamp": at, "prediction": table.column(config.prediction)}
    if config.scores and all(s in names for s in config.scores):
        columns = [table.column(s).to_numpy(zero_copy_only=False) for s in config.scores]
        meta["scores"] = pa.array(np.column_stack(columns).astype(np.float64).tolist())
    labels = pa.table(
        {"id": ids, "label": table.column(config.label).cast(pa.string()), "timestamp": at}
    )
    scope = Scope("reference", _EPOCH, _EPOCH.replace(year=1971))
    samples = performance_samples(scope, config, pa.table(meta), labels, scope.end)
    return {
        _key(s): s.value
        for s in samples
        if s.status is Status.OK
        and math.isfinite(s.value)
        and s.name not in ("label_coverage", "label_delay_seconds")
    }


def _key(sample: MetricSample) -> str:
    k = sample.labels.get("k")
    return f"{sample.name}@{k}" if k else sample.name


def with_reference_performance(
    samples: list[MetricSample], reference: Mapping[str, float]
) -> list[MetricSample]:
    """The samples, each performance metric with its reference value in details."""
    if not reference:
        return samples
    out = []
    for sample in samples:
        value = (
            reference.get(_key(sample)) if sample.labels.get("monitor") == "performance" else None
        )
        if value is not None:
            sample = replace(sample, details={**sample.details, "reference": value})
        out.append(sample)
    return out
