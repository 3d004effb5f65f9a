"""The two-proportion z-test against a computation written out by hand."""

from __future__ import annotations

import math

import pytest
from drift_helpers import labels

from watchkeeper.drift.z_test import Z_TEST


def by_hand(hits_ref: int, n_ref: int, hits_cur: int, n_cur: int) -> tuple[float, float]:
    """|z| and the two-sided p of one proportion, pooled variance."""
    pooled = (hits_ref + hits_cur) / (n_ref + n_cur)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n_ref + 1 / n_cur))
    z = abs(hits_ref / n_ref - hits_cur / n_cur) / spread
    return z, math.erfc(z / math.sqrt(2))


@pytest.mark.parametrize(
    ("reference", "current", "expected"),
    [
        # binary: 30% "yes" against 36%, the reference's most frequent category is "no"
        ({"yes": 300, "no": 700}, {"yes": 360, "no": 640}, by_hand(700, 1000, 640, 1000)),
        # binary, unequal sizes, a small change
        ({"t": 120, "f": 80}, {"t": 590, "f": 410}, by_hand(120, 200, 590, 1000)),
        # binary where the current sample adds the second category
        ({"a": 50}, {"a": 40, "b": 10}, by_hand(50, 50, 40, 50)),
    ],
)
def test_binary_by_hand(
    reference: dict[str, int], current: dict[str, int], expected: tuple[float, float]
) -> None:
    result = Z_TEST(labels(reference), labels(current))
    assert result.statistic == pytest.approx(expected[0], rel=1e-12)
    assert result.p_value == pytest.approx(expected[1], rel=1e-9)


def test_either_category_of_a_binary_column_gives_the_same_answer() -> None:
    # "no" is the reference's most frequent category in one case, "yes" in the other
    a = Z_TEST(labels({"yes": 300, "no": 700}), labels({"yes": 360, "no": 640}))
    b = Z_TEST(labels({"yes": 700, "no": 300}), labels({"yes": 640, "no": 360}))
    assert a.statistic == pytest.approx(b.statistic, rel=1e-12)
    assert a.p_value == pytest.approx(b.p_value, rel=1e-12)


@pytest.mark.parametrize(
    ("reference", "current", "category"),
    [
        # three categories: c rises most (10% -> 20%); p is its p times 3
        ({"a": 500, "b": 400, "c": 100}, {"a": 450, "b": 350, "c": 200}, ("c", 100, 200)),
        # an unseen category d counts as a fourth category; its rise from 0% to 10% beats b's
        # fall from 30% to 20% (|z| 10.3 against 5.2)
        ({"a": 300, "b": 300, "c": 400}, {"a": 300, "b": 200, "c": 400, "d": 100}, ("d", 0, 100)),
    ],
)
def test_more_categories_take_the_bonferroni_minimum(
    reference: dict[str, int], current: dict[str, int], category: tuple[str, int, int]
) -> None:
    n_ref, n_cur = sum(reference.values()), sum(current.values())
    k = len(set(reference) | set(current))
    z, p = by_hand(category[1], n_ref, category[2], n_cur)
    result = Z_TEST(labels(reference), labels(current))
    assert result.statistic == pytest.approx(z, rel=1e-12)
    assert result.p_value == pytest.approx(min(p * k, 1.0), rel=1e-9)


def test_bonferroni_is_capped_at_one() -> None:
    # four categories with tiny changes: every p is near 1, and p times 4 is capped
    ref = labels({"a": 250, "b": 250, "c": 250, "d": 250})
    cur = labels({"a": 251, "b": 249, "c": 250, "d": 250})
    assert Z_TEST(ref, cur).p_value == 1.0
