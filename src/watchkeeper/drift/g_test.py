"""G-test (log-likelihood ratio) of homogeneity on the reference × current contingency table.

``G = 2 * sum(O * ln(O / E))`` over the cells, against a chi-square distribution with
``k - 1`` degrees of freedom: the likelihood-ratio sibling of Pearson's chi-square, and the
two agree closely when counts are large. It runs on the very same 2 × k table as
:mod:`~watchkeeper.drift.chi_square` (unseen categories included, categories too rare for the
approximation pooled into one cell), so the two tests see identical data.

>>> import pyarrow as pa
>>> from watchkeeper.profiles.categorical import profile_categorical
>>> ref = profile_categorical(pa.chunked_array([["a"] * 500 + ["b"] * 500]))
>>> cur = profile_categorical(pa.chunked_array([["a"] * 600 + ["b"] * 400]))
>>> r = G_TEST(ref, cur)
>>> round(r.statistic, 2), r.p_value < 1e-5
(20.24, True)
"""

from __future__ import annotations

import numpy as np

from watchkeeper.drift.base import DriftTest, TestResult
from watchkeeper.drift.chi_square import contingency_expected, contingency_test
from watchkeeper.profiles.categorical import CategoricalProfile


def g_statistic(table: np.ndarray) -> float:
    """``2 * sum(O ln(O / E))`` of a contingency table; empty cells contribute nothing.

    >>> g_statistic(np.array([[10.0, 10.0], [10.0, 10.0]]))
    0.0
    """
    expected = contingency_expected(table)
    observed = table > 0
    return float(2.0 * np.sum(table[observed] * np.log(table[observed] / expected[observed])))


def g_test(reference: CategoricalProfile, current: CategoricalProfile) -> TestResult:
    return contingency_test(reference, current, g_statistic)


G_TEST = DriftTest(
    name="g_test",
    kind="p_value",
    column_types=frozenset({"categorical", "boolean"}),
    default_threshold=0.05,
    compute=g_test,
    description="G-test (log-likelihood ratio) of homogeneity (rare categories pooled); p-value",
)
