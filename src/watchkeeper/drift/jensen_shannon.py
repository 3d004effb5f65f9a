"""Jensen–Shannon distance (natural log; square root of the divergence, between 0 and √ln 2).

Categorical: on category shares, unseen categories included. Numeric: on 20 bins of equal
reference mass plus the two tails beyond the reference range.

>>> import pyarrow as pa
>>> from watchkeeper.profiles.categorical import profile_categorical
>>> ref = profile_categorical(pa.chunked_array([["a"] * 50 + ["b"] * 50]))
>>> cur = profile_categorical(pa.chunked_array([["a"] * 90 + ["b"] * 10]))
>>> round(JENSEN_SHANNON(ref, cur).statistic, 4)
0.319
"""

from __future__ import annotations

from typing import Any

import numpy as np

from watchkeeper.drift._binned import coarse_histograms
from watchkeeper.drift.base import DriftTest, TestResult
from watchkeeper.profiles.categorical import CategoricalProfile, aligned_counts
from watchkeeper.profiles.numeric import NumericProfile

NUMERIC_BINS = 20


def js_distance(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    """Jensen–Shannon distance of two count vectors over the same cells."""
    p = p_counts / p_counts.sum()
    q = q_counts / q_counts.sum()
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        mask = a > 0
        return float(np.sum(a[mask] * np.log(a[mask] / m[mask])))

    return float(np.sqrt(max((kl(p) + kl(q)) / 2, 0.0)))


def counts_pair(reference: Any, current: Any, numeric_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Comparable count vectors for either column kind."""
    if isinstance(reference, NumericProfile):
        return coarse_histograms(reference, current, numeric_bins)
    assert isinstance(reference, CategoricalProfile)
    _, ref, cur = aligned_counts(reference, current)
    return ref, cur


def jensen_shannon(reference: Any, current: Any) -> TestResult:
    ref, cur = counts_pair(reference, current, NUMERIC_BINS)
    if ref.sum() == 0 or cur.sum() == 0:
        return TestResult(float("nan"))
    return TestResult(js_distance(ref, cur))


JENSEN_SHANNON = DriftTest(
    name="jensen_shannon",
    kind="distance",
    column_types=frozenset({"numeric", "categorical", "boolean"}),
    default_threshold=0.1,
    compute=jensen_shannon,
    description="Jensen–Shannon distance (natural log) of the two distributions",
)
