"""Schema changes: reference columns missing from current data (high), new columns (info)."""

from __future__ import annotations

import pytest
from quality_helpers import keys, run

from watchkeeper.quality.schema_changes import schema_changes

REFERENCE = {"age": [30.0, 40.0], "plan": ["a", "b"], "score": [0.1, 0.2]}


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        # the same columns, in another order: silent
        ({"score": [0.3], "plan": ["a"], "age": [50.0]}, []),
        # one column gone: high
        ({"age": [50.0], "score": [0.3]}, [("high", "plan")]),
        # one column added: info
        ({**REFERENCE, "channel": ["web", "app"]}, [("info", "channel")]),
        # two gone and one added: reference order for missing, then additions
        ({"score": [0.3], "extra": [1]}, [("high", "age"), ("high", "plan"), ("info", "extra")]),
    ],
)
def test_schema_changes(current: dict[str, list[object]], expected: list[tuple[str, str]]) -> None:
    found = run(schema_changes, REFERENCE, current)
    assert keys(found) == [("schema_changes", s, c) for s, c in expected]


def test_messages() -> None:
    found = run(schema_changes, REFERENCE, {"age": [1.0], "score": [0.5], "new": ["x"]})
    assert [f.message for f in found] == [
        "plan: column of the reference is missing from current data",
        "new: column in current data is not in the reference schema (not monitored)",
    ]
    assert found[0].details == {"change": "missing", "type": "categorical"}
