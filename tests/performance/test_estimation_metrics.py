"""Metric definitions: realized metrics against scikit-learn, expected ones against their
definition, and the calibration they rest on."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics as sk

from watchkeeper.performance.calibration import fit_calibration
from watchkeeper.performance.cbpe import ClassRows, binary_metrics, multiclass_metrics
from watchkeeper.performance.dle import regression_metrics
from watchkeeper.performance.roc_auc import roc_auc


def _binary_case(seed: int, rows: int, decimals: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    score = rng.random(rows).round(decimals)  # few decimals: many tied scores
    return rng.random(rows) < score, score


@pytest.mark.parametrize(
    ("seed", "rows", "decimals", "threshold"),
    [
        (0, 1000, 6, 0.5),  # almost no ties
        (1, 1000, 1, 0.5),  # ten distinct scores: ties everywhere
        (2, 50, 2, 0.9),  # few rows, few predicted positives
        (3, 5000, 3, 0.2),  # most rows predicted positive
    ],
)
def test_realized_binary_metrics_match_sklearn(
    seed: int, rows: int, decimals: int, threshold: float
) -> None:
    y, score = _binary_case(seed, rows, decimals)
    predicted = score >= threshold
    ours = binary_metrics(y, predicted, score)
    assert ours["accuracy"] == pytest.approx(sk.accuracy_score(y, predicted))
    assert ours["precision"] == pytest.approx(sk.precision_score(y, predicted))
    assert ours["recall"] == pytest.approx(sk.recall_score(y, predicted))
    assert ours["f1"] == pytest.approx(sk.f1_score(y, predicted))
    assert ours["roc_auc"] == pytest.approx(sk.roc_auc_score(y, score))


def test_binary_ratios_without_denominator_are_nan() -> None:
    y = np.array([False, False, True])
    m = binary_metrics(y, np.zeros(3, dtype=bool), np.array([0.1, 0.2, 0.3]))
    assert math.isnan(m["precision"])  # nothing predicted positive
    assert m["recall"] == 0.0 and m["accuracy"] == pytest.approx(2 / 3)
    assert binary_metrics(y, y, np.zeros(3))["roc_auc"] == 0.5  # one score for all: all tied
    assert math.isnan(roc_auc(np.zeros(3), np.array([0.1, 0.2, 0.3])))  # no positives


@pytest.mark.parametrize(
    ("seed", "rows", "classes"),
    [
        (0, 2000, 3),  # the common case
        (1, 300, 5),  # more classes, fewer rows
        (2, 40, 4),  # a class may be never predicted: it counts 0, as zero_division=0
    ],
)
def test_realized_multiclass_metrics_match_sklearn(seed: int, rows: int, classes: int) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.dirichlet(np.ones(classes) * 0.7, size=rows)
    true = (rng.random((rows, 1)) > scores.cumsum(axis=1)).sum(axis=1).clip(0, classes - 1)
    predicted = scores.argmax(axis=1)
    members = true[:, np.newaxis] == np.arange(classes)
    ours = multiclass_metrics(members, predicted, scores)
    labels = list(range(classes))
    options = {"labels": labels, "average": "macro", "zero_division": 0}
    assert ours["accuracy"] == pytest.approx(sk.accuracy_score(true, predicted))
    assert ours["precision"] == pytest.approx(sk.precision_score(true, predicted, **options))
    assert ours["recall"] == pytest.approx(sk.recall_score(true, predicted, **options))
    assert ours["f1"] == pytest.approx(sk.f1_score(true, predicted, **options))
    auc = sk.roc_auc_score(true, scores, multi_class="ovr", average="macro", labels=labels)
    assert ours["roc_auc"] == pytest.approx(auc)


def test_realized_regression_metrics_match_sklearn() -> None:
    rng = np.random.default_rng(0)
    y, predicted = rng.normal(size=500), rng.normal(size=500)
    ours = regression_metrics(y - predicted)
    assert ours["mae"] == pytest.approx(sk.mean_absolute_error(y, predicted))
    assert ours["rmse"] == pytest.approx(math.sqrt(sk.mean_squared_error(y, predicted)))


def test_rows_realized_leaves_out_rows_without_label() -> None:
    probability = np.array([0.9, 0.2, 0.7, 0.4])
    rows = ClassRows(probability, probability, np.array([1, 0, 1, 0]), np.array([1, -1, 0, 0]))
    realized = rows.realized()
    assert realized is not None
    assert realized["accuracy"] == pytest.approx(2 / 3)  # rows 0, 2, 3: right, wrong, right
    assert rows.take(slice(1, 2)).realized() == pytest.approx(
        dict.fromkeys(("accuracy", "precision", "recall", "f1", "roc_auc"), math.nan),
        nan_ok=True,
    )


def test_expected_metrics_are_the_mean_realized_metrics_over_labels_drawn_from_p() -> None:
    """With labels drawn from p, the realized accuracy averages to the expected one and the
    realized ROC AUC comes close to the expected one (a ratio of expectations)."""
    rng = np.random.default_rng(4)
    p = rng.beta(0.6, 0.6, 4000)
    predicted = p >= 0.5
    expected = binary_metrics(p, predicted, p)
    draws = [binary_metrics(rng.random(p.size) < p, predicted, p) for _ in range(200)]
    for name in ("accuracy", "precision", "recall", "f1", "roc_auc"):
        assert np.mean([d[name] for d in draws]) == pytest.approx(expected[name], abs=0.003)


def test_calibration_turns_distorted_scores_into_probabilities() -> None:
    rng = np.random.default_rng(5)
    truth = rng.random(20000)
    y = rng.random(truth.size) < truth
    distorted = truth**3  # monotone, far from calibrated
    calibrated = fit_calibration(distorted, y.astype(np.int64), 2).predict(distorted)
    for low in np.arange(0.0, 1.0, 0.1):
        bin_ = (calibrated >= low) & (calibrated < low + 0.1)
        assert y[bin_].mean() == pytest.approx(calibrated[bin_].mean(), abs=0.03)
    new = np.array([-5.0, 5.0])  # beyond the fitted scores: clipped to the ends
    assert fit_calibration(distorted, y.astype(np.int64), 2).predict(new).tolist() == [
        pytest.approx(calibrated.min()),
        pytest.approx(calibrated.max()),
    ]


def test_multiclass_calibration_rows_sum_to_one() -> None:
    rng = np.random.default_rng(6)
    scores = rng.dirichlet(np.ones(3), size=3000)
    labels = scores.argmax(axis=1)
    probabilities = fit_calibration(scores, labels, 3).predict(scores[:10])
    assert probabilities.sum(axis=1) == pytest.approx(np.ones(10))
    assert (probabilities >= 0).all()
