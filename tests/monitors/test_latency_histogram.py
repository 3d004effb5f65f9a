"""The latency histogram: quantiles within one bucket of the exact ones, exact merges."""

from __future__ import annotations

import numpy as np
import pytest

from watchkeeper.errors import ProfileError
from watchkeeper.monitors.latency import (
    BOUNDS_MS,
    BUCKETS,
    GROWTH,
    LatencyHistogram,
    bucket_index,
)

RNG = np.random.default_rng(11)

DISTRIBUTIONS = [
    RNG.lognormal(3.0, 1.0, 50_000),  # typical service latencies around 20 ms, long tail
    RNG.uniform(5.0, 500.0, 20_000),  # flat
    # two modes; no tested quantile falls in the empty gap between them
    np.concatenate([RNG.normal(2.0, 0.2, 8_500), RNG.normal(900.0, 50.0, 1_500)]).clip(0.2),
    RNG.exponential(0.05, 5_000) + 0.1,  # sub-millisecond, near the lowest bound
    RNG.uniform(50_000.0, 200_000.0, 2_000),  # beyond the last bound (up to 200 s)
    np.full(1_000, 42.0),  # constant: every quantile is the value itself
    np.array([7.0]),  # a single request
]


@pytest.mark.parametrize("values", DISTRIBUTIONS)
@pytest.mark.parametrize("q", [0.0, 0.5, 0.9, 0.95, 0.99, 1.0])
def test_quantiles_within_bucket_resolution(values: np.ndarray, q: float) -> None:
    estimate = LatencyHistogram.from_values(values).quantile(q)
    exact = float(np.quantile(values, q))
    if exact >= BOUNDS_MS[-1]:
        # beyond the last bound there is one open bucket: clipped to [its lower bound, max]
        assert BOUNDS_MS[-1] <= estimate <= values.max()
    else:
        assert abs(estimate - exact) <= (GROWTH - 1) * exact + 1e-9


@pytest.mark.parametrize("values", DISTRIBUTIONS)
def test_quantiles_stay_within_min_and_max(values: np.ndarray) -> None:
    h = LatencyHistogram.from_values(values)
    assert (h.quantile(0.0), h.quantile(1.0)) == (values.min(), values.max())
    if values.min() == values.max():  # one distinct value: every quantile is that value
        assert h.quantile(0.37) == values.min()


def test_merge_of_halves_equals_the_whole() -> None:
    values = RNG.lognormal(2.0, 1.5, 10_001)
    whole = LatencyHistogram.from_values(values)
    merged = LatencyHistogram.from_values(values[:4_000]) + LatencyHistogram.from_values(
        values[4_000:]
    )
    assert merged == whole
    assert merged.count == values.size
    assert merged.total == pytest.approx(values.sum())
    assert [merged.quantile(q) for q in (0.5, 0.99)] == [whole.quantile(q) for q in (0.5, 0.99)]


def test_grouped_histograms_equal_one_per_group() -> None:
    values = RNG.lognormal(3.0, 1.0, 3_000)
    values[::97] = np.nan  # missing latencies
    values[5] = -1.0  # an impossible one
    codes = RNG.integers(0, 3, values.size)
    grouped = LatencyHistogram.grouped(values, codes, 4)  # group 3 has no rows
    for g in range(3):
        assert grouped[g] == LatencyHistogram.from_values(values[codes == g])
    assert grouped[3].count == 0
    assert np.isnan(grouped[3].quantile(0.5))


def test_missing_and_invalid_values() -> None:
    h = LatencyHistogram.from_values(np.array([np.nan, -3.0, np.inf, 10.0, 20.0]))
    # NaN is a missing latency; negative and infinite ones are counted as invalid
    assert (h.count, h.invalid, h.min, h.max) == (2, 2, 10.0, 20.0)


def test_empty_histogram() -> None:
    h = LatencyHistogram.from_values(np.zeros(0))
    assert h.count == 0
    assert np.isnan(h.quantile(0.5))
    assert np.isnan(h.mean)
    assert (h + LatencyHistogram.from_values(np.array([5.0]))).quantile(0.5) == 5.0


def test_state_round_trip_and_layout_check() -> None:
    h = LatencyHistogram.from_values(RNG.lognormal(3.0, 1.0, 1_000))
    state = h.to_state()
    assert len(state["buckets"]) < BUCKETS  # only non-empty buckets are written
    assert LatencyHistogram.from_state(state) == h
    with pytest.raises(ProfileError, match="bucket layout"):
        LatencyHistogram.from_state({**state, "layout": [0.1, 1.2, 80]})


def test_bucket_index_matches_binary_search_at_the_bounds() -> None:
    around = np.concatenate(
        [BOUNDS_MS, np.nextafter(BOUNDS_MS, 0), np.nextafter(BOUNDS_MS, np.inf), [0.0, 1e12]]
    )
    values = np.concatenate([around, RNG.lognormal(2.0, 3.0, 100_000)])
    expected = np.searchsorted(BOUNDS_MS, values, side="right")
    assert np.array_equal(bucket_index(values), expected)
