"""Domain classifier: can a model tell current rows from reference rows?

A seeded sample of at most ``max_rows`` rows is drawn from each side and encoded
(:mod:`.encode`; string features enter as category codes, which the trees split natively).
scikit-learn's ``HistGradientBoostingClassifier`` (100 iterations of trees with at most 15
leaves, no early stopping, one thread) is trained with stratified ``folds``-fold
cross-validation to predict the side of each row; the statistic is the ROC AUC of the pooled
out-of-fold predictions (0.5: no better than chance).

The threshold needs no permutations. When both samples come from one distribution, the AUC of
scores that do not depend on the labels (the Mann–Whitney AUC of exchangeable samples) has mean
0.5 and standard deviation ``sqrt((n1 + n2 + 1) / (12 n1 n2))``. Out-of-fold scores come close,
but the fold models share most of their training rows, so every fold picks up the same chance
differences between the two samples: measured on same-distribution data from 200 to 10 000
rows a side, the out-of-fold AUC spread 0.85 to 1.5 times as wide as the formula says (widest
at 500 and 2 000 rows a side), and the plain formula gave up to 9 % false alarms at
``alpha = 0.01``. The standard deviation is therefore multiplied by ``sqrt(1 + k / (k - 1))``
(1.5 for k = 5), the Nadeau–Bengio correction for overlapping training sets. Drift is reported
when ``AUC > 0.5 + z · sd`` (``z`` the one-sided normal quantile of ``alpha``) *and*
``AUC ≥ min_auc``, so that huge samples do not alarm on differences too small to matter. The
tests check the false-alarm rate on same-distribution data.

scikit-learn is imported only when the test runs; without it the test raises a
:class:`~watchkeeper.errors.WatchkeeperError` saying so.

>>> import numpy as np
>>> import pyarrow as pa
>>> rng = np.random.default_rng(0)
>>> def window(rho, n):
...     x1, e = rng.normal(size=n), rng.normal(size=n)
...     return pa.table({"x1": x1, "x2": rho * x1 + np.sqrt(1 - rho**2) * e})
>>> ref = window(0.9, 1000)
>>> domain_classifier_drift(ref, window(0.9, 1000), ["x1", "x2"]).drift_detected
False
>>> r = domain_classifier_drift(ref, window(-0.9, 1000), ["x1", "x2"])
>>> r.drift_detected, r.auc > 0.9, round(r.threshold, 3)
(True, True, 0.55)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pyarrow as pa

from watchkeeper.drift.multivariate.encode import TOP_K, Encoder, check_features, sample_rows
from watchkeeper.errors import InputError, WatchkeeperError

MAX_ROWS = 10_000  # rows sampled from each side
FOLDS = 5
ALPHA = 0.01
MIN_AUC = 0.55
MIN_ROWS = 50  # a smaller current window is not tested; a smaller reference is an error
MAX_ITER = 100
MAX_LEAF_NODES = 15


@dataclass(frozen=True)
class DomainClassifierResult:
    """Out-of-fold ROC AUC of the reference-vs-current classifier and its threshold."""

    auc: float
    threshold: float
    drift_detected: bool
    n_reference: int  # rows used from each side (after sampling)
    n_current: int
    folds: int
    null_sd: float  # standard deviation of the AUC when nothing changed (see null_sd)
    note: str = ""


def mann_whitney_sd(n_reference: int, n_current: int) -> float:
    """Standard deviation of the Mann–Whitney AUC of two exchangeable samples.

    >>> round(mann_whitney_sd(10_000, 10_000), 5)
    0.00408
    """
    n1, n2 = n_reference, n_current
    return math.sqrt((n1 + n2 + 1) / (12.0 * n1 * n2))


def null_sd(n_reference: int, n_current: int, folds: int = FOLDS) -> float:
    """Standard deviation of the out-of-fold AUC when nothing changed: the Mann–Whitney
    value, widened for the training rows the ``folds`` models share.

    >>> round(null_sd(10_000, 10_000), 5)
    0.00612
    """
    return mann_whitney_sd(n_reference, n_current) * math.sqrt(1.0 + folds / (folds - 1.0))


def auc_threshold(
    n_reference: int,
    n_current: int,
    alpha: float = ALPHA,
    min_auc: float = MIN_AUC,
    folds: int = FOLDS,
) -> float:
    """The AUC above which drift is reported: ``max(0.5 + z·sd, min_auc)``.

    >>> round(auc_threshold(100, 100), 3), auc_threshold(10_000, 10_000)
    (0.643, 0.55)
    """
    z = NormalDist().inv_cdf(1.0 - alpha)
    return max(0.5 + z * null_sd(n_reference, n_current, folds), min_auc)


def domain_classifier_drift(
    reference: pa.Table,
    current: pa.Table,
    features: Sequence[str],
    *,
    seed: int = 0,
    alpha: float = ALPHA,
    min_auc: float = MIN_AUC,
    max_rows: int = MAX_ROWS,
    folds: int = FOLDS,
    top_k: int = TOP_K,
) -> DomainClassifierResult:
    """Whether a classifier separates ``current`` from ``reference`` better than chance.

    A reference of fewer than ``MIN_ROWS`` rows is an InputError. A current window of fewer
    is not tested: the result has ``auc`` NaN, ``drift_detected`` False and says why in
    ``note``.
    """
    _check_settings(alpha, min_auc, max_rows, folds)
    check_features(reference, current, features)
    n1, n2 = min(reference.num_rows, max_rows), min(current.num_rows, max_rows)
    if n1 < MIN_ROWS:
        raise InputError(
            f"the reference has {n1} rows; the domain classifier needs at least {MIN_ROWS}"
        )
    if n2 < MIN_ROWS:
        note = f"not tested: the current window has {n2} rows, fewer than {MIN_ROWS}"
        return DomainClassifierResult(math.nan, math.nan, False, n1, n2, folds, math.nan, note)
    seeds = np.random.SeedSequence(seed).spawn(2)
    ref = sample_rows(reference, max_rows, seeds[0])
    cur = sample_rows(current, max_rows, seeds[1])
    encoder = Encoder.fit(ref, features, current=cur, top_k=top_k)
    x, categorical = _matrix(encoder, ref, cur)
    y = np.concatenate([np.zeros(n1, dtype=np.int8), np.ones(n2, dtype=np.int8)])
    auc = _out_of_fold_auc(x, y, categorical, folds, seed)
    threshold = auc_threshold(n1, n2, alpha, min_auc, folds)
    return DomainClassifierResult(
        auc, threshold, auc > threshold, n1, n2, folds, null_sd(n1, n2, folds)
    )


def _check_settings(alpha: float, min_auc: float, max_rows: int, folds: int) -> None:
    if not 0.0 < alpha < 0.5:
        raise InputError(f"alpha must be between 0 and 0.5 (got {alpha!r})")
    if not 0.5 <= min_auc < 1.0:
        raise InputError(f"min_auc must be between 0.5 and 1 (got {min_auc!r})")
    if max_rows < MIN_ROWS:
        raise InputError(f"max_rows must be at least {MIN_ROWS} (got {max_rows!r})")
    if not 2 <= folds <= MIN_ROWS:
        raise InputError(f"folds must be between 2 and {MIN_ROWS} (got {folds!r})")


def _matrix(encoder: Encoder, ref: pa.Table, cur: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Both samples stacked: the numeric block, then one code column per string feature
    (the classifier treats those as categorical), and the mask of the code columns."""
    blocks = []
    for table, role in ((ref, "reference"), (cur, "current")):
        parts = encoder.parts(table, role)
        blocks.append(np.column_stack([parts.numeric, *parts.codes]))
    width = encoder.numeric_width
    categorical = np.arange(width + len(encoder.categorical)) >= width
    return np.vstack(blocks), categorical


def _out_of_fold_auc(
    x: np.ndarray, y: np.ndarray, categorical: np.ndarray, folds: int, seed: int
) -> float:
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import StratifiedKFold
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise WatchkeeperError(
            "the domain classifier needs scikit-learn: pip install scikit-learn"
        ) from None

    predicted = np.empty(len(y))
    splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(x, y)
    # One OpenMP thread: on shared cores the pool's spinning threads cost far more than they
    # save on a sample this small.
    with threadpool_limits(limits=1, user_api="openmp"):
        for train, test in splits:
            model = HistGradientBoostingClassifier(
                max_iter=MAX_ITER,
                max_leaf_nodes=MAX_LEAF_NODES,
                early_stopping=False,
                categorical_features=categorical if categorical.any() else None,
                random_state=seed,
            )
            model.fit(x[train], y[train])
            predicted[test] = model.predict_proba(x[test])[:, 1]
    return float(roc_auc_score(y, predicted))
