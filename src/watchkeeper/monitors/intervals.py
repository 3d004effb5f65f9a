"""A metric value with its 95% confidence interval, and the three ways intervals are made.

* **Wilson** score interval for proportions (accuracy, precision, recall, label coverage): good
  at small n and near 0 or 1, where the normal approximation leaves [0, 1].
* **Normal approximation** for means of per-row terms (log loss, MAE, MAPE) and, through the
  influence function (delta method), for smooth functions of means (RMSE, R², ROC AUC by
  Hanley–McNeil). Linear in n, so a 1M-row window costs one pass.
* **Bootstrap over cells**, 200 resamples with a seed taken from the cell counts (the same
  data give the same interval): for statistics that are functions of a contingency table
  (F1, macro precision / recall / F1, calibration error). Resampling rows with replacement
  is the same as drawing the table's cell counts from a multinomial, so no row is touched.

>>> e = proportion(45, 50)
>>> round(e.value, 2), round(e.low, 3), round(e.high, 3), e.method
(0.9, 0.786, 0.957, 'wilson')
>>> b = bootstrap(lambda t: t[..., 0] / t.sum(axis=-1), np.array([30, 10]))
>>> b == bootstrap(lambda t: t[..., 0] / t.sum(axis=-1), np.array([30, 10]))
True
>>> 0.55 < b[0] < 0.75 < b[1] < 0.9
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Z95 = 1.959963984540054
RESAMPLES = 200


@dataclass(frozen=True)
class Estimate:
    """A metric's value on ``n`` rows with a 95% interval; NaN value when not computable."""

    value: float
    n: int
    low: float = float("nan")
    high: float = float("nan")
    method: str = ""  # how the interval was computed
    note: str = ""  # why there is no value, or what was left out

    @property
    def computable(self) -> bool:
        return math.isfinite(self.value)

    def details(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "n": self.n,
            "ci_low": _finite(self.low),
            "ci_high": _finite(self.high),
            "ci_level": 0.95,
            "ci_method": self.method,
        }
        if self.note:
            data["note"] = self.note
        return data


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def undefined(n: int, note: str) -> Estimate:
    return Estimate(float("nan"), n, note=note)


def proportion(k: int, n: int, note: str = "") -> Estimate:
    """``k / n`` with the Wilson score interval."""
    if n == 0:
        return undefined(0, note or "no rows to count")
    p = k / n
    z2 = Z95 * Z95
    center = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return Estimate(p, n, max(0.0, center - half), min(1.0, center + half), "wilson", note)


def mean_of(terms: np.ndarray, note: str = "") -> Estimate:
    """The mean of per-row ``terms`` with a normal-approximation interval.

    >>> m = mean_of(np.array([1.0, 2.0, 3.0, 4.0]))
    >>> m.value, round(m.high - m.value, 3)
    (2.5, 1.265)
    """
    n = int(terms.size)
    if n == 0:
        return undefined(0, note or "no rows")
    value = float(terms.mean())
    half = Z95 * float(terms.std(ddof=1)) / math.sqrt(n) if n > 1 else float("nan")
    return Estimate(value, n, value - half, value + half, "normal", note)


def from_influence(value: float, influence: np.ndarray, method: str, note: str = "") -> Estimate:
    """``value`` with a normal interval from its per-row influence (delta method)."""
    n = int(influence.size)
    half = Z95 * float(influence.std(ddof=1)) / math.sqrt(n) if n > 1 else float("nan")
    return Estimate(value, n, value - half, value + half, method, note)


def bootstrap(
    statistic: Callable[[np.ndarray], np.ndarray], cells: np.ndarray
) -> tuple[float, float]:
    """2.5% and 97.5% percentiles of ``statistic`` over multinomial resamples of ``cells``.

    ``statistic`` maps an array of tables, shape ``(RESAMPLES, *cells.shape)``, to one value
    per table; resamples where it is undefined (NaN) are left out.
    """
    counts = np.asarray(cells, dtype=np.int64)
    n = int(counts.sum())
    if n == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(np.random.SeedSequence(counts.ravel().tolist()))
    draws = rng.multinomial(n, counts.ravel() / n, size=RESAMPLES).reshape(-1, *counts.shape)
    values = np.asarray(statistic(draws), dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def ratio(numerator: np.ndarray | float, denominator: np.ndarray | float) -> np.ndarray:
    """Elementwise ``numerator / denominator``, NaN where the denominator is 0 (no warning)."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out
