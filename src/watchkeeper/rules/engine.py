"""Evaluate alert rules over a model's metric series: samples + rules + now -> alerts.

Each rule selects the series of its ``metric`` whose labels pass its ``match`` matchers, judges
every window (:mod:`.verdicts`) and replays the verdicts into a state (:mod:`.lifecycle`). An
alert's labels are the rule's name and severity, the model, the metric, the series' labels and
the rule's own labels; a series label that would shadow one of the first four is kept as
``series_<name>`` (``data_quality_findings`` has a ``severity`` label of its own). Inactive
series give no alert; pending, firing and resolved ones do, each with the reason and the
deciding window's sample in ``evidence``.

>>> from datetime import UTC, datetime, timedelta
>>> from watchkeeper.alerting.config import RuleSpec
>>> from watchkeeper.monitors.base import MetricSample
>>> t0 = datetime(2026, 3, 1, tzinfo=UTC)
>>> samples = [MetricSample("credit", "error_rate", {"monitor": "operations", "window": "1h"},
...            t0 + timedelta(hours=i), t0 + timedelta(hours=i + 1), v)
...            for i, v in enumerate([0.0, 0.3, 0.4])]
>>> rule = RuleSpec(name="Errors", metric="error_rate", above=0.1, severity="critical",
...                 annotations={"summary": "error rate {value:.0%} on {model}"})
>>> [alert] = evaluate_rules("credit", [rule], samples, t0 + timedelta(hours=3))
>>> alert.status.value, alert.starts_at.hour, alert.annotations["summary"], alert.labels["window"]
('firing', 2, 'error rate 40% on credit', '1h')
"""

from __future__ import annotations

import math
import string
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from watchkeeper.alerting.config import RuleSpec
from watchkeeper.alerting.matchers import matches, parse_matchers
from watchkeeper.alerting.model import Alert, AlertStatus
from watchkeeper.monitors.base import MetricSample
from watchkeeper.rules.lifecycle import State, replay
from watchkeeper.rules.verdicts import judge
from watchkeeper.settings import parse_duration

RESERVED = ("alertname", "severity", "model", "metric")
_STATUS = {State.PENDING: AlertStatus.PENDING, State.FIRING: AlertStatus.FIRING}
MIN_LOOKBACK = timedelta(days=2)


def rule_lookback(rule: RuleSpec, window: timedelta) -> timedelta:
    """How much of a series the rule reads: its baseline or detector history plus the windows
    it counts (a longer firing episode keeps the first firing time its alert recorded)."""
    spans = [window * ((rule.of or rule.for_) + rule.resolve_after + 2)]
    if rule.change is not None and rule.change.baseline != "reference":
        spans.append(parse_duration(rule.change.baseline))
    if rule.anomaly is not None:  # the windows the detector reads, warm-up included
        from watchkeeper.rules.detectors import build_detector

        detector = build_detector(rule.anomaly, window.total_seconds())
        spans.append(detector.lookback * window)
    if rule.settle is not None:
        spans.append(parse_duration(rule.settle))
    return max(MIN_LOOKBACK, sum(spans, timedelta()) + window)


def evaluate_rules(
    model: str, rules: Sequence[RuleSpec], samples: Sequence[MetricSample], now: datetime
) -> list[Alert]:
    """The alerts of ``model``'s ``rules`` over ``samples`` (its series, any order)."""
    by_name: dict[str, list[MetricSample]] = defaultdict(list)
    for sample in samples:
        if sample.model == model and sample.window_end <= now:
            by_name[sample.name].append(sample)
    alerts = []
    for rule in rules:
        if rule.models and model not in rule.models:
            continue
        matchers = parse_matchers(rule.match, f"rule {rule.name}.match")
        settled = now - parse_duration(rule.settle) if rule.settle else now
        series: dict[tuple[tuple[str, str], ...], list[MetricSample]] = defaultdict(list)
        for sample in by_name.get(rule.metric, ()):
            if sample.window_end <= settled and matches(matchers, sample.labels):
                series[tuple(sorted(sample.labels.items()))].append(sample)
        for key in sorted(series):
            alert = _series_alert(model, rule, sorted(series[key], key=_order), now)
            if alert is not None:
                alerts.append(alert)
    return alerts


def _order(sample: MetricSample) -> tuple[datetime, datetime]:
    return sample.window_end, sample.window_start


def _series_alert(
    model: str, rule: RuleSpec, series: list[MetricSample], now: datetime
) -> Alert | None:
    verdicts = judge(rule, series)
    ends = [s.window_end for s in series]
    track = replay(verdicts, ends, for_=rule.for_, of=rule.of, resolve_after=rule.resolve_after)
    if track.state is State.INACTIVE or track.starts_at is None:
        return None
    deciding = series[track.index] if track.index >= 0 else series[-1]
    labels = alert_labels(model, rule, deciding.labels)
    status = _STATUS.get(track.state, AlertStatus.RESOLVED)
    return Alert(
        labels=labels,
        annotations=render_annotations(rule, model, deciding.value, labels),
        status=status,
        starts_at=track.starts_at,
        updated_at=now,
        ends_at=track.ends_at,
        value=deciding.value,
        reason=track.reason,
        evidence={"sample": _sample_evidence(deciding)},
    )


def alert_labels(model: str, rule: RuleSpec, series: Mapping[str, str]) -> dict[str, str]:
    labels = {(f"series_{k}" if k in RESERVED else k): v for k, v in sorted(series.items())}
    labels.update(rule.labels)
    labels.update(
        {"alertname": rule.name, "severity": rule.severity, "model": model, "metric": rule.metric}
    )
    return labels


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_annotations(
    rule: RuleSpec, model: str, value: float, labels: Mapping[str, str]
) -> dict[str, str]:
    """The rule's annotations with ``{value}``, ``{model}``, ``{metric}`` and
    ``{labels[NAME]}`` filled in; a default ``summary`` when the rule has none. A template
    that cannot be filled is kept as written rather than failing the evaluation."""
    fields = _Fields(value=value, model=model, metric=rule.metric, labels=defaultdict(str, labels))
    out = {}
    for key, template in rule.annotations.items():
        try:
            out[key] = string.Formatter().vformat(template, (), fields)
        except (ValueError, KeyError, IndexError, AttributeError, TypeError):
            out[key] = template
    if "summary" not in out:
        shown = f"{value:.4g}" if math.isfinite(value) else "no value"
        where = ", ".join(f"{k}={labels[k]}" for k in ("feature", "quantile", "kpi") if k in labels)
        out["summary"] = f"{rule.name} on {model}: {rule.metric} {shown}" + (
            f" ({where})" if where else ""
        )
    return out


def _sample_evidence(sample: MetricSample) -> dict[str, Any]:
    return {
        "name": sample.name,
        "labels": dict(sample.labels),
        "window_start": sample.window_start.isoformat(),
        "window_end": sample.window_end.isoformat(),
        "value": sample.value if math.isfinite(sample.value) else None,
        "status": sample.status.value,
        "details": dict(sample.details),
    }
