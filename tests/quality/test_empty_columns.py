"""Empty columns: no usable value in current data (critical) or in the reference (warning)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from quality_helpers import keys, run

from watchkeeper.quality.empty_columns import empty_columns
from watchkeeper.schema import ColumnType

NAN = float("nan")
INF = float("inf")


@pytest.mark.parametrize(
    ("reference", "current", "expected"),
    [
        # values on both sides: silent
        ([1.0, 2.0], [3.0], []),
        # current all null: critical
        ([1.0, 2.0], pa.array([None, None], pa.float64()), ["critical"]),
        # current all NaN: critical
        ([1.0, 2.0], [NAN, NAN, NAN], ["critical"]),
        # current only infinities: no finite value, critical
        ([1.0, 2.0], [INF, -INF], ["critical"]),
        # current only unreadable text: critical
        (["1", "2"], ["n/a", "?"], ["critical"]),
        # reference all NaN: warning
        ([NAN, NAN], [1.0, 2.0], ["warning"]),
        # both empty: critical for current, warning for the reference
        ([NAN], [NAN], ["critical", "warning"]),
        # a single usable value is enough: silent
        ([1.0], [NAN, NAN, 5.0], []),
    ],
)
def test_numeric(reference: Any, current: Any, expected: list[str]) -> None:
    found = run(empty_columns, {"x": reference}, {"x": current})
    assert keys(found) == [("empty_columns", s, "x") for s in expected]


@pytest.mark.parametrize(
    ("kind", "reference", "current", "expected"),
    [
        # categorical: all null now
        (ColumnType.CATEGORICAL, ["a", "b"], pa.array([None, None], pa.string()), ["critical"]),
        # categorical: empty strings are values, not missing
        (ColumnType.CATEGORICAL, ["a", "b"], ["", ""], []),
        # text: all null now
        (ColumnType.TEXT, ["a b c", "d e f"], pa.array([None], pa.string()), ["critical"]),
        # embedding: every vector malformed
        (ColumnType.EMBEDDING, [[1.0, 2.0], [3.0, 4.0]], [[1.0], [2.0, 3.0, 4.0]], ["critical"]),
        # embedding: fine
        (ColumnType.EMBEDDING, [[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0]], []),
        # boolean all null in the reference: warning
        (ColumnType.BOOLEAN, pa.array([None, None], pa.bool_()), [True, False], ["warning"]),
    ],
)
def test_other_kinds(kind: ColumnType, reference: Any, current: Any, expected: list[str]) -> None:
    found = run(empty_columns, {"x": reference}, {"x": current}, {"x": kind})
    assert keys(found) == [("empty_columns", s, "x") for s in expected]


def test_no_rows_is_one_dataset_finding() -> None:
    empty = {"x": pa.array([], pa.float64()), "c": pa.array([], pa.string())}
    found = run(empty_columns, {"x": [1.0], "c": ["a"]}, empty)
    assert keys(found) == [("empty_columns", "critical", None)]
    assert found[0].message == "current data has no rows"
    found = run(empty_columns, empty, {"x": [1.0], "c": ["a"]})
    assert keys(found) == [("empty_columns", "warning", None)]


def test_message_breaks_the_rows_down() -> None:
    [finding] = run(empty_columns, {"x": [1.0]}, {"x": pa.array(["n/a", None, "nan", "inf"])})
    assert (
        finding.message
        == "x: no usable value in current data (4 rows: 1 null, 1 NaN, 1 infinite, 1 unreadable)"
    )
