"""The domain classifier: its threshold, its calibration when nothing changed, its sample."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from multivariate_data import FEATURES, correlated
from watchkeeper.drift.multivariate.domain_classifier import (
    auc_threshold,
    domain_classifier_drift,
    mann_whitney_sd,
    null_sd,
)
from watchkeeper.errors import InputError


@pytest.mark.parametrize(
    ("n1", "n2", "alpha", "min_auc", "expected"),
    [
        # small samples: the null spread decides, 0.5 + 2.326 * 1.5 * sqrt(201 / 120000)
        (100, 100, 0.01, 0.55, 0.5 + 2.3263 * 1.5 * math.sqrt(201 / 120_000)),
        # large samples: the minimum effect decides
        (10_000, 10_000, 0.01, 0.55, 0.55),
        # no minimum effect: the null spread alone
        (10_000, 10_000, 0.01, 0.5, 0.5 + 2.3263 * 1.5 * math.sqrt(20_001 / 1.2e9)),
        # a looser alpha lowers the bar
        (100, 100, 0.05, 0.5, 0.5 + 1.6449 * 1.5 * math.sqrt(201 / 120_000)),
    ],
)
def test_threshold(n1: int, n2: int, alpha: float, min_auc: float, expected: float) -> None:
    assert auc_threshold(n1, n2, alpha, min_auc) == pytest.approx(expected, abs=1e-4)


def test_the_null_spread_is_the_mann_whitney_one_widened_for_shared_training_rows() -> None:
    assert mann_whitney_sd(300, 700) == pytest.approx(math.sqrt(1001 / (12 * 300 * 700)))
    assert null_sd(300, 700, folds=5) == pytest.approx(1.5 * mann_whitney_sd(300, 700))
    assert null_sd(300, 700, folds=10) < null_sd(300, 700, folds=5)


@pytest.mark.slow
def test_same_distribution_pairs_rarely_alarm() -> None:
    # 40 seeded pairs of 500 rows a side from one distribution; the minimum effect is switched
    # off, so only the null spread of the out-of-fold AUC stands between them and an alarm
    aucs, alarms = [], 0
    for seed in range(40):
        reference = correlated(500, 0.9, seed=seed)
        current = correlated(500, 0.9, seed=1000 + seed)
        result = domain_classifier_drift(reference, current, FEATURES, seed=seed, min_auc=0.5)
        aucs.append(result.auc)
        alarms += result.drift_detected
    assert alarms <= 1  # at most 2.5 % at alpha = 0.01
    assert float(np.mean(aucs)) == pytest.approx(0.5, abs=0.01)
    # the spread is the widened null spread, within what 40 runs can tell
    assert float(np.std(aucs, ddof=1)) < 1.2 * null_sd(500, 500)


def test_the_sample_is_bounded_and_seeded() -> None:
    reference, current = correlated(3000, 0.9, seed=1), correlated(800, -0.9, seed=2)
    result = domain_classifier_drift(reference, current, FEATURES, max_rows=500, seed=4)
    assert (result.n_reference, result.n_current, result.folds) == (500, 500, 5)
    assert result.null_sd == pytest.approx(null_sd(500, 500))
    assert result.drift_detected
    again = domain_classifier_drift(reference, current, FEATURES, max_rows=500, seed=4)
    assert again == result


def test_unequal_sides_are_fine() -> None:
    reference, current = correlated(4000, 0.9, seed=1), correlated(120, -0.9, seed=2)
    result = domain_classifier_drift(reference, current, FEATURES)
    assert (result.n_reference, result.n_current) == (4000, 120)
    assert result.threshold > 0.55  # 120 rows: the null spread, not the minimum effect
    assert result.drift_detected


def test_a_changed_relation_between_two_string_features_is_drift() -> None:
    # the city decides the currency in the reference; in the current the pairing is swapped
    rng = np.random.default_rng(0)
    cities = rng.choice(["paris", "london"], size=2000)
    currency = np.where(cities == "paris", "eur", "gbp")
    reference = pa.table({"city": cities, "currency": currency})
    current = pa.table({"city": cities, "currency": np.where(cities == "paris", "gbp", "eur")})
    result = domain_classifier_drift(reference, current, ["city", "currency"])
    assert result.auc > 0.99
    assert result.drift_detected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": 0.0}, r"alpha must be between 0 and 0.5 \(got 0.0\)"),
        ({"min_auc": 1.0}, r"min_auc must be between 0.5 and 1 \(got 1.0\)"),
        ({"max_rows": 49}, r"max_rows must be at least 50 \(got 49\)"),
        ({"folds": 1}, r"folds must be between 2 and 50 \(got 1\)"),
    ],
)
def test_bad_settings_are_input_errors(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(InputError, match=message):
        domain_classifier_drift(
            correlated(100, 0.9, seed=1), correlated(100, 0.9, seed=2), FEATURES, **kwargs
        )
