"""Jensen–Shannon distance against scipy.spatial.distance.jensenshannon (natural log)."""

from __future__ import annotations

import numpy as np
import pytest
from drift_helpers import labels
from scipy.spatial.distance import jensenshannon

from watchkeeper.drift._binned import coarse_histograms
from watchkeeper.drift.jensen_shannon import JENSEN_SHANNON
from watchkeeper.profiles.numeric import profile_numeric


@pytest.mark.parametrize(
    ("reference", "current"),
    [
        # 50/50 against 90/10
        ({"a": 50, "b": 50}, {"a": 90, "b": 10}),
        # a new category in the current data
        ({"a": 60, "b": 40}, {"a": 50, "b": 35, "c": 15}),
        # disjoint supports: the maximum, sqrt(ln 2)
        ({"a": 10}, {"b": 10}),
        # same shares
        ({"a": 2, "b": 6}, {"a": 20, "b": 60}),
    ],
)
def test_categorical_matches_scipy(reference: dict[str, int], current: dict[str, int]) -> None:
    names = sorted(set(reference) | set(current))
    p = np.array([reference.get(n, 0) for n in names], dtype=float)
    q = np.array([current.get(n, 0) for n in names], dtype=float)
    result = JENSEN_SHANNON(labels(reference), labels(current)).statistic
    assert result == pytest.approx(jensenshannon(p, q), rel=1e-9, abs=1e-9)


def test_disjoint_supports_reach_sqrt_ln2() -> None:
    result = JENSEN_SHANNON(labels({"a": 10}), labels({"b": 10})).statistic
    assert result == pytest.approx(np.sqrt(np.log(2)), rel=1e-12)


@pytest.mark.parametrize(
    "shift",
    [
        # no shift
        0.0,
        # half a standard deviation
        0.5,
    ],
)
def test_numeric_matches_scipy_on_twenty_quantile_bins(shift: float) -> None:
    rng = np.random.default_rng(3)
    ref = profile_numeric(rng.normal(0, 1, 20_000), keep_values=0)
    cur = profile_numeric(rng.normal(shift, 1, 20_000), ref.edges, keep_values=0)
    ref_counts, cur_counts = coarse_histograms(ref, cur, 20)
    assert ref_counts.size == 20
    expected = jensenshannon(ref_counts.astype(float), cur_counts.astype(float))
    assert JENSEN_SHANNON(ref, cur).statistic == pytest.approx(expected, rel=1e-9, abs=1e-9)
