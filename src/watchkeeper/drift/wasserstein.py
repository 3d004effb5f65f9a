"""Wasserstein-1 (earth mover's) distance, normalised by the reference standard deviation.

The area between the two CDFs, in units of reference standard deviations, so ``0.1`` means
"the mass moved a tenth of a standard deviation on average" whatever the column's scale.
Binned: both CDFs are linear inside each bin, and the area of ``|F_ref - F_cur|`` is integrated
exactly bin by bin. Bins are cut at the smallest and largest value of the two samples (no mass
lies beyond them), which matters for the wide tail bin the current maximum falls into. On
1e5-row samples the binned distance is within 5e-4 of the exact one for normal, lognormal,
exponential, uniform, Student-t (3 dof) and Poisson data under shifts of location and scale.
A reference with zero spread is not normalised (the distance stays in the column's units).

>>> import numpy as np
>>> from watchkeeper.profiles.numeric import profile_numeric
>>> rng = np.random.default_rng(1)
>>> ref = profile_numeric(rng.normal(10, 2, 100_000), keep_values=0)
>>> cur = profile_numeric(rng.normal(11, 2, 100_000), ref.edges, keep_values=0)
>>> round(WASSERSTEIN(ref, cur).statistic, 2)   # a shift of half a standard deviation
0.5
"""

from __future__ import annotations

import numpy as np

from watchkeeper.drift._binned import aligned_histograms, both_exact
from watchkeeper.drift.base import DriftTest, TestResult, in_units_of
from watchkeeper.profiles.numeric import NumericProfile


def wasserstein_exact(a: np.ndarray, b: np.ndarray) -> float:
    """Exact W1 distance of two raw samples."""
    a, b = np.sort(a), np.sort(b)
    points = np.sort(np.concatenate([a, b]))
    widths = np.diff(points)
    cdf_a = np.searchsorted(a, points[:-1], side="right") / a.size
    cdf_b = np.searchsorted(b, points[:-1], side="right") / b.size
    return float(np.sum(np.abs(cdf_a - cdf_b) * widths))


def wasserstein_binned(reference: NumericProfile, current: NumericProfile) -> float:
    """W1 from the two histograms, both CDFs linear within each bin."""
    ref, cur = aligned_histograms(reference, current)
    low = float(np.fmin(reference.min, current.min))
    high = float(np.fmax(reference.max, current.max))
    bounds = np.clip(np.concatenate([[low], reference.edges, [high]]), low, high)
    widths = np.diff(bounds)
    gap = np.concatenate([[0.0], np.cumsum(ref) / ref.sum() - np.cumsum(cur) / cur.sum()])
    d0, d1 = gap[:-1], gap[1:]
    same_sign = d0 * d1 >= 0
    a0, a1 = np.abs(d0), np.abs(d1)
    with np.errstate(invalid="ignore", divide="ignore"):
        crossing = np.where(a0 + a1 > 0, (d0 * d0 + d1 * d1) / (2 * (a0 + a1)), 0.0)
    area = np.where(same_sign, (a0 + a1) / 2, crossing) * widths
    return float(area.sum())


def wasserstein(reference: NumericProfile, current: NumericProfile) -> TestResult:
    if reference.finite == 0 or current.finite == 0:
        return TestResult(float("nan"))
    if both_exact(reference, current):
        assert reference.values is not None
        assert current.values is not None
        distance = wasserstein_exact(reference.values, current.values)
    else:
        distance = wasserstein_binned(reference, current)
    return TestResult(in_units_of(distance, reference.std))


WASSERSTEIN = DriftTest(
    name="wasserstein",
    kind="distance",
    column_types=frozenset({"numeric", "datetime"}),
    default_threshold=0.1,
    compute=wasserstein,
    description="Wasserstein-1 distance in reference standard deviations",
)
