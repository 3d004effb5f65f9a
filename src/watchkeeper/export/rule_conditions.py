"""A watchkeeper rule condition as a PromQL filter over the exported gauge.

The exported gauge holds the newest window's value, so a series ``s`` sampled by Prometheus is
a step function with one step per window of length ``W``; ``s[span]`` averages windows weighted
by how long each was the newest (about equally). Every filter keeps ``s``'s own value, so an
alert's ``$value`` is the metric's value, as in watchkeeper's ``{value}``.

=============  =============================================================================
condition      PromQL (``H`` history, ``O`` baseline offset, ``T`` threshold)
=============  =============================================================================
above / below  ``s > A``, ``s < B`` (both: either) — exact
status breach  ``s and (verdict == 1)`` — exact; ``data_quality_findings``: a critical or high
               finding count ``> 0``, exact
change         ``(s − avg_over_time(s[B] offset W)) / abs(avg_over_time(s[B] offset W))``
               against ``above`` / ``below``: the mean of the windows in the ``B`` before
               the window — exact up to time weighting
change vs      ``(s − on(model) group_left() R) / on(model) group_left() abs(R)`` with ``R``
reference      ``watchkeeper_reference_metric{metric=…}``, the metric on the reference rows;
               watchkeeper also asks the window's confidence interval to be past the limit
mad            z-score ``(s − avg) / stddev`` over ``s[H] offset O`` (``O``: the ``for``
               windows, so a sustained breach does not feed its own baseline); watchkeeper uses
               the median and MAD, which ignore past outliers — here one widens the band
cusum, page_    a level shift: the mean of the last ``n`` windows against the history before
hinkley, adwin  them, ``(avg(s[nW]) − avg) / stddev · √n ≥ 4``; ``n`` = ⌈h/k⌉ (cusum),
               ⌈λ/δ⌉ (page_hinkley), ``min_window`` (adwin). Their own thresholds are not
               z-scores, so 4 stands in for them
ewma           the same level shift with ``n = (2 − λ)/λ`` windows (the EWMA's variance-
               equivalent span) and its ``L`` as the threshold
trend          ``deriv(s[H]) · H / stddev_over_time(s[H]) ≥ T``: the change along the fitted
               line in standard deviations of the values (watchkeeper: of the residuals, plus
               a significance test) — a strong trend reads lower here, about 3.5 at most
burn_rate      mean ratio over the long and the short span, both ``> T · (1 − objective)``
               — exact up to time weighting
season         the series is first differenced against one season ago, ``s − s offset P``,
               and the statistics run on that (a subquery at one step per window);
               watchkeeper removes last season's deviation from its level, and takes the
               median over ``seasons`` (only one season here)
=============  =============================================================================

``direction`` gives the sign: ``up`` ``> T``, ``down`` ``< −T``, ``both`` ``abs(…) > T``.

>>> from datetime import timedelta
>>> from watchkeeper.alerting.config import AnomalySpec
>>> c = anomaly_condition(AnomalySpec("mad", direction="up", history="7d"), timedelta(hours=1), 1)
>>> print(c.expr("s"))
s
  and ((s - avg_over_time(s[7d] offset 1h)) / stddev_over_time(s[7d] offset 1h) > 6)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Literal

from watchkeeper.alerting.config import AnomalySpec, ChangeSpec
from watchkeeper.export.promql import duration, number, selector
from watchkeeper.settings import parse_duration

Shape = Literal[
    "threshold", "status", "change", "reference", "spike", "level", "trend", "burn"
]
LEVEL_Z = 4.0  # the z of a level shift standing in for thresholds that are not z-scores


@dataclass(frozen=True)
class Condition:
    """What a rule tests, in enough detail to write its PromQL and a series that breaches it."""

    shape: Shape
    window: timedelta
    above: float | None = None
    below: float | None = None
    direction: str = "up"
    threshold: float = 0.0
    span: timedelta = timedelta(0)  # change baseline / detector history
    offset: int = 1  # windows between the judged value and the end of its baseline
    recent: int = 1  # level: windows averaged; burn: the long span
    short: int = 1  # burn: the short span
    budget: float = 0.0  # burn: 1 − objective
    season: timedelta | None = None
    verdict: str | None = None  # status: the 0/1 verdict selector; reference: its selector
    notes: tuple[str, ...] = field(default=())

    def expr(self, s: str) -> str:
        """The filter over the series selected by ``s`` (it keeps ``s``'s value)."""
        if self.shape == "threshold":
            parts = [f"{s} > {number(v)}" for v in (self.above,) if v is not None]
            parts += [f"{s} < {number(v)}" for v in (self.below,) if v is not None]
            return " or ".join(parts)
        if self.shape == "status":
            return f"{s}\n  and ({self.verdict} == 1)" if self.verdict else f"{s} > 0"
        if self.shape == "burn":
            return f"{s}\n  and {self._burn(s)}"
        return f"{s}\n  and ({self._statistic(s)})"

    def _statistic(self, s: str) -> str:
        W = duration(self.window)  # noqa: N806
        if self.shape in ("change", "reference"):
            if self.shape == "reference":
                join = "on(model) group_left()"
                relative = f"({s} - {join} {self.verdict}) / {join} abs({self.verdict})"
            else:
                base = f"avg_over_time({s}[{duration(self.span)}] offset {W})"
                relative = f"({s} - {base}) / abs({base})"
            parts = [f"{relative} > {number(v)}" for v in (self.above,) if v is not None]
            parts += [f"{relative} < {number(v)}" for v in (self.below,) if v is not None]
            return " or ".join(f"({p})" for p in parts) if len(parts) > 1 else parts[0]
        value = f"({s} - {s} offset {duration(self.season)})" if self.season else s
        if self.shape == "trend":
            history = self._range(s, value, self.span, 0)
            seconds = number(self.span.total_seconds())
            statistic = f"deriv({history}) * {seconds} / stddev_over_time({history})"
            return self._compare(statistic)
        base = self._range(s, value, self.span, self.offset)
        mean, spread = f"avg_over_time({base})", f"stddev_over_time({base})"
        if self.shape == "spike":
            return self._compare(f"({value} - {mean}) / {spread}")
        recent = f"avg_over_time({self._range(s, value, self.window * self.recent, 0)})"
        return self._compare(f"({recent} - {mean}) / {spread} * {number(math.sqrt(self.recent))}")

    def _range(self, s: str, value: str, span: timedelta, offset: int) -> str:
        shift = f" offset {duration(self.window * offset)}" if offset else ""
        if self.season:
            return f"{value}[{duration(span)}:{duration(self.window)}]{shift}"
        return f"{s}[{duration(span)}]{shift}"

    def _compare(self, statistic: str) -> str:
        t = number(self.threshold)
        if self.direction == "down":
            return f"{statistic} < -{t}"
        if self.direction == "both":
            return f"abs({statistic}) > {t}"
        return f"{statistic} > {t}"

    def _burn(self, s: str) -> str:
        out = []
        for windows in (self.recent, self.short):
            mean = f"avg_over_time({s}[{duration(self.window * windows)}])"
            bad = f"(1 - {mean})" if self.direction == "down" else mean
            out.append(f"({bad} / {number(self.budget)} > {number(self.threshold)})")
        return "\n  and ".join(out)


def threshold_condition(window: timedelta, above: float | None, below: float | None) -> Condition:
    return Condition("threshold", window, above=above, below=below)


def change_condition(spec: ChangeSpec, window: timedelta, model: str, metric: str) -> Condition:
    if spec.baseline == "reference":
        realized = metric.removeprefix("estimated_")  # an estimate: against the realized value
        reference = selector("watchkeeper_reference_metric", {"model": model, "metric": realized})
        note = (
            "change against the metric on the reference rows, without watchkeeper's check "
            "that the window's confidence interval is past the limit too"
        )
        if realized != metric:
            note += f" (watchkeeper compares with the {metric} of reference data)"
        return Condition(
            "reference", window, above=spec.above, below=spec.below, verdict=reference,
            notes=(note,),
        )  # fmt: skip
    span = parse_duration(spec.baseline, "change.baseline")
    note = f"change against the time-weighted mean of the gauge over the {spec.baseline} before"
    return Condition("change", window, above=spec.above, below=spec.below, span=span, notes=(note,))


def anomaly_condition(spec: AnomalySpec, window: timedelta, sustain: int) -> Condition:
    """The PromQL stand-in of an ``anomaly:`` detector; ``sustain`` is the rule's ``for``
    (or ``of``) in windows, kept out of the baseline."""
    from watchkeeper.rules.detectors import build_detector  # numpy and scipy

    detector = build_detector(spec, window.total_seconds())
    config = detector.config
    history = window * config.history
    season = window * config.season.points if config.season is not None else None
    notes = []
    if config.season is not None and config.season.count > 1:
        notes.append(f"seasons: {config.season.count} not expressed, one season is used")
    if season is not None:
        notes.append(f"seasonally differenced against {spec.season} ago")
    base = Condition(
        "spike", window, direction=spec.direction, threshold=config.threshold, span=history,
        season=season,
    )  # fmt: skip
    params = config.params
    if spec.detector == "burn_rate":
        long, short = detector.spans  # type: ignore[attr-defined]
        note = f"burn rate over {long} and {short} windows, time-weighted means"
        return replace(
            base, shape="burn", recent=int(long), short=int(short),
            budget=1 - params["objective"], season=None, notes=(note,),
        )  # fmt: skip
    if spec.detector == "trend":
        note = f"trend: deriv over {spec.history} in standard deviations; no significance test"
        return replace(base, shape="trend", notes=(*notes, note))
    if spec.detector == "mad":
        note = f"z-score against the mean and standard deviation of the {spec.history} before"
        return replace(base, offset=sustain, notes=(*notes, note))
    recent, threshold = _level(spec.detector, config.threshold, params)
    note = (
        f"{spec.detector} as a level shift: the mean of the last {recent} windows against the "
        f"{spec.history} before them, z > {number(threshold)}"
    )
    return replace(
        base, shape="level", threshold=threshold, recent=recent, offset=recent + sustain - 1,
        notes=(*notes, note),
    )  # fmt: skip


def _level(detector: str, threshold: float, params: Mapping[str, float]) -> tuple[int, float]:
    """(windows averaged, z threshold) of the level-shift stand-in of a detector."""
    if detector == "ewma":
        lam = params["lambda"]
        return max(1, round((2 - lam) / lam)), threshold
    if detector == "adwin":
        return int(params["min_window"]), LEVEL_Z
    slack = params.get("k", params.get("delta", 0.5))  # cusum k, page_hinkley delta
    return max(2, math.ceil(threshold / slack) if slack > 0 else math.ceil(2 * threshold)), LEVEL_Z
