"""Constant columns: one value everywhere now (warning) or in the reference too (info)."""

from __future__ import annotations

from typing import Any

import pytest
from quality_helpers import keys, run

from watchkeeper.quality.constant_columns import constant_columns

NAN = float("nan")


@pytest.mark.parametrize(
    ("reference", "current", "expected"),
    [
        # varied on both sides: silent
        (["a", "b", "c"], ["c", "b", "a"], []),
        # categorical constant now, varied before: warning
        (["a", "b", "c"], ["a"] * 10, ["warning"]),
        # constant in the reference as well: info
        (["a"] * 5, ["a"] * 10, ["info"]),
        # a single current value is too few to call constant: silent
        (["a", "b"], ["a"], []),
        # nulls do not count as a second value: warning
        (["a", "b"], ["a", None, "a", None], ["warning"]),
        # numeric constant now, varied before: warning
        ([1.0, 2.0, 3.0], [2.0] * 10, ["warning"]),
        # NaN and inf are not values of the range: two equal finite values are constant
        ([1.0, 2.0, 3.0], [2.0, NAN, 2.0, float("inf")], ["warning"]),
        # numeric constant in both: info
        ([7.0, 7.0], [7.0, 7.0, 7.0], ["info"]),
        # the reference had fewer than two values: info, nothing to compare
        ([7.0, None], [7.0, 7.0], ["info"]),
        # numeric varied: silent
        ([1.0, 2.0], [1.0, 1.5], []),
        # all missing is empty, not constant: silent
        ([1.0, 2.0], [None, NAN, None], []),
    ],
)
def test_constant(reference: list[Any], current: list[Any], expected: list[str]) -> None:
    found = run(constant_columns, {"x": reference}, {"x": current})
    assert keys(found) == [("constant_columns", s, "x") for s in expected]


@pytest.mark.parametrize(
    ("reference", "current", "message"),
    [
        # categorical
        (
            ["US", "DE", "FR"],
            ["US"] * 4,
            "x: every current value is 'US' (4 values); reference had 3 distinct values",
        ),
        # numeric, written compactly
        (
            [18.0, 90.5],
            [42.0] * 3,
            "x: every current value is 42 (3 values); reference ranged from 18 to 90.5",
        ),
        # constant in both
        (
            [5.0, 5.0],
            [5.0] * 2,
            "x: every current value is 5 (2 values); reference was constant too (5)",
        ),
    ],
)
def test_message(reference: list[Any], current: list[Any], message: str) -> None:
    [finding] = run(constant_columns, {"x": reference}, {"x": current})
    assert finding.message == message
