"""Anderson–Darling against scipy.stats.anderson_ksamp (midrank variant)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import anderson_ksamp

from watchkeeper.drift.anderson_darling import (
    ANDERSON_DARLING,
    ad_null_variance,
    ad_p_value,
)
from watchkeeper.profiles.numeric import profile_numeric


def scipy_ad(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # scipy warns when it caps the p-value
        result = anderson_ksamp([a, b], variant="midrank")
    return float(result.statistic), float(result.pvalue)


CASES = [
    # no drift, small unequal samples: p above the table, scipy caps it at 0.25
    (np.random.default_rng(1).normal(0, 1, 50), np.random.default_rng(2).normal(0, 1, 80)),
    # a small shift, p inside the table
    (np.random.default_rng(3).normal(0, 1, 300), np.random.default_rng(4).normal(0.2, 1, 200)),
    # heavy ties (values rounded to a grid): midranks
    (
        np.round(np.random.default_rng(5).normal(0, 3, 1000)),
        np.round(np.random.default_rng(6).normal(0.25, 3, 1500)),
    ),
    # a change in the tails only: Student t (5 dof) against a normal of the same spread;
    # Anderson–Darling gives p 0.03 where Cramér–von Mises gives 0.06
    (
        np.random.default_rng(7).standard_t(5, 1000) / np.sqrt(5 / 3),
        np.random.default_rng(8).normal(0, 1, 1000),
    ),
    # a clear shift: p below the table, scipy floors it at 0.001
    (np.random.default_rng(9).normal(0, 1, 400), np.random.default_rng(10).normal(0.5, 1, 400)),
]


@pytest.mark.parametrize(("a", "b"), CASES)
def test_statistic_matches_scipy(a: np.ndarray, b: np.ndarray) -> None:
    ref = profile_numeric(a)
    result = ANDERSON_DARLING(ref, profile_numeric(b, ref.edges))
    assert result.statistic == pytest.approx(scipy_ad(a, b)[0], rel=1e-10)


@pytest.mark.parametrize(("a", "b"), CASES)
def test_p_value_is_scipys_inside_the_table_and_extrapolated_outside(
    a: np.ndarray, b: np.ndarray
) -> None:
    ref = profile_numeric(a)
    result = ANDERSON_DARLING(ref, profile_numeric(b, ref.edges))
    expected = scipy_ad(a, b)[1]
    assert result.p_value is not None
    if expected == 0.25:
        assert 0.25 <= result.p_value <= 1.0
    elif expected == 0.001:
        assert result.p_value <= 0.001
    else:
        assert result.p_value == pytest.approx(expected, rel=1e-9)


def test_extrapolated_p_value_keeps_falling() -> None:
    # beyond the last critical value (6.546) the fit's tangent continues downwards, and far
    # below the first one (0.325) the p-value is capped at 1
    statistics = np.linspace(-3.0, 40.0, 500)
    p = np.array([ad_p_value(s) for s in statistics])
    assert np.all(np.diff(p) <= 0)
    assert p[0] == 1.0
    assert ad_p_value(10.0) < 1e-4


@pytest.mark.parametrize(
    ("n", "m"),
    [
        # the smallest case the variance formula allows
        (2, 2),
        # unequal sizes
        (7, 12),
        (40, 25),
    ],
)
def test_null_variance_closed_form_matches_the_sums(n: int, m: int) -> None:
    # Scholz & Stephens' h and g written as the plain double sums of their paper
    total = n + m
    h = sum(1 / i for i in range(1, total))
    g = sum(1 / ((total - i) * j) for i in range(1, total - 1) for j in range(i + 1, total))
    inverse, k = 1 / n + 1 / m, 2
    a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * inverse
    b = (2 * g - 4) * k**2 + 8 * h * k + (2 * g - 14 * h - 4) * inverse - 8 * h + 4 * g - 6
    c = (6 * h + 2 * g - 2) * k**2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * inverse + 4 * h
    d = (2 * h + 6) * k**2 - 4 * h * k
    expected = (a * total**3 + b * total**2 + c * total + d) / (
        (total - 1) * (total - 2) * (total - 3)
    )
    assert ad_null_variance(n, m) == pytest.approx(expected, rel=1e-12)


def test_binned_statistic_is_within_one_percent_of_exact() -> None:
    rng = np.random.default_rng(12)
    a, b = rng.normal(0, 1, 100_000), rng.normal(0.03, 1.02, 100_000)
    ref = profile_numeric(a, keep_values=0)
    binned = ANDERSON_DARLING(ref, profile_numeric(b, ref.edges, keep_values=0)).statistic
    assert binned == pytest.approx(scipy_ad(a, b)[0], rel=0.01)
