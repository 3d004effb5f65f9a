"""Missing values: material and significant growth is flagged, the rest is info or silent."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from quality_helpers import keys, run
from scipy.stats import chi2_contingency

from watchkeeper.profiles.dataset import build_profile
from watchkeeper.quality.missing_values import increase_p_value, missing_values
from watchkeeper.schema import ColumnSchema, ColumnType, Schema


def numbers(rows: int, missing: int, marker: Any = None) -> list[Any]:
    """``rows`` values of which the first ``missing`` are ``marker`` (null by default)."""
    return [marker] * missing + [float(i % 97) for i in range(rows - missing)]


NAN = float("nan")


@pytest.mark.parametrize(
    ("reference", "current", "expected"),
    [
        # nothing missing anywhere: silent
        (numbers(1000, 0), numbers(1000, 0), []),
        # 12% nulls where the reference had none: material and significant, below 25 points
        (numbers(1000, 0), numbers(1000, 120), ["warning"]),
        # 40% nulls vs none: an increase of 25 points or more is high
        (numbers(1000, 0), numbers(1000, 400), ["high"]),
        # exactly 25 points more (5% -> 30%): high
        (numbers(1000, 50), numbers(1000, 300), ["high"]),
        # 0.4% -> 0.5%: present but not material
        (numbers(1000, 4), numbers(1000, 5), ["info"]),
        # 10% -> 14%: 4 points is not material even though it is significant at this size
        (numbers(5000, 500), numbers(5000, 700), ["info"]),
        # 3 of 100 where the reference had none: material (>= 1%) but not significant
        (numbers(100, 0), numbers(100, 3), ["info"]),
        # 2% of 10000 where the reference had none: material and significant
        (numbers(10_000, 0), numbers(10_000, 200), ["warning"]),
        # fewer missing than the reference: info, not a problem
        (numbers(1000, 100), numbers(1000, 50), ["info"]),
        # the reference had missing values, the current data has none: silent
        (numbers(1000, 100), numbers(1000, 0), []),
        # NaN counts as missing: 30% NaN vs none
        (numbers(1000, 0), numbers(1000, 300, NAN), ["high"]),
        # nothing usable at all: left to the empty-columns check
        (numbers(1000, 0), numbers(1000, 1000, NAN), []),
    ],
)
def test_numeric_missing(reference: list[Any], current: list[Any], expected: list[str]) -> None:
    found = run(missing_values, {"x": reference}, {"x": current})
    assert keys(found) == [("missing_values", s, "x") for s in expected]


@pytest.mark.parametrize(
    ("reference", "current", "expected"),
    [
        # unreadable text in a numeric column is a type error, not a missing value (the
        # type_errors check reports it; reporting it twice would be noise)
        ([str(i) for i in range(1000)], ["n/a"] * 100 + [str(i) for i in range(900)], []),
        # categorical nulls: 10% vs none
        (["a", "b"] * 500, [None] * 100 + ["a", "b"] * 450, ["warning"]),
        # a clean categorical column: silent
        (["a", "b"] * 500, ["b", "a"] * 500, []),
    ],
)
def test_other_kinds_of_missing(
    reference: list[Any], current: list[Any], expected: list[str]
) -> None:
    found = run(missing_values, {"x": reference}, {"x": current})
    assert keys(found) == [("missing_values", s, "x") for s in expected]


def test_text_and_embedding_columns_count_their_missing_rows() -> None:
    text = [f"word{i} other{i} more{i} words{i}" for i in range(1000)]
    vectors = [[float(i), 1.0] for i in range(1000)]
    types = {"t": ColumnType.TEXT, "e": ColumnType.EMBEDDING}
    current = {"t": [None] * 300 + text[:700], "e": [None] * 100 + [[1.0]] * 100 + vectors[:800]}
    found = run(missing_values, {"t": text, "e": vectors}, current, types)
    # embeddings: 100 null + 100 malformed rows = 20%; text: 30% null
    assert keys(found) == [("missing_values", "high", "t"), ("missing_values", "warning", "e")]


def test_message_and_details_name_the_numbers() -> None:
    [finding] = run(missing_values, {"age": numbers(1000, 5)}, {"age": numbers(1000, 120)})
    assert (
        finding.message
        == "age: 12.0% missing in current data (120 of 1000 rows) vs 0.5% in reference"
    )
    assert finding.value == pytest.approx(0.12)
    assert finding.details["missing"] == 120
    assert finding.details["reference_missing"] == 5
    assert finding.details["p_value"] < 1e-10


def test_column_without_reference_profile_is_info() -> None:
    # the reference's schema has "x" but its data did not
    schema = Schema((ColumnSchema("x", ColumnType.NUMERIC),))
    reference = build_profile(pa.table({"y": [1.0, 2.0]}), schema)
    current = build_profile(pa.table({"x": numbers(100, 50)}), reference=reference)
    [finding] = missing_values(reference, current)
    assert (finding.severity.value, finding.column) == ("info", "x")
    assert finding.message.endswith("no reference to compare")


@pytest.mark.parametrize(
    ("ref_missing", "ref_rows", "cur_missing", "cur_rows"),
    [(5, 1000, 40, 1000), (0, 200, 9, 300), (30, 100, 45, 120), (100, 5000, 180, 4000)],
)
def test_p_value_is_half_the_chi_square_p_value(
    ref_missing: int, ref_rows: int, cur_missing: int, cur_rows: int
) -> None:
    # For an increase, the one-sided z-test p-value is half the uncorrected chi-square p-value.
    table = [[ref_missing, ref_rows - ref_missing], [cur_missing, cur_rows - cur_missing]]
    expected = chi2_contingency(table, correction=False).pvalue / 2
    assert increase_p_value(ref_missing, ref_rows, cur_missing, cur_rows) == pytest.approx(
        expected, rel=1e-9
    )


def test_p_value_of_a_decrease_is_large() -> None:
    assert increase_p_value(100, 1000, 10, 1000) > 0.99
