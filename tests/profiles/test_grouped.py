"""Cell profiles: each cell's profile equals profiling its rows directly, and the cells add up
to the whole table's profile, whatever the columns hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.profiles.categorical import CategoricalProfile
from watchkeeper.profiles.dataset import DatasetProfile, build_profile
from watchkeeper.profiles.grouped import profile_cells, union
from watchkeeper.profiles.numeric import NumericProfile
from watchkeeper.profiles.text import TextProfile

ROWS = 600


def _reference() -> DatasetProfile:
    rng = np.random.default_rng(0)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return build_profile(
        pa.table(
            {
                "x": rng.normal(0.0, 1.0, 2_000),
                "n": rng.integers(0, 5, 2_000).astype(np.float64),  # discrete: values on edges
                "when": [start + timedelta(minutes=int(m)) for m in rng.integers(0, 999, 2_000)],
                "c": rng.choice(["a", "b", "c"], 2_000),
                "flag": rng.choice([True, False], 2_000),
                "note": rng.choice(["short text", "a longer piece of text here"], 2_000),
            }
        )
    )


def _window(rng: np.random.Generator, rows: int = ROWS) -> pa.Table:
    x = rng.normal(0.5, 1.0, rows)
    x[::17] = np.nan
    x[::29] = np.inf
    x[::31] = -np.inf
    start = datetime(2026, 1, 2, tzinfo=UTC)
    return pa.table(
        {
            "x": pa.array(x, mask=np.arange(rows) % 13 == 0),  # nulls besides NaN and inf
            "n": rng.integers(0, 7, rows).astype(np.float64),
            "when": [start + timedelta(minutes=int(m)) for m in rng.integers(0, 999, rows)],
            "c": pa.array(
                rng.choice(["a", "b", "z"], rows).tolist(), mask=np.arange(rows) % 7 == 0
            ),
            "flag": rng.choice([True, False], rows),
            "note": rng.choice(["short text", "new words entirely"], rows),
        }
    )


def _same(a: object, b: object) -> None:
    if isinstance(a, NumericProfile) and isinstance(b, NumericProfile):
        assert np.array_equal(a.counts, b.counts)
        assert (a.count, a.nulls, a.nans, a.pos_inf, a.neg_inf, a.type_errors) == (
            b.count,
            b.nulls,
            b.nans,
            b.pos_inf,
            b.neg_inf,
            b.type_errors,
        )
        assert np.allclose(
            [a.min, a.max, a.mean, a.m2], [b.min, b.max, b.mean, b.m2], equal_nan=True
        )
        assert (a.values is None) == (b.values is None)
        if a.values is not None and b.values is not None:
            assert np.array_equal(np.sort(a.values), np.sort(b.values))
    elif isinstance(a, CategoricalProfile) and isinstance(b, CategoricalProfile):
        assert (a.as_dict(), a.count, a.nulls) == (b.as_dict(), b.count, b.nulls)
    elif isinstance(a, TextProfile) and isinstance(b, TextProfile):
        assert (a.count, a.missing) == (b.count, b.missing)
    else:
        raise AssertionError(f"{type(a).__name__} vs {type(b).__name__}")


@pytest.mark.parametrize(
    ("cells", "count"),
    [
        (np.zeros(ROWS, dtype=np.int64), 1),  # one cell: the whole table
        (np.arange(ROWS) % 3, 3),  # interleaved
        (np.repeat([0, 2], ROWS // 2), 4),  # cells 1 and 3 empty
        (np.random.default_rng(5).integers(0, 40, ROWS), 40),  # many small cells
    ],
)
def test_cells_equal_direct_profiles_and_add_up(cells: np.ndarray, count: int) -> None:
    reference = _reference()
    table = _window(np.random.default_rng(1))
    parts = profile_cells(table, cells, count, reference=reference)
    assert sorted(parts) == sorted(set(cells.tolist()))
    for cell, part in parts.items():
        rows = pa.array(np.flatnonzero(cells == cell))
        direct = build_profile(table.take(rows), reference=reference)
        assert part.rows == direct.rows
        for name in direct.columns:
            _same(part[name], direct[name])
    whole, direct = union(parts.values()), build_profile(table, reference=reference)
    assert whole.rows == ROWS
    for name in direct.columns:
        _same(whole[name], direct[name])


def test_unreadable_numbers_and_absent_columns() -> None:
    # strings in a numeric column are type errors: counted per cell like build_profile does
    reference = build_profile(pa.table({"x": [1.0, 2.0, 3.0, 4.0], "gone": [1.0, 2, 3, 4]}))
    table = pa.table({"x": ["1.5", "n/a", None, "7", "oops", "2"]})
    cells = np.array([0, 0, 1, 1, 1, 0])
    parts = profile_cells(table, cells, 2, reference=reference)
    assert [parts[c]["x"].type_errors for c in (0, 1)] == [1, 1]
    assert [parts[c]["x"].nulls for c in (0, 1)] == [0, 1]
    assert "gone" not in parts[0].columns
    _same(union(parts.values())["x"], build_profile(table, reference=reference)["x"])


def test_exact_values_survive_the_union() -> None:
    rng = np.random.default_rng(3)
    reference = build_profile(pa.table({"x": rng.normal(size=1_000)}))
    table = pa.table({"x": rng.normal(size=30_000)})
    cells = np.arange(30_000) % 3
    parts = profile_cells(table, cells, 3, reference=reference, keep_values=2**62)
    kept = union(parts.values(), keep_values=2**62)["x"]
    assert isinstance(kept, NumericProfile) and kept.values is not None
    assert kept.values.size == 30_000
    assert union(parts.values())["x"].values is None  # beyond EXACT_CAP by default
