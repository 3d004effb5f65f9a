"""Unseen categories: share of current values in categories the reference never had."""

from __future__ import annotations

import pytest
from quality_helpers import keys, run

from watchkeeper.profiles.categorical import MAX_CATEGORIES
from watchkeeper.quality.unseen_categories import unseen_categories

REFERENCE = ["a", "b", "c", "d"] * 250


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        # only known categories: silent
        (["d", "c", "b", "a"] * 250, []),
        # a known subset is not a problem here: silent
        (["a"] * 1000, []),
        # 0.5% in a new category: info
        (["a"] * 995 + ["z"] * 5, ["info"]),
        # 1% in new categories: warning
        (["a"] * 990 + ["y", "z"] * 5, ["warning"]),
        # 4.9%: still a warning
        (["a"] * 951 + ["z"] * 49, ["warning"]),
        # 5%: high
        (["a"] * 950 + ["z"] * 50, ["high"]),
        # nulls are not categories; 10 new of 100 non-null values is high
        ([None] * 900 + ["a"] * 90 + ["z"] * 10, ["high"]),
    ],
)
def test_unseen_share(current: list[str | None], expected: list[str]) -> None:
    found = run(unseen_categories, {"c": REFERENCE}, {"c": current})
    assert keys(found) == [("unseen_categories", s, "c") for s in expected]


def test_boolean_value_never_seen() -> None:
    # the reference was all true; half the current rows are false
    found = run(unseen_categories, {"flag": [True] * 20}, {"flag": [True, False] * 10})
    assert keys(found) == [("unseen_categories", "high", "flag")]
    assert found[0].details["examples"] == ["false"]


def test_message_lists_at_most_five_examples_most_frequent_first() -> None:
    new = [f"n{i}" for i in range(7)]
    current = ["a"] * 86 + [new[0]] * 8 + new[1:]
    [finding] = run(unseen_categories, {"c": REFERENCE}, {"c": current})
    assert finding.details == {"categories": 7, "values": 14, "examples": new[:5]}
    assert finding.message == (
        "c: 7 categories never seen in reference make up 14.0% of current values, "
        "e.g. 'n0', 'n1', 'n2', 'n3', 'n4'"
    )


def test_truncated_reference_vocabulary_stays_info() -> None:
    # more categories than a profile keeps: an "unseen" value may just be a rare one
    reference = [f"id{i}" for i in range(MAX_CATEGORIES + 10)]
    current = ["brand-new"] * 50 + ["id1"] * 50
    found = run(unseen_categories, {"c": reference}, {"c": current})
    assert keys(found) == [("unseen_categories", "info", "c")]
    assert "kept only its most frequent categories" in found[0].message


def test_empty_reference_column_is_left_to_the_empty_columns_check() -> None:
    found = run(unseen_categories, {"c": [None, None]}, {"c": ["a", "b"]})
    assert found == []
