"""How far an estimate strays, measured on random chunks of the labelled reference.

The reference rows held out from fitting are drawn :data:`DRAWS` times as random chunks of
``n0 = min(rows // 4, MAX_CHUNK)`` rows (each draw without replacement; seeded). On each the
metrics are estimated and realized, which gives, per metric:

* ``error_sd``: the standard deviation of realized − estimated, i.e. how far the truth lies
  from the estimate on a chunk of ``n0`` rows;
* ``estimate_sd`` and ``centre``: the standard deviation and mean of the estimate itself, i.e.
  how much it moves while the model performs as on the reference.

Both are corrected for drawing from a finite set of rows (divided by ``sqrt(1 - n0 / rows)``)
and scale as ``sqrt(n0 / n)`` to a chunk of ``n`` rows, so a chunk's uncertainty band is
``estimate ± 3·error_sd·sqrt(n0/n)`` and the reference range ``centre ±
3·estimate_sd·sqrt(n0/n)``; both are clipped to the metric's possible values.

>>> band = Band(1000, {"accuracy": 0.9}, {"accuracy": 0.01}, {"accuracy": 0.02}, (0.0, 1.0))
>>> band.uncertainty("accuracy", 0.85, 4000)
(0.835, 0.865)
>>> band.reference_range("accuracy", 250)
(0.78, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

DRAWS = 200
MAX_CHUNK = 5000
WIDTH = 3.0  # band half-width in standard deviations


class Rows(Protocol):
    """Per-row inputs of an estimator, for a whole table or one chunk of it."""

    @property
    def size(self) -> int: ...

    @property
    def metrics(self) -> tuple[str, ...]: ...

    def take(self, index: np.ndarray | slice) -> Rows: ...

    def estimated(self) -> dict[str, float]: ...

    def realized(self) -> dict[str, float] | None: ...


@dataclass(frozen=True)
class Band:
    """The spread of the estimates on reference chunks of ``rows`` rows (see the module)."""

    rows: int
    centre: Mapping[str, float]
    error_sd: Mapping[str, float]
    estimate_sd: Mapping[str, float]
    limits: tuple[float, float]  # the metric's possible values

    def uncertainty(self, metric: str, estimate: float, n: int) -> tuple[float, float]:
        """The band around ``estimate`` on a chunk of ``n`` rows that holds the realized value."""
        return self._around(estimate, self.error_sd[metric], n)

    def reference_range(self, metric: str, n: int) -> tuple[float, float]:
        """Where the estimate stays on ``n`` rows while the model performs as on the reference."""
        return self._around(self.centre[metric], self.estimate_sd[metric], n)

    def _around(self, centre: float, sd: float, n: int) -> tuple[float, float]:
        if n <= 0 or not (math.isfinite(centre) and math.isfinite(sd)):
            return float("nan"), float("nan")
        half = WIDTH * sd * math.sqrt(self.rows / n)
        low, high = self.limits
        return max(low, round(centre - half, 12)), min(high, round(centre + half, 12))


def measure_band(rows: Rows, seed: int, limits: tuple[float, float]) -> Band:
    """Draw the reference chunks from labelled ``rows`` and measure the spreads."""
    total = rows.size
    size = min(total // 4, MAX_CHUNK)
    rng = np.random.default_rng(seed)
    estimated: dict[str, list[float]] = {m: [] for m in rows.metrics}
    errors: dict[str, list[float]] = {m: [] for m in rows.metrics}
    for _ in range(DRAWS):
        chunk = rows.take(np.sort(rng.choice(total, size, replace=False)))
        guess, truth = chunk.estimated(), chunk.realized() or {}
        for metric in rows.metrics:
            estimated[metric].append(guess[metric])
            errors[metric].append(truth.get(metric, float("nan")) - guess[metric])
    finite = math.sqrt(1.0 - size / total)  # drawing without replacement from `total` rows
    return Band(
        size,
        {m: _mean(v) for m, v in estimated.items()},
        {m: _sd(v) / finite for m, v in errors.items()},
        {m: _sd(v) / finite for m, v in estimated.items()},
        limits,
    )


def _finite(values: list[float]) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    return array[np.isfinite(array)]


def _mean(values: list[float]) -> float:
    array = _finite(values)
    return float(array.mean()) if array.size else float("nan")


def _sd(values: list[float]) -> float:
    array = _finite(values)
    return float(array.std(ddof=1)) if array.size >= 2 else float("nan")
