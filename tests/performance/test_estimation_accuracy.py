"""Estimates against the truth on generated data with covariate shift and no concept drift."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from estimation_data import SCORES, binary, fit_binary, fit_regression, multiclass, regression

from watchkeeper.performance.estimate import (
    ASSUMPTION,
    EstimationResult,
    estimate_chunks,
    fit_estimator,
)


def _coverage(result: EstimationResult, metric: str) -> float:
    """The share of chunks whose realized value lies in the estimate's band."""
    inside = []
    for chunk in result.chunks:
        assert chunk.realized is not None
        inside.append(chunk.lower[metric] <= chunk.realized[metric] <= chunk.upper[metric])
    return float(np.mean(inside))


@pytest.mark.parametrize("seed", [0, 1])
def test_binary_band_holds_the_realized_value_under_covariate_shift(seed: int) -> None:
    rng = np.random.default_rng(seed)
    estimator = fit_binary(binary(rng, 20000, (0.5, 0.0, 0.0)), seed)
    current = binary(rng, 40000, (0.5, 0.8, -0.5))  # x2 and x3 shifted: fewer positives
    result = estimate_chunks(estimator, current, chunk_size=2000)
    assert len(result.chunks) == 20 and result.assumption == ASSUMPTION
    assert _coverage(result, "roc_auc") >= 0.9
    assert _coverage(result, "accuracy") >= 0.9
    realized = np.mean([c.realized["accuracy"] for c in result.chunks if c.realized])
    estimated = np.mean([c.estimated["accuracy"] for c in result.chunks])
    assert estimated == pytest.approx(realized, abs=0.01)


def test_binary_alerts_when_rows_move_towards_the_decision_boundary() -> None:
    rng = np.random.default_rng(2)
    reference = binary(rng, 20000, (1.5, 0.0, 0.0))  # mostly far from the boundary
    estimator = fit_binary(reference)
    before = binary(rng, 10000, (1.5, 0.0, 0.0))
    after = binary(rng, 10000, (0.0, 0.0, 0.0))  # centred on the boundary: less certain
    result = estimate_chunks(estimator, pa.concat_tables([before, after]), chunk_size=2000)
    assert [c.alert for c in result.chunks] == [False] * 5 + [True] * 5
    accuracy = [c.estimated["accuracy"] for c in result.chunks]
    assert max(accuracy[5:]) < min(accuracy[:5]) - 0.03
    assert all("accuracy" in c.left for c in result.chunks[5:])
    realized = [c.realized["accuracy"] for c in result.chunks if c.realized]
    assert np.mean(realized[5:]) < np.mean(realized[:5]) - 0.03  # the drop is real


def test_multiclass_band_holds_the_realized_value_under_covariate_shift() -> None:
    rng = np.random.default_rng(3)
    reference = multiclass(rng, 20000, (0.0, 0.0))
    estimator = fit_estimator(reference, "multiclass_classification", "prediction", SCORES, "label")
    result = estimate_chunks(estimator, multiclass(rng, 40000, (0.7, -0.5)), chunk_size=2000)
    assert _coverage(result, "roc_auc") >= 0.9
    assert _coverage(result, "accuracy") >= 0.9


def test_multiclass_without_prediction_column_predicts_the_top_score() -> None:
    rng = np.random.default_rng(4)
    table = multiclass(rng, 4000, (0.0, 0.0))
    given = fit_estimator(table, "multiclass_classification", "prediction", SCORES, "label")
    derived = fit_estimator(table, "multiclass_classification", None, SCORES, "label")
    current = multiclass(rng, 3000, (0.5, 0.5))
    assert derived.estimate(current).estimated == pytest.approx(given.estimate(current).estimated)


def test_regression_estimate_tracks_mae_and_rises_with_the_noisy_feature() -> None:
    rng = np.random.default_rng(5)
    estimator = fit_regression(regression(rng, 30000, 0.0, 0.3))
    before = regression(rng, 25000, 0.0, 0.3)
    after = regression(rng, 25000, 0.8, 0.5)  # noisier region, more of the noisier segment
    result = estimate_chunks(estimator, pa.concat_tables([before, after]), chunk_size=5000)
    relative = [
        abs(c.estimated["mae"] / c.realized["mae"] - 1) for c in result.chunks if c.realized
    ]
    assert np.mean(np.array(relative) <= 0.10) >= 0.9
    mae = [c.estimated["mae"] for c in result.chunks]
    assert min(mae[5:]) > 1.3 * max(mae[:5])
    assert [c.alert for c in result.chunks] == [False] * 5 + [True] * 5


def test_estimate_of_one_table_is_the_single_chunk_estimate() -> None:
    rng = np.random.default_rng(6)
    estimator = fit_binary(binary(rng, 3000, (0.5, 0.0, 0.0)))
    current = binary(rng, 1500, (0.0, 0.0, 0.0)).drop_columns(["label"])
    one = estimator.estimate(current, "2026-03-01T00:00:00+00:00", "2026-03-02T00:00:00+00:00")
    (chunk,) = estimate_chunks(estimator, current, chunk_size=1500).chunks
    assert one.estimated == chunk.estimated and one.lower == chunk.lower
    assert one.realized is None and one.rows == 1500
    assert one.start == "2026-03-01T00:00:00+00:00"


def test_fitting_is_repeatable_with_the_seed() -> None:
    rng = np.random.default_rng(7)
    reference, current = regression(rng, 3000, 0.0, 0.3), regression(rng, 1000, 0.5, 0.3)
    first, again = fit_regression(reference, seed=3), fit_regression(reference, seed=3)
    assert first.estimate(current) == again.estimate(current)
