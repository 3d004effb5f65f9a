"""PSI against small examples worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from drift_helpers import labels

from watchkeeper.drift.psi import PSI
from watchkeeper.profiles.numeric import profile_numeric


def term(cur: float, ref: float) -> float:
    return (cur - ref) * math.log(cur / ref)


@pytest.mark.parametrize(
    ("reference", "current", "expected"),
    [
        # a 50/50 split moving to 70/30
        ({"a": 50, "b": 50}, {"a": 70, "b": 30}, term(0.7, 0.5) + term(0.3, 0.5)),
        # three categories, one unchanged
        ({"a": 20, "b": 30, "c": 50}, {"a": 40, "b": 30, "c": 30}, term(0.4, 0.2) + term(0.3, 0.5)),
        # a category the reference never saw: its reference share is floored at 1e-4 and the
        # floored shares renormalised (1 + 1e-4 in total)
        (
            {"a": 100},
            {"a": 90, "b": 10},
            term(0.9, 1 / 1.0001) + term(0.1, 1e-4 / 1.0001),
        ),
        # the same shares at a different sample size
        ({"a": 5, "b": 5}, {"a": 500, "b": 500}, 0.0),
    ],
)
def test_categorical_psi_by_hand(
    reference: dict[str, int], current: dict[str, int], expected: float
) -> None:
    assert PSI(labels(reference), labels(current)).statistic == pytest.approx(expected, rel=1e-12)


def test_numeric_psi_on_reference_deciles() -> None:
    # 10 values 100 times each fill the reference deciles evenly; the current sample doubles the
    # lowest decile, keeps deciles 2-9 and empties the top one (floored to 1e-4, renormalised)
    ref = profile_numeric(np.repeat(np.arange(10.0), 100), keep_values=0)
    current = np.repeat(np.arange(10.0), [200] + [100] * 8 + [0])
    cur = profile_numeric(current, ref.edges, keep_values=0)
    shares = np.array([0.2] + [0.1] * 8 + [1e-4]) / 1.0001
    expected = sum(term(c, 0.1) for c in shares)
    assert PSI(ref, cur).statistic == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("shift", "reading"),
    [
        # no shift: stable
        (0.0, "stable"),
        # a third of a standard deviation: moderate
        (0.35, "moderate"),
        # a full standard deviation: major
        (1.0, "major"),
    ],
)
def test_psi_reads_on_the_usual_scale(shift: float, reading: str) -> None:
    rng = np.random.default_rng(7)
    ref = profile_numeric(rng.normal(0, 1, 50_000), keep_values=0)
    cur = profile_numeric(rng.normal(shift, 1, 50_000), ref.edges, keep_values=0)
    value = PSI(ref, cur).statistic
    band = "stable" if value < 0.1 else "moderate" if value < 0.25 else "major"
    assert band == reading
