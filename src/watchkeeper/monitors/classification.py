"""Classification metrics on labelled predictions, each with a 95% interval.

Binary: accuracy, precision, recall (Wilson), F1 (bootstrap over the confusion matrix), ROC AUC
(Hanley–McNeil), log loss (normal; scores clipped to [1e-15, 1 - 1e-15]) and expected
calibration error (10 equal-width score bins; bootstrap over (bin, label) cells, each cell's
scores taken at their mean). Multiclass: accuracy (Wilson), macro precision / recall / F1 over
the classes seen in labels or predictions (bootstrap over the confusion matrix; a class never
predicted has precision 0, as scikit-learn counts it) and log loss when class scores are given.

>>> y = np.array([1, 1, 1, 0, 0, 0], dtype=bool)
>>> s = np.array([0.9, 0.8, 0.4, 0.6, 0.2, 0.1])
>>> m = binary_metrics(y, s, threshold=0.5)
>>> [round(m[k].value, 3) for k in ("accuracy", "precision", "recall", "f1", "roc_auc")]
[0.667, 0.667, 0.667, 0.667, 0.889]
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from watchkeeper.monitors.intervals import (
    Z95,
    Estimate,
    bootstrap,
    mean_of,
    proportion,
    ratio,
    undefined,
)

EPS = 1e-15
CALIBRATION_BINS = 10
MAX_BOOTSTRAP_CLASSES = 50  # k x k cells per resample; beyond this the interval is skipped
NO_ROWS = "no labelled predictions"


def binary_metrics(y: np.ndarray, score: np.ndarray, threshold: float) -> dict[str, Estimate]:
    """Metrics of boolean labels ``y`` against ``score`` (a probability, or the 0/1 class).

    A prediction is positive when it is the class 1 (all scores 0 or 1) or its score is at
    least ``threshold``. Log loss and calibration need scores in [0, 1].
    """
    n = int(y.size)
    names = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "calibration_error")
    if n == 0:
        return {name: undefined(0, NO_ROWS) for name in names}
    hard = bool(np.all((score == 0) | (score == 1)))
    decision = score == 1 if hard else score >= threshold
    tp = int(np.count_nonzero(decision & y))
    fp = int(np.count_nonzero(decision & ~y))
    fn = int(np.count_nonzero(~decision & y))
    tn = n - tp - fp - fn
    f1 = ratio(2 * tp, 2 * tp + fp + fn).item()
    f1_low, f1_high = bootstrap(_f1, np.array([tp, fp, fn, tn]))
    probabilities = bool(np.all((score >= 0) & (score <= 1)))
    return {
        "accuracy": proportion(tp + tn, n),
        "precision": proportion(tp, tp + fp, "" if tp + fp else "no positive predictions"),
        "recall": proportion(tp, tp + fn, "" if tp + fn else "no positive labels"),
        "f1": Estimate(
            f1,
            n,
            f1_low,
            f1_high,
            "bootstrap",
            "" if tp + fp + fn else "no positive labels or predictions",
        ),
        "roc_auc": roc_auc(y, score),
        "log_loss": _binary_log_loss(y, score) if probabilities else undefined(n, _NOT_PROBA),
        "calibration_error": calibration_error(y, score)
        if probabilities
        else undefined(n, _NOT_PROBA),
    }


_NOT_PROBA = "predictions are not probabilities in [0, 1]"


def _f1(tables: np.ndarray) -> np.ndarray:
    tp, fp, fn = tables[..., 0], tables[..., 1], tables[..., 2]
    return ratio(2 * tp, 2 * tp + fp + fn)


def roc_auc(y: np.ndarray, score: np.ndarray) -> Estimate:
    """Area under the ROC curve (ties count half) with the Hanley–McNeil interval.

    >>> round(roc_auc(np.array([0, 0, 1, 1], dtype=bool), np.array([0.1, 0.4, 0.35, 0.8])).value, 2)
    0.75
    """
    n = int(y.size)
    positives = int(np.count_nonzero(y))
    negatives = n - positives
    if positives == 0 or negatives == 0:
        return undefined(n, "one class only in the labels")
    order = np.argsort(score)
    ordered, hits = score[order], y[order].astype(np.int64)
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    ends = np.append(starts[1:], n)
    mean_rank = (starts + ends + 1) / 2.0  # 1-based ranks, ties at their average
    # a plain sum, not np.dot: a BLAS call leaves OpenBLAS threads spinning on the other core
    rank_sum = float((mean_rank * np.add.reduceat(hits, starts)).sum())
    auc = (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    variance = (
        auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)
    ) / (positives * negatives)
    half = Z95 * math.sqrt(max(variance, 0.0))
    return Estimate(auc, n, max(0.0, auc - half), min(1.0, auc + half), "hanley_mcneil")


def _binary_log_loss(y: np.ndarray, score: np.ndarray) -> Estimate:
    p = np.clip(score, EPS, 1 - EPS)
    return mean_of(-np.log(np.where(y, p, 1 - p)))


def calibration_error(y: np.ndarray, score: np.ndarray) -> Estimate:
    """Expected calibration error: the row-weighted mean gap between the mean score and the
    positive share in 10 equal-width score bins.

    >>> y = np.array([0, 1, 1, 1], dtype=bool)
    >>> calibration_error(y, np.array([0.05, 0.15, 0.95, 0.95])).value
    0.25
    """
    n = int(y.size)
    if n == 0:
        return undefined(0, NO_ROWS)
    bins = np.minimum((score * CALIBRATION_BINS).astype(np.int64), CALIBRATION_BINS - 1)
    cell = bins * 2 + y.astype(np.int64)
    size = 2 * CALIBRATION_BINS
    counts = np.bincount(cell, minlength=size).reshape(CALIBRATION_BINS, 2)
    mean_score = ratio(np.bincount(cell, weights=score, minlength=size), counts.ravel())
    mean_score = np.nan_to_num(mean_score).reshape(CALIBRATION_BINS, 2)

    def ece(tables: np.ndarray) -> np.ndarray:
        gaps = np.abs((tables * mean_score).sum(axis=-1) - tables[..., 1])
        return np.asarray(gaps.sum(axis=-1) / tables.sum(axis=(-2, -1)))

    value = float(ece(counts[np.newaxis])[0])
    low, high = bootstrap(ece, counts)
    return Estimate(value, n, low, high, "bootstrap")


def multiclass_metrics(
    true: np.ndarray,
    predicted: np.ndarray,
    classes: int,
    scores: np.ndarray | None = None,
    scores_note: str = "no class scores",
) -> dict[str, Estimate]:
    """Metrics of class indices ``true`` against ``predicted`` (both in ``range(classes)``).

    ``scores``, when given, holds one row of class probabilities per row (NaN rows where a
    prediction came without scores); log loss uses the rows that have them.

    >>> t, p = np.array([0, 0, 1, 1, 2, 2]), np.array([0, 1, 1, 1, 2, 0])
    >>> m = multiclass_metrics(t, p, 3)
    >>> [round(m[k].value, 4) for k in ("accuracy", "precision", "recall", "f1")]
    [0.6667, 0.7222, 0.6667, 0.6556]
    """
    n = int(true.size)
    names = ("accuracy", "precision", "recall", "f1")
    if n == 0:
        return {name: undefined(0, NO_ROWS) for name in (*names, "log_loss")}
    confusion = np.bincount(true * classes + predicted, minlength=classes * classes)
    confusion = confusion.reshape(classes, classes)
    seen = (confusion.sum(axis=0) + confusion.sum(axis=1)) > 0
    table = confusion[np.ix_(seen, seen)]
    result = {"accuracy": proportion(int(np.trace(confusion)), n)}
    values = _macro(table[np.newaxis])
    if table.shape[0] <= MAX_BOOTSTRAP_CLASSES:
        bounds = [bootstrap(_macro_part(i), table) for i in range(3)]
        method, note = "bootstrap", ""
    else:
        bounds = [(float("nan"), float("nan"))] * 3
        method, note = "", f"no interval: more than {MAX_BOOTSTRAP_CLASSES} classes"
    for i, name in enumerate(names[1:]):
        result[name] = Estimate(float(values[i][0]), n, *bounds[i], method, note)
    result["log_loss"] = _multiclass_log_loss(true, scores, scores_note)
    return result


def _macro_part(index: int) -> Callable[[np.ndarray], np.ndarray]:
    """The statistic "macro precision (0), recall (1) or F1 (2)" for the bootstrap."""
    return lambda tables: _macro(tables)[index]


def _macro(tables: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Macro precision, recall and F1 of each confusion table (rows true, columns predicted);
    a per-class ratio without a denominator counts as 0."""
    tp = np.diagonal(tables, axis1=-2, axis2=-1)
    predicted, actual = tables.sum(axis=-2), tables.sum(axis=-1)
    precision = np.nan_to_num(ratio(tp, predicted)).mean(axis=-1)
    recall = np.nan_to_num(ratio(tp, actual)).mean(axis=-1)
    f1 = np.nan_to_num(ratio(2 * tp, predicted + actual)).mean(axis=-1)
    return precision, recall, f1


def _multiclass_log_loss(true: np.ndarray, scores: np.ndarray | None, note: str) -> Estimate:
    if scores is None:
        return undefined(int(true.size), note)
    rows = np.isfinite(scores).all(axis=1)
    if not rows.any():
        return undefined(0, "no prediction in the window came with class scores")
    p = np.clip(scores[rows, true[rows]], EPS, 1 - EPS)
    skipped = int(true.size - np.count_nonzero(rows))
    return mean_of(
        -np.log(p), f"{skipped} predictions without class scores left out" if skipped else ""
    )
