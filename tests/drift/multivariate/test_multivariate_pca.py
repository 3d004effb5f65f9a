"""PCA reconstruction error: fitting, the band, serialisation and what it cannot see."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from multivariate_data import FEATURES, correlated
from watchkeeper.drift.multivariate import pca_reconstruction
from watchkeeper.drift.multivariate.pca_reconstruction import (
    MIN_ROWS,
    PcaReference,
    fit_pca_reference,
    pca_drift,
)
from watchkeeper.errors import InputError


@pytest.fixture(scope="module")
def fitted() -> PcaReference:
    return fit_pca_reference(correlated(20_000, 0.9, seed=1), FEATURES, seed=0)


def test_the_fewest_components_reaching_the_variance_share_are_kept(fitted: PcaReference) -> None:
    # x1+x2 (variance 1.9 of 4) and x3 (1 of 4) reach 65 %; the plan block does not matter
    assert fitted.n_components == 2
    assert 0.65 <= fitted.explained_variance < 0.8
    basis = fitted.components
    np.testing.assert_allclose(basis.T @ basis, np.eye(2), atol=1e-12)
    more = fit_pca_reference(correlated(20_000, 0.9, seed=1), FEATURES, variance_share=0.9)
    assert more.n_components > fitted.n_components


def with_region(table: pa.Table, seed: int) -> pa.Table:
    """``table`` plus a second string feature, region (some values missing)."""
    rng = np.random.default_rng(seed)
    regions = rng.choice(np.array(["north", "south", "east", "west", None]), size=table.num_rows)
    return table.append_column("region", pa.array(regions.tolist(), pa.string()))


@pytest.mark.parametrize(
    "features",
    [
        FEATURES,  # one string feature
        [*FEATURES, "region"],  # two string features, after each other in the matrix
        ["plan", "region"],  # string features only
    ],
)
def test_row_errors_match_the_dense_reconstruction(features: list[str]) -> None:
    reference = with_region(correlated(5000, 0.9, seed=1), seed=1)
    fitted = fit_pca_reference(reference, features, top_k=3)
    window = with_region(correlated(1000, -0.5, seed=5), seed=5)
    encoded = fitted.encoder.transform(window)
    basis = fitted.components
    dense = ((encoded - encoded @ basis @ basis.T) ** 2).mean(axis=1)
    # float32 projections: a row's error is exact to about 1e-6 of its squared norm
    np.testing.assert_allclose(fitted.errors(window), dense, rtol=1e-4, atol=1e-5)
    assert fitted.errors(window).mean() == pytest.approx(dense.mean(), rel=1e-6)


def test_a_long_window_is_scored_block_by_block(
    fitted: PcaReference, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = correlated(1000, 0.9, seed=6)
    whole = fitted.errors(window)
    monkeypatch.setattr(pca_reconstruction, "BLOCK_ROWS", 64)
    np.testing.assert_array_equal(fitted.errors(window), whole)


def test_the_band_narrows_with_the_window_but_not_below_min_change(fitted: PcaReference) -> None:
    widths = []
    for rows in (50, 500, 5_000, 1_000_000):
        lower, upper = fitted.bounds(rows, min_change=0.0)
        assert lower < fitted.centre < upper
        widths.append(upper - lower)
    assert widths == sorted(widths, reverse=True)
    # the reference's own uncertainty stays: a huge window's band is not zero wide
    assert widths[-1] > 0
    lower, upper = fitted.bounds(1_000_000, min_change=0.2)
    assert (lower, upper) == pytest.approx((0.8 * fitted.centre, 1.2 * fitted.centre))


def test_same_distribution_windows_rarely_leave_the_band() -> None:
    # 40 seeded reference/window pairs from one distribution, the band alone (no min_change)
    alarms = 0
    for seed in range(40):
        reference = fit_pca_reference(correlated(4000, 0.9, seed=seed), FEATURES, seed=seed)
        window = correlated(1000, 0.9, seed=1000 + seed)
        alarms += pca_drift(reference, window, min_change=0.0).drift_detected
    assert alarms <= 1


@pytest.mark.parametrize(
    ("window", "drift"),
    [
        (correlated(2000, 0.9, seed=2), False),  # same distribution
        (correlated(2000, -0.9, seed=2), True),  # flipped correlation
        (correlated(2000, 0.0, seed=2), True),  # no correlation left
        (correlated(2000, 0.9, seed=2, x1_shift=0.5), True),  # x1 leaves its line with x2
    ],
)
def test_windows(fitted: PcaReference, window: pa.Table, drift: bool) -> None:
    assert pca_drift(fitted, window).drift_detected is drift


def test_less_variance_than_the_reference_is_drift_below_the_band(fitted: PcaReference) -> None:
    # x2 becomes an exact copy of x1: nothing is left off the principal axes
    window = correlated(2000, 1.0, seed=2)
    result = pca_drift(fitted, window)
    assert result.drift_detected
    assert result.statistic < result.lower


def test_a_shift_along_a_kept_component_is_not_seen(fitted: PcaReference) -> None:
    # the documented blind spot: x1 and x2 moving together stay on their shared axis
    window = correlated(2000, 0.9, seed=2)
    moved = window.set_column(0, "x1", pa.array(window.column("x1").to_numpy() + 1.0))
    moved = moved.set_column(1, "x2", pa.array(moved.column("x2").to_numpy() + 1.0))
    assert not pca_drift(fitted, moved).drift_detected


def test_the_reference_survives_json(fitted: PcaReference) -> None:
    text = json.dumps(fitted.to_dict())
    assert len(text) < 10_000
    again = PcaReference.from_dict(json.loads(text))
    window = correlated(2000, -0.9, seed=2)
    assert pca_drift(again, window) == pca_drift(fitted, window)


def test_a_large_window_is_scored_on_a_seeded_sample(fitted: PcaReference) -> None:
    window = correlated(30_000, 0.9, seed=2)
    sampled = pca_drift(fitted, window, max_rows=5_000, seed=1, min_change=0.0)
    whole = pca_drift(fitted, window, max_rows=None, min_change=0.0)
    assert (sampled.n_current, sampled.n_scored) == (30_000, 5_000)
    assert (whole.n_current, whole.n_scored) == (30_000, 30_000)
    assert sampled == pca_drift(fitted, window, max_rows=5_000, seed=1, min_change=0.0)
    assert sampled.statistic == pytest.approx(whole.statistic, rel=0.05)
    assert sampled.upper - sampled.lower > whole.upper - whole.lower


def test_a_small_window_is_not_tested_but_still_checked(fitted: PcaReference) -> None:
    result = pca_drift(fitted, correlated(MIN_ROWS - 1, -0.9, seed=2))
    assert not result.drift_detected
    assert "fewer than 50" in result.note
    with pytest.raises(InputError, match="feature 'x3' is not a column of the current table"):
        pca_drift(fitted, correlated(10, 0.9, seed=2).drop_columns(["x3"]))


@pytest.mark.parametrize(
    ("features", "kwargs", "message"),
    [
        # a single numeric column cannot be reconstructed from fewer components
        (["x1"], {}, r"at least 2 encoded columns; features \['x1'\] give 1"),
        # a variance share outside (0, 1)
        (FEATURES, {"variance_share": 1.0}, r"variance_share must be between 0 and 1 \(got 1.0\)"),
        # too few rows to split into a fit half and a calibration half
        (FEATURES, {"max_rows": 80}, r"max_rows must be at least 100 \(got 80\)"),
    ],
)
def test_bad_fits_are_input_errors(
    features: list[str], kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        fit_pca_reference(correlated(500, 0.9, seed=1), features, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sigmas": 0.0}, r"sigmas must be positive \(got 0.0\)"),
        ({"min_change": 1.0}, r"min_change must be between 0 and 1 \(got 1.0\)"),
        ({"max_rows": 10}, r"max_rows must be at least 50 \(got 10\)"),
    ],
)
def test_bad_scoring_settings_are_input_errors(
    fitted: PcaReference, kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        pca_drift(fitted, correlated(100, 0.9, seed=2), **kwargs)


def test_a_damaged_saved_reference_is_an_input_error(fitted: PcaReference) -> None:
    data = fitted.to_dict()
    data["components"] = data["components"][:-1]
    with pytest.raises(InputError, match="not a saved PCA reference: components have shape"):
        PcaReference.from_dict(data)
