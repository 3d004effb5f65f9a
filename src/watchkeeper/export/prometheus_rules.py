"""Prometheus recording and alerting rules mirroring each model's watchkeeper rules
(``watchkeeper export prometheus-rules``), for teams that alert from their own Prometheus.

One rule group per model (``watchkeeper-<model>``). Recording rules, on the model's shortest
window and overall series:

- ``model_window:watchkeeper_feature_drift_detected:mean`` — share of tested features drifted
- ``model_window:watchkeeper_feature_drift_detected:sum`` — number of drifted features
- ``model_window:watchkeeper_data_quality_findings:serious`` — critical + high findings
- ``model_window:watchkeeper_prediction_error_ratio:avg1d`` — error rate over the last day
- ``model_window:watchkeeper_prediction_latency_seconds:p99`` — p99 latency
- ``model_window:watchkeeper_predictions_per_second:avg1d`` — throughput over the last day

Alerting rules: one per watchkeeper rule (configured and default, :func:`model_rules`) and
window it watches — a rule without a ``window=`` matcher watches every window of the model,
and ``for`` depends on the window length. Its condition becomes a PromQL filter
(:mod:`.rule_conditions`, which documents each approximation); then:

- ``for: N`` windows → ``for: (N − 1) × W`` (the first breaching window sets the gauge; N − 1
  more window lengths cover N windows). ``for: N, of: M`` → the breaching windows counted at
  window-aligned steps, ``count_over_time((filter)[M·W:W]) >= N`` (no ``for``).
- ``resolve_after: N`` → ``keep_firing_for: (N − 1) × W``; ``resolve_above`` / ``resolve_below``
  (hysteresis) are not expressed: the alert resolves when the condition clears.
- performance metrics skip provisional samples, as watchkeeper does, through the monitor's
  status: ``unless`` the ``performance`` monitor's worst status is ``provisional``
  (``include_provisional: true`` drops that).
- labels: the series' labels, the rule's ``labels``, ``severity`` and ``metric``;
  annotations: ``summary``, ``description``, ``runbook_url`` (the playbook link) and any other,
  as Go templates (:mod:`.alert_templates`), plus ``approximation`` saying what differs.

- ``change: {baseline: reference}`` compares with ``watchkeeper_reference_metric``, the metric
  on the model's reference rows; ``settle: 1d`` reads the series ``/metrics`` exports again at
  its newest window that ended a day before its newest one (``settled="1d"``).

Skipped, with a comment in the group saying why: ``status: breach`` on a metric without an
exported verdict, detectors that do not fit a window, and matchers on labels the export drops.

>>> from watchkeeper.settings import parse_service_config
>>> config = parse_service_config({"models": {"credit": {
...     "task": "binary_classification", "label": "y", "windows": ["1h"]}}})
>>> [group] = rule_groups(config)
>>> [r.name for r in group.alerting][:4], [s.name for s in group.skipped]
(['DataQualityBreak', 'FeatureDrift', 'PredictionDrift', 'MultivariateDrift'], [])
>>> print(group.alerting[1].expr)
watchkeeper_feature_drift_statistic{model="credit", window="1h", model_version="", segment=""}
  and (watchkeeper_feature_drift_detected{model="credit", window="1h", model_version="", \
segment=""} == 1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import yaml

from watchkeeper.alerting.config import RuleSpec
from watchkeeper.alerting.inhibit import BREAKING
from watchkeeper.alerting.matchers import Matcher, parse_matcher, parse_matchers
from watchkeeper.errors import ConfigError
from watchkeeper.export import alert_templates
from watchkeeper.export.alert_templates import Template
from watchkeeper.export.catalog import COMMON_LABELS, SETTLED
from watchkeeper.export.promql import (
    OVERALL,
    PROVISIONAL_METRICS,
    Exported,
    UntranslatableError,
    duration,
    exported,
    fixed_labels,
    selector,
    translate_matchers,
)
from watchkeeper.export.rule_conditions import (
    Condition,
    anomaly_condition,
    change_condition,
    threshold_condition,
)
from watchkeeper.monitors.windows import duration_label
from watchkeeper.settings import ModelConfig, ServiceConfig, parse_duration

RULES_FILE = "watchkeeper-rules.yml"
# data-quality findings that make the sample breach
SERIOUS = parse_matcher("finding_severity=~" + "|".join(sorted(BREAKING)), "finding_severity")


@dataclass(frozen=True)
class AlertRule:
    """One Prometheus alerting rule and what it was made from."""

    model: str
    name: str
    target: Exported
    fixed: Mapping[str, str]  # model, window (and metric for the fallback metric)
    matchers: tuple[Matcher, ...]  # the rest of the selector, Prometheus label names
    condition: Condition
    count: int  # the watchkeeper rule's ``for``
    of: int | None
    resolve_after: int
    provisional_guard: bool
    labels: Mapping[str, str]
    annotations: Mapping[str, Template]

    @property
    def window(self) -> timedelta:
        return self.condition.window

    @property
    def selector(self) -> str:
        return selector(self.target.metric, self.fixed, self.matchers)

    @property
    def expr(self) -> str:
        text = self.condition.expr(self.selector)
        if self.of is not None:
            step, span = duration(self.window), duration(self.window * self.of)
            count = f"count_over_time(({text})[{span}:{step}]) >= {self.count}"
            text = f"{self.selector}\n  and ({count})"
        if self.provisional_guard:
            keys = ", ".join(("model", *COMMON_LABELS))
            status = selector(
                "watchkeeper_monitor_status",
                {"model": self.model, "monitor": "performance", "status": "provisional"},
            )
            text = f"({text})\n  unless on({keys}) ({status} == 1)"
        return text

    @property
    def for_(self) -> timedelta:
        return self.window * (self.count - 1) if self.of is None else timedelta(0)

    @property
    def keep_firing_for(self) -> timedelta:
        return self.window * (self.resolve_after - 1)


@dataclass(frozen=True)
class RecordingRule:
    record: str
    expr: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class Skipped:
    model: str
    name: str
    reason: str


@dataclass(frozen=True)
class RuleGroup:
    model: str
    recording: tuple[RecordingRule, ...]
    alerting: tuple[AlertRule, ...]
    skipped: tuple[Skipped, ...]

    @property
    def name(self) -> str:
        return f"watchkeeper-{self.model}"


def rule_groups(config: ServiceConfig) -> list[RuleGroup]:
    """The rule group of every model of ``config``."""
    from watchkeeper.rules.defaults import model_rules

    groups = []
    for model, model_config in config.models.items():
        alerting: list[AlertRule] = []
        skipped: list[Skipped] = []
        for rule in model_rules(model, model_config, config.alerting):
            for outcome in translate(model, model_config, rule):
                if isinstance(outcome, AlertRule):
                    alerting.append(outcome)
                else:
                    skipped.append(outcome)
        shortest = duration_label(min(model_config.window_lengths(f"models.{model}")))
        groups.append(
            RuleGroup(model, recording_rules(model, shortest), tuple(alerting), tuple(skipped))
        )
    return groups


def recording_rules(model: str, window: str) -> tuple[RecordingRule, ...]:
    def s(metric: str, **extra: str) -> str:
        return selector(metric, {"model": model, "window": window, **OVERALL, **extra})

    by = "by (model, window)"
    serious = selector(
        "watchkeeper_data_quality_findings",
        {"model": model, "window": window},
        [SERIOUS],
    )
    prefix = "model_window:watchkeeper_"
    rules = (
        (
            f"{prefix}feature_drift_detected:mean",
            f"avg {by} ({s('watchkeeper_feature_drift_detected')})",
        ),
        (
            f"{prefix}feature_drift_detected:sum",
            f"sum {by} ({s('watchkeeper_feature_drift_detected')})",
        ),
        (f"{prefix}data_quality_findings:serious", f"sum {by} ({serious})"),
        (
            f"{prefix}prediction_error_ratio:avg1d",
            f"avg {by} (avg_over_time({s('watchkeeper_prediction_error_ratio')}[1d]))",
        ),
        (
            f"{prefix}prediction_latency_seconds:p99",
            f"max {by} ({s('watchkeeper_prediction_latency_seconds', percentile='0.99')})",
        ),
        (
            f"{prefix}predictions_per_second:avg1d",
            f"avg {by} (avg_over_time({s('watchkeeper_predictions_per_second')}[1d]))",
        ),
    )
    labels = {"model": model, "window": window}  # the values the expressions keep anyway
    return tuple(RecordingRule(name, expr, labels) for name, expr in rules)


def translate(model: str, config: ModelConfig, rule: RuleSpec) -> list[AlertRule | Skipped]:
    """The Prometheus rules of one watchkeeper rule: one per model window it watches."""
    matchers = parse_matchers(rule.match, f"rule {rule.name}.match")
    on_window = [m for m in matchers if m.name == "window"]
    rest = [str(m) for m in matchers if m.name != "window"]
    windows = [
        w
        for w in sorted(config.window_lengths(f"models.{model}"))
        if all(m({"window": duration_label(w)}) for m in on_window)
    ]
    if not windows:
        return [Skipped(model, rule.name, "no window of the model matches its window matcher")]
    out: list[AlertRule | Skipped] = []
    for window in windows:
        try:
            out.append(_alert_rule(model, rule, window, rest))
        except (UntranslatableError, ConfigError) as exc:  # a detector that does not fit the window
            out.append(Skipped(model, rule.name, f"window {duration_label(window)}: {exc}"))
    return out


def _alert_rule(model: str, rule: RuleSpec, window: timedelta, match: list[str]) -> AlertRule:
    target = exported(rule.metric)
    matchers = translate_matchers(target, match)
    fixed = {"model": model, "window": duration_label(window), **fixed_labels(target)}
    if rule.settle is not None:  # the series exported again at its newest settled window
        settle = parse_duration(rule.settle, f"rule {rule.name}.settle")
        fixed[SETTLED] = duration_label(settle)
    condition = _condition(rule, window, target, fixed, matchers)
    if rule.status is not None and target.verdict is None:
        matchers.append(SERIOUS)
    notes = list(condition.notes)
    if rule.of is not None:
        notes.append(f"{rule.for_} of {rule.of} windows counted at window-aligned steps")
    if rule.resolve_above is not None or rule.resolve_below is not None:
        notes.append("no hysteresis: resolves as soon as the condition clears")
    guard = rule.metric in PROVISIONAL_METRICS and not rule.include_provisional
    return AlertRule(
        model=model,
        name=rule.name,
        target=target,
        fixed=fixed,
        matchers=tuple(matchers),
        condition=condition,
        count=rule.for_,
        of=rule.of,
        resolve_after=rule.resolve_after,
        provisional_guard=guard,
        # model and window repeat the series' own values; they keep rules of the same name
        # for other models and windows apart (promtool's duplicate-rule lint)
        labels={**rule.labels, "severity": rule.severity, "metric": rule.metric, **fixed},
        annotations=_annotations(rule, target, notes),
    )


def _condition(
    rule: RuleSpec,
    window: timedelta,
    target: Exported,
    fixed: Mapping[str, str],
    matchers: Sequence[Matcher],
) -> Condition:
    if rule.change is not None:
        return change_condition(rule.change, window, str(fixed["model"]), rule.metric)
    if rule.anomaly is not None:
        return anomaly_condition(rule.anomaly, window, rule.of or rule.for_)
    if rule.status is None:
        return threshold_condition(window, rule.above, rule.below)
    if target.verdict is not None:
        verdict = selector(target.verdict, fixed, matchers)
        return Condition("status", window, verdict=verdict)
    if rule.metric == "data_quality_findings":
        return Condition("status", window)
    raise UntranslatableError(
        f"status: breach on {rule.metric}, which has no exported verdict (/metrics exports its "
        "value, not whether the sample breached)"
    )


def _annotations(rule: RuleSpec, target: Exported, notes: list[str]) -> dict[str, Template]:
    out = {
        key: alert_templates.parse(text, rule.metric)
        for key, text in rule.annotations.items()
        if text
    }
    if "summary" not in out:
        summary: list[alert_templates.Token] = [
            ("text", f"{rule.name} on "),
            ("label", "model"),
            ("text", f": {rule.metric} "),
            ("value", "%.4g"),
        ]
        for label in ("feature", "percentile", "kpi"):
            if label in target.labels:
                summary += [("text", f" ({label}="), ("label", label), ("text", ")")]
        out["summary"] = tuple(summary)
    if notes:
        out["approximation"] = (("text", "; ".join(notes)),)
    return out


def rule_dict(rule: AlertRule) -> dict[str, Any]:
    out: dict[str, Any] = {"alert": rule.name, "expr": rule.expr}
    if rule.for_:
        out["for"] = duration(rule.for_)
    if rule.keep_firing_for:
        out["keep_firing_for"] = duration(rule.keep_firing_for)
    out["labels"] = dict(rule.labels)
    out["annotations"] = {k: alert_templates.to_go(v) for k, v in rule.annotations.items()}
    return out


def render_rules(groups: Sequence[RuleGroup], source: str = "watchkeeper.yaml") -> str:
    """The rules file: a header, then per group the skipped rules as comments and the rules."""
    lines = [
        f"# Prometheus rules generated by `watchkeeper export prometheus-rules` from {source}.",
        "# Regenerate instead of editing; each alert's `approximation` annotation says where",
        "# its PromQL differs from watchkeeper's own evaluation.",
        "groups:",
    ]
    for group in groups:
        for skip in group.skipped:
            lines.append(f"  # skipped {skip.name}: {skip.reason}")
        rules: list[dict[str, Any]] = [
            {"record": r.record, "expr": r.expr, "labels": dict(r.labels)} for r in group.recording
        ]
        rules += [rule_dict(r) for r in group.alerting]
        text = dump_yaml([{"name": group.name, "rules": rules}])
        lines += ["  " + line if line else line for line in text.splitlines()]
    return "\n".join(lines) + "\n"


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, keys in the order given."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: object) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096)
