"""Confidence-based performance estimation (CBPE) of classifiers, without labels.

With calibrated probabilities a row predicted positive is a true positive with probability
``p`` and a false positive with probability ``1 - p``, so a chunk's confusion matrix has the
expected cells::

    TP = Σ p·[pred = 1]    FP = Σ (1 - p)·[pred = 1]
    FN = Σ p·[pred = 0]    TN = Σ (1 - p)·[pred = 0]

and accuracy, precision, recall and F1 are taken from these expected counts; ROC AUC is the
area under the expected ROC curve (:mod:`watchkeeper.performance.roc_auc`). Multiclass: per
class one-vs-rest expected cells, macro-averaged precision, recall and F1 (a class without
predictions or members counts 0, as scikit-learn's ``zero_division=0``), accuracy = mean of
``p[predicted class]`` and macro one-vs-rest ROC AUC over the classes that have (expected)
members and non-members.

Realized metrics are the same functions with the labels as the weights (``p`` = 1 for the true
class, 0 otherwise): one definition for both. Binary precision, recall and F1 are NaN when
their denominator is 0.

>>> p = np.array([0.9, 0.8, 0.3, 0.2])
>>> pred = np.array([True, True, False, False])
>>> m = binary_metrics(p, pred, p)
>>> [round(m[k], 3) for k in BINARY]
[0.8, 0.85, 0.773, 0.81, 0.828]
>>> binary_metrics(np.array([1.0, 1.0, 0.0, 0.0]), pred, p)["accuracy"]
1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from watchkeeper.errors import InputError
from watchkeeper.performance.calibration import Calibration, fit_calibration
from watchkeeper.performance.inputs import Classes, class_index, require, score_matrix
from watchkeeper.performance.roc_auc import roc_auc

BINARY = ("accuracy", "precision", "recall", "f1", "roc_auc")
MULTICLASS = BINARY


@dataclass(frozen=True, eq=False)
class ClassRows:
    """Per-row inputs of CBPE for one chunk (or a whole table).

    ``probability``: calibrated P(positive) (binary, ``(n,)``) or class probabilities ``(n,
    k)``; ``score``: the raw scores in the same shape, which order rows for ROC AUC;
    ``predicted``: the predicted class index ``(n,)``; ``label``: the true class index, -1
    where the row has no label, or None when there are no labels at all.
    """

    probability: np.ndarray
    score: np.ndarray
    predicted: np.ndarray
    label: np.ndarray | None

    @property
    def size(self) -> int:
        return int(self.predicted.size)

    @property
    def metrics(self) -> tuple[str, ...]:
        return BINARY if self.probability.ndim == 1 else MULTICLASS

    def take(self, index: np.ndarray | slice) -> ClassRows:
        label = None if self.label is None else self.label[index]
        return ClassRows(self.probability[index], self.score[index], self.predicted[index], label)

    def estimated(self) -> dict[str, float]:
        if self.probability.ndim == 1:
            return binary_metrics(self.probability, self.predicted == 1, self.score)
        return multiclass_metrics(self.probability, self.predicted, self.score)

    def realized(self) -> dict[str, float] | None:
        if self.label is None:
            return None
        known = self.label >= 0
        label = self.label[known]
        if self.probability.ndim == 1:
            return binary_metrics(label == 1, self.predicted[known] == 1, self.score[known])
        classes = self.probability.shape[1]
        members = label[:, np.newaxis] == np.arange(classes)
        return multiclass_metrics(members, self.predicted[known], self.score[known])


@dataclass(frozen=True, eq=False)
class Cbpe:
    """CBPE fitted on a reference: reads a table's scores, predictions and labels.

    ``scores`` holds one column (binary: the score of ``classes[1]``, the greater label value)
    or one per class in the classes' sorted order (multiclass). The predicted class is the
    ``prediction`` column's value; without one, binary predicts ``classes[1]`` when its score
    is at least ``threshold`` and multiclass the class with the highest score.
    """

    scores: tuple[str, ...]
    prediction: str | None
    label: str
    classes: Classes
    calibration: Calibration
    threshold: float = 0.5

    @property
    def metrics(self) -> tuple[str, ...]:
        return BINARY if len(self.scores) == 1 else MULTICLASS

    def rows(self, table: pa.Table, role: str) -> ClassRows:
        require(table, self.scores, role)
        score = score_matrix(table, self.scores, role)
        if self.prediction is not None:
            require(table, [self.prediction], role)
            predicted = class_index(
                table.column(self.prediction), self.classes, role, self.prediction
            )
            if (predicted < 0).any():
                nulls = int(np.count_nonzero(predicted < 0))
                raise InputError(f"{role}: column '{self.prediction}' has {nulls} null values")
        elif score.ndim == 1:
            predicted = (score >= self.threshold).astype(np.int64)
        else:
            predicted = np.argmax(score, axis=1)
        label = None
        if self.label in table.column_names:
            label = class_index(table.column(self.label), self.classes, role, self.label)
        return ClassRows(self.calibration.predict(score), score, predicted, label)


def fit_cbpe(
    table: pa.Table,
    scores: Sequence[str],
    prediction: str | None,
    label: str,
    classes: Classes,
    threshold: float = 0.5,
) -> Cbpe:
    """Calibrate the score columns on the labelled rows of a reference ``table``."""
    require(table, [*scores, label], "reference")
    labels = class_index(table.column(label), classes, "reference", label)
    calibration = fit_calibration(score_matrix(table, scores, "reference"), labels, len(classes))
    return Cbpe(tuple(scores), prediction, label, classes, calibration, threshold)


def binary_metrics(
    positive: np.ndarray, predicted: np.ndarray, score: np.ndarray
) -> dict[str, float]:
    """Metrics from the weights ``positive`` (P(y = 1), or the 0/1 labels), the boolean
    ``predicted`` and the raw ``score``."""
    n = int(predicted.size)
    if n == 0:
        return dict.fromkeys(BINARY, float("nan"))
    weights = positive.astype(np.float64, copy=False)
    flagged = int(np.count_nonzero(predicted))
    tp = float(weights[predicted].sum())
    fn = float(weights.sum()) - tp
    fp = flagged - tp
    tn = n - flagged - fn
    return {
        "accuracy": (tp + tn) / n,
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "roc_auc": roc_auc(weights, score),
    }


def multiclass_metrics(
    membership: np.ndarray, predicted: np.ndarray, score: np.ndarray
) -> dict[str, float]:
    """Metrics from ``membership`` ``(n, k)`` (class probabilities, or one-hot labels), the
    predicted class index per row and the raw class scores ``(n, k)``."""
    n, classes = membership.shape
    if n == 0:
        return dict.fromkeys(MULTICLASS, float("nan"))
    weights = membership.astype(np.float64, copy=False)
    hit = weights[np.arange(n), predicted]
    tp = np.bincount(predicted, weights=hit, minlength=classes)
    flagged = np.bincount(predicted, minlength=classes).astype(np.float64)
    members = weights.sum(axis=0)
    aucs = [roc_auc(weights[:, k], score[:, k]) for k in range(classes)]
    defined = [a for a in aucs if not np.isnan(a)]
    return {
        "accuracy": float(hit.sum()) / n,
        "precision": _macro(tp, flagged),
        "recall": _macro(tp, members),
        "f1": _macro(2 * tp, flagged + members),
        "roc_auc": sum(defined) / len(defined) if defined else float("nan"),
    }


def _ratio(top: float, bottom: float) -> float:
    return top / bottom if bottom > 0 else float("nan")


def _macro(top: np.ndarray, bottom: np.ndarray) -> float:
    """The mean over classes of ``top / bottom``, a class with ``bottom == 0`` counting 0."""
    safe = np.where(bottom > 0, bottom, 1.0)
    return float(np.where(bottom > 0, top / safe, 0.0).mean())
