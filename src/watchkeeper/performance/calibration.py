"""Isotonic calibration of model scores on a labelled reference.

A model's score is turned into the probability that the row belongs to the class, by an
isotonic (monotone, step-wise linear) fit of the labels on the scores. scikit-learn fits it;
predicting is ``np.interp`` over the fitted thresholds, the same piecewise-linear function
``IsotonicRegression.predict`` computes, clipped at the ends (``out_of_bounds="clip"``), but
without its input checks, which cost more than the interpolation on a million rows.

Binary: one calibrator of the positive class's score. Multiclass: one calibrator per class
(one-vs-rest, each on its own score column), then each row is renormalised to sum to 1; a row
whose calibrated values are all 0 gets the uniform distribution.

>>> scores = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.9])
>>> labels = np.array([0, 0, 1, 0, 1, 1])
>>> curve = fit_curve(scores, labels == 1)
>>> curve.predict(np.array([0.0, 0.25, 0.65, 1.0])).round(3).tolist()
[0.0, 0.25, 0.75, 1.0]
>>> multi = fit_calibration(np.array([[0.8, 0.2], [0.3, 0.7]] * 3), np.array([0, 1] * 3), 2)
>>> multi.predict(np.array([[0.9, 0.1]])).tolist()
[[1.0, 0.0]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Curve:
    """A fitted isotonic curve: the scores ``x`` (increasing) and their probabilities ``y``."""

    x: np.ndarray
    y: np.ndarray

    def predict(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(np.interp(scores, self.x, self.y))


@dataclass(frozen=True, eq=False)
class Calibration:
    """One curve per score column: a 1-D score (binary) or an ``(n, k)`` matrix (multiclass)."""

    curves: tuple[Curve, ...]

    def predict(self, scores: np.ndarray) -> np.ndarray:
        if scores.ndim == 1:
            return self.curves[0].predict(scores)
        columns = [c.predict(scores[:, i]) for i, c in enumerate(self.curves)]
        probabilities = np.column_stack(columns)
        total = probabilities.sum(axis=1, keepdims=True)
        uniform = np.full_like(probabilities, 1.0 / len(self.curves))
        safe = np.where(total > 0, total, 1.0)
        return np.where(total > 0, probabilities / safe, uniform)


def fit_curve(scores: np.ndarray, positive: np.ndarray) -> Curve:
    """The isotonic curve of the boolean ``positive`` on ``scores``."""
    from sklearn.isotonic import IsotonicRegression

    model = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    model.fit(scores, positive.astype(np.float64))
    return Curve(np.asarray(model.X_thresholds_), np.asarray(model.y_thresholds_))


def fit_calibration(scores: np.ndarray, labels: np.ndarray, classes: int) -> Calibration:
    """Calibrate ``scores`` against class indices ``labels`` in ``range(classes)``.

    Binary (``classes == 2``): ``scores`` is the 1-D score of class 1. Multiclass: an ``(n,
    classes)`` matrix, column ``k`` the score of class ``k``.
    """
    if scores.ndim == 1:
        return Calibration((fit_curve(scores, labels == 1),))
    return Calibration(tuple(fit_curve(scores[:, k], labels == k) for k in range(classes)))
