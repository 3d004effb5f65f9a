"""Large samples are tested from the fine histogram: KS and Wasserstein stay within 1e-3 of
the exact values computed from the raw data."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from watchkeeper.drift.ks import KS, ks_statistic_exact
from watchkeeper.drift.wasserstein import WASSERSTEIN, wasserstein_exact
from watchkeeper.profiles.numeric import profile_numeric

ROWS = 100_000
Draw = Callable[[np.random.Generator], np.ndarray]

CASES: dict[str, tuple[Draw, Draw]] = {
    # normal, mean shifted by half a standard deviation
    "normal mean shift": (lambda g: g.normal(0, 1, ROWS), lambda g: g.normal(0.5, 1, ROWS)),
    # normal, standard deviation up by half: many current values beyond the reference range
    "normal variance shift": (lambda g: g.normal(0, 1, ROWS), lambda g: g.normal(0, 1.5, ROWS)),
    # skewed, with a long right tail
    "lognormal": (lambda g: g.lognormal(0, 1, ROWS), lambda g: g.lognormal(0.2, 1, ROWS)),
    # a uniform range that moves partly beyond the reference's upper end
    "uniform range change": (lambda g: g.uniform(0, 1, ROWS), lambda g: g.uniform(0.2, 1.3, ROWS)),
    # exponential with a 30% larger scale
    "exponential scale": (lambda g: g.exponential(1, ROWS), lambda g: g.exponential(1.3, ROWS)),
    # heavy tails: Student t with 3 degrees of freedom, shifted
    "student t": (lambda g: g.standard_t(3, ROWS), lambda g: g.standard_t(3, ROWS) + 0.3),
    # discrete values stored as floats: every bin edge sits on an integer
    "poisson as float": (
        lambda g: g.poisson(4, ROWS).astype(np.float64),
        lambda g: g.poisson(4.5, ROWS).astype(np.float64),
    ),
}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("case", sorted(CASES))
def test_binned_ks_and_wasserstein_match_exact(case: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    draw_ref, draw_cur = CASES[case]
    a, b = draw_ref(rng), draw_cur(rng)
    ref = profile_numeric(a, keep_values=0)
    cur = profile_numeric(b, ref.edges, keep_values=0)
    assert ref.values is None
    assert cur.values is None

    ks_gap = abs(KS(ref, cur).statistic - ks_statistic_exact(a, b))
    exact_w = wasserstein_exact(a, b) / np.std(a, ddof=1)
    w_gap = abs(WASSERSTEIN(ref, cur).statistic - exact_w)
    assert ks_gap < 1e-3, f"KS binned is {ks_gap:.2e} off"
    assert w_gap < 1e-3, f"Wasserstein binned is {w_gap:.2e} off"
