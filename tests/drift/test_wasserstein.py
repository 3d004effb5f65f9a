"""Wasserstein distance against scipy.stats.wasserstein_distance over the reference's std."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import wasserstein_distance

from watchkeeper.drift.wasserstein import WASSERSTEIN
from watchkeeper.profiles.numeric import profile_numeric


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # a shift of half a standard deviation
        (rng(1).normal(0, 1, 400), rng(2).normal(0.5, 1, 300)),
        # a change of scale on a skewed variable
        (rng(3).lognormal(0, 1, 1000), rng(4).lognormal(0, 1.3, 900)),
        # integers with many ties
        (rng(5).poisson(3, 2000) * 1.0, rng(6).poisson(4, 500) * 1.0),
        # the current sample entirely beyond the reference's range
        (rng(7).uniform(0, 1, 300), rng(8).uniform(5, 6, 300)),
    ],
)
def test_exact_matches_scipy(a: np.ndarray, b: np.ndarray) -> None:
    ref = profile_numeric(a)
    result = WASSERSTEIN(ref, profile_numeric(b, ref.edges)).statistic
    expected = wasserstein_distance(a, b) / np.std(a, ddof=1)
    assert result == pytest.approx(expected, rel=1e-12)


def test_hand_example() -> None:
    # |F_a - F_b| is 1/2 on [0, 1), 0 on [1, 2), 1/2 on [2, 3): area 1, over the reference
    # standard deviation of [0, 2], sqrt 2
    ref = profile_numeric(np.array([0.0, 2.0]))
    result = WASSERSTEIN(ref, profile_numeric(np.array([1.0, 3.0]), ref.edges)).statistic
    assert result == pytest.approx(1 / np.sqrt(2), rel=1e-12)


def test_a_constant_reference_is_not_normalised() -> None:
    # zero spread: the distance stays in the column's units (every value moved by 2)
    ref = profile_numeric(np.full(50, 5.0))
    result = WASSERSTEIN(ref, profile_numeric(np.full(40, 7.0), ref.edges)).statistic
    assert result == pytest.approx(2.0)
