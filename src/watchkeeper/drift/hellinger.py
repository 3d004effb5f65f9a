"""Hellinger distance: ``sqrt(1 - sum(sqrt(p * q)))``, between 0 (same) and 1 (disjoint).

Unlike PSI or Kullback–Leibler it stays finite when one side has cells the other lacks, so no
floor is needed. Numeric columns are compared on 20 bins of equal reference mass (values
beyond the reference range fall in the outermost ones); categorical and boolean columns on
category shares, unseen categories included. It is computed in the equivalent form
``sqrt(sum((sqrt(p) - sqrt(q))^2) / 2)``, exact for identical distributions and accurate for
small distances.

>>> import pyarrow as pa
>>> from watchkeeper.profiles.categorical import profile_categorical
>>> ref = profile_categorical(pa.chunked_array([["a"] * 50 + ["b"] * 50]))
>>> cur = profile_categorical(pa.chunked_array([["a"] * 90 + ["b"] * 10]))
>>> r = HELLINGER(ref, cur)
>>> round(r.statistic, 4), HELLINGER.detected(r, HELLINGER.default_threshold)
(0.3249, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from watchkeeper.drift.base import DriftTest, TestResult
from watchkeeper.drift.jensen_shannon import counts_pair

NUMERIC_BINS = 20


def hellinger_distance(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    """Hellinger distance of two count vectors over the same cells.

    >>> hellinger_distance(np.array([3, 0]), np.array([0, 5]))
    1.0
    """
    root_p = np.sqrt(p_counts / p_counts.sum())
    root_q = np.sqrt(q_counts / q_counts.sum())
    return float(np.sqrt(np.sum((root_p - root_q) ** 2) / 2))


def hellinger(reference: Any, current: Any) -> TestResult:
    ref, cur = counts_pair(reference, current, NUMERIC_BINS)
    if ref.sum() == 0 or cur.sum() == 0:
        return TestResult(float("nan"))
    return TestResult(hellinger_distance(ref, cur))


HELLINGER = DriftTest(
    name="hellinger",
    kind="distance",
    column_types=frozenset({"numeric", "categorical", "boolean"}),
    default_threshold=0.1,
    compute=hellinger,
    description="Hellinger distance (0..1) on reference-quantile bins or category shares",
)
