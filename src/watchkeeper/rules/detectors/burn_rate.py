"""Multi-window burn rate: is an SLO-like ratio eating its error budget too fast?

An objective of 99.9 % leaves a budget of 0.1 % bad events. The *burn rate* of a span is its
bad ratio divided by the budget: 1 spends the budget exactly over the SLO period, 14.4 spends
a 30-day budget in about two days (2 % of it per hour). Paging on a high burn over one window
alone is a trade-off that cannot be won: a long window is sure but slow and stays red for
hours after the fix, a short one is fast but pages on every blip. The multiwindow idea from
Google's SRE workbook asks both: alarm only while the long span *and* a short recent span
(about 1/12 of it) burn faster than the threshold. The long span makes a blip too small to
matter, the short one makes the alarm stop soon after the problem does.

Each value is one window's bad ratio (e.g. the error rate; ``direction`` ``up`` or ``both``);
with ``direction: down`` it is the good ratio (availability, accuracy) and its shortfall
``1 − x`` is what burns. Only a burn faster than the threshold alarms. The spans'
ratios are the means of their windows' ratios (missing windows skipped; the long span needs
half of its windows). ``history`` and ``season`` do not apply.

Threshold: the burn rate, default 14.4; parameters ``objective`` (default 0.999), ``long`` and
``short`` (spans in windows; default 1 h and 5 min of windows, at least 2 and 1: on hourly
windows 2 h and 1 h).

>>> import numpy as np
>>> from watchkeeper.alerting.config import AnomalySpec
>>> from watchkeeper.rules.detectors.registry import build_detector
>>> errors = np.random.default_rng(7).binomial(6000, 0.0002, 300) / 6000  # 5-minute windows
>>> errors[100] = 0.03   # one bad window: 30x, but the hour barely burns
>>> errors[200:] = 0.02  # an outage: 20x the budget
>>> burn = build_detector(AnomalySpec("burn_rate"), window_seconds=300)
>>> trace = burn.trace(errors)
>>> bool(trace.alarm[100:200].any()), trace.first_alarm()
(False, 208)
>>> print(burn.detect(errors[:209]).reason)
burn rate 15.1 ≥ 14.4: 15.1x the budget over the last 12 windows and 20x over the last 1
(objective 0.999)
"""

from __future__ import annotations

import numpy as np

from watchkeeper.errors import ConfigError
from watchkeeper.rules.detectors._window import row_mean
from watchkeeper.rules.detectors.base import Detector, Direction, Scores


def default_spans(window_seconds: float) -> tuple[int, int]:
    """(long, short) in windows: 1 h and 5 min, at least 2 and 1.

    >>> default_spans(300), default_spans(60), default_spans(3600)
    ((12, 1), (60, 5), (2, 1))
    """
    long = max(2, round(3600 / window_seconds))
    return long, min(max(1, round(300 / window_seconds)), long - 1)


class BurnRate(Detector):
    name = "burn_rate"

    @property
    def spans(self) -> tuple[int, int]:
        long, short = default_spans(self.config.window_seconds)
        params = self.config.params
        return int(params.get("long") or long), int(params.get("short") or short)

    def check(self) -> None:
        long, short = self.spans
        if short >= long:
            key = f"{self.config.key}.params.short"
            raise ConfigError(key, short, f"must be shorter than the long span ({long} windows)")

    @property
    def width(self) -> int:
        return self.spans[0]

    @property
    def sides(self) -> Direction:
        return "up"  # the direction chose which ratio burns; only a faster burn alarms

    def _burns(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        long, short = self.spans
        bad = 1 - rows if self.config.direction == "down" else rows
        budget = 1 - self.config.params["objective"]
        long_burn = row_mean(bad, min_count=(long + 1) // 2) / budget
        return long_burn, row_mean(bad[:, long - short :]) / budget

    def score(self, rows: np.ndarray) -> Scores:
        long_burn, short_burn = self._burns(rows)
        both = np.minimum(long_burn, short_burn)
        return Scores(both, np.full(len(rows), np.nan))

    def explain(self, row: np.ndarray, statistic: float, alarm: bool) -> str:
        long_burn, short_burn = (float(b[0]) for b in self._burns(row[None, :]))
        long, short = self.spans
        return (
            f"burn rate {self.compare(statistic, alarm)}: {long_burn:.3g}x the budget over the "
            f"last {long} windows and {short_burn:.3g}x over the last {short} "
            f"(objective {self.config.params['objective']:g})"
        )
