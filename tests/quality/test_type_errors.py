"""Type errors: unreadable values are high, more than half of the non-null values critical."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from quality_helpers import keys, run

from watchkeeper.quality.type_errors import type_errors
from watchkeeper.schema import ColumnType

CLEAN = ["1", "2.5", "3", "4"]


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        # every value reads as a number: silent
        (["5", "6", "7.5", None], []),
        # one of four unreadable: high
        (["5", "n/a", "7", "8"], ["high"]),
        # exactly half unreadable is not more than half: high
        (["5", "n/a", "7", "?"], ["high"]),
        # three of four unreadable: critical
        (["5", "n/a", "?", "x"], ["critical"]),
        # nulls do not count in the share: 2 of 3 non-null unreadable is critical
        ([None, "n/a", "?", "1"], ["critical"]),
        # "nan" text is a NaN, not a type error
        (["nan", "1", "2", "3"], []),
    ],
)
def test_numeric_strings(current: list[Any], expected: list[str]) -> None:
    found = run(type_errors, {"x": CLEAN}, {"x": current})
    assert keys(found) == [("type_errors", s, "x") for s in expected]


def test_column_of_another_arrow_type_is_critical() -> None:
    # lists where numbers were expected: nothing can be read
    found = run(type_errors, {"x": [1.0, 2.0]}, {"x": pa.array([[1], [2], None])})
    assert keys(found) == [("type_errors", "critical", "x")]


def test_message_shows_examples() -> None:
    [finding] = run(type_errors, {"age": CLEAN * 5}, {"age": ["n/a", "unknown", "1", "2"] * 5})
    assert finding.message == (
        "age: 10 values (50.0% of non-null values) could not be read as a number in current data, "
        "e.g. 'n/a', 'unknown'"
    )
    assert finding.details["examples"] == ["n/a", "unknown"]
    assert finding.details["reference_type_errors"] == 0


VECTORS = [[0.1, 0.2, 0.3], [0.3, 0.2, 0.1], [0.0, 0.5, 1.0], [1.0, 1.0, 1.0]]


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        # well-formed vectors: silent
        (VECTORS, []),
        # one vector of the wrong length: high
        ([*VECTORS[:3], [1.0, 2.0]], ["high"]),
        # a vector with a NaN component is not usable either: high
        ([*VECTORS[:3], [1.0, float("nan"), 2.0]], ["high"]),
        # three of four malformed: critical
        ([VECTORS[0], [1.0], [2.0], [3.0, 4.0]], ["critical"]),
    ],
)
def test_embeddings(current: list[Any], expected: list[str]) -> None:
    found = run(type_errors, {"e": VECTORS}, {"e": current}, {"e": ColumnType.EMBEDDING})
    assert keys(found) == [("type_errors", s, "e") for s in expected]


def test_embedding_message_names_the_dimension() -> None:
    [finding] = run(
        type_errors, {"e": VECTORS}, {"e": [*VECTORS[:3], [1.0]]}, {"e": ColumnType.EMBEDDING}
    )
    assert finding.message == (
        "e: 1 row (25.0% of non-null values) is not a vector of 3 finite numbers in current data"
    )
