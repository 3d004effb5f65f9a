"""The G-test against scipy's log-likelihood chi2_contingency, on chi-square's pooled table."""

from __future__ import annotations

import pytest
from drift_helpers import HOMOGENEITY_CASES, contingency, labels
from scipy.stats import chi2_contingency

from watchkeeper.drift.chi_square import pooled_table
from watchkeeper.drift.g_test import G_TEST


@pytest.mark.parametrize(("reference", "current"), HOMOGENEITY_CASES)
def test_matches_scipy(reference: dict[str, int], current: dict[str, int]) -> None:
    table = contingency(reference, current)
    expected = chi2_contingency(table, correction=False, lambda_="log-likelihood")
    result = G_TEST(labels(reference), labels(current))
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12, abs=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)


def test_runs_on_the_pooled_table() -> None:
    # r1..r5 (expected counts below 5) are pooled into one cell first, exactly as for
    # chi-square; r0 (2 + 9 values) keeps its own column; scipy on that table agrees
    rare = {f"r{i}": 2 for i in range(6)}
    ref, cur = labels({"a": 400, "b": 300, **rare}), labels({"a": 300, "b": 350, "r0": 9})
    table = pooled_table(ref, cur)
    assert table.shape == (2, 4)
    expected = chi2_contingency(table, correction=False, lambda_="log-likelihood")
    result = G_TEST(ref, cur)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)
