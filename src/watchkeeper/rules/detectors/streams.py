"""Synthetic metric series with known change points, to measure detectors on.

Each family draws one series of 400 windows from a seeded generator: quiet ones (every alarm
is false) and ones with a change at window 200 (the first alarm from there on is the detection;
its distance from 200 is the delay). Level families are hourly, around 10 with noise σ = 1, so
sizes read in σ; ratio families are bad ratios per five-minute window, for ``burn_rate``. The
tests of the detectors and ``benchmarks/detectors_bench.py`` use the same families, through
:func:`evaluate`.

>>> s = FAMILIES["step_up_3"](np.random.default_rng(0))
>>> s.values.shape, s.change_at, round(float(s.values[200:].mean() - s.values[:200].mean()))
((400,), 200, 3)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from watchkeeper.alerting.config import AnomalySpec
from watchkeeper.rules.detectors.registry import build_detector

LENGTH = 400
CHANGE_AT = 200
HOUR = 3600.0
LEVEL = 10.0
RAMP_SLOPE = 0.02  # σ per window: 3σ after 150 windows


@dataclass(frozen=True)
class Stream:
    """One series: values, times (seconds) and the change (None: quiet)."""

    values: np.ndarray
    times: np.ndarray
    change_at: int | None
    window_seconds: float = HOUR


def _stream(values: np.ndarray, change_at: int | None, window: float = HOUR) -> Stream:
    return Stream(values, np.arange(values.size) * window, change_at, window)


def _after(change: np.ndarray) -> np.ndarray:
    """``change`` applied from CHANGE_AT on."""
    out = np.zeros(LENGTH)
    out[CHANGE_AT:] = change[: LENGTH - CHANGE_AT]
    return out


def gaussian(rng: np.random.Generator) -> np.ndarray:
    return LEVEL + rng.normal(0.0, 1.0, LENGTH)


def student_t(rng: np.random.Generator) -> np.ndarray:
    """Heavy tails: Student's t with 4 degrees of freedom, scaled to σ = 1."""
    values: np.ndarray = LEVEL + rng.standard_t(4, LENGTH) / np.sqrt(2.0)
    return values


def autocorrelated(rng: np.random.Generator) -> np.ndarray:
    """AR(1) with φ = 0.5 and σ = 1: neighbouring windows share half their noise."""
    shocks = rng.normal(0.0, np.sqrt(1 - 0.25), LENGTH)
    noise = np.empty(LENGTH)
    noise[0] = rng.normal()
    for t in range(1, LENGTH):
        noise[t] = 0.5 * noise[t - 1] + shocks[t]
    return LEVEL + noise


def daily(rng: np.random.Generator) -> np.ndarray:
    """A daily cycle of amplitude 3σ on hourly windows, plus noise."""
    return gaussian(rng) + 3.0 * np.sin(2 * np.pi * np.arange(LENGTH) / 24)


def with_missing(rng: np.random.Generator) -> np.ndarray:
    """Gaussian with 10 % of the windows missing (NaN)."""
    x = gaussian(rng)
    x[rng.random(LENGTH) < 0.1] = np.nan
    return x


def error_ratio(rng: np.random.Generator, ratio: np.ndarray) -> np.ndarray:
    """Bad ratio per window of 6,000 events (binomial) around ``ratio``."""
    return rng.binomial(6000, ratio) / 6000


def _spike(rng: np.random.Generator) -> Stream:
    x = gaussian(rng)
    x[CHANGE_AT] += 8.0
    return _stream(x, CHANGE_AT)


def _ratio(rng: np.random.Generator, burn: float, length: int) -> Stream:
    """Five-minute windows burning 0.2x of a 99.9 % budget, and ``burn``x for ``length``."""
    ratio = np.full(LENGTH, 0.0002)
    ratio[CHANGE_AT : CHANGE_AT + length] = burn * 0.001
    return _stream(error_ratio(rng, ratio), CHANGE_AT if length else None, 300.0)


def _missing_step(rng: np.random.Generator) -> Stream:
    x = with_missing(rng) + _after(np.full(LENGTH, 3.0))
    x[CHANGE_AT] = 13.0 + rng.normal()  # the change itself is observed
    return _stream(x, CHANGE_AT)


Family = Callable[[np.random.Generator], Stream]

QUIET: dict[str, Family] = {
    "gaussian": lambda r: _stream(gaussian(r), None),
    "student_t4": lambda r: _stream(student_t(r), None),
    "ar1_0.5": lambda r: _stream(autocorrelated(r), None),
    "daily": lambda r: _stream(daily(r), None),
    "missing_10pct": lambda r: _stream(with_missing(r), None),
}


def _step(size: float) -> Family:
    def make(rng: np.random.Generator) -> Stream:
        return _stream(gaussian(rng) + _after(np.full(LENGTH, size)), CHANGE_AT)

    return make


CHANGES: dict[str, Family] = {
    **{
        f"step_{side}_{size}": _step(sign * size)
        for size in (1, 2, 3)
        for side, sign in (("up", 1.0), ("down", -1.0))
    },
    "ramp": lambda r: _stream(
        gaussian(r) + _after(RAMP_SLOPE * np.arange(1, LENGTH + 1)), CHANGE_AT
    ),
    "spike": _spike,
    "daily_step_3": lambda r: _stream(daily(r) + _after(np.full(LENGTH, 3.0)), CHANGE_AT),
    "missing_step_3": _missing_step,
}

# bad ratios per five-minute window, for burn_rate; a blip or a slow burn must not page
RATIO_QUIET: dict[str, Family] = {
    "ratio_quiet": lambda r: _ratio(r, 0.2, 0),
    "ratio_blip_30x": lambda r: _quiet(_ratio(r, 30.0, 1)),
    "ratio_slow_burn_5x": lambda r: _quiet(_ratio(r, 5.0, LENGTH)),
}
RATIO_CHANGES: dict[str, Family] = {
    "ratio_outage_20x": lambda r: _ratio(r, 20.0, LENGTH),
}

FAMILIES: dict[str, Family] = {**QUIET, **CHANGES, **RATIO_QUIET, **RATIO_CHANGES}


def _quiet(stream: Stream) -> Stream:
    return Stream(stream.values, stream.times, None, stream.window_seconds)


def delay(alarm: np.ndarray, change_at: int) -> int | None:
    """Windows from the change to the first alarm at or after it (None: never).

    >>> delay(np.array([True, False, False, True]), 1)
    2
    """
    hits = np.flatnonzero(alarm[change_at:])
    return int(hits[0]) if hits.size else None


@dataclass(frozen=True)
class Outcome:
    """A detector on ``streams`` series of one family.

    ``delays`` has one entry per series with a change (None: missed). ``false_alarms`` counts
    alarm episodes where every alarm is false (the whole of a quiet series, before the change
    otherwise), over ``judged`` windows that had a verdict there.
    """

    delays: list[int | None]
    false_alarms: int
    streams_with_false_alarms: int
    judged: int

    @property
    def detected(self) -> float:
        return sum(d is not None for d in self.delays) / len(self.delays) if self.delays else 0.0

    def delay_quantile(self, q: float) -> float | None:
        found = [d for d in self.delays if d is not None]
        return float(np.quantile(found, q, method="inverted_cdf")) if found else None

    @property
    def false_alarms_per_1000(self) -> float:
        return 1000 * self.false_alarms / max(self.judged, 1)


def evaluate(spec: AnomalySpec, family: str, streams: int = 200, seed: int = 0) -> Outcome:
    """Run the detector ``spec`` describes on ``streams`` seeded series of ``family``."""
    make = FAMILIES[family]
    delays: list[int | None] = []
    false_alarms = with_false = judged = 0
    detector = None
    for i in range(streams):
        stream = make(np.random.default_rng([seed, i]))
        detector = detector or build_detector(spec, stream.window_seconds)
        trace = detector.trace(stream.values, stream.times)
        end = stream.change_at
        episodes = trace.episodes(0, end)
        false_alarms += episodes
        with_false += episodes > 0
        judged += int(np.count_nonzero(~np.isnan(trace.statistic[:end])))
        if end is not None:
            delays.append(delay(trace.alarm, end))
    return Outcome(delays, false_alarms, with_false, judged)
