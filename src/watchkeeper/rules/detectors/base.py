"""What an anomaly detector is: a pure function of a metric series' recent windows.

A detector reads one value per evaluation window, oldest first (NaN for a missing window), and
judges each point from the ``lookback`` points ending at it — nothing else, no state kept
between calls. So the rule engine can recompute the verdict from the stored series on every
tick, after a restart or in a replay, and get the same answer:

- :meth:`Detector.detect` judges the newest point and says why (a :class:`Detection`);
- :meth:`Detector.trace` judges every point of a series at once (a :class:`Trace`), exactly as
  ``detect`` would have on the series up to that point.

Each detector computes two scores per point, one for an increase and one for a decrease, in
the units of its threshold; ``direction`` picks the side(s) that may alarm. The signed
``statistic`` is the score of the side that won (negative for a decrease). A missing newest
value, or too few values to form a baseline, gives NaN and never an alarm. With a season, the
series is seasonally adjusted first (:mod:`watchkeeper.rules.detectors.season`).

Times are optional. Without them each value is one window; with them each value is placed in
its window (``window_seconds`` apart from the first), so windows that were never stored count
as missing, like NaN values.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from watchkeeper.errors import InputError
from watchkeeper.rules.detectors._window import map_rows
from watchkeeper.rules.detectors.season import Season

Direction = Literal["up", "down", "both"]


@dataclass(frozen=True)
class Detection:
    """The verdict on the newest point, with its reason in words.

    ``direction`` is the way the newest point moved (``up`` / ``down``), ``none`` without a
    verdict; ``threshold`` is what ``|statistic|`` was compared with.
    """

    alarm: bool
    statistic: float
    threshold: float
    direction: str
    reason: str


@dataclass(frozen=True)
class Trace:
    """Per-point signed ``statistic`` (NaN: no verdict) and ``alarm`` of a whole series."""

    statistic: np.ndarray
    alarm: np.ndarray
    threshold: float

    def first_alarm(self, start: int = 0) -> int | None:
        """Index of the first alarm at or after ``start``.

        >>> Trace(np.zeros(4), np.array([True, False, True, True]), 1.0).first_alarm(1)
        2
        """
        hits = np.flatnonzero(self.alarm[start:])
        return int(hits[0]) + start if hits.size else None

    def episodes(self, start: int = 0, stop: int | None = None) -> int:
        """Runs of consecutive alarms in ``[start, stop)``: the alerts a rule would raise.

        >>> Trace(np.zeros(6), np.array([1, 1, 0, 1, 0, 1], bool), 1.0).episodes()
        3
        """
        alarm = self.alarm[start:stop].astype(np.int8)
        return int(np.count_nonzero(np.diff(alarm, prepend=0) == 1))


@dataclass(frozen=True)
class Scores:
    """Per-point evidence for an increase (``up``) and a decrease (``down``).

    ``allowed`` (optional) vetoes an alarm, e.g. where a slope is not significant.
    """

    up: np.ndarray
    down: np.ndarray
    allowed: np.ndarray | None = None


@dataclass(frozen=True)
class DetectorConfig:
    """A detector's resolved settings: spans in points, every parameter filled in."""

    direction: Direction
    history: int  # points of the baseline / fitting span
    threshold: float
    params: Mapping[str, float]
    window_seconds: float
    season: Season | None = None
    history_label: str = ""  # e.g. "7d", for reasons
    key: str = "anomaly"  # where the settings live in the configuration, for errors

    @property
    def min_baseline(self) -> int:
        """Values a baseline needs before it is trusted: half the history, at least 10."""
        return min(self.history, max(10, self.history // 2))


@dataclass
class _Verdicts:
    statistic: np.ndarray
    alarm: np.ndarray


class Detector(ABC):
    """Base of every detector; subclasses implement :meth:`score` and :meth:`explain`."""

    name: ClassVar[str]

    def __init__(self, config: DetectorConfig) -> None:
        self.config = config

    @property
    @abstractmethod
    def width(self) -> int:
        """Points one verdict reads, the judged point last (after seasonal adjustment)."""

    @abstractmethod
    def score(self, rows: np.ndarray) -> Scores:
        """Scores of the last point of each row (rows are ``width`` long, NaN = missing)."""

    @abstractmethod
    def explain(self, row: np.ndarray, statistic: float, alarm: bool) -> str:
        """The reason for the verdict on the last point of ``row``, in words."""

    def check(self) -> None:
        """Raise :class:`~watchkeeper.errors.ConfigError` for settings that contradict."""
        return None

    @property
    def level(self) -> float:
        """What the winning score is compared with (the threshold, for most detectors)."""
        return self.config.threshold

    @property
    def sides(self) -> Direction:
        return self.config.direction

    @property
    def lookback(self) -> int:
        """Windows one verdict depends on, the judged one included: fetch at least this many."""
        season = self.config.season
        return self.width + (season.lookback if season else 0)

    def trace(self, values: np.ndarray, times: np.ndarray | None = None) -> Trace:
        """The verdict at every point of ``values`` (oldest first), in one pass."""
        x, slots = self._prepare(values, times)
        up, down, allowed = map_rows(x, self.width, self._score_columns)
        verdicts = self._decide(x, up, down, allowed.astype(bool))
        if slots is None:
            return Trace(verdicts.statistic, verdicts.alarm, self.level)
        return Trace(verdicts.statistic[slots], verdicts.alarm[slots], self.level)

    def detect(self, values: np.ndarray, times: np.ndarray | None = None) -> Detection:
        """The verdict on the newest value, from the last ``lookback`` values."""
        tail = slice(max(len(values) - self.lookback, 0), None)
        x, _ = self._prepare(
            np.asarray(values)[tail], None if times is None else np.asarray(times)[tail]
        )
        row = np.concatenate([np.full(max(self.width - x.size, 0), np.nan), x[-self.width :]])
        up, down, allowed = self._score_columns(row[None, :])
        verdict = self._decide(row[-1:], up, down, allowed.astype(bool))
        statistic, alarm = float(verdict.statistic[0]), bool(verdict.alarm[0])
        if math.isnan(row[-1]):
            reason = "no value in the newest window"
        elif math.isnan(statistic):
            reason = f"not enough history yet (a baseline needs {self.config.min_baseline} windows)"
        else:
            reason = self.explain(row, statistic, alarm) + self._season_note()
        direction = "up" if statistic > 0 else "down" if statistic < 0 else "none"
        return Detection(alarm, statistic, self.level, direction, reason)

    def compare(self, statistic: float, alarm: bool, unit: str = "") -> str:
        """``"7.3 ≥ 6"``, ``"-7.3 ≤ -6"``, ``"1.2 < 6"`` or ``"-8 (only increases alarm)"``."""
        shown, level = f"{statistic:.3g}{unit}", f"{self.level:g}{unit}"
        if self.sides == "up" and statistic < 0:
            return f"{shown} (only increases alarm)"
        if self.sides == "down" and statistic > 0:
            return f"{shown} (only decreases alarm)"
        if statistic < 0:
            return f"{shown} {'≤' if alarm else '>'} -{level}"
        return f"{shown} {'≥' if alarm else '<'} {level}"

    def _prepare(
        self, values: np.ndarray, times: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The values one per window (missing ones NaN), seasonally adjusted; with ``times``,
        also the window each value landed in."""
        x = np.asarray(values, dtype=np.float64)
        if x.ndim != 1:
            raise InputError(f"a metric series must be one-dimensional (got shape {x.shape})")
        x = np.where(np.isfinite(x), x, np.nan)
        slots = None if times is None else _slots(times, x.size, self.config.window_seconds)
        if slots is not None:
            grid = np.full(int(slots[-1]) + 1 if slots.size else 0, np.nan)
            grid[slots] = x
            x = grid
        season = self.config.season
        return (x if season is None else season.adjust(x)), slots

    def _score_columns(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        scores = self.score(rows)
        allowed = np.ones(len(rows), bool) if scores.allowed is None else scores.allowed
        return scores.up, scores.down, allowed

    def _decide(
        self, x: np.ndarray, up: np.ndarray, down: np.ndarray, allowed: np.ndarray
    ) -> _Verdicts:
        missing = np.isnan(x) | np.isnan(up) & np.isnan(down)
        up = np.where(np.isnan(up), -np.inf, up)
        down = np.where(np.isnan(down), -np.inf, down)
        if self.sides == "up":
            statistic, strength = up, up
        elif self.sides == "down":
            statistic, strength = -down, down
        else:
            statistic = np.where(up >= down, up, -down)
            strength = np.maximum(up, down)
        statistic = np.where(missing | ~np.isfinite(statistic), np.nan, statistic)
        alarm = ~missing & allowed & (strength >= self.level)
        return _Verdicts(statistic, alarm)

    def _season_note(self) -> str:
        season = self.config.season
        if season is None:
            return ""
        label = season.label or f"{season.points} windows"
        return f", after removing the pattern of the previous {label}"


def _slots(times: np.ndarray, n: int, window_seconds: float) -> np.ndarray:
    """The window each timestamp falls in, counted from the first (datetime64 or seconds)."""
    t = np.asarray(times)
    if t.shape != (n,):
        raise InputError(f"times must have one entry per value ({n}); got shape {t.shape}")
    seconds = (
        t.astype("datetime64[ns]").astype(np.int64) / 1e9
        if np.issubdtype(t.dtype, np.datetime64)
        else t.astype(np.float64)
    )
    if n == 0:
        return np.zeros(0, np.int64)
    slots: np.ndarray = np.rint((seconds - seconds[0]) / window_seconds).astype(np.int64)
    steps = np.diff(slots)
    if np.any(steps < 1):
        at = int(np.argmax(steps < 1)) + 1
        raise InputError(
            f"times must be increasing, one value per {window_seconds:g} s window "
            f"(value {at} is {seconds[at] - seconds[at - 1]:g} s after the one before)"
        )
    if slots[-1] >= 20 * n + 10_000:
        raise InputError(
            f"{n} values span {slots[-1] + 1} windows of {window_seconds:g} s: "
            "are the times in seconds?"
        )
    return slots
