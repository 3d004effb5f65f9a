"""Hellinger distance against small examples worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from drift_helpers import labels

from watchkeeper.drift.hellinger import HELLINGER
from watchkeeper.profiles.numeric import profile_numeric


@pytest.mark.parametrize(
    ("reference", "current", "expected"),
    [
        # 50/50 against 90/10: sqrt(1 - sqrt(.5 * .9) - sqrt(.5 * .1))
        ({"a": 50, "b": 50}, {"a": 90, "b": 10}, math.sqrt(1 - math.sqrt(0.45) - math.sqrt(0.05))),
        # no category in common: the maximum, 1
        ({"a": 10, "b": 10}, {"c": 7}, 1.0),
        # a new category in the current data, which holds no reference share
        ({"a": 100}, {"a": 75, "b": 25}, math.sqrt(1 - math.sqrt(0.75))),
        # same shares, different sizes
        ({"a": 3, "b": 1}, {"a": 300, "b": 100}, 0.0),
    ],
)
def test_categorical_hellinger_by_hand(
    reference: dict[str, int], current: dict[str, int], expected: float
) -> None:
    result = HELLINGER(labels(reference), labels(current)).statistic
    assert result == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_numeric_hellinger_on_twenty_reference_quantile_bins() -> None:
    # 20 values 100 times each fill the 20 bins evenly; the current sample moves the lowest
    # value's 100 rows onto the second value
    ref = profile_numeric(np.repeat(np.arange(20.0), 100), keep_values=0)
    current = np.repeat(np.arange(20.0), [0, 200] + [100] * 18)
    cur = profile_numeric(current, ref.edges, keep_values=0)
    # affinity: bin 1 contributes 0, bin 2 sqrt(.05 * .1), the other 18 bins .05 each
    expected = math.sqrt(1 - math.sqrt(0.05 * 0.1) - 18 * 0.05)
    assert HELLINGER(ref, cur).statistic == pytest.approx(expected, rel=1e-12)
