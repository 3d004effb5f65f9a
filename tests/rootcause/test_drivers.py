"""Drift drivers: importance-weighted ranking, explained shares and impact labels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from rootcause_helpers import FEATURES, World, mean_shift_drifts, world

from watchkeeper.errors import InputError
from watchkeeper.rootcause.drivers import FeatureDrift, rank_drivers, rank_matched
from watchkeeper.rootcause.importance import (
    Importances,
    attribution_importances,
    user_importances,
)
from watchkeeper.rootcause.surrogate import SurrogateFit, fit_surrogate


@pytest.fixture(scope="module")
def drifted() -> World:
    # A drifts a little (0.3 sd), B a lot (2 sd); the model leans on A and barely on B
    return world(rows=3000, shift_a=0.3, shift_b=2.0)


@pytest.fixture(scope="module")
def fit(drifted: World) -> SurrogateFit:
    return fit_surrogate(drifted.reference, FEATURES, "score", seed=0)


def importances_from(source: str, w: World, fit: SurrogateFit) -> Importances:
    if source == "user":
        return user_importances({"a": 3.0, "b": 0.05, "colour": 0.25}, features=FEATURES)
    if source == "attributions":
        return attribution_importances(w.reference, {f: f"shap_{f}" for f in FEATURES})
    return fit.importances


@pytest.mark.parametrize("source", ["user", "attributions", "surrogate"])
def test_important_feature_outranks_the_larger_drift_of_an_unimportant_one(
    source: str, drifted: World, fit: SurrogateFit
) -> None:
    drifts = mean_shift_drifts(drifted)
    by_name = {d.name: d for d in drifts}
    assert by_name["b"].magnitude > 5 * by_name["a"].magnitude  # B moved much further
    imp = importances_from(source, drifted, fit)
    summary = rank_drivers(drifts, imp)
    order = [d.feature for d in summary.drivers]
    assert order.index("a") < order.index("b")
    drivers = {d.feature: d for d in summary.drivers}
    assert drivers["a"].impact == "high"
    assert drivers["b"].impact == "low"
    assert drivers["b"].drifted
    assert not summary.low_impact


def test_surrogate_explains_the_shift_with_a_not_b(drifted: World, fit: SurrogateFit) -> None:
    summary = rank_drivers(
        mean_shift_drifts(drifted),
        fit.importances,
        surrogate=fit.surrogate,
        reference=drifted.reference,
        current=drifted.current,
    )
    drivers = {d.feature: d for d in summary.drivers}
    assert summary.drivers[0].feature == "a"
    # the score moves by 3 × 0.3 = 0.9 through A and by 0.05 × 2 = 0.1 through B
    assert drivers["a"].explained_share == pytest.approx(0.9, abs=0.05)
    assert drivers["b"].explained_share < 0.15
    assert drivers["noise"].explained_share < 0.02
    assert sum(d.explained_share for d in summary.drivers) == pytest.approx(1.0)
    assert summary.prediction_shift == pytest.approx(1.0, abs=0.15)
    assert (drivers["a"].impact, drivers["b"].impact) == ("high", "low")


def test_explained_shares_are_seeded(drifted: World, fit: SurrogateFit) -> None:
    def shares(seed: int) -> list[float]:
        summary = rank_drivers(
            mean_shift_drifts(drifted),
            fit.importances,
            surrogate=fit.surrogate,
            reference=drifted.reference,
            current=drifted.current,
            sample_rows=500,
            seed=seed,
        )
        return [d.explained_share for d in summary.drivers]

    assert shares(7) == shares(7)


def test_only_unimportant_drift_is_low_impact(fit: SurrogateFit) -> None:
    w = world(rows=3000, shift_a=0.0, shift_b=2.0, seed=5)
    summary = rank_drivers(
        mean_shift_drifts(w),
        fit.importances,
        surrogate=fit.surrogate,
        reference=w.reference,
        current=w.current,
    )
    assert [d.feature for d in summary.drifted] == ["b"]
    assert summary.low_impact


def test_no_drift_at_all_is_low_impact() -> None:
    imp = user_importances({"a": 1.0, "b": 1.0})
    drifts = [FeatureDrift.distance("a", 0.01, 0.1), FeatureDrift.distance("b", 0.02, 0.1)]
    summary = rank_drivers(drifts, imp)
    assert summary.drifted == []
    assert summary.low_impact


def test_without_surrogate_shares_follow_weighted_drift() -> None:
    imp = user_importances({"a": 0.5, "b": 0.3, "c": 0.2})
    drifts = [
        FeatureDrift.distance("a", 0.2, 0.1),  # magnitude 2 × 0.5 = 1.0
        FeatureDrift.distance("b", 0.5, 0.1),  # 5 × 0.3 = 1.5
        FeatureDrift.distance("c", 0.05, 0.1),  # 0.5 × 0.2 = 0.1, not drifted
    ]
    summary = rank_drivers(drifts, imp)
    assert [(d.feature, d.weighted_drift) for d in summary.drivers] == [
        ("b", 1.5),
        ("a", 1.0),
        ("c", 0.1),
    ]
    assert [d.explained_share for d in summary.drivers] == pytest.approx(
        [1.5 / 2.6, 1.0 / 2.6, 0.1 / 2.6]
    )
    assert [d.impact for d in summary.drivers] == ["high", "high", "medium"]


@pytest.mark.parametrize(
    ("n_features", "expected"),
    [
        # few features: 5% of the total
        (2, 0.05),
        (10, 0.05),
        # many features: half an equal share
        (20, 0.025),
        (100, 0.005),
    ],
)
def test_default_low_importance_threshold(n_features: int, expected: float) -> None:
    imp = user_importances({f"f{i}": 1.0 for i in range(n_features)})
    summary = rank_drivers([FeatureDrift.distance("f0", 1.0, 0.1)], imp)
    assert summary.low_importance == pytest.approx(expected)


def test_low_importance_threshold_can_be_given() -> None:
    imp = user_importances({"a": 0.7, "b": 0.3})
    drifts = [FeatureDrift.distance("b", 1.0, 0.1)]
    assert rank_drivers(drifts, imp).drivers[0].impact == "high"
    assert rank_drivers(drifts, imp, low_importance=0.4).drivers[0].impact == "low"


def test_high_needs_a_top_rank_and_a_large_share() -> None:
    imp = user_importances(dict.fromkeys("abcd", 0.25))
    statistics = {"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1}
    drifts = [FeatureDrift.distance(f, s, 0.1) for f, s in statistics.items()]
    impacts = [d.impact for d in rank_drivers(drifts, imp, top=2).drivers]
    # shares 0.4, 0.3, 0.2, 0.1: a and b are high; c is third; d is under 25% anyway
    assert impacts == ["high", "high", "medium", "medium"]
    impacts = [d.impact for d in rank_drivers(drifts, imp, high_share=0.35).drivers]
    assert impacts == ["high", "medium", "medium", "medium"]


def test_magnitude_of_a_distance() -> None:
    assert FeatureDrift.distance("x", 0.25, 0.1).magnitude == 2.5
    assert FeatureDrift.distance("x", 0.25, 0.1).drift_detected
    assert not FeatureDrift.distance("x", 0.05, 0.1).drift_detected
    # the caller's verdict wins (e.g. the p-value gate said no)
    assert not FeatureDrift.distance("x", 0.25, 0.1, drift_detected=False).drift_detected
    # an undefined statistic or threshold: no magnitude, no drift
    nan = FeatureDrift.distance("x", math.nan, 0.1)
    assert (nan.magnitude, nan.drift_detected) == (0.0, False)
    assert FeatureDrift.distance("x", 0.3, 0.0).magnitude == 0.0


@pytest.mark.parametrize(
    ("drifts", "named"),
    [
        # a drifted feature the importances do not know
        ([FeatureDrift.distance("zip_code", 0.5, 0.1)], "zip_code"),
        # the same feature twice
        ([FeatureDrift.distance("a", 0.5, 0.1), FeatureDrift.distance("a", 0.2, 0.1)], "'a'"),
        # a negative magnitude given by the caller
        ([FeatureDrift("a", 0.5, 0.1, True, -1.0)], "'a'"),
        # a NaN magnitude
        ([FeatureDrift("a", 0.5, 0.1, True, math.nan)], "'a'"),
    ],
)
def test_bad_drifts_name_the_feature(drifts: list[FeatureDrift], named: str) -> None:
    with pytest.raises(InputError, match="drifts") as err:
        rank_drivers(drifts, user_importances({"a": 1.0, "b": 1.0}))
    assert named in str(err.value)


def test_surrogate_needs_both_samples(drifted: World, fit: SurrogateFit) -> None:
    drifts = mean_shift_drifts(drifted)
    with pytest.raises(InputError, match="reference, current"):
        rank_drivers(drifts, fit.importances, surrogate=fit.surrogate, current=drifted.current)


def test_undrifted_feature_unknown_to_importances_is_low() -> None:
    # e.g. the prediction column among the drift verdicts: not drifted, so no error
    summary = rank_drivers(
        [FeatureDrift.distance("prediction", 0.01, 0.1)], user_importances({"a": 1.0})
    )
    assert summary.drivers[0].impact == "low"


def test_rank_matching_leaves_an_unchanged_column_alone() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=1000)
    same = rank_matched(values, rng.permutation(values), rng.random(1000))
    assert np.array_equal(same, values)
    shifted = rank_matched(values, values + 2.0, rng.random(1000))
    assert np.allclose(shifted, values + 2.0)
    # different sizes and NaN (ranked last in both)
    mapped = rank_matched(np.array([np.nan, 1.0, 0.0]), np.array([5.0, np.nan]), np.zeros(3))
    assert mapped[2] == 5.0
    assert np.isnan(mapped[0])
