"""Cross-checks of the ``alerting`` section that a schema cannot express: durations, matchers,
one condition per rule, and that every receiver and escalation policy named exists."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from watchkeeper.alerting.config import AlertingSection, RouteSpec, RuleSpec
from watchkeeper.alerting.matchers import parse_matchers
from watchkeeper.errors import ConfigError
from watchkeeper.settings import parse_duration


def check_alerting(
    section: AlertingSection, models: Collection[str], base_dir: Path | None = None
) -> None:
    """Raise :class:`ConfigError` naming the key path of the first problem."""
    if section.playbooks is not None and base_dir is not None:
        directory = Path(section.playbooks)
        directory = directory if directory.is_absolute() else base_dir / directory
        if not directory.is_dir():
            raise ConfigError("alerting.playbooks", section.playbooks, "not a directory")
    for name, receiver in section.receivers.items():
        key = f"alerting.receivers.{name}"
        integrations = [f for f in receiver.__struct_fields__ if getattr(receiver, f) is not None]
        if not integrations:
            kinds = ", ".join(receiver.__struct_fields__)
            raise ConfigError(key, {}, f"give at least one of {kinds}")
        for field in integrations:
            spec = getattr(receiver, field)
            parse_duration(spec.timeout, f"{key}.{field}.timeout")
            if field in ("webhook", "slack") and not (spec.url or spec.url_env):
                raise ConfigError(f"{key}.{field}", None, "give url or url_env")
    parse_duration(section.max_retry_delay, "alerting.max_retry_delay")
    _check_route(section.route, section, "alerting.route", root=True)
    for i, inhibit in enumerate(section.inhibit_rules):
        parse_matchers(inhibit.source, f"alerting.inhibit_rules.{i}.source")
        parse_matchers(inhibit.target, f"alerting.inhibit_rules.{i}.target")
    for name, policy in section.escalation.items():
        key = f"alerting.escalation.{name}"
        if not policy.levels:
            raise ConfigError(f"{key}.levels", [], "give at least one level")
        for i, level in enumerate(policy.levels):
            _receiver(level.receiver, section, f"{key}.levels.{i}.receiver")
            if level.after not in ("0", "0s", "0m"):
                parse_duration(level.after, f"{key}.levels.{i}.after")
        for severity, start in policy.start.items():
            if not 0 <= start < len(policy.levels):
                raise ConfigError(f"{key}.start.{severity}", start, "not a level of the policy")
    for i, rule in enumerate(section.rules):
        _check_rule(rule, f"alerting.rules.{i}", models)
    for i, trigger in enumerate(section.retraining):
        key = f"alerting.retraining.{i}"
        parse_duration(trigger.export_window, f"{key}.export_window")
        parse_duration(trigger.cooldown, f"{key}.cooldown")
        if not (trigger.webhook or trigger.command):
            raise ConfigError(key, trigger.name, "give a webhook and/or a command")
        _known_models(trigger.models, models, f"{key}.models")


def _receiver(name: str | None, section: AlertingSection, key: str) -> None:
    if name is not None and name not in section.receivers:
        known = ", ".join(sorted(section.receivers)) or "none configured"
        raise ConfigError(key, name, f"no such receiver (receivers: {known})")


def _check_route(route: RouteSpec, section: AlertingSection, key: str, *, root: bool) -> None:
    if root and route.receiver is None and section.receivers:
        raise ConfigError(f"{key}.receiver", None, "the root route needs a receiver")
    _receiver(route.receiver, section, f"{key}.receiver")
    parse_matchers(route.match, f"{key}.match")
    for field in ("group_wait", "group_interval", "repeat_interval"):
        value = getattr(route, field)
        if value is not None and value.strip() not in ("0", "0s", "0m"):
            parse_duration(value, f"{key}.{field}")
    if route.max_per_hour is not None and route.max_per_hour < 0:
        raise ConfigError(f"{key}.max_per_hour", route.max_per_hour, "must be 0 (no limit) or more")
    if route.escalation is not None and route.escalation not in section.escalation:
        raise ConfigError(f"{key}.escalation", route.escalation, "no such escalation policy")
    for i, child in enumerate(route.routes):
        _check_route(child, section, f"{key}.routes.{i}", root=False)


def _check_rule(rule: RuleSpec, key: str, models: Collection[str]) -> None:
    conditions = [
        name
        for name, given in (
            ("above/below", rule.above is not None or rule.below is not None),
            ("status", rule.status is not None),
            ("change", rule.change is not None),
            ("anomaly", rule.anomaly is not None),
        )
        if given
    ]
    if len(conditions) != 1:
        raise ConfigError(
            key,
            rule.name,
            "give exactly one condition: above/below, status, change or anomaly"
            + (f" (got {', '.join(conditions)})" if conditions else ""),
        )
    if rule.for_ < 1:
        raise ConfigError(f"{key}.for", rule.for_, "must be 1 or more windows")
    if rule.of is not None and rule.of < rule.for_:
        raise ConfigError(f"{key}.of", rule.of, f"must be at least `for` ({rule.for_})")
    if rule.resolve_after < 1:
        raise ConfigError(f"{key}.resolve_after", rule.resolve_after, "must be 1 or more windows")
    parse_matchers(rule.match, f"{key}.match")
    if rule.settle is not None:
        parse_duration(rule.settle, f"{key}.settle")
    _known_models(rule.models, models, f"{key}.models")
    if rule.change is not None:
        if rule.change.above is None and rule.change.below is None:
            raise ConfigError(f"{key}.change", None, "give above and/or below")
        if rule.change.baseline != "reference":
            parse_duration(rule.change.baseline, f"{key}.change.baseline")
    if rule.anomaly is not None:
        parse_duration(rule.anomaly.history, f"{key}.anomaly.history")
        if rule.anomaly.season is not None:
            parse_duration(rule.anomaly.season, f"{key}.anomaly.season")


def _known_models(names: list[str], models: Collection[str], key: str) -> None:
    for i, name in enumerate(names):
        if name not in models:
            raise ConfigError(f"{key}.{i}", name, "no such model")
