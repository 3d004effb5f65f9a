"""Embedding profiles: what counts as a vector, exact sums on merge, a bounded uniform sample."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.errors import ProfileError
from watchkeeper.profiles.embedding import SAMPLE_CAP, EmbeddingProfile, profile_embedding

NAN, INF = float("nan"), float("inf")


def _fixed(vectors: np.ndarray) -> pa.ChunkedArray:
    dim = vectors.shape[1]
    return pa.chunked_array([pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), dim)])


def _assert_same(a: EmbeddingProfile, b: EmbeddingProfile) -> None:
    assert (a.dim, a.count, a.nulls, a.type_errors) == (b.dim, b.count, b.nulls, b.type_errors)
    assert np.array_equal(a.total, b.total)
    assert np.array_equal(a.total_sq, b.total_sq)


# expected: (dim, count, nulls, type_errors, valid, total)
@pytest.mark.parametrize(
    ("array", "dim", "expected"),
    [
        # list<double>: a null row, a short row and a NaN component
        (
            pa.array([[1.0, 2.0], None, [3.0], [NAN, 1.0], [5.0, 6.0]]),
            2,
            (2, 5, 1, 2, 2, [6.0, 8.0]),
        ),
        # large_list<int64>: integers are read as floats; a long row is a type error
        (
            pa.array([[1, 1, 1], [2, 2, 2], [3, 3, 3, 3]], pa.large_list(pa.int64())),
            3,
            (3, 3, 0, 1, 2, [3.0, 3.0, 3.0]),
        ),
        # fixed_size_list<int32, 2> with a null row and a null component
        (
            pa.array([[1, 2], None, [3, None], [4, 5]], pa.list_(pa.int32(), 2)),
            2,
            (2, 4, 1, 1, 2, [5.0, 7.0]),
        ),
        # infinities are not usable vectors
        (
            pa.array([[INF, 0.0], [0.0, -INF], [1.0, 1.0]]),
            2,
            (2, 3, 0, 2, 1, [1.0, 1.0]),
        ),
        # no dimension given: the most common length among present rows wins
        (
            pa.array([[1.0, 2.0, 3.0], [1.0], [4.0, 5.0, 6.0], None]),
            None,
            (3, 4, 1, 1, 2, [5.0, 7.0, 9.0]),
        ),
        # a fixed-size column whose vectors are shorter than the schema says: all type errors
        (
            pa.array([[1.0, 2.0], [3.0, 4.0]], pa.list_(pa.float64(), 2)),
            3,
            (3, 2, 0, 2, 0, [0.0, 0.0, 0.0]),
        ),
        # strings are not vectors: every present row is a type error, nothing raises
        (
            pa.array(["[1, 2]", None]),
            2,
            (2, 2, 1, 1, 0, [0.0, 0.0]),
        ),
        # lists of strings neither
        (
            pa.array([["a", "b"]]),
            2,
            (2, 1, 0, 1, 0, [0.0, 0.0]),
        ),
        # an empty column
        (
            pa.array([], pa.list_(pa.float64())),
            4,
            (4, 0, 0, 0, 0, [0.0] * 4),
        ),
    ],
)
def test_rows_are_counted_by_kind(
    array: pa.Array, dim: int | None, expected: tuple[object, ...]
) -> None:
    p = profile_embedding(pa.chunked_array([array]), dim)
    assert (p.dim, p.count, p.nulls, p.type_errors, p.valid, p.total.tolist()) == expected
    assert p.sample.shape == (p.valid, p.dim)
    assert p.missing == p.nulls + p.type_errors


@pytest.mark.parametrize(
    "build",
    [
        # a sliced fixed-size list: the slice offset must be honoured
        lambda v: pa.chunked_array([_fixed(v).chunk(0).slice(2)]),
        # a sliced variable-size list
        lambda v: pa.chunked_array([pa.array(v.tolist(), pa.list_(pa.float64())).slice(2)]),
        # several chunks
        lambda v: pa.chunked_array([pa.array(v[2:5].tolist()), pa.array(v[5:].tolist())]),
        # dictionary-encoded column of vectors
        lambda v: pa.chunked_array(
            [pa.DictionaryArray.from_arrays(pa.array(range(2, 8)), pa.array(v.tolist()))]
        ),
    ],
)
def test_layouts_give_the_rows_they_show(build: Callable[[np.ndarray], pa.ChunkedArray]) -> None:
    vectors = np.arange(24.0).reshape(8, 3)
    p = profile_embedding(build(vectors), 3)
    assert p.valid == 6
    assert np.array_equal(p.sample, vectors[2:])
    assert np.array_equal(p.total, vectors[2:].sum(axis=0))


def test_mean_and_variance_match_numpy() -> None:
    vectors = np.random.default_rng(1).normal(3.0, 2.0, (4000, 5))
    p = profile_embedding(_fixed(vectors), 5)
    assert np.allclose(p.mean, vectors.mean(axis=0))
    assert np.allclose(p.variance, vectors.var(axis=0, ddof=1))


def test_sample_is_bounded_deterministic_and_made_of_rows() -> None:
    vectors = np.random.default_rng(2).normal(size=(SAMPLE_CAP * 3, 4))
    a = profile_embedding(_fixed(vectors), 4)
    b = profile_embedding(_fixed(vectors), 4)
    assert a.sample.shape == (SAMPLE_CAP, 4)
    assert np.array_equal(a.sample, b.sample)
    rows = {tuple(r) for r in vectors.tolist()}
    assert all(tuple(r) in rows for r in a.sample.tolist())
    # a uniform draw over the whole column, not its first rows
    positions = np.flatnonzero(np.isin(vectors[:, 0], a.sample[:, 0]))
    assert positions.max() > SAMPLE_CAP * 2


def test_merge_of_two_halves_equals_the_whole() -> None:
    # integer-valued vectors: every sum is exact in float64, so totals compare exactly
    rng = np.random.default_rng(3)
    vectors = rng.integers(-50, 50, (3000, 6)).astype(np.float64)
    rows: list[list[float] | None] = [list(v) for v in vectors]
    rows[10] = None
    rows[20] = [1.0, 2.0]
    column = pa.array(rows, pa.list_(pa.float64()))
    first = profile_embedding(pa.chunked_array([column.slice(0, 1200)]), 6)
    second = profile_embedding(pa.chunked_array([column.slice(1200)]), 6)
    whole = profile_embedding(pa.chunked_array([column]), 6)
    merged = first + second
    _assert_same(merged, whole)
    assert (merged.nulls, merged.type_errors, merged.valid) == (1, 1, 2998)


def test_small_merges_keep_every_row() -> None:
    a = profile_embedding(_fixed(np.ones((300, 2))), 2)
    b = profile_embedding(_fixed(np.zeros((200, 2))), 2)
    assert (a + b).sample.shape == (500, 2)


def test_merged_sample_draws_in_proportion_to_rows() -> None:
    rng = np.random.default_rng(4)
    left = profile_embedding(_fixed(rng.uniform(0.0, 1.0, (3000, 2))), 2)
    right = profile_embedding(_fixed(rng.uniform(-1.0, 0.0, (1000, 2))), 2)
    merged = left + right
    assert merged.sample.shape == (SAMPLE_CAP, 2)
    from_left = int(np.count_nonzero(merged.sample[:, 0] >= 0))
    assert from_left == 750  # 3000 of 4000 rows
    assert np.array_equal((left + right).sample, merged.sample)  # deterministic


@pytest.mark.parametrize(
    ("a", "b", "outcome"),
    [
        # same dimension: merges
        (np.ones((2, 3)), np.ones((4, 3)), 3),
        # the left side saw no vectors: it takes the right side's dimension
        (np.zeros((0, 5)), np.ones((4, 3)), 3),
        # the right side saw no vectors
        (np.ones((2, 3)), np.zeros((0, 7)), 3),
        # two different real dimensions cannot merge
        (np.ones((2, 3)), np.ones((2, 4)), ProfileError),
    ],
)
def test_merge_dimensions(a: np.ndarray, b: np.ndarray, outcome: int | type[Exception]) -> None:
    pa_, pb = profile_embedding(_fixed(a), a.shape[1]), profile_embedding(_fixed(b), b.shape[1])
    if isinstance(outcome, int):
        merged = pa_ + pb
        assert merged.dim == outcome
        assert merged.valid == len(a) + len(b)
        assert merged.total.tolist() == [float(len(a) + len(b))] * outcome  # all vectors are ones
    else:
        with pytest.raises(outcome, match="dimension 3 and 4"):
            _ = pa_ + pb


def test_state_round_trip() -> None:
    vectors = np.random.default_rng(5).normal(size=(50, 3))
    p = profile_embedding(_fixed(vectors), 3)
    state = p.to_state()
    assert set(state) == {"dim", "count", "nulls", "type_errors", "total", "total_sq", "sample"}
    back = EmbeddingProfile.from_state(state)
    _assert_same(back, p)
    assert np.array_equal(back.sample, p.sample)
    empty = EmbeddingProfile.from_state(profile_embedding(_fixed(np.zeros((0, 3))), 3).to_state())
    assert empty.sample.shape == (0, 3)
