"""Cramér–von Mises against scipy.stats.cramervonmises_2samp and the classical tables."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import cramervonmises_2samp

from watchkeeper.drift.cramer_von_mises import CRAMER_VON_MISES, cvm_limit_cdf
from watchkeeper.profiles.numeric import profile_numeric


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # no drift, small unequal samples
        (np.random.default_rng(1).normal(0, 1, 50), np.random.default_rng(2).normal(0, 1, 80)),
        # a small shift, p near 0.03
        (np.random.default_rng(3).normal(0, 1, 300), np.random.default_rng(4).normal(0.2, 1, 200)),
        # heavy ties (values rounded to a grid): midranks
        (
            np.round(np.random.default_rng(5).normal(0, 3, 1000)),
            np.round(np.random.default_rng(6).normal(0.3, 3, 1500)),
        ),
        # a scale change on skewed data at the exact-values cap
        (
            np.random.default_rng(7).lognormal(0, 1, 10_000),
            np.random.default_rng(8).lognormal(0, 1.05, 10_000),
        ),
        # a clear shift, p near 3e-5
        (np.random.default_rng(9).normal(0, 1, 400), np.random.default_rng(10).normal(0.5, 1, 400)),
    ],
)
def test_exact_matches_scipy_asymptotic(a: np.ndarray, b: np.ndarray) -> None:
    ref = profile_numeric(a)
    result = CRAMER_VON_MISES(ref, profile_numeric(b, ref.edges))
    expected = cramervonmises_2samp(a, b, method="asymptotic")
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-10)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize(
    ("x", "cdf"),
    [
        # Anderson & Darling (1952): the 90%, 95%, 99% and 99.9% points of the limiting law
        (0.34730, 0.90),
        (0.46136, 0.95),
        (0.74346, 0.99),
        (1.16786, 0.999),
        # far in the lower tail the CDF is (numerically) zero
        (0.001, 0.0),
    ],
)
def test_limiting_distribution(x: float, cdf: float) -> None:
    assert cvm_limit_cdf(x) == pytest.approx(cdf, abs=2e-5)


@pytest.mark.parametrize(
    ("shift", "scale"),
    [
        # location shift
        (0.03, 1.0),
        # scale change
        (0.0, 1.04),
    ],
)
def test_binned_statistic_is_within_one_percent_of_exact(shift: float, scale: float) -> None:
    rng = np.random.default_rng(11)
    a, b = rng.normal(0, 1, 100_000), rng.normal(shift, scale, 100_000)
    ref = profile_numeric(a, keep_values=0)
    binned = CRAMER_VON_MISES(ref, profile_numeric(b, ref.edges, keep_values=0)).statistic
    exact = cramervonmises_2samp(a, b, method="asymptotic").statistic
    assert binned == pytest.approx(exact, rel=0.01)
