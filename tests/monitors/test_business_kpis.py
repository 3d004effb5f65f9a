"""Business KPIs from outcome events, overall and broken down by version and segment."""

from __future__ import annotations

import math

import pytest
from monitor_helpers import END, START, meta_table, one, outcomes_table

from watchkeeper.monitors.base import Status
from watchkeeper.monitors.business import kpi_samples
from watchkeeper.monitors.scope import MAX_GROUPS, OTHER, Scope, group_rows
from watchkeeper.settings import KpiSpec

SCOPE = Scope("m", START, END, {"window": "1h"})

EVENTS = outcomes_table(
    [
        ("r0", "purchase", 10.0),
        ("r0", "purchase", 5.0),  # a second purchase on the same prediction
        ("r2", "purchase", 3.0),
        ("r3", "purchase", None),  # a purchase without an amount
        ("r1", "click", 1.0),
        ("x9", "purchase", 100.0),  # a prediction of another window
    ]
)


@pytest.mark.parametrize(
    ("spec", "value", "events"),
    [
        (KpiSpec("purchase", "rate"), 3 / 4, 4),  # r0, r2 and r3 bought
        (KpiSpec("purchase", "sum"), 18.0, 4),  # 10 + 5 + 3 (+ 0 for no amount)
        (KpiSpec("purchase", "mean"), 18.0 / 4, 4),  # per prediction, 0 for r1
        (KpiSpec("purchase", "count"), 4.0, 4),  # events, not predictions
        (KpiSpec("click", "rate"), 1 / 4, 1),
        (KpiSpec("refund", "count"), 0.0, 0),  # no such events: zero, not missing
        (KpiSpec("refund", "rate"), 0.0, 0),
    ],
)
def test_aggregates(spec: KpiSpec, value: float, events: int) -> None:
    (sample,) = kpi_samples(SCOPE, {"k": spec}, meta_table(4), EVENTS)
    assert sample.name == "kpi"
    assert sample.labels == {"window": "1h", "monitor": "business", "kpi": "k"}
    assert sample.value == pytest.approx(value)
    assert sample.status is Status.OK
    assert (sample.details["predictions"], sample.details["events"]) == (4, events)


def test_rate_has_a_wilson_interval() -> None:
    (sample,) = kpi_samples(SCOPE, {"c": KpiSpec("purchase", "rate")}, meta_table(4), EVENTS)
    assert sample.details["ci_method"] == "wilson"
    assert sample.details["ci_low"] < 0.75 < sample.details["ci_high"]


def test_conversion_drop_is_attributed_to_its_version() -> None:
    n = 2_000
    versions = ["v1" if i % 2 else "v2" for i in range(n)]
    countries = ["US" if i % 3 else "DE" for i in range(n)]
    # v1 converts on every 5th of its predictions (20%), v2 on every 20th (5%)
    bought = [i for i in range(n) if (i % 2 and i % 10 == 1) or (not i % 2 and i % 40 == 0)]
    events = outcomes_table([(f"r{i}", "purchase", 20.0) for i in bought])
    meta = meta_table(n, versions=versions, segments={"country": countries})
    breakdowns = [
        group_rows(meta.column("model_version"), "model_version"),
        group_rows(meta.column("segment.country"), "segment_value", {"segment": "country"}),
    ]
    kpis = {"conversion": KpiSpec("purchase", "rate"), "revenue": KpiSpec("purchase", "mean")}
    samples = kpi_samples(SCOPE, kpis, meta, events, [g for g in breakdowns if g is not None])
    assert one(samples, "kpi", kpi="conversion").value == pytest.approx(0.125)
    v1 = one(samples, "kpi", kpi="conversion", model_version="v1")
    v2 = one(samples, "kpi", kpi="conversion", model_version="v2")
    assert (v1.value, v2.value) == (pytest.approx(0.2), pytest.approx(0.05))
    assert v2.details["predictions"] == 1_000
    assert one(samples, "kpi", kpi="revenue", model_version="v2").value == pytest.approx(1.0)
    # the segment breakdown does not single out a country: both convert about equally
    us = one(samples, "kpi", kpi="conversion", segment="country", segment_value="US")
    de = one(samples, "kpi", kpi="conversion", segment="country", segment_value="DE")
    assert abs(us.value - de.value) < 0.02
    keys = [s.series_key for s in samples]
    assert len(keys) == len(set(keys)) == 2 * (1 + 2 + 2)


def test_segment_cardinality_is_bounded() -> None:
    n = 1_000
    cities = [f"c{i % 40:02d}" for i in range(n)]
    meta = meta_table(n, segments={"city": cities})
    groups = group_rows(meta.column("segment.city"), "segment_value", {"segment": "city"})
    assert groups is not None
    samples = kpi_samples(SCOPE, {"k": KpiSpec("purchase", "count")}, meta, EVENTS, [groups])
    by_city = [s for s in samples if "segment" in s.labels]
    assert len(by_city) == MAX_GROUPS + 1
    other = one(samples, "kpi", kpi="k", segment="city", segment_value=OTHER)
    assert other.details["predictions"] == 20 * 25  # 20 folded cities, 25 rows each


@pytest.mark.parametrize(
    ("aggregate", "status", "value"),
    [
        ("rate", Status.INSUFFICIENT, math.nan),  # a share of nothing is undefined
        ("mean", Status.INSUFFICIENT, math.nan),
        ("sum", Status.OK, 0.0),  # nothing sold is a real 0
        ("count", Status.OK, 0.0),
    ],
)
def test_empty_window(aggregate: str, status: Status, value: float) -> None:
    spec = KpiSpec("purchase", aggregate)  # type: ignore[arg-type]
    (sample,) = kpi_samples(SCOPE, {"k": spec}, meta_table(0), EVENTS)
    assert sample.status is status
    assert sample.value == pytest.approx(value, nan_ok=True)


def test_no_kpis_configured() -> None:
    assert kpi_samples(SCOPE, {}, meta_table(4), EVENTS) == []
