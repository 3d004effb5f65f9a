"""Breakdown groups stay bounded, id lookups find the right rows, intervals behave."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.monitors.intervals import bootstrap, mean_of, proportion
from watchkeeper.monitors.scope import MAX_GROUPS, OTHER, UNKNOWN, group_rows, row_index


@pytest.mark.parametrize(
    ("values", "names", "sizes"),
    [
        # two versions, listed by name
        (["v2", "v1", "v2"], ("v1", "v2"), [1, 2]),
        # missing versions form their own group
        (["v1", None, None], (UNKNOWN, "v1"), [2, 1]),
        # one version only: still a group (its series exists from the first version on)
        (["v1"] * 4, ("v1",), [4]),
    ],
)
def test_group_rows(values: list[str | None], names: tuple[str, ...], sizes: list[int]) -> None:
    groups = group_rows(pa.chunked_array([values], pa.string()), "model_version")
    assert groups is not None
    assert groups.names == names
    assert groups.sizes.tolist() == sizes
    assert [groups.names[c] for c in groups.codes] == [v or UNKNOWN for v in values]


def test_many_values_fold_into_other() -> None:
    # 30 segment values, value i on 100 - i rows: the 20 most frequent keep their name
    values = [f"s{i:02d}" for i in range(30) for _ in range(100 - i)] + [OTHER] * 3
    groups = group_rows(pa.array(values), "segment_value", {"segment": "country"})
    assert groups is not None
    assert len(groups.names) == MAX_GROUPS + 1
    assert set(groups.names) == {f"s{i:02d}" for i in range(20)} | {OTHER}
    folded = sum(100 - i for i in range(20, 30)) + 3  # the rest, and the real value "other"
    assert groups.sizes[groups.names.index(OTHER)] == folded
    assert groups.labels(groups.names.index("s00")) == {
        "segment": "country",
        "segment_value": "s00",
    }


@pytest.mark.parametrize(
    "column",
    [
        None,  # the column is absent
        pa.chunked_array([[None, None]], pa.string()),  # nothing reported
        pa.chunked_array([], pa.string()),  # an empty window
    ],
)
def test_nothing_to_break_down_by(column: pa.ChunkedArray | None) -> None:
    assert group_rows(column, "model_version") is None


def test_row_index() -> None:
    ids = pa.chunked_array([["a", "b"], ["c", "d"]])
    lookup = pa.chunked_array([["d", "x"], ["a"]])
    assert row_index(ids, lookup).tolist() == [2, -1, -1, 0]
    assert row_index(pa.array([], pa.string()), lookup).tolist() == []
    assert row_index(ids, pa.chunked_array([], pa.string())).tolist() == [-1] * 4


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (45, 50, 0.7864, 0.9565),  # Wilson (1927) score interval, z = 1.96
        (0, 10, 0.0, 0.2775),  # none: the interval still has width
        (10, 10, 0.7225, 1.0),  # all
        (1, 2, 0.0945, 0.9055),  # tiny n stays inside [0, 1]
    ],
)
def test_wilson_interval(k: int, n: int, low: float, high: float) -> None:
    e = proportion(k, n)
    assert (round(e.low, 4), round(e.high, 4)) == (low, high)
    assert e.value == k / n


def test_wilson_covers_the_true_share() -> None:
    rng = np.random.default_rng(3)
    hits = 0
    for _ in range(2_000):
        e = proportion(int(rng.binomial(40, 0.2)), 40)
        hits += e.low <= 0.2 <= e.high
    assert 0.92 <= hits / 2_000 <= 0.98


def test_normal_interval_of_a_mean() -> None:
    terms = np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
    e = mean_of(terms)
    half = 1.959963984540054 * np.std(terms, ddof=1) / math.sqrt(terms.size)
    assert (e.value, e.low, e.high) == pytest.approx((5.0, 5.0 - half, 5.0 + half))
    assert math.isnan(mean_of(np.array([3.0])).high)  # one row: no spread to estimate


def test_bootstrap_is_seeded_by_its_input() -> None:
    def share(tables: np.ndarray) -> np.ndarray:
        return np.asarray(tables[..., 0] / tables.sum(axis=-1))

    first = bootstrap(share, np.array([300, 700]))
    assert first == bootstrap(share, np.array([300, 700]))  # same data, same interval
    assert first != bootstrap(share, np.array([301, 699]))  # other data, other draws
    assert first[0] < 0.3 < first[1]
    assert bootstrap(share, np.array([0, 0])) == (pytest.approx(np.nan, nan_ok=True),) * 2
