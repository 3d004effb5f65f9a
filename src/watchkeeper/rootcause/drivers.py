"""Drift drivers: which drifted features plausibly move the model, and which do not matter.

Every feature's drift comes with a **magnitude** that compares across tests: for a distance
test (Wasserstein, Jensen–Shannon, PSI, ...) ``magnitude = statistic / threshold``, so 1.0 is
"just at the threshold" (:meth:`FeatureDrift.distance` computes it); for a p-value test the
caller supplies one, e.g. an effect size over its own threshold. A feature's
**weighted drift** is ``magnitude × importance`` and orders the result, largest first.

**Explained share.** Given the surrogate (``watchkeeper.rootcause.surrogate``) and samples of
the reference and the current data, each drifted feature *j* (every feature when none
drifted) is shifted alone: in the reference sample
its values are replaced by the current sample's values at the same rank (a quantile mapping,
ties broken by a seeded random order, so the rows keep their other features and an unchanged
column stays nearly as it was). ``Δj`` is the surrogate's mean prediction on that sample minus
its mean on the reference sample, and ``share_j = |Δj| / Σ|Δ|``. Features the surrogate does
not use explain nothing. Without a surrogate (or when no feature moves the prediction at all)
the share is proportional to the weighted drift. Samples are at most ``sample_rows`` (5,000)
rows of each table, drawn with the seeded generator.

**Impact**, per feature:

- ``low``: its importance is below ``low_importance``, by default
  ``min(0.05, 1 / (2 × number of features))``: under 5% of the total and under half an equal
  share, so drift in it can hardly move the model;
- ``high``: drifted, among the ``top`` (3) drifted features by weighted drift, and explaining
  at least ``high_share`` (25%) of the change;
- ``medium``: every other feature.

The dataset is **low impact** when every drifted feature is low impact (so also when none is).

>>> from watchkeeper.rootcause.importance import user_importances
>>> imp = user_importances({"age": 0.9, "zip": 0.02, "tenure": 0.08})
>>> drifts = [
...     FeatureDrift.distance("age", statistic=0.15, threshold=0.1),
...     FeatureDrift.distance("zip", statistic=0.9, threshold=0.1),
...     FeatureDrift.distance("tenure", statistic=0.05, threshold=0.1),
... ]
>>> summary = rank_drivers(drifts, imp)
>>> [(d.feature, d.drifted, d.weighted_drift, round(d.explained_share, 2), d.impact)
...  for d in summary.drivers]
[('age', True, 1.35, 0.86, 'high'), ('zip', True, 0.18, 0.11, 'low'),
 ('tenure', False, 0.04, 0.03, 'medium')]
>>> summary.low_impact
False
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa

from watchkeeper.errors import InputError
from watchkeeper.rootcause._columns import sample_rows as take_sample
from watchkeeper.rootcause.importance import Importances
from watchkeeper.rootcause.surrogate import Surrogate

Impact = Literal["high", "medium", "low"]

SAMPLE_ROWS = 5_000
LOW_IMPORTANCE_CAP = 0.05
HIGH_SHARE = 0.25
TOP = 3
MAX_CELLS = 4_000_000  # values in one prediction batch (32 MB)


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's drift verdict and its magnitude (comparable across tests)."""

    name: str
    statistic: float
    threshold: float
    drift_detected: bool
    magnitude: float

    @classmethod
    def distance(
        cls, name: str, statistic: float, threshold: float, drift_detected: bool | None = None
    ) -> FeatureDrift:
        """A distance test's verdict: ``magnitude = statistic / threshold`` (0 when undefined).

        >>> FeatureDrift.distance("x", 0.3, 0.1)
        FeatureDrift(name='x', statistic=0.3, threshold=0.1, drift_detected=True, magnitude=3.0)
        """
        usable = math.isfinite(statistic) and math.isfinite(threshold) and threshold > 0
        magnitude = max(0.0, statistic / threshold) if usable else 0.0
        if drift_detected is None:
            drift_detected = bool(math.isfinite(statistic) and statistic >= threshold)
        return cls(name, statistic, threshold, drift_detected, round(magnitude, 12))


@dataclass(frozen=True)
class Driver:
    """A feature's part in the drift: how far it moved, how much it matters, what it explains."""

    feature: str
    statistic: float
    threshold: float
    drifted: bool
    importance: float
    weighted_drift: float  # magnitude × importance
    explained_share: float  # share of the change of the model's output it plausibly explains
    impact: Impact


@dataclass(frozen=True)
class DriverSummary:
    """Drivers, largest weighted drift first, and whether the drift as a whole matters."""

    drivers: tuple[Driver, ...]
    low_impact: bool  # every drifted feature is low impact
    low_importance: float = 0.0  # the importance under which a feature is low impact
    prediction_shift: float | None = None  # surrogate mean prediction, current - reference

    @property
    def drifted(self) -> list[Driver]:
        return [d for d in self.drivers if d.drifted]


def rank_drivers(
    drifts: Sequence[FeatureDrift],
    importances: Importances,
    *,
    surrogate: Surrogate | None = None,
    reference: pa.Table | None = None,
    current: pa.Table | None = None,
    sample_rows: int = SAMPLE_ROWS,
    seed: int = 0,
    low_importance: float | None = None,
    high_share: float = HIGH_SHARE,
    top: int = TOP,
) -> DriverSummary:
    """Rank ``drifts`` by magnitude × importance and label each feature's impact.

    Every drifted feature must be listed in ``importances`` (an :class:`InputError` names those
    that are not); with a ``surrogate``, ``reference`` and ``current`` tables are required.
    """
    _check(drifts, importances, surrogate, reference, current, sample_rows)
    n_features = max(1, len(importances.values))
    if low_importance is None:
        low_importance = min(LOW_IMPORTANCE_CAP, 1.0 / (2 * n_features))
    names = [d.name for d in drifts]
    weighted = np.array([d.magnitude * importances.of(d.name) for d in drifts], dtype=np.float64)
    shift: float | None = None
    shares = _proportional(weighted)
    if surrogate is not None and reference is not None and current is not None:
        # only drifted features are moved (an undrifted one explains nothing by definition)
        moving = [d.name for d in drifts if d.drift_detected] or names
        changes, shift = explained_changes(
            surrogate, reference, current, moving, sample_rows=sample_rows, seed=seed
        )
        moved = np.abs(np.array([changes.get(n, 0.0) for n in names]))
        if moved.sum() > 0:
            shares = moved / moved.sum()
    order = sorted(range(len(drifts)), key=lambda i: (-weighted[i], -importances.of(names[i])))
    drivers: list[Driver] = []
    drifted_rank = 0
    for i in order:
        d, importance = drifts[i], importances.of(names[i])
        top_ranked = d.drift_detected and drifted_rank < top
        drifted_rank += int(d.drift_detected)
        impact: Impact = "medium"
        if importance < low_importance:
            impact = "low"
        elif top_ranked and shares[i] >= high_share:
            impact = "high"
        drivers.append(
            Driver(
                d.name,
                d.statistic,
                d.threshold,
                d.drift_detected,
                importance,
                round(float(weighted[i]), 12),
                float(shares[i]),
                impact,
            )
        )
    low = all(dr.impact == "low" for dr in drivers if dr.drifted)
    return DriverSummary(tuple(drivers), low, low_importance, shift)


def _check(
    drifts: Sequence[FeatureDrift],
    importances: Importances,
    surrogate: Surrogate | None,
    reference: pa.Table | None,
    current: pa.Table | None,
    sample_rows: int,
) -> None:
    seen: set[str] = set()
    for d in drifts:
        if d.name in seen:
            raise InputError(f"drifts: feature {d.name!r} is listed twice")
        seen.add(d.name)
        if not (math.isfinite(d.magnitude) and d.magnitude >= 0):
            raise InputError(
                f"drifts: magnitude of {d.name!r} must be a finite number >= 0 "
                f"(got {d.magnitude!r})"
            )
    unknown = [d.name for d in drifts if d.drift_detected and d.name not in importances.values]
    if unknown:
        raise InputError(f"drifts: drifted features without an importance: {', '.join(unknown)}")
    if surrogate is not None and (reference is None or current is None):
        raise InputError("reference, current: both samples are needed with a surrogate")
    if sample_rows < 1:
        raise InputError(f"sample_rows: must be at least 1 (got {sample_rows})")


def _proportional(weights: np.ndarray) -> np.ndarray:
    total = float(weights.sum())
    return weights / total if total > 0 else np.zeros_like(weights)


def explained_changes(
    surrogate: Surrogate,
    reference: pa.Table,
    current: pa.Table,
    features: Sequence[str],
    *,
    sample_rows: int = SAMPLE_ROWS,
    seed: int = 0,
) -> tuple[dict[str, float], float]:
    """``Δj`` for each of ``features`` (see the module) and the whole mean-prediction shift.

    Features the surrogate does not read get ``Δj = 0``.
    """
    rng = np.random.default_rng(seed)
    ref_x = surrogate.encode(take_sample(reference, sample_rows, rng))
    cur_x = surrogate.encode(take_sample(current, sample_rows, rng))
    if ref_x.shape[0] == 0 or cur_x.shape[0] == 0:
        raise InputError("reference, current: both samples need at least one row")
    base = float(surrogate.predict_matrix(ref_x).mean())
    shift = float(surrogate.predict_matrix(cur_x).mean()) - base
    column = {name: j for j, name in enumerate(surrogate.features)}
    usable = [(name, column[name]) for name in features if name in column]
    tiebreak = rng.random(size=int(ref_x.shape[0]))
    changes = dict.fromkeys(features, 0.0)
    rows = ref_x.shape[0]
    per_call = max(1, MAX_CELLS // ref_x.size)  # shifted copies predicted in one call
    for start in range(0, len(usable), per_call):
        group = usable[start : start + per_call]
        stacked = np.tile(ref_x, (len(group), 1))
        for k, (_, j) in enumerate(group):
            stacked[k * rows : (k + 1) * rows, j] = rank_matched(ref_x[:, j], cur_x[:, j], tiebreak)
        means = surrogate.predict_matrix(stacked).reshape(len(group), rows).mean(axis=1)
        for (name, _), mean in zip(group, means, strict=True):
            changes[name] = float(mean) - base
    return changes, shift


def rank_matched(values: np.ndarray, target: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """``target``'s values given to ``values``' rows by rank: the quantile mapping of one
    sample onto the other (NaN ranks last in both).

    >>> rank_matched(np.array([3.0, 1.0, 2.0]), np.array([10.0, 30.0, 20.0]), np.zeros(3))
    array([30., 10., 20.])
    """
    rank = np.empty(values.size, dtype=np.int64)
    rank[np.lexsort((tiebreak, values))] = np.arange(values.size)
    quantile = (rank + 0.5) / values.size
    picked = np.minimum((quantile * target.size).astype(np.int64), target.size - 1)
    result: np.ndarray = np.sort(target)[picked]
    return result
