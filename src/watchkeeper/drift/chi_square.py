"""Pearson's chi-square test of homogeneity on the reference × current contingency table.

Unseen categories enter with a reference count of zero. Categories too rare for the
chi-square approximation (expected count below 5 in either row) are pooled into one cell
first, so sparse high-cardinality columns do not raise false alarms at small sample sizes.

>>> import pyarrow as pa
>>> from watchkeeper.profiles.categorical import profile_categorical
>>> ref = profile_categorical(pa.chunked_array([["a"] * 500 + ["b"] * 500]))
>>> cur = profile_categorical(pa.chunked_array([["a"] * 600 + ["b"] * 400]))
>>> r = CHI_SQUARE(ref, cur)
>>> round(r.statistic, 2), round(r.p_value, 6)
(20.2, 7e-06)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import chdtrc

from watchkeeper.drift.base import DriftTest, TestResult
from watchkeeper.profiles.categorical import CategoricalProfile, aligned_counts

MIN_EXPECTED = 5.0


def pooled_table(reference: CategoricalProfile, current: CategoricalProfile) -> np.ndarray:
    """The 2 × k table, categories with an expected count below 5 pooled into one column.

    A single rare category is left alone (one sparse cell does not upset the approximation).
    """
    _, ref, cur = aligned_counts(reference, current)
    table = np.vstack([ref, cur]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    if table.size == 0 or (table.sum(axis=1) == 0).any():
        return table
    rare = (contingency_expected(table) < MIN_EXPECTED).any(axis=0)
    if rare.sum() > 1:
        table = np.hstack([table[:, ~rare], table[:, rare].sum(axis=1, keepdims=True)])
    return table


def contingency_expected(table: np.ndarray) -> np.ndarray:
    return np.asarray(
        np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum(), dtype=np.float64
    )


def contingency_test(
    reference: CategoricalProfile,
    current: CategoricalProfile,
    statistic: Callable[[np.ndarray], float],
) -> TestResult:
    """A homogeneity test on the pooled table: ``statistic(table)`` against chi-square(k - 1)."""
    table = pooled_table(reference, current)
    if table.size == 0 or (table.sum(axis=1) == 0).any():
        return TestResult(float("nan"), None)  # one side has no values: nothing to compare
    if table.shape[1] < 2:
        return TestResult(0.0, 1.0)  # a single category on both sides: no difference
    value = max(statistic(table), 0.0)
    return TestResult(value, float(chdtrc(table.shape[1] - 1, value)))


def pearson_statistic(table: np.ndarray) -> float:
    expected = contingency_expected(table)
    return float(np.sum((table - expected) ** 2 / expected))


def chi_square(reference: CategoricalProfile, current: CategoricalProfile) -> TestResult:
    return contingency_test(reference, current, pearson_statistic)


CHI_SQUARE = DriftTest(
    name="chi_square",
    kind="p_value",
    column_types=frozenset({"categorical", "boolean"}),
    default_threshold=0.05,
    compute=chi_square,
    description="Pearson chi-square test of homogeneity (rare categories pooled); p-value test",
)
