"""Embedding drift: a shifted mean is caught by both tests, the same distribution by neither."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.drift.mean_distance import MEAN_DISTANCE
from watchkeeper.drift.mmd import MMD, mmd_squared, rbf_kernel
from watchkeeper.drift.registry import default_registry
from watchkeeper.profiles.embedding import EmbeddingProfile, profile_embedding

DIM = 32


def _profile(
    seed: int, rows: int = 5000, shift: float = 0.0, shifted_dims: int = 8, scale: float = 1.0
) -> EmbeddingProfile:
    """Correlated Gaussian vectors (the same mixing for every seed), some dimensions shifted."""
    mixing = np.random.default_rng(0).normal(0.0, 1.0, (DIM, DIM)) / np.sqrt(DIM)
    vectors = np.random.default_rng(seed).normal(0.0, 1.0, (rows, DIM)) @ mixing * scale
    std = np.sqrt(np.square(mixing).sum(axis=0))  # per-dimension standard deviation
    vectors[:, :shifted_dims] += shift * std[:shifted_dims]
    array = pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), DIM)
    return profile_embedding(pa.chunked_array([array]), DIM)


@pytest.fixture(scope="module")
def reference() -> EmbeddingProfile:
    return _profile(1)


@pytest.mark.parametrize(
    ("current", "mean_moved", "mmd_detects"),
    [
        # the same distribution, another draw of 5000 rows
        (lambda: _profile(2), False, False),
        # the same distribution, a third draw
        (lambda: _profile(3), False, False),
        # +0.5 standard deviation in 8 of 32 dimensions
        (lambda: _profile(4, shift=0.5), True, True),
        # +0.5 standard deviation in a single dimension
        (lambda: _profile(5, shift=0.5, shifted_dims=1), True, True),
        # same mean, 40% more spread: only the sample-based test sees it
        (lambda: _profile(6, scale=1.4), False, True),
    ],
)
def test_detection(
    reference: EmbeddingProfile,
    current: Callable[[], EmbeddingProfile],
    mean_moved: bool,
    mmd_detects: bool,
) -> None:
    cur = current()
    distance = MEAN_DISTANCE(reference, cur)
    discrepancy = MMD(reference, cur)
    assert MEAN_DISTANCE.detected(distance, MEAN_DISTANCE.default_threshold) is mean_moved
    assert MMD.detected(discrepancy, MMD.default_threshold) is mmd_detects
    assert distance.p_value is None
    assert discrepancy.p_value is not None
    if not mean_moved:
        assert distance.statistic < 0.1
    if not mmd_detects:
        assert discrepancy.p_value > 0.05


def test_mean_distance_is_in_typical_standard_deviations() -> None:
    rng = np.random.default_rng(7)
    ref_vectors = rng.normal(0.0, 3.0, (50_000, 4))
    cur_vectors = rng.normal(0.0, 3.0, (50_000, 4)) + np.array([3.0, 0.0, 0.0, 0.0])

    def column(v: np.ndarray) -> pa.ChunkedArray:
        return pa.chunked_array([pa.FixedSizeListArray.from_arrays(pa.array(v.ravel()), 4)])

    ref, cur = profile_embedding(column(ref_vectors), 4), profile_embedding(column(cur_vectors), 4)
    # one standard deviation along one axis
    assert MEAN_DISTANCE(ref, cur).statistic == pytest.approx(1.0, abs=0.02)


def test_mean_distance_removes_sampling_noise_in_many_dimensions() -> None:
    # 256 dimensions and 20000 rows: raw means of one distribution differ by ~0.16 sd
    rng = np.random.default_rng(8)

    def profile(v: np.ndarray) -> EmbeddingProfile:
        array = pa.FixedSizeListArray.from_arrays(pa.array(v.ravel()), 256)
        return profile_embedding(pa.chunked_array([array]), 256)

    ref, cur = profile(rng.normal(size=(20_000, 256))), profile(rng.normal(size=(20_000, 256)))
    assert np.linalg.norm(ref.mean - cur.mean) > 0.14
    assert MEAN_DISTANCE(ref, cur).statistic < 0.1


def test_mmd_squared_matches_the_direct_formula() -> None:
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(30, 3)), rng.normal(0.3, 1.0, (20, 3))
    kernel = rbf_kernel(np.concatenate([x, y]))
    xx, yy, xy = kernel[:30, :30], kernel[30:, 30:], kernel[:30, 30:]
    within_x = (xx.sum() - np.trace(xx)) / (30 * 29)
    within_y = (yy.sum() - np.trace(yy)) / (20 * 19)
    expected = within_x + within_y - 2 * xy.mean()
    np.fill_diagonal(kernel, 0.0)
    labels = np.zeros((50, 1))
    labels[:30] = 1.0
    assert mmd_squared(kernel, labels, 30)[0] == pytest.approx(expected, rel=1e-12)


def test_mmd_is_deterministic(reference: EmbeddingProfile) -> None:
    cur = _profile(10, rows=800, shift=0.1)
    assert MMD(reference, cur) == MMD(reference, cur)


@pytest.mark.parametrize(
    "current",
    [
        # no valid vector in the window
        lambda: profile_embedding(pa.chunked_array([[None, [1.0]]], pa.list_(pa.float64())), DIM),
        # a single vector
        lambda: _profile(11, rows=1),
    ],
)
def test_too_little_data_gives_no_verdict(
    reference: EmbeddingProfile, current: Callable[[], EmbeddingProfile]
) -> None:
    result = MMD(reference, current())
    assert math.isnan(result.statistic)
    assert not MMD.detected(result, 0.05)
    if current().valid == 0:
        assert math.isnan(MEAN_DISTANCE(reference, current()).statistic)


def test_registered_for_embedding_columns() -> None:
    registry = default_registry()
    assert {t.name for t in registry.for_type("embedding")} >= {"mean_distance", "mmd"}
    assert (MEAN_DISTANCE.kind, MEAN_DISTANCE.default_threshold) == ("distance", 0.1)
    assert (MMD.kind, MMD.default_threshold) == ("p_value", 0.05)
