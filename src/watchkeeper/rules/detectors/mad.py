"""Robust z-score: how far the newest value is from the median of the ``history`` before it.

``z = (x − median) / (1.4826 · MAD)`` over the ``history`` windows preceding the judged one
(the judged window itself is left out, so a spike cannot hide itself). The median and the MAD
ignore up to half of the baseline being odd, so one past incident does not blind the detector,
and a shift that lasts becomes the new normal once it fills half the history. The MAD has a
floor of 0.1 % of the median (see :mod:`~watchkeeper.rules.detectors._window`), so a flat series
does not alarm on rounding noise: on one, a change below 0.6 % of the level never alarms.

Threshold ``z``, default 6. Measured on 200 quiet series of 400 hourly windows each (Gaussian,
autocorrelated, daily cycle, 10 % missing): no false alarm; heavy tails (Student t with 4
degrees of freedom) give about 3 per 1,000 windows. It catches a spike of 8σ at once in 96 %
of the series, but a 3σ step only in 4 %: ``mad`` is for spikes and jumps of 6σ and more;
``cusum``, ``page_hinkley`` and ``ewma`` find a lasting 3σ step within 5 windows. No parameters.

>>> import numpy as np
>>> from watchkeeper.alerting.config import AnomalySpec
>>> from watchkeeper.rules.detectors.registry import build_detector
>>> x = np.random.default_rng(1).normal(10.0, 1.0, 200)  # hourly windows
>>> x[150] += 9  # a spike
>>> mad = build_detector(AnomalySpec("mad", history="2d"), window_seconds=3600)
>>> mad.trace(x).first_alarm()
150
>>> mad.detect(x[:151]).reason
'robust z 10.5 ≥ 6 above the 2d median 9.88'
"""

from __future__ import annotations

import numpy as np

from watchkeeper.rules.detectors._window import robust_baseline
from watchkeeper.rules.detectors.base import Detector, Scores


class Mad(Detector):
    name = "mad"

    @property
    def width(self) -> int:
        return self.config.history + 1

    def score(self, rows: np.ndarray) -> Scores:
        base = robust_baseline(rows[:, :-1], self.config.min_baseline)
        z = (rows[:, -1] - base.location) / base.scale
        return Scores(z, -z)

    def explain(self, row: np.ndarray, statistic: float, alarm: bool) -> str:
        base = robust_baseline(row[None, :-1], self.config.min_baseline)
        side = "above" if statistic >= 0 else "below"
        median = float(base.location[0])
        return (
            f"robust z {self.compare(statistic, alarm)} {side} the "
            f"{self.config.history_label} median {median:.3g}"
        )
