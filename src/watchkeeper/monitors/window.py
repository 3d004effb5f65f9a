"""Evaluate every monitor on one window of one model: tables + config + now -> samples.

The inputs are one window as the store hands it over (``features``, ``meta``, ``labels``,
``outcomes``; see the layout in each monitor), the model's reference profile and its config.
The result holds every sample, the window's profile and its latency histogram (both
mergeable, for longer windows and for storage). Nothing here reads a clock or a file: the
evaluation tick's ``now`` decides label waiting times and whether the window is still open.

Every sample carries ``window=<duration>`` (``"1h"``). Operations, performance and KPI samples
are also broken down by ``model_version`` (when the predictions have versions) and KPIs by each
configured segment key (``segment=<key>``, ``segment_value=<value>``), at most 20 groups per
breakdown with the rest folded into ``other``. Drift (features, dataset, prediction) is broken
down by what ``drift_breakdown`` lists (nothing by default): ``model_version`` (when the window
has two versions or more) and segment keys. The ranking query's segment is never a breakdown.

Empty windows give samples, never an exception: counts and sums are 0 (a stopped stream is a
real value), every ratio, mean, quantile, drift and quality sample is ``insufficient_data``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from watchkeeper.errors import InputError
from watchkeeper.monitors.base import MetricSample
from watchkeeper.monitors.business import kpi_samples
from watchkeeper.monitors.data import data_samples
from watchkeeper.monitors.ground_truth import ground_truth_samples
from watchkeeper.monitors.label_drift import label_samples
from watchkeeper.monitors.latency import LatencyHistogram
from watchkeeper.monitors.operations import operations_samples
from watchkeeper.monitors.performance import performance_samples
from watchkeeper.monitors.scope import Groups, Scope, group_rows
from watchkeeper.monitors.windows import duration_label
from watchkeeper.profiles.categorical import CategoricalProfile
from watchkeeper.profiles.dataset import DatasetProfile
from watchkeeper.settings import ModelConfig


@dataclass(frozen=True)
class WindowResult:
    samples: tuple[MetricSample, ...]
    profile: DatasetProfile
    latency: LatencyHistogram


def evaluate_window(
    model: str,
    config: ModelConfig,
    reference: DatasetProfile,
    window: tuple[datetime, datetime],
    features: pa.Table,
    meta: pa.Table,
    labels: pa.Table,
    outcomes: pa.Table,
    now: datetime,
    *,
    duration: str | None = None,
) -> WindowResult:
    """All monitors on one window; ``duration`` labels the samples (default: from ``window``)."""
    start, end = window
    _validate(start, end, now, features, meta)
    scope = Scope(model, start, end, {"window": duration or duration_label(end - start)})
    # The monitors run side by side: profiling (numpy) and the id joins of performance and
    # business (Arrow) spend most of their time outside the GIL. Profiling starts first unless
    # it waits for its breakdowns; performance, the longest, as soon as the versions are known.
    keys = [key for key in config.segments if key != config.ranking.query]
    with ThreadPoolExecutor(max_workers=3) as pool:
        data = None
        if not config.drift_breakdown:
            data = pool.submit(data_samples, scope, config, reference, features, meta)
        grouping = {
            key: pool.submit(
                group_rows, _column(meta, f"segment.{key}"), "segment_value", {"segment": key}
            )
            for key in keys
        }
        versions = group_rows(_column(meta, "model_version"), "model_version")
        classes = _known_classes(reference, config)
        performance = pool.submit(
            performance_samples, scope, config, meta, labels, now, versions, classes
        )
        segments = {key: job.result() for key, job in grouping.items()}
        if data is None:
            drift_by = _drift_breakdowns(config, versions, segments)
            data = pool.submit(data_samples, scope, config, reference, features, meta, drift_by)
        breakdowns = [g for g in (versions, *segments.values()) if g is not None]
        business = pool.submit(kpi_samples, scope, config.kpis, meta, outcomes, breakdowns)
        operations = operations_samples(scope, meta, now, versions)
        profile = data.result().profile
        label = label_samples(scope, config, reference, labels, meta.num_rows)
        samples = (
            *data.result().samples,
            *operations.samples,
            *performance.result(),
            *label,
            *ground_truth_samples(scope, config, reference, labels),
            *business.result(),
        )
    return WindowResult(samples, profile, operations.latency)


def _drift_breakdowns(
    config: ModelConfig, versions: Groups | None, segments: Mapping[str, Groups | None]
) -> list[Groups]:
    """The breakdowns ``drift_breakdown`` asks for that the window has (versions: two or more)."""
    found = [
        versions if name == "model_version" else segments.get(name)
        for name in dict.fromkeys(config.drift_breakdown)  # each once
    ]
    return [g for g in found if g is not None and (g.key != "model_version" or len(g.names) > 1)]


def _column(table: pa.Table, name: str) -> pa.ChunkedArray | None:
    return table.column(name) if name in table.column_names else None


def _known_classes(reference: DatasetProfile, config: ModelConfig) -> Sequence[str]:
    """Class names the reference knows (its prediction and label columns), for multiclass."""
    if config.task != "multiclass_classification":
        return ()
    names: set[str] = set()
    for column in (config.prediction, config.label):
        profile = reference.columns.get(column) if column else None
        if isinstance(profile, CategoricalProfile):
            names.update(profile.categories)
    return sorted(names)


def _validate(
    start: datetime, end: datetime, now: datetime, features: pa.Table, meta: pa.Table
) -> None:
    for key, moment in (("window start", start), ("window end", end), ("now", now)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise InputError(f"{key} must be a timezone-aware datetime (got {moment.isoformat()})")
    if end <= start:
        raise InputError(
            f"window end must be after its start (got {start.isoformat()} .. {end.isoformat()})"
        )
    if features.num_rows != meta.num_rows:
        raise InputError(
            f"features and meta must hold the same predictions (got {features.num_rows} "
            f"feature rows and {meta.num_rows} meta rows)"
        )
    if meta.num_rows and "id" not in meta.column_names:
        raise InputError(f"meta has no 'id' column (columns: {', '.join(meta.column_names)})")
