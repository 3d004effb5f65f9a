"""L-infinity distance: the largest absolute difference between two category shares.

Reads directly as "the share of some category moved by this much" (``0.1`` = ten percentage
points). Categories seen on one side only count with a share of zero on the other, so a new
category taking 15% of the current data gives at least 0.15.

>>> import pyarrow as pa
>>> from watchkeeper.profiles.categorical import profile_categorical
>>> ref = profile_categorical(pa.chunked_array([["a"] * 60 + ["b"] * 40]))
>>> cur = profile_categorical(pa.chunked_array([["a"] * 50 + ["b"] * 35 + ["c"] * 15]))
>>> r = L_INFINITY(ref, cur)
>>> round(r.statistic, 4), L_INFINITY.detected(r, L_INFINITY.default_threshold)
(0.15, True)
"""

from __future__ import annotations

import numpy as np

from watchkeeper.drift.base import DriftTest, TestResult
from watchkeeper.profiles.categorical import CategoricalProfile, aligned_counts


def l_infinity(reference: CategoricalProfile, current: CategoricalProfile) -> TestResult:
    _, ref, cur = aligned_counts(reference, current)
    if ref.sum() == 0 or cur.sum() == 0:
        return TestResult(float("nan"))
    gaps = np.abs(ref / ref.sum() - cur / cur.sum())
    return TestResult(float(gaps.max()))


L_INFINITY = DriftTest(
    name="l_infinity",
    kind="distance",
    column_types=frozenset({"categorical", "boolean"}),
    default_threshold=0.1,
    compute=l_infinity,
    description="L-infinity distance: largest change of a category's share",
)
