"""Inhibition: a firing alert that explains others mutes them.

Configured ``inhibit_rules`` work as in Alertmanager: while an alert matching ``source`` fires,
alerts matching ``target`` whose ``equal`` labels have the same values (a missing label equals
a missing label) are muted. With ``builtin_inhibitions`` two more rules apply:

* **a broken input mutes the drift it causes.** Source: a firing alert with ``monitor`` in
  :data:`QUALITY_MONITORS` (a data-quality finding) or an ``alertname`` in
  :data:`OUTAGE_ALERTS` (no traffic / the pipeline is down). Target: an alert with ``monitor``
  in :data:`DRIFT_MONITORS` (feature, prediction and label drift, performance) of the same
  ``model`` (and the same ``model_version`` when the source names one). When the source names
  features (:func:`source_features`: its ``feature`` label, or the features of its evidence)
  only alerts whose ``feature`` label is one of them are muted (alerts without a ``feature``
  label, e.g. prediction drift, stay, but drift of the features taken together —
  :data:`JOINT_METRICS`, e.g. multivariate drift — is muted too); otherwise (a dataset-level
  break, an outage) every such alert of the model is muted.
* **critical mutes its own lesser echo.** A firing ``critical`` alert mutes ``warning`` and
  ``info`` alerts with the same ``alertname``, ``model`` and ``feature`` (the same problem
  caught at two thresholds; a critical drift of one feature does not hide another feature).

An alert never inhibits itself; silenced or inhibited alerts still inhibit others. Muted
alerts are not notified, but every mute is returned as a :class:`Decision` naming the
inhibiting alert's fingerprint, so they stay visible.

>>> from datetime import UTC, datetime
>>> from watchkeeper.alerting.model import AlertStatus
>>> at = datetime(2026, 3, 1, tzinfo=UTC)
>>> def alert(**labels):
...     return Alert(labels, {}, AlertStatus.FIRING, at, at)
>>> quality = alert(alertname="MissingValues", monitor="quality", model="credit", feature="age")
>>> drift = alert(alertname="FeatureDrift", monitor="drift", model="credit", feature="age")
>>> other = alert(alertname="FeatureDrift", monitor="drift", model="credit", feature="income")
>>> rules = builtin_rules()
>>> inhibitor(drift, [quality], rules)[0] is quality, inhibitor(other, [quality], rules)
(True, None)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from watchkeeper.alerting.config import AlertingSection, InhibitRuleSpec
from watchkeeper.alerting.matchers import matches, parse_matchers
from watchkeeper.alerting.model import Alert, AlertStatus, Decision, Severity
from watchkeeper.alerting.stages import Flow, StageResult, Tick

QUALITY_MONITORS = frozenset({"quality", "data_quality"})
OUTAGE_ALERTS = frozenset({"NoTraffic", "PipelineDown"})
DRIFT_MONITORS = frozenset(
    {"drift", "feature_drift", "prediction_drift", "label_drift", "performance"}
)
# drift of the features taken together: a break of any one feature explains it
JOINT_METRICS = frozenset({"multivariate_drift", "dataset_drift_share"})
LESSER = frozenset({Severity.WARNING, Severity.INFO})
BREAKING = frozenset({"critical", "high"})  # data-quality findings that breach


@dataclass(frozen=True)
class InhibitRule:
    """``source`` alerts mute ``target`` alerts in the same ``scope`` they are ``related`` to
    (the scope is a cheap key that must be equal; ``related`` checks the rest); ``why`` says
    why."""

    name: str
    source: Callable[[Alert], bool]
    target: Callable[[Alert], bool]
    scope: Callable[[Alert], tuple[str, ...]]
    related: Callable[[Alert, Alert], bool]
    why: Callable[[Alert, Alert], str]


def compile_inhibitions(section: AlertingSection) -> tuple[InhibitRule, ...]:
    """The configured rules (in order), then the built-ins when turned on."""
    rules = [_configured(spec, i) for i, spec in enumerate(section.inhibit_rules)]
    if section.builtin_inhibitions:
        rules.extend(builtin_rules())
    return tuple(rules)


def builtin_rules() -> tuple[InhibitRule, ...]:
    return (
        InhibitRule(
            "builtin:quality", _breaks_input, _is_drift, _model, _explained_by, _why_quality
        ),
        InhibitRule("builtin:severity", _is_critical, _is_lesser, _problem, _always, _why_severity),
    )


class Inhibitor:
    """The firing sources of each rule, indexed by scope, to find what mutes an alert."""

    def __init__(self, rules: Sequence[InhibitRule], alerts: Iterable[Alert]) -> None:
        firing = sorted(
            (a for a in alerts if a.status is AlertStatus.FIRING), key=lambda a: a.fingerprint
        )
        self.rules = [(rule, _index(rule, firing)) for rule in rules]

    def __call__(self, alert: Alert) -> tuple[Alert, InhibitRule] | None:
        """The first (rule order, then fingerprint order) source that mutes ``alert``."""
        for rule, sources in self.rules:
            if not sources or not rule.target(alert):
                continue
            for source in sources.get(rule.scope(alert), ()):
                if source.fingerprint != alert.fingerprint and rule.related(source, alert):
                    return source, rule
        return None


def inhibitor(
    alert: Alert, sources: Iterable[Alert], rules: Sequence[InhibitRule]
) -> tuple[Alert, InhibitRule] | None:
    """The firing alert among ``sources`` (and the rule) that mutes ``alert``, if any."""
    return Inhibitor(rules, sources)(alert)


def inhibit_stage(flow: Flow, tick: Tick) -> StageResult:
    """Drop the firing alerts another firing alert explains."""
    if not tick.plan.inhibitions:
        return StageResult(flow)
    mutes = Inhibitor(tick.plan.inhibitions, tick.state.alerts.values())
    survivors, decisions = [], []
    for alert in flow.alerts:
        found = mutes(alert)
        if found is None:
            survivors.append(alert)
            continue
        source, rule = found
        reason = f"inhibited by {source.name} ({source.fingerprint}): {rule.why(source, alert)}"
        decisions.append(Decision("inhibit", False, reason, alert.fingerprint, source.fingerprint))
    return StageResult(replace(flow, alerts=tuple(survivors)), tuple(decisions))


def _index(rule: InhibitRule, firing: Sequence[Alert]) -> dict[tuple[str, ...], list[Alert]]:
    index: dict[tuple[str, ...], list[Alert]] = {}
    for alert in firing:
        if rule.source(alert):
            index.setdefault(rule.scope(alert), []).append(alert)
    return index


def _configured(spec: InhibitRuleSpec, index: int) -> InhibitRule:
    key = f"alerting.inhibit_rules.{index}"
    source = parse_matchers(spec.source, f"{key}.source")
    target = parse_matchers(spec.target, f"{key}.target")
    equal = tuple(spec.equal)

    def scope(a: Alert) -> tuple[str, ...]:  # a missing label equals a missing label
        return tuple(a.labels.get(name, "") for name in equal)

    def why(s: Alert, t: Alert) -> str:
        same = ", ".join(f"{n}={t.labels.get(n, '')!r}" for n in equal)
        return f"inhibit_rules.{index}" + (f" (same {same})" if equal else "")

    return InhibitRule(
        key,
        lambda a: matches(source, a.labels),
        lambda a: matches(target, a.labels),
        scope,
        _always,
        why,
    )


def _always(source: Alert, target: Alert) -> bool:
    return True


def _breaks_input(alert: Alert) -> bool:
    return alert.labels.get("monitor") in QUALITY_MONITORS or alert.name in OUTAGE_ALERTS


def _is_drift(alert: Alert) -> bool:
    return alert.labels.get("monitor") in DRIFT_MONITORS


def source_features(alert: Alert) -> frozenset[str] | None:
    """The features a data-quality alert is about; None: the whole dataset.

    Its ``feature`` label; else ``evidence["features"]`` (a list of names); else the features
    of the findings in ``evidence["data_quality"]`` (the critical and high ones when there are
    any, as those are what breach) when every such finding names one.
    """
    if "feature" in alert.labels:
        return frozenset({alert.labels["feature"]})
    listed = alert.evidence.get("features")
    if isinstance(listed, list | tuple) and listed and all(isinstance(f, str) for f in listed):
        return frozenset(listed)
    findings = alert.evidence.get("data_quality")
    if not isinstance(findings, list | tuple):
        return None
    rows = [f for f in findings if isinstance(f, Mapping)]
    worst = [f for f in rows if f.get("severity") in BREAKING] or rows
    names = [f.get("feature") for f in worst]
    if not names or not all(isinstance(n, str) and n for n in names):
        return None
    return frozenset(str(n) for n in names)


def _model(alert: Alert) -> tuple[str, ...]:
    return (alert.model,)


def _explained_by(source: Alert, target: Alert) -> bool:
    if not source.model:
        return False
    version = source.labels.get("model_version")
    if version is not None and target.labels.get("model_version") != version:
        return False
    features = source_features(source)
    if features is None or target.labels.get("metric") in JOINT_METRICS:
        return True
    return target.labels.get("feature") in features


def _why_quality(source: Alert, target: Alert) -> str:
    kind = "pipeline outage" if source.name in OUTAGE_ALERTS else "data-quality alert"
    features = source_features(source)
    if features and "feature" in target.labels:
        scope = f"feature {target.labels['feature']}"
    elif features:
        scope = f"features {', '.join(sorted(features))}, which it takes together"
    else:
        scope = "the whole dataset"
    return f"a {kind} on model {source.model} ({scope}) explains its {target.labels['monitor']}"


def _is_critical(alert: Alert) -> bool:
    return alert.labels.get("severity") == Severity.CRITICAL.value


def _is_lesser(alert: Alert) -> bool:
    return alert.labels.get("severity", "warning") in LESSER


def _problem(alert: Alert) -> tuple[str, ...]:
    return tuple(alert.labels.get(n, "") for n in ("alertname", "model", "feature"))


def _why_severity(source: Alert, target: Alert) -> str:
    lesser = target.labels.get("severity", "warning")
    return f"critical mutes {lesser} of the same alertname, model and feature"
