"""Pearson's chi-square against scipy on tables without sparse cells."""

from __future__ import annotations

import pytest
from drift_helpers import HOMOGENEITY_CASES, contingency, labels
from scipy.stats import chi2_contingency

from watchkeeper.drift.chi_square import CHI_SQUARE


@pytest.mark.parametrize(("reference", "current"), HOMOGENEITY_CASES)
def test_matches_scipy(reference: dict[str, int], current: dict[str, int]) -> None:
    table = contingency(reference, current)
    expected = chi2_contingency(table, correction=False)
    result = CHI_SQUARE(labels(reference), labels(current))
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12, abs=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)


def test_rare_categories_are_pooled_before_the_test() -> None:
    # r1..r5 have expected counts below 5 and share one column; r0 (2 + 9 values) keeps its own
    rare = {f"r{i}": 2 for i in range(6)}
    ref, cur = labels({"a": 400, "b": 300, **rare}), labels({"a": 300, "b": 350, "r0": 9})
    pooled_by_hand = [[400, 300, 2, 10], [300, 350, 9, 0]]
    expected = chi2_contingency(pooled_by_hand, correction=False)
    result = CHI_SQUARE(ref, cur)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)
