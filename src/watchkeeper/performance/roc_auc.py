"""ROC AUC with fractional positives: the expected AUC under calibrated probabilities.

Rows are sorted by the model's raw score; row ``i`` counts as ``w_i`` of a positive and
``1 - w_i`` of a negative. With ``w`` the 0/1 labels this is the ordinary ROC AUC (ties count
half, the area under the trapezoids of the ROC curve); with ``w`` calibrated probabilities it
is the area under the expected ROC curve, i.e. the expected true- and false-positive counts at
each threshold. Rows with equal scores form one step, so ties never depend on the sort order.

>>> score = np.array([0.1, 0.4, 0.35, 0.8])
>>> roc_auc(np.array([0.0, 0.0, 1.0, 1.0]), score)
0.75
>>> roc_auc(np.array([0.1, 0.3, 0.3, 0.8]), score).__round__(4)
0.78
>>> roc_auc(np.array([1.0, 1.0]), np.array([0.2, 0.3]))
nan
"""

from __future__ import annotations

import numpy as np


def roc_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """The AUC of ``score`` when row ``i`` is ``positive[i]`` of a positive (in [0, 1]);
    NaN when there are no (expected) positives or no negatives."""
    order = np.argsort(score, kind="stable")
    ordered = score[order]
    weights = positive[order].astype(np.float64, copy=False)
    n = ordered.size
    if n == 0:
        return float("nan")
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    positives = np.add.reduceat(weights, starts)  # per tie group, ascending score
    negatives = np.diff(np.append(starts, n)) - positives
    total_positive, total_negative = float(positives.sum()), float(negatives.sum())
    if total_positive <= 0 or total_negative <= 0:
        return float("nan")
    below = np.cumsum(negatives) - negatives  # negatives with a lower score than the group
    # a plain sum, not np.dot: a BLAS call leaves OpenBLAS threads spinning on the other core
    pairs = float((positives * (below + negatives / 2.0)).sum())
    return pairs / (total_positive * total_negative)
