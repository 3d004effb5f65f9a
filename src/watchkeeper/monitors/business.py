"""Business KPIs: outcome events joined to the window's predictions by id.

For each configured KPI (``kpis: {conversion: {outcome: purchase, aggregate: rate}}``):

* ``rate`` — share of predictions with at least one event named ``outcome``;
* ``sum`` / ``mean`` — the per-prediction sum of that outcome's values (0 for predictions
  without one), summed or averaged over predictions; events without a value add 0;
* ``count`` — number of such events.

A ``kpi{kpi=<name>}`` sample is emitted for the whole window and for every group of each
breakdown (model version, each segment key; at most 20 groups each, the rest in ``other``),
with the group's prediction and event counts in details, so a drop can be traced to the version
or segment that has it. Rates carry a Wilson 95% interval. On a window or group without
predictions, rate and mean are ``insufficient_data``; a sum or count of nothing is 0.

>>> import pyarrow as pa
>>> from datetime import UTC, datetime
>>> from watchkeeper.settings import KpiSpec
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> meta = pa.table({"id": ["a", "b", "c", "d"]})
>>> outcomes = pa.table({"id": ["a", "a", "c"], "name": ["buy"] * 3, "value": [5.0, 7.0, 3.0]})
>>> kpis = {"conversion": KpiSpec("buy", "rate"), "revenue": KpiSpec("buy", "mean")}
>>> [(s.labels["kpi"], s.value) for s in kpi_samples(Scope("shop", t, t), kpis, meta, outcomes)]
[('conversion', 0.5), ('revenue', 3.75)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.monitors.intervals import proportion
from watchkeeper.monitors.scope import Groups, Scope, row_index
from watchkeeper.profiles.convert import to_float
from watchkeeper.settings import KpiSpec

LABELS = {"monitor": "business"}
Events = tuple[np.ndarray, np.ndarray]  # prediction row and value of each event


def kpi_samples(
    scope: Scope,
    kpis: Mapping[str, KpiSpec],
    meta: pa.Table,
    outcomes: pa.Table,
    breakdowns: Sequence[Groups] = (),
) -> list[MetricSample]:
    """One sample per KPI for the window, and one per group of every breakdown."""
    if not kpis:
        return []
    rows = meta.num_rows
    events = _events(meta, outcomes, {spec.outcome for spec in kpis.values()})
    totals = {
        outcome: _totals(rows, *events.get(outcome, _NO_EVENTS), breakdowns)
        for outcome in dict.fromkeys(spec.outcome for spec in kpis.values())
    }
    samples = []
    for name, spec in kpis.items():
        for level, groups in enumerate([None, *breakdowns]):
            sizes, counts, sums, converted = totals[spec.outcome][level]
            for g in range(sizes.size):
                labels = {**LABELS, "kpi": name, **(groups.labels(g) if groups else {})}
                numbers = (int(sizes[g]), int(counts[g]), float(sums[g]), int(converted[g]))
                samples.append(_sample(scope, labels, spec, *numbers))
    return samples


_NO_EVENTS = (np.zeros(0, dtype=np.int64), np.zeros(0))
# per group: predictions, events, sum of event values, predictions with at least one event
Totals = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _totals(
    rows: int, event_rows: np.ndarray, values: np.ndarray, breakdowns: Sequence[Groups]
) -> list[Totals]:
    """One outcome's totals for the whole window, then per group of each breakdown."""
    with_event = np.flatnonzero(np.bincount(event_rows, minlength=rows))
    result = [
        (
            np.array([rows]),
            np.array([event_rows.size]),
            np.array([values.sum()]),
            np.array([with_event.size]),
        )
    ]
    for groups in breakdowns:
        k = len(groups.names)
        codes = groups.codes[event_rows]
        result.append(
            (
                groups.sizes,
                np.bincount(codes, minlength=k),
                np.bincount(codes, weights=values, minlength=k),
                np.bincount(groups.codes[with_event], minlength=k),
            )
        )
    return result


def _sample(
    scope: Scope,
    labels: dict[str, str],
    spec: KpiSpec,
    predictions: int,
    events: int,
    total: float,
    converted: int,
) -> MetricSample:
    details: dict[str, object] = {
        "outcome": spec.outcome,
        "aggregate": spec.aggregate,
        "predictions": predictions,
        "events": events,
    }
    if spec.aggregate == "count":
        return scope.sample("kpi", labels, events, Status.OK, details)
    if spec.aggregate == "sum":
        return scope.sample("kpi", labels, total, Status.OK, details)
    if predictions == 0:
        return scope.sample("kpi", labels, float("nan"), Status.INSUFFICIENT, details)
    if spec.aggregate == "mean":
        return scope.sample("kpi", labels, total / predictions, Status.OK, details)
    estimate = proportion(converted, predictions)
    details.update(
        converted=converted, ci_low=estimate.low, ci_high=estimate.high, ci_method=estimate.method
    )
    return scope.sample("kpi", labels, estimate.value, Status.OK, details)


def _events(meta: pa.Table, outcomes: pa.Table, names: set[str]) -> dict[str, Events]:
    """For each outcome name, its events' prediction rows and values (events of other ids
    left out), from one hash lookup of the window's ids in the distinct event ids."""
    if not meta.num_rows or not outcomes.num_rows:
        return {}
    named = pc.dictionary_encode(outcomes.column("name")).combine_chunks()
    name_codes = named.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    event_names = [str(v) for v in named.dictionary.to_pylist()]
    wanted = [code for code, name in enumerate(event_names) if name in names]
    if not wanted:
        return {}
    event_ids = outcomes.column("id")
    values = np.nan_to_num(to_float(outcomes.column("value")).values, nan=0.0)
    if len(wanted) < len(event_names) or named.null_count:  # drop events no KPI counts
        keep = np.isin(name_codes, wanted)
        event_ids = event_ids.filter(pa.array(keep))
        name_codes, values = name_codes[keep], values[keep]
    encoded = pc.dictionary_encode(event_ids).combine_chunks()
    found = row_index(meta.column("id"), encoded.dictionary)
    row_of_id = np.full(len(encoded.dictionary), -1, dtype=np.int64)
    hits = found >= 0
    row_of_id[found[hits]] = np.flatnonzero(hits)
    rows = row_of_id[encoded.indices.to_numpy(zero_copy_only=False)]
    result = {}
    for code in wanted:
        keep = (rows >= 0) & (name_codes == code)
        result[event_names[code]] = (rows[keep], values[keep])
    return result
