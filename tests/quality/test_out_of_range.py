"""Out of range: the share of current values outside the reference range, from 1% up."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from quality_helpers import keys, run

from watchkeeper.quality.out_of_range import out_of_range

REFERENCE = [float(i) for i in range(100)]  # range [0, 99]


def inside(n: int) -> list[float]:
    return [float(i % 100) for i in range(n)]


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        # the same values: silent
        (inside(1000), []),
        # the reference minimum and maximum themselves are in range
        ([0.0, 99.0] * 500, []),
        # 0.5% above: below the 1% floor, silent
        ([*inside(995), *[150.0] * 5], []),
        # 1% exactly (half below, half above): warning
        ([*inside(990), *[-1.0] * 5, *[100.0] * 5], ["warning"]),
        # 9.9%: still a warning
        ([*inside(901), *[1e6] * 99], ["warning"]),
        # 10%: high
        ([*inside(900), *[-50.0] * 100], ["high"]),
        # nulls and NaN are not out of range; 1 of 99 finite values is
        ([None, float("nan"), *inside(98), 1000.0], ["warning"]),
        # only infinities: no finite value to judge, silent
        ([float("inf"), float("-inf")], []),
    ],
)
def test_out_of_range(current: list[float | None], expected: list[str]) -> None:
    found = run(out_of_range, {"x": REFERENCE}, {"x": current})
    assert keys(found) == [("out_of_range", s, "x") for s in expected]


@pytest.mark.parametrize(
    ("above", "expected"),
    [
        # histogram path (no raw values kept): 0.5% above is silent
        (100, []),
        # 5% above: warning
        (1000, ["warning"]),
        # 20% above: high
        (4000, ["high"]),
    ],
)
def test_out_of_range_on_histograms(above: int, expected: list[str]) -> None:
    rng = np.random.default_rng(3)
    reference = rng.uniform(0.0, 1.0, 20_000)
    current = np.concatenate([rng.uniform(0.0, 1.0, 20_000 - above), rng.uniform(1.5, 2.0, above)])
    found = run(out_of_range, {"x": reference}, {"x": current}, keep_values=0)
    assert keys(found) == [("out_of_range", s, "x") for s in expected]
    if expected:  # exact counts, although only the histogram was kept
        assert found[0].details["above"] == int((current > reference.max()).sum())
        assert found[0].details["below"] == int((current < reference.min()).sum())


def test_empty_or_null_reference_has_no_range() -> None:
    found = run(out_of_range, {"x": pa.array([None, None], pa.float64())}, {"x": [1.0, 2.0]})
    assert found == []


def test_message_names_range_and_counts() -> None:
    [finding] = run(
        out_of_range, {"x": REFERENCE}, {"x": [*inside(85), *[-3.0] * 5, *[250.5] * 10]}
    )
    assert finding.message == (
        "x: 15.0% of current values lie outside the reference range [0, 99] (5 below, 10 above)"
    )
    assert finding.value == pytest.approx(0.15)


def test_datetime_columns_are_not_checked() -> None:
    """New timestamps past the reference's last one are how time works, not a data problem."""
    day = 86_400
    reference = pa.array([day * i for i in range(10)], pa.timestamp("s"))
    current = pa.array([day * 3, day * 400], pa.timestamp("s"))
    assert run(out_of_range, {"t": reference}, {"t": current}) == []
