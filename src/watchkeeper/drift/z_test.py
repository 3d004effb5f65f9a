"""Z-test for two proportions, with a Bonferroni step for columns of more than two categories.

Binary columns: the share of the reference's most frequent category is compared with the
pooled-variance statistic ``z = (p_ref - p_cur) / sqrt(p (1 - p) (1/n_ref + 1/n_cur))``, where
``p`` is the share in both samples together; the p-value is two-sided. Either category of a
binary column gives the same ``|z|``, so one test suffices.

More categories (unseen ones and ``(other)`` included): every category is tested the same way
against all the others, and the result is the smallest p-value times the number of categories
(Bonferroni, capped at 1) with that category's ``|z|`` as the statistic. Bonferroni is
conservative when one category's rise is another's fall, but it keeps the false-alarm rate at or
below the threshold whatever the number of categories.

>>> import pyarrow as pa
>>> from watchkeeper.profiles.categorical import profile_categorical
>>> ref = profile_categorical(pa.chunked_array([["yes"] * 300 + ["no"] * 700]))
>>> cur = profile_categorical(pa.chunked_array([["yes"] * 360 + ["no"] * 640]))
>>> r = Z_TEST(ref, cur)
>>> round(r.statistic, 3), round(r.p_value, 4)
(2.853, 0.0043)
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from watchkeeper.drift.base import DriftTest, TestResult
from watchkeeper.profiles.categorical import CategoricalProfile, aligned_counts


def proportion_z(hits_a: np.ndarray, n_a: int, hits_b: np.ndarray, n_b: int) -> np.ndarray:
    """Pooled-variance z of ``hits_a / n_a`` against ``hits_b / n_b`` (0 when both are 0 or 1).

    >>> proportion_z(np.array([30]), 100, np.array([30]), 100).tolist()
    [0.0]
    """
    pooled = (hits_a + hits_b) / (n_a + n_b)
    spread = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n_a + 1.0 / n_b))
    gap = hits_a / n_a - hits_b / n_b
    safe = np.where(spread > 0, spread, 1.0)
    return np.asarray(np.where(spread > 0, gap / safe, 0.0), dtype=np.float64)


def z_test(reference: CategoricalProfile, current: CategoricalProfile) -> TestResult:
    _, ref, cur = aligned_counts(reference, current)
    n_ref, n_cur = int(ref.sum()), int(cur.sum())
    if n_ref == 0 or n_cur == 0:
        return TestResult(float("nan"))
    # aligned_counts lists the reference's categories first, most frequent first
    tested = slice(0, 1) if ref.size <= 2 else slice(None)
    z = np.abs(proportion_z(ref[tested], n_ref, cur[tested], n_cur))
    p_values = 2.0 * ndtr(-z)
    worst = int(np.argmax(z))
    p_value = min(float(p_values[worst]) * z.size, 1.0)
    return TestResult(float(z[worst]), p_value)


Z_TEST = DriftTest(
    name="z_test",
    kind="p_value",
    column_types=frozenset({"categorical", "boolean"}),
    default_threshold=0.05,
    compute=z_test,
    description="Two-proportion z-test (Bonferroni over categories beyond two); p-value test",
)
