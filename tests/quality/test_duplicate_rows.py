"""Duplicate rows: the vectorised count agrees with a pure-Python count; the check's thresholds."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from quality_helpers import keys, profiles

from watchkeeper.quality.base import CheckContext
from watchkeeper.quality.duplicate_rows import (
    BLOCK,
    _row_hashes,
    _Words,
    count_duplicate_rows,
    duplicate_rows,
)

NAN_PATTERNS = [0x7FF8_0000_0000_0000, 0xFFF8_0000_0000_0000, 0x7FF8_0000_0000_0001]


def python_count(table: pa.Table) -> int:
    """Rows minus distinct rows, with Python equality (NaN made equal to NaN)."""

    def normal(value: Any) -> Any:
        if isinstance(value, float) and math.isnan(value):
            return "<nan>"
        if isinstance(value, list):
            return tuple(normal(v) for v in value)
        if isinstance(value, dict):
            return tuple(sorted((k, normal(v)) for k, v in value.items()))
        return value

    rows = [tuple(normal(v) for v in row.values()) for row in table.to_pylist()]
    return len(rows) - len(set(rows))


def pick(rng: np.random.Generator, choices: list[Any], rows: int) -> list[Any]:
    return [choices[i] for i in rng.integers(0, len(choices), rows)]


def random_table(seed: int, rows: int) -> pa.Table:
    """Few distinct values per column, so that whole rows repeat; nulls in every column."""
    rng = np.random.default_rng(seed)
    nan, day = float("nan"), dt.datetime(2024, 1, 1)
    columns: dict[str, pa.Array] = {
        "i": pa.array(pick(rng, [1, 2, -(2**62), None], rows), pa.int64()),
        "u8": pa.array(pick(rng, [0, 255, None], rows), pa.uint8()),
        "f": pa.array(pick(rng, [0.0, -0.0, 1.5, nan, None, float("inf")], rows), pa.float64()),
        "f32": pa.array(pick(rng, [0.25, None], rows), pa.float32()),
        "s": pa.array(pick(rng, ["a", "bb", "", None], rows), pa.string()),
        "ls": pa.array(pick(rng, ["x" * 20, "y", None], rows), pa.large_string()),
        "d": pa.array(pick(rng, ["p", "q", None], rows), pa.string()).dictionary_encode(),
        "b": pa.array(pick(rng, [True, False, None], rows), pa.bool_()),
        "l": pa.array(
            pick(rng, [[1, 2], [2, 1], [], [None], None, [1, 2, 3]], rows), pa.list_(pa.int64())
        ),
        "fl": pa.array(pick(rng, [[0.5, 1.0], [1.0, 0.5], None], rows), pa.list_(pa.float64(), 2)),
        "t": pa.array(
            pick(rng, [day, day + dt.timedelta(seconds=1), None], rows), pa.timestamp("us")
        ),
        "dt": pa.array(pick(rng, [dt.date(2024, 1, 1), None], rows), pa.date32()),
        "st": pa.array(pick(rng, [{"k": 1, "v": "a"}, {"k": 1, "v": "b"}, None], rows)),
    }
    names = list(columns)
    chosen = rng.choice(len(names), size=int(rng.integers(1, len(names) + 1)), replace=False)
    table = pa.table({names[i]: columns[names[i]] for i in sorted(chosen)})
    # Repeat some rows on purpose: with many columns, chance alone rarely repeats a row.
    return pa.concat_tables([table, table.take(rng.integers(0, rows, rows // 3))])


@pytest.mark.parametrize("seed", range(40))
def test_matches_python_count_on_random_tables(seed: int) -> None:
    table = random_table(seed, rows=int(np.random.default_rng(seed).integers(3, 300)))
    expected = python_count(table)
    assert expected > 0
    assert count_duplicate_rows(table) == expected


def test_matches_python_count_across_blocks_chunks_and_threads() -> None:
    # more rows than two hashing blocks, in several chunks of uneven size
    table = random_table(99, rows=BLOCK * 2)
    chunked = pa.concat_tables(
        [table.slice(0, 1000), table.slice(1000, BLOCK), table.slice(1000 + BLOCK)]
    )
    expected = python_count(table)
    for workers in (1, 2):
        assert count_duplicate_rows(chunked, workers=workers) == expected
        assert count_duplicate_rows(table, workers=workers) == expected


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        # no rows, one row: nothing can repeat
        (pa.table({"x": pa.array([], pa.int64())}), 0),
        (pa.table({"x": [1]}), 0),
        # NaN repeats NaN, -0.0 repeats 0.0, null repeats null
        (pa.table({"x": [float("nan"), float("nan"), -0.0, 0.0, None, None]}), 3),
        # NaN, null and 0.0 are three different values
        (pa.table({"x": [float("nan"), None, 0.0]}), 0),
        # NaN with other bit patterns (x86 arithmetic makes a negative one) is still NaN
        (pa.table({"x": np.array(NAN_PATTERNS, dtype=np.uint64).view(np.float64)}), 2),
        # a column of nulls only: every row is the same
        (pa.table({"x": pa.nulls(4)}), 3),
        # the same value in a different column does not make rows equal
        (pa.table({"a": [1, 2], "b": [2, 1]}), 0),
        # integers beyond float precision stay distinct
        (pa.table({"x": [2**62, 2**62 + 1]}), 0),
        # a null list is not an empty list, and order within a list matters
        (pa.table({"x": pa.array([None, [], [1, 2], [2, 1], [1, 2]], pa.list_(pa.int64()))}), 1),
        # two dictionary chunks with different dictionaries still compare by value
        (
            pa.table(
                {
                    "x": pa.chunked_array(
                        [
                            pa.array(["a", "b"]).dictionary_encode(),
                            pa.array(["b", "a"]).dictionary_encode(),
                        ]
                    )
                }
            ),
            2,
        ),
    ],
)
def test_edge_cases(table: pa.Table, expected: int) -> None:
    assert count_duplicate_rows(table) == expected
    assert count_duplicate_rows(table) == python_count(table)


def test_many_code_columns_need_several_packed_words() -> None:
    # 12 string columns of 50 values each: 6 bits per column, more than one 64-bit word
    rng = np.random.default_rng(5)
    columns = {f"c{i}": pa.array(pick(rng, [f"v{j}" for j in range(50)], 2000)) for i in range(12)}
    table = pa.table(columns)
    doubled = pa.concat_tables([table, table.slice(0, 500)])
    assert count_duplicate_rows(doubled) == python_count(doubled) == 500


# ----------------------------------------------------------------------------- the check


@pytest.mark.parametrize(
    ("current", "reference", "expected"),
    [
        # no duplicates: silent
        (0, 0, []),
        # not counted: silent
        (None, 0, []),
        # 0.5% of 1000 rows: info
        (5, 0, ["info"]),
        # 1% exactly is not above 1%: info
        (10, 0, ["info"]),
        # 1.1%: warning
        (11, 0, ["warning"]),
        # 3% now vs 2% before: not twice the reference share, info
        (30, 20, ["info"]),
        # 5% now vs 2% before: more than twice, warning
        (50, 20, ["warning"]),
        # 2% now, reference not counted: compared with 1% only, warning
        (20, None, ["warning"]),
    ],
)
def test_check(current: int | None, reference: int | None, expected: list[str]) -> None:
    ref, cur = profiles(
        {"x": [float(i) for i in range(1000)]}, {"x": [float(i) for i in range(1000)]}
    )
    found = duplicate_rows(ref, cur, CheckContext(current, reference))
    assert keys(found) == [("duplicate_rows", s, None) for s in expected]


def test_check_message() -> None:
    ref, cur = profiles({"x": [1.0] * 200}, {"x": [1.0] * 400})
    [finding] = duplicate_rows(
        ref, cur, CheckContext(current_duplicates=40, reference_duplicates=1)
    )
    assert finding.message == "40 duplicate rows (10.0% of current rows) vs 0.5% in reference"
    assert finding.value == pytest.approx(0.1)


def test_structured_distinct_rows_do_not_collide() -> None:
    # Whole numbers stored as floats vary only in their top bits, codes only in their bottom
    # bits: a weak mixer folds such grids onto few hashes. Every row here is distinct.
    side = np.arange(120, dtype=np.float64)
    a, b, c = (g.ravel() for g in np.meshgrid(side, side, side[:20], indexing="ij"))
    table = pa.table({"a": a, "b": b * 2.0**40, "c": c.astype(np.int64), "d": pa.array(c % 7)})
    assert table.num_rows == 288_000
    assert count_duplicate_rows(table) == 0


def test_every_input_bit_reaches_the_low_bits_of_the_hash() -> None:
    # Row hashes are sums over columns, so each column's mixed key must carry every input bit
    # down to its low bits; otherwise values differing only in high bits (whole-number floats)
    # pile up on few sums.
    rng = np.random.default_rng(11)
    words = rng.integers(0, 2**63, 2000, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    base = _row_hashes([_Words(words)], len(words))
    for bit in range(64):
        flipped = _row_hashes([_Words(words ^ np.uint64(1 << bit))], len(words))
        low_changed = ((base ^ flipped) & np.uint64(0xFFFF)) != 0
        assert low_changed.mean() > 0.99, bit
