"""Seasonal baselines: remove the pattern seen at the same time one season ago.

With ``anomaly.season`` set (``1d``, ``1w``), every detector runs on the *seasonally adjusted*
series instead of the raw one::

    adjusted[t] = x[t] − (x[t − s] − level[t − s])

where ``s`` is one season and ``level[c]`` the mean over the season-long span centred on
``c`` (it ends half a season before ``t``, so only the past is used). ``x[t − s] − level[t − s]``
is last season's deviation from its own level at this phase: the seasonal component. Taking it
away leaves the level plus noise, so a step stays a step (not a bump one season long, as plain
``x[t] − x[t − s]`` would give) and a ramp stays a ramp (plain differencing turns it into a
constant), and the adjusted values keep the metric's units for the reasons. With the parameter
``seasons: K`` the component is the median over the last K seasons, which ignores an incident
in one of them and halves the added noise at K = 3.

The series is one value per window (the detectors place timestamped values in their windows
first), so one season is a fixed number of windows back; ``1d`` on 7-minute windows rounds to
206. A missing window one season ago gives NaN (missing), like the windows before the first
full season.

>>> t = np.arange(24 * 6, dtype=float)
>>> x = 10 + np.sin(2 * np.pi * t / 24)
>>> x[100:] += 3  # a step on top of the daily pattern
>>> adjusted = Season(points=24).adjust(x)
>>> bool(np.isnan(adjusted[:36]).all()), np.round(adjusted[[60, 99, 100, 143]], 6).tolist()
(True, [10.0, 10.0, 13.0, 13.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from watchkeeper.rules.detectors._window import middle, padded_rows, row_mean


@dataclass(frozen=True)
class Season:
    """One season of ``points`` windows; the last ``count`` seasons make the seasonal pattern."""

    points: int
    count: int = 1
    label: str = ""

    @property
    def lookback(self) -> int:
        """Points before the first one that can be adjusted."""
        return self.count * self.points + self.points // 2

    def adjust(self, values: np.ndarray) -> np.ndarray:
        """The seasonally adjusted series (one value per window; NaN where no season is known)."""
        x = np.asarray(values, dtype=np.float64)
        level = self._level(x)
        s = self.points
        components = np.full((self.count, x.size), np.nan)
        for k in range(1, self.count + 1):
            if x.size > k * s:
                components[k - 1, k * s :] = x[: x.size - k * s] - level[: x.size - k * s]
        if self.count == 1:
            seasonal = components[0]
        else:
            stacked = components.T
            seasonal = middle(np.sort(stacked, axis=1), (~np.isnan(stacked)).sum(axis=1))
        adjusted: np.ndarray = x - seasonal
        return adjusted

    def _level(self, x: np.ndarray) -> np.ndarray:
        """Mean of the season-long span centred on each point.

        The span must lie inside the series and have values in at least half of its windows.
        """
        s = self.points
        centred = np.full(x.size, np.nan)
        if x.size >= s:
            trailing = row_mean(padded_rows(x, s), min_count=(s + 1) // 2)
            centred[s // 2 : x.size - (s - s // 2) + 1] = trailing[s - 1 :]
        return centred
