"""Classification and regression metrics: hand-computed values always, scikit-learn when there."""

from __future__ import annotations

import math

import numpy as np
import pytest

from watchkeeper.monitors.classification import (
    binary_metrics,
    calibration_error,
    multiclass_metrics,
    roc_auc,
)
from watchkeeper.monitors.regression import regression_metrics

RNG = np.random.default_rng(5)


def _binary_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    score = RNG.beta(2.0, 3.0, n)
    y = RNG.random(n) < score  # roughly calibrated
    score = np.round(score, 2)  # ties, as real scores have them
    return y, score


# --- binary ------------------------------------------------------------------------------------

HAND = [
    # y, score, threshold, {metric: value}: computed by hand from the confusion matrix
    (
        [1, 1, 1, 0, 0, 0],
        [0.9, 0.8, 0.4, 0.6, 0.2, 0.1],
        0.5,
        # tp=2 fp=1 fn=1 tn=2; AUC: 8 of 9 positive-negative pairs ordered right
        {"accuracy": 4 / 6, "precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "roc_auc": 8 / 9},
    ),
    (
        [1, 0, 1, 0],
        [0.7, 0.7, 0.3, 0.1],
        0.5,
        # a tie between a positive and a negative counts half: (1 + 0.5 + 1 + 0) / 4
        {"accuracy": 0.5, "precision": 0.5, "recall": 0.5, "roc_auc": 0.625},
    ),
    (
        [1, 0, 1, 1],
        [1.0, 0.0, 0.0, 1.0],
        0.0,
        # hard 0/1 classes: the class decides whatever the threshold (even 0)
        {"accuracy": 0.75, "precision": 1.0, "recall": 2 / 3, "f1": 0.8},
    ),
    (
        [1, 0],
        [0.8, 0.4],
        0.5,
        # log loss = -(ln 0.8 + ln 0.6) / 2
        {"log_loss": -(math.log(0.8) + math.log(0.6)) / 2},
    ),
]


@pytest.mark.parametrize(("y", "score", "threshold", "expected"), HAND)
def test_binary_metrics_by_hand(
    y: list[int], score: list[float], threshold: float, expected: dict[str, float]
) -> None:
    result = binary_metrics(np.array(y, dtype=bool), np.array(score), threshold)
    for name, value in expected.items():
        assert result[name].value == pytest.approx(value), name


def test_binary_metrics_match_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    y, score = _binary_data(5_000)
    result = binary_metrics(y, score, 0.4)
    decision = score >= 0.4
    expected = {
        "accuracy": metrics.accuracy_score(y, decision),
        "precision": metrics.precision_score(y, decision),
        "recall": metrics.recall_score(y, decision),
        "f1": metrics.f1_score(y, decision),
        "roc_auc": metrics.roc_auc_score(y, score),
        "log_loss": metrics.log_loss(y, np.clip(score, 1e-15, 1 - 1e-15)),
    }
    for name, value in expected.items():
        assert result[name].value == pytest.approx(value, rel=1e-9), name
        assert result[name].low <= result[name].value <= result[name].high, name


@pytest.mark.parametrize(
    ("y", "score", "value"),
    [
        # bins [0, .1): one row, score .05, no positive -> gap .05
        # bins [.9, 1]: three rows, mean score .95, all positive -> gap .05; ECE = .05
        ([0, 1, 1, 1], [0.05, 0.95, 0.95, 0.95], 0.05),
        # one bin [.5, .6): mean score .5, half positive -> perfectly calibrated
        ([0, 1], [0.5, 0.5], 0.0),
        # a score of exactly 1 goes in the last bin: mean 1.0 vs 0 positives -> 1.0
        ([0, 0], [1.0, 1.0], 1.0),
        # bins [.2, .3) and [.7, .8): (2/4)|0.225 - 1/2| + (2/4)|0.725 - 1| = 0.275
        ([0, 1, 1, 1], [0.2, 0.25, 0.7, 0.75], 0.275),
        # the same scores one bin apart each: |.2 - 0| + |.3 - 1| + |.7 - 1| + |.8 - 1|, / 4
        ([0, 1, 1, 1], [0.2, 0.3, 0.7, 0.8], 0.35),
    ],
)
def test_calibration_error_by_hand(y: list[int], score: list[float], value: float) -> None:
    assert calibration_error(np.array(y, dtype=bool), np.array(score)).value == pytest.approx(value)


def test_calibration_error_interval_brackets_a_calibrated_model() -> None:
    score = RNG.random(20_000)
    y = RNG.random(20_000) < score  # perfectly calibrated: ECE is only noise
    e = calibration_error(y, score)
    assert e.value < 0.02
    assert e.low <= e.value <= e.high < 0.03
    assert e.method == "bootstrap"


@pytest.mark.parametrize(
    ("y", "score", "metric", "note"),
    [
        ([1, 1, 1], [0.2, 0.7, 0.9], "roc_auc", "one class only"),  # no negatives
        ([0, 0], [0.2, 0.7], "recall", "no positive labels"),
        ([1, 0], [0.2, 0.3], "precision", "no positive predictions"),
        ([1, 0], [2.5, -1.0], "log_loss", "not probabilities"),  # raw margins, not scores
        ([1, 0], [2.5, -1.0], "calibration_error", "not probabilities"),
        ([], [], "accuracy", "no labelled predictions"),
    ],
)
def test_undefined_binary_metrics_say_why(
    y: list[int], score: list[float], metric: str, note: str
) -> None:
    e = binary_metrics(np.array(y, dtype=bool), np.array(score, dtype=float), 0.5)[metric]
    assert math.isnan(e.value)
    assert not e.computable
    assert note in e.note


def test_roc_auc_interval_is_hanley_mcneil() -> None:
    # A = 0.8 with 50 positives and 50 negatives: Hanley & McNeil (1982) give SE ~ 0.0435
    y = np.array([1] * 50 + [0] * 50, dtype=bool)
    scores = np.concatenate([np.linspace(0.2, 1.0, 50), np.linspace(0.0, 0.8, 50)])
    e = roc_auc(y, scores)
    q1, q2 = e.value / (2 - e.value), 2 * e.value**2 / (1 + e.value)
    a = e.value
    se = math.sqrt((a * (1 - a) + 49 * (q1 - a * a) + 49 * (q2 - a * a)) / 2500)
    assert e.high - e.value == pytest.approx(1.959963984540054 * se)
    assert e.method == "hanley_mcneil"


# --- multiclass --------------------------------------------------------------------------------


def test_multiclass_by_hand() -> None:
    # classes 0..2; per-class precision 1/2, 2/3, 1 -> macro 0.7222; recall 1/2, 1, 1/2
    true, predicted = np.array([0, 0, 1, 1, 2, 2]), np.array([0, 1, 1, 1, 2, 0])
    result = multiclass_metrics(true, predicted, 3)
    assert result["accuracy"].value == pytest.approx(4 / 6)
    assert result["precision"].value == pytest.approx((1 / 2 + 2 / 3 + 1) / 3)
    assert result["recall"].value == pytest.approx((1 / 2 + 1 + 1 / 2) / 3)
    assert not result["log_loss"].computable  # no class scores given


def test_multiclass_matches_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    n, k = 4_000, 4
    true = RNG.integers(0, k, n)
    predicted = np.where(RNG.random(n) < 0.7, true, RNG.integers(0, k, n))
    predicted[predicted == 3] = 2  # class 3 is never predicted: its precision counts as 0
    scores = RNG.dirichlet(np.ones(k), n)
    result = multiclass_metrics(true, predicted, k + 1, np.pad(scores, ((0, 0), (0, 1))))
    undefined = pytest.importorskip("sklearn.exceptions").UndefinedMetricWarning
    with pytest.warns(undefined, match="Precision"):  # class 3 is never predicted
        precision = metrics.precision_score(true, predicted, average="macro")
    expected = {
        "accuracy": metrics.accuracy_score(true, predicted),
        "precision": precision,
        "recall": metrics.recall_score(true, predicted, average="macro"),
        "f1": metrics.f1_score(true, predicted, average="macro"),
        "log_loss": metrics.log_loss(true, scores, labels=list(range(k))),
    }
    for name, value in expected.items():
        assert result[name].value == pytest.approx(value, rel=1e-9), name
    for name in ("precision", "recall", "f1"):
        assert result[name].low <= result[name].value <= result[name].high
        assert result[name].method == "bootstrap"


def test_multiclass_log_loss_skips_rows_without_scores() -> None:
    scores = np.array([[0.8, 0.2], [np.nan, np.nan], [0.4, 0.6]])
    e = multiclass_metrics(np.array([0, 1, 1]), np.array([0, 0, 1]), 2, scores)["log_loss"]
    assert e.value == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)
    assert e.n == 2
    assert "1 predictions without class scores" in e.note


# --- regression --------------------------------------------------------------------------------


def test_regression_by_hand() -> None:
    y, predicted = np.array([3.0, -0.5, 2.0, 7.0]), np.array([2.5, 0.0, 2.0, 8.0])
    result = regression_metrics(y, predicted)
    assert result["mae"].value == pytest.approx(0.5)  # (0.5 + 0.5 + 0 + 1) / 4
    assert result["rmse"].value == pytest.approx(math.sqrt(1.5 / 4))
    assert result["mape"].value == pytest.approx((0.5 / 3 + 1 + 0 + 1 / 7) / 4)
    sst = sum((v - 2.875) ** 2 for v in y)
    assert result["r2"].value == pytest.approx(1 - 1.5 / sst)


def test_regression_matches_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    y = RNG.normal(50.0, 10.0, 3_000)
    predicted = y + RNG.normal(1.0, 4.0, y.size)
    result = regression_metrics(y, predicted)
    expected = {
        "mae": metrics.mean_absolute_error(y, predicted),
        "rmse": math.sqrt(metrics.mean_squared_error(y, predicted)),
        "mape": metrics.mean_absolute_percentage_error(y, predicted),
        "r2": metrics.r2_score(y, predicted),
    }
    for name, value in expected.items():
        assert result[name].value == pytest.approx(value, rel=1e-9), name
        assert result[name].low < value < result[name].high, name


def test_r2_interval_covers_the_truth() -> None:
    # y = x + noise with var(x) = var(noise) = 1: the population R² of predicting x is 0.5
    hits = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        x = rng.normal(0.0, 1.0, 500)
        e = regression_metrics(x + rng.normal(0.0, 1.0, 500), x)["r2"]
        hits += e.low <= 0.5 <= e.high
    assert hits >= 180  # about 95% of 200


@pytest.mark.parametrize(
    ("y", "predicted", "metric", "expected", "note"),
    [
        # the zero label is left out of MAPE: (|1 - 2| / 2) = 0.5 over the one other row
        ([0.0, 2.0], [1.0, 1.0], "mape", 0.5, "1 rows with label 0 left out"),
        ([0.0, 0.0], [1.0, 1.0], "mape", math.nan, "every label is 0"),
        ([4.0, 4.0, 4.0], [4.0, 5.0, 3.0], "r2", math.nan, "labels are constant"),
    ],
)
def test_regression_edge_cases(
    y: list[float], predicted: list[float], metric: str, expected: float, note: str
) -> None:
    e = regression_metrics(np.array(y), np.array(predicted))[metric]
    assert e.value == pytest.approx(expected, nan_ok=True)
    assert note in e.note
