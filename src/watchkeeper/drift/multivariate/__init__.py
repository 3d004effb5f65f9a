"""Multivariate drift: changes no single column shows, such as a correlation that flipped.

Two methods compare whole rows of the chosen ``features``:

* ``"domain_classifier"`` (:mod:`.domain_classifier`): how well a gradient-boosted classifier
  tells current rows from reference rows, as a cross-validated ROC AUC; sensitive to any
  difference, costs about a second on its bounded sample;
* ``"pca"`` (:mod:`.pca_reconstruction`): how badly the reference's principal components
  reconstruct the current rows; fitted once (:func:`fit_pca_reference`, serialisable) and then
  applied to any number of windows (:func:`pca_drift`) in a fraction of a second.

Both encode the features the same way (:mod:`.encode`). A reference with too few rows is an
:class:`~watchkeeper.errors.InputError`; a current window with fewer than 50 rows is not tested
and the result says so in ``note``.

>>> import numpy as np
>>> rng = np.random.default_rng(7)
>>> def window(rho, n=2000):
...     x1, e = rng.normal(size=n), rng.normal(size=n)
...     return {"x1": x1, "x2": rho * x1 + np.sqrt(1 - rho**2) * e}
>>> reference = window(0.9)
>>> for method in ("domain_classifier", "pca"):
...     same = multivariate_drift(reference, window(0.9), ["x1", "x2"], method)
...     flipped = multivariate_drift(reference, window(-0.9), ["x1", "x2"], method)
...     print(method, same.drift_detected, flipped.drift_detected)
domain_classifier False True
pca False True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

from watchkeeper.data import read_table
from watchkeeper.drift.multivariate.domain_classifier import (
    ALPHA,
    MIN_AUC,
    DomainClassifierResult,
    domain_classifier_drift,
)
from watchkeeper.drift.multivariate.encode import TOP_K, Encoder, check_features
from watchkeeper.drift.multivariate.pca_reconstruction import (
    MIN_CHANGE,
    MIN_ROWS,
    SIGMAS,
    VARIANCE_SHARE,
    PcaReference,
    PcaResult,
    fit_pca_reference,
    pca_drift,
)
from watchkeeper.errors import InputError

Method = Literal["domain_classifier", "pca"]
METHODS: tuple[str, ...] = get_args(Method)


@dataclass(frozen=True)
class MultivariateResult:
    """One multivariate test: the statistic, the band it is judged against, the verdict.

    ``statistic`` is the out-of-fold AUC (``domain_classifier``; drift above ``upper``, no
    ``lower``) or the mean reconstruction error (``pca``; drift outside ``lower..upper``).
    ``n_reference`` and ``n_current`` count the rows given; ``detail`` is the method's own
    result, with the rows it sampled.
    """

    method: Method
    statistic: float
    lower: float | None
    upper: float
    drift_detected: bool
    n_reference: int
    n_current: int
    note: str
    detail: DomainClassifierResult | PcaResult

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; NaN (not tested) becomes None."""
        data: dict[str, Any] = _json_ready(asdict(self))
        return data


def multivariate_drift(
    reference: Any,
    current: Any,
    features: Sequence[str],
    method: Method = "domain_classifier",
    seed: int = 0,
    *,
    alpha: float = ALPHA,
    min_auc: float = MIN_AUC,
    variance_share: float = VARIANCE_SHARE,
    sigmas: float = SIGMAS,
    min_change: float = MIN_CHANGE,
    top_k: int = TOP_K,
) -> MultivariateResult:
    """Test ``current`` against ``reference`` on ``features`` taken together.

    Both tables may be Arrow tables or anything :func:`watchkeeper.data.read_table` reads.
    ``alpha`` and ``min_auc`` set the classifier's threshold; ``variance_share``, ``sigmas``
    and ``min_change`` the PCA band. To test many windows against one reference with PCA, fit
    it once with :func:`fit_pca_reference` and call :func:`pca_drift` per window.
    """
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)} (got {method!r})")
    ref, cur = read_table(reference, "reference"), read_table(current, "current")
    check_features(ref, cur, features)
    if method == "domain_classifier":
        found = domain_classifier_drift(
            ref, cur, features, seed=seed, alpha=alpha, min_auc=min_auc, top_k=top_k
        )
        return MultivariateResult(
            "domain_classifier",
            found.auc,
            None,
            found.threshold,
            found.drift_detected,
            ref.num_rows,
            cur.num_rows,
            found.note,
            found,
        )
    fitted = fit_pca_reference(
        ref, features, seed=seed, variance_share=variance_share, top_k=top_k, current=cur
    )
    scored = pca_drift(fitted, cur, seed=seed, sigmas=sigmas, min_change=min_change)
    return MultivariateResult(
        "pca",
        scored.statistic,
        scored.lower,
        scored.upper,
        scored.drift_detected,
        ref.num_rows,
        cur.num_rows,
        scored.note,
        scored,
    )


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    return value


__all__ = [
    "METHODS",
    "MIN_ROWS",
    "DomainClassifierResult",
    "Encoder",
    "Method",
    "MultivariateResult",
    "PcaReference",
    "PcaResult",
    "domain_classifier_drift",
    "fit_pca_reference",
    "multivariate_drift",
    "pca_drift",
]
