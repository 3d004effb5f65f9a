"""Kolmogorov–Smirnov against scipy.stats.ks_2samp."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ks_2samp

from watchkeeper.drift.ks import KS
from watchkeeper.profiles.numeric import profile_numeric


def samples(case: str, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n + 7 * m)
    if case == "shift":
        return rng.normal(0, 1, n), rng.normal(0.15, 1, m)
    if case == "scale":
        return rng.normal(0, 1, n), rng.normal(0, 1.2, m)
    if case == "ties":
        return np.round(rng.normal(0, 2, n)), np.round(rng.normal(0.3, 2, m))
    return rng.exponential(1, n), rng.exponential(1, m)


CASES = [
    # a small location shift, equal sizes
    ("shift", 200, 200),
    # a scale change, unequal sizes
    ("scale", 300, 1000),
    # heavy ties (rounded values): the CDFs jump at the same points
    ("ties", 500, 400),
    # no drift, large samples
    ("same", 5000, 8000),
    # a location shift at the exact-values cap
    ("shift", 10_000, 10_000),
]


@pytest.mark.parametrize(("case", "n", "m"), CASES)
def test_exact_statistic_equals_scipy(case: str, n: int, m: int) -> None:
    # the statistic is |i/n - j/m| for whole i, j: the same fraction, up to float rounding
    a, b = samples(case, n, m)
    ref = profile_numeric(a)
    result = KS(ref, profile_numeric(b, ref.edges)).statistic
    expected = ks_2samp(a, b).statistic
    assert round(result * n * m) == round(expected * n * m)
    assert abs(result - expected) < 1e-14


@pytest.mark.parametrize(("case", "n", "m"), CASES)
def test_p_value_is_close_to_scipys_asymptotic_one(case: str, n: int, m: int) -> None:
    # Stephens' finite-sample correction against scipy's Kolmogorov distribution at
    # n m / (n + m): within 0.01 absolute, and within 5% relative while p > 1e-6
    a, b = samples(case, n, m)
    ref = profile_numeric(a)
    result = KS(ref, profile_numeric(b, ref.edges))
    expected = ks_2samp(a, b, method="asymp").pvalue
    assert result.p_value is not None
    assert abs(result.p_value - expected) < 0.01
    if expected > 1e-6:
        assert result.p_value == pytest.approx(expected, rel=0.05)
