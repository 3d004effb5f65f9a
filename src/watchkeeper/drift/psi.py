"""Population Stability Index: ``sum((cur - ref) * ln(cur / ref))`` over shares.

The symmetric Kullback–Leibler divergence of the two distributions, as credit-risk teams have
used it for decades. Numeric columns are compared on the 10 reference-decile bins (values
beyond the reference range fall in the outermost deciles); categorical and boolean columns on
category shares, unseen categories included. An empty cell would make the logarithm infinite,
so shares are lifted to at least 1e-4 (and renormalised) before the sum.

The usual reading: below 0.1 the population is stable, 0.1 to 0.25 is a moderate shift worth a
look, above 0.25 a major shift. The default threshold is 0.1.

>>> import pyarrow as pa
>>> from watchkeeper.profiles.categorical import profile_categorical
>>> ref = profile_categorical(pa.chunked_array([["a"] * 50 + ["b"] * 50]))
>>> cur = profile_categorical(pa.chunked_array([["a"] * 70 + ["b"] * 30]))
>>> r = PSI(ref, cur)
>>> round(r.statistic, 4), PSI.detected(r, PSI.default_threshold)
(0.1695, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from watchkeeper.drift._binned import proportions
from watchkeeper.drift.base import DriftTest, TestResult
from watchkeeper.drift.jensen_shannon import counts_pair

NUMERIC_BINS = 10
SHARE_FLOOR = 1e-4


def psi_value(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """PSI of two count vectors over the same cells (empty cells floored at 1e-4).

    >>> round(psi_value(np.array([50, 50]), np.array([50, 50])), 6)
    0.0
    """
    ref = proportions(ref_counts, SHARE_FLOOR)
    cur = proportions(cur_counts, SHARE_FLOOR)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def psi(reference: Any, current: Any) -> TestResult:
    ref, cur = counts_pair(reference, current, NUMERIC_BINS)
    if ref.sum() == 0 or cur.sum() == 0:
        return TestResult(float("nan"))
    return TestResult(psi_value(ref, cur))


PSI = DriftTest(
    name="psi",
    kind="distance",
    column_types=frozenset({"numeric", "categorical", "boolean"}),
    default_threshold=0.1,
    compute=psi,
    description="Population Stability Index on reference deciles or category shares",
)
