"""Each window of a metric series judged by one rule's condition: breach, clear, hold or unknown.

``hold`` is the hysteresis band (past the resolve level but not the firing level: the alert
keeps its state); ``unknown`` is a window the rule cannot judge (no value, provisional or
insufficient data) and does not count either way.

>>> from datetime import UTC, datetime, timedelta
>>> from watchkeeper.alerting.config import RuleSpec
>>> from watchkeeper.monitors.base import MetricSample
>>> t0 = datetime(2026, 3, 1, tzinfo=UTC)
>>> series = [MetricSample("m", "error_rate", {"monitor": "operations"}, t0 + timedelta(hours=i),
...           t0 + timedelta(hours=i + 1), v) for i, v in enumerate([0.01, 0.2, 0.07, 0.02])]
>>> rule = RuleSpec(name="Errors", metric="error_rate", above=0.1, resolve_below=0.05)
>>> [v.kind.value for v in judge(rule, series)]
['clear', 'breach', 'hold', 'clear']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from watchkeeper.alerting.config import RuleSpec
from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.settings import parse_duration

MIN_BASELINE = 3  # windows a relative change needs before it can be judged


class Kind(StrEnum):
    BREACH = "breach"
    CLEAR = "clear"
    HOLD = "hold"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    reason: str


def judge(rule: RuleSpec, series: Sequence[MetricSample]) -> list[Verdict]:
    """One verdict per sample of ``series`` (one series, oldest first)."""
    usable = [_usable(rule, s) for s in series]
    if rule.anomaly is not None:
        return _anomaly(rule, series, usable)
    verdicts = []
    for i, sample in enumerate(series):
        if not usable[i]:
            verdicts.append(Verdict(Kind.UNKNOWN, f"{sample.status.value} sample"))
        elif rule.status is not None:
            verdicts.append(_status(sample))
        elif rule.change is not None:
            verdicts.append(_change(rule, series, usable, i))
        else:
            verdicts.append(_threshold(rule, sample.value))
    return verdicts


def _usable(rule: RuleSpec, sample: MetricSample) -> bool:
    if rule.status is not None:  # the verdict itself is the value
        return sample.status is not Status.INSUFFICIENT
    if not math.isfinite(sample.value) or sample.status is Status.INSUFFICIENT:
        return False
    return rule.include_provisional or sample.status is not Status.PROVISIONAL


def _status(sample: MetricSample) -> Verdict:
    if sample.status is Status.BREACH:
        reason = str(sample.details.get("reason") or f"{sample.name} breached ({sample.value:.4g})")
        return Verdict(Kind.BREACH, reason)
    return Verdict(Kind.CLEAR, f"{sample.name} {sample.status.value}")


def _threshold(rule: RuleSpec, value: float) -> Verdict:
    if rule.above is not None and value > rule.above:
        return Verdict(Kind.BREACH, f"{rule.metric} {value:.4g} > {rule.above:g}")
    if rule.below is not None and value < rule.below:
        return Verdict(Kind.BREACH, f"{rule.metric} {value:.4g} < {rule.below:g}")
    if rule.above is not None and rule.resolve_below is not None and value >= rule.resolve_below:
        return Verdict(Kind.HOLD, f"{value:.4g} not yet below {rule.resolve_below:g}")
    if rule.below is not None and rule.resolve_above is not None and value <= rule.resolve_above:
        return Verdict(Kind.HOLD, f"{value:.4g} not yet above {rule.resolve_above:g}")
    return Verdict(Kind.CLEAR, f"{rule.metric} {value:.4g} within limits")


def _change(rule: RuleSpec, series: Sequence[MetricSample], usable: list[bool], i: int) -> Verdict:
    """Relative change of window i against the mean of the usable windows ending in the
    baseline span before it."""
    spec = rule.change
    assert spec is not None
    value = series[i].value
    if spec.baseline == "reference":
        base = series[i].details.get("reference")
        if not isinstance(base, int | float) or not math.isfinite(base):
            return Verdict(Kind.UNKNOWN, "no reference value for this metric")
        baseline = float(base)
        described = "the reference"
    else:
        span = parse_duration(spec.baseline)
        since = series[i].window_start - span
        past = [
            s.value
            for j, s in enumerate(series[:i])
            if usable[j] and s.window_end <= series[i].window_start and s.window_start >= since
        ]
        if len(past) < MIN_BASELINE:
            return Verdict(
                Kind.UNKNOWN, f"{len(past)} baseline window(s) in the {spec.baseline} before"
            )
        baseline = float(np.mean(past))
        described = f"the {spec.baseline} mean"
    if baseline == 0:
        if value == 0:
            return Verdict(Kind.CLEAR, f"{rule.metric} 0, as {described}")
        change = math.copysign(math.inf, value)
    else:
        change = (value - baseline) / abs(baseline)
    text = f"{rule.metric} {value:.4g} is {change:+.1%} vs {described} {baseline:.4g}"
    # With a confidence interval (performance metrics), the window must also be clearly worse:
    # the interval's optimistic end at least half the limit away from the baseline, so a
    # small, noisy window holds its state instead of paging.
    low, high = series[i].details.get("ci_low"), series[i].details.get("ci_high")
    scale = abs(baseline) or 1.0
    if spec.above is not None and change > spec.above:
        if isinstance(low, int | float) and (low - baseline) / scale <= spec.above / 2:
            return Verdict(Kind.HOLD, f"{text}, but its 95% interval reaches {low:.4g}")
        return Verdict(Kind.BREACH, f"{text} (limit {spec.above:+.0%})")
    if spec.below is not None and change < spec.below:
        if isinstance(high, int | float) and (high - baseline) / scale >= spec.below / 2:
            return Verdict(Kind.HOLD, f"{text}, but its 95% interval reaches {high:.4g}")
        return Verdict(Kind.BREACH, f"{text} (limit {spec.below:+.0%})")
    return Verdict(Kind.CLEAR, text)


def _anomaly(rule: RuleSpec, series: Sequence[MetricSample], usable: list[bool]) -> list[Verdict]:
    from watchkeeper.rules.detectors import build_detector  # detectors import numpy/scipy

    spec = rule.anomaly
    assert spec is not None
    if not series:
        return []
    values = np.array([s.value if ok else np.nan for s, ok in zip(series, usable, strict=True)])
    times = np.array([s.window_end.timestamp() for s in series])
    length = (series[-1].window_end - series[-1].window_start).total_seconds()
    trace = build_detector(spec, length).trace(values, times)
    verdicts = []
    for i, ok in enumerate(usable):
        statistic = float(trace.statistic[i])
        if not ok:
            verdicts.append(Verdict(Kind.UNKNOWN, f"{series[i].status.value} sample"))
        elif bool(trace.alarm[i]):
            verdicts.append(
                Verdict(Kind.BREACH, f"{spec.detector} statistic {statistic:.3g} on {rule.metric}")
            )
        else:
            verdicts.append(Verdict(Kind.CLEAR, f"{spec.detector} statistic {statistic:.3g}"))
    return verdicts
