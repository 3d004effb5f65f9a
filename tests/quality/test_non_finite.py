"""Non-finite numbers: new infinities warn, other NaN and infinities are info."""

from __future__ import annotations

from typing import Any

import pytest
from quality_helpers import keys, run

from watchkeeper.quality.non_finite import non_finite

INF = float("inf")
NAN = float("nan")
BASE = [float(i) for i in range(100)]


@pytest.mark.parametrize(
    ("reference", "current", "expected"),
    [
        # finite on both sides: silent
        (BASE, BASE, []),
        # +inf where the reference had none: warning
        (BASE, [*BASE[:-1], INF], ["warning"]),
        # -inf where the reference had none: warning
        (BASE, [-INF, *BASE[1:]], ["warning"]),
        # infinities in both: info
        ([*BASE, INF], [*BASE, INF, -INF], ["info"]),
        # NaN only: info (the missing-values check judges its growth)
        (BASE, [*BASE, NAN], ["info"]),
        # NaN in the reference only: silent
        ([*BASE, NAN], BASE, []),
        # no finite value at all: left to the empty-columns check
        (BASE, [INF, NAN, -INF], []),
        # nulls are missing values, not non-finite numbers: silent
        (BASE, [*BASE, None], []),
    ],
)
def test_non_finite(reference: list[Any], current: list[Any], expected: list[str]) -> None:
    found = run(non_finite, {"x": reference}, {"x": current})
    assert keys(found) == [("non_finite", s, "x") for s in expected]


def test_categorical_columns_are_not_checked() -> None:
    found = run(non_finite, {"c": ["a", "b"] * 10}, {"c": ["inf", "nan"] * 10})
    assert found == []


def test_message_counts_each_kind() -> None:
    [finding] = run(non_finite, {"x": BASE}, {"x": [*BASE[:95], INF, INF, -INF, NAN, NAN]})
    assert finding.message == (
        "x: 3 infinite (2 +inf, 1 -inf) and 2 NaN in current data (5.0% of 100 rows); "
        "reference had 0 infinite and 0 NaN"
    )
    assert finding.details == {
        "nan": 2,
        "pos_inf": 2,
        "neg_inf": 1,
        "reference_nan": 0,
        "reference_inf": 0,
    }
    assert finding.value == pytest.approx(0.05)
