"""Page–Hinkley test: a change of level anywhere in the history, against its running mean.

Over the ``history`` windows ending at the judged one, standardized by their robust scale
(``1.4826 · MAD``), the test accumulates each value's deviation from the mean of the values so
far: ``m_t = Σ (z_i − mean(z_1..z_i) − δ)``. A rise makes ``m`` climb away from its lowest
point, and the alarm is ``m_T − min m ≥ λ`` (for a fall, the mirror image). Unlike ``cusum``
it needs no separate baseline: the running mean is its own, so it also suits series without a
quiet stretch to learn from. It is river's ``drift.PageHinkley`` without the forgetting factor
(the history bounds its memory), standardized so that ``δ`` and ``λ`` read in standard
deviations on any metric.

Threshold ``λ``, default 10; parameter ``delta`` (``δ``, default 0.5: the drift per window
tolerated, like ``k`` of CUSUM). Measured on hourly windows with a week of history: 0.03 false
alarms per 1,000 Gaussian windows (λ = 8: 0.2, λ = 12: none, but 3σ steps take 4 to 6
windows), a 3σ step found within 5 windows (median 3), 1σ after about 22.

>>> import numpy as np
>>> from watchkeeper.alerting.config import AnomalySpec
>>> from watchkeeper.rules.detectors.registry import build_detector
>>> x = np.random.default_rng(3).normal(10.0, 1.0, 300)  # hourly windows
>>> x[200:] -= 3  # a drop of 3σ
>>> ph = build_detector(AnomalySpec("page_hinkley", history="7d"), window_seconds=3600)
>>> ph.trace(x).first_alarm()
204
>>> ph.detect(x[:205]).reason
'Page–Hinkley -11.8 ≤ -10 (δ 0.5): the 7d history fell below its running mean (scale 1.04)'
"""

from __future__ import annotations

import numpy as np

from watchkeeper.rules.detectors._window import robust_baseline, running_count
from watchkeeper.rules.detectors.base import Detector, Scores


def excursion(m: np.ndarray) -> np.ndarray:
    """``m_T − min(0, m_1, …, m_T)`` of each row of a cumulative sum ``m``.

    >>> excursion(np.cumsum([[1.0, -4.0, 2.0, 0.0, 1.5]], axis=1))
    array([3.5])
    """
    rise: np.ndarray = m[:, -1] - np.minimum(m.min(axis=1), 0.0)
    return rise


class PageHinkley(Detector):
    name = "page_hinkley"

    @property
    def delta(self) -> float:
        return self.config.params["delta"]

    @property
    def width(self) -> int:
        return self.config.history

    def score(self, rows: np.ndarray) -> Scores:
        base = robust_baseline(rows, self.config.min_baseline)
        valid = ~np.isnan(rows)
        z = np.where(valid, rows, 0.0) / base.scale[:, None]
        seen = running_count(valid)
        running = np.cumsum(z, axis=1) / np.maximum(seen, 1)
        drift = np.cumsum(np.where(valid, z - running, 0.0), axis=1)  # Σ (z_i − mean so far)
        tolerated = self.delta * seen
        up = excursion(drift - tolerated)
        down = excursion(-drift - tolerated)
        return Scores(up, down)

    def explain(self, row: np.ndarray, statistic: float, alarm: bool) -> str:
        scale = robust_baseline(row[None, :], self.config.min_baseline).scale[0]
        side = "rose above" if statistic >= 0 else "fell below"
        return (
            f"Page–Hinkley {self.compare(statistic, alarm)} (δ {self.delta:g}): the "
            f"{self.config.history_label} history {side} its running mean (scale {scale:.3g})"
        )
