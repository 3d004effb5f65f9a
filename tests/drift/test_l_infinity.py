"""L-infinity distance against small examples worked out by hand."""

from __future__ import annotations

import pyarrow as pa
import pytest
from drift_helpers import labels

from watchkeeper.drift.l_infinity import L_INFINITY
from watchkeeper.profiles.categorical import profile_categorical


@pytest.mark.parametrize(
    ("reference", "current", "expected"),
    [
        # a new category taking 15%: its gap beats a's (10 points) and b's (5 points)
        ({"a": 60, "b": 40}, {"a": 50, "b": 35, "c": 15}, 0.15),
        # the largest change is a fall: b drops from 50% to 20%
        ({"a": 25, "b": 50, "c": 25}, {"a": 40, "b": 20, "c": 40}, 0.30),
        # a category that disappeared counts with its full reference share
        ({"a": 80, "b": 20}, {"a": 10}, 0.20),
        # same shares, different sizes
        ({"a": 1, "b": 3}, {"a": 25, "b": 75}, 0.0),
    ],
)
def test_l_infinity_by_hand(
    reference: dict[str, int], current: dict[str, int], expected: float
) -> None:
    result = L_INFINITY(labels(reference), labels(current)).statistic
    assert result == pytest.approx(expected, abs=1e-12)


def test_boolean_column() -> None:
    # booleans are profiled as the categories "true" / "false": 70% true against 55% true
    ref = profile_categorical(pa.chunked_array([[True] * 70 + [False] * 30]))
    cur = profile_categorical(pa.chunked_array([[True] * 55 + [False] * 45]))
    assert L_INFINITY(ref, cur).statistic == pytest.approx(0.15)
