"""Scenario files: a service config, the traffic to run it over, and what must (not) happen.

Validated like ``watchkeeper.yaml``: unknown keys are errors and every error names the file,
the key path and the bad value. Paths are relative to the scenario file; times are ISO 8601
(``2026-03-03T06:00Z``; no zone means UTC); spans are ``[start, end]``, both included.

.. code-block:: yaml

    config: watchkeeper.yaml          # default for every scenario
    step: 6h                          # evaluate every 6 hours of simulated time
    scenarios:
      - name: a quality break pages once and mutes the drift it causes
        simulate: {seed: 5, start: 2026-03-02T00:00Z, days: 3, per_hour: 120,
                   quality_break: [2026-03-03T06:00Z, 2026-03-03T18:00Z]}
        expect:
          - {alert: DataQualityBreak, severity: critical,
             fires_between: [2026-03-03T06:00Z, 2026-03-03T18:00Z], notified: true}
          - {alert: FeatureDrift, notified: false}    # it fires, but is inhibited
        quiet: [[2026-03-02T00:00Z, 2026-03-03T06:00Z]]
        never: [PerformanceDrop]

>>> spec = parse_scenarios({"scenarios": [{"name": "x", "config": "wk.yaml", "never": ["A"],
...     "simulate": {"start": "2026-03-02T00:00Z", "days": 2, "outage": ["2026-03-03", "x"]}}]})
Traceback (most recent call last):
...
watchkeeper.errors.ConfigError: scenarios.0.simulate.outage.1: not an ISO 8601 time (got 'x')
>>> parse_scenarios({"scenarios": [{"name": "x", "simulate": {"start": "2026-03-02",
...     "days": 2}, "expect": [{"alert": "A", "fires_by": "2026-03-03"}]}]})
Traceback (most recent call last):
...
watchkeeper.errors.ConfigError: scenarios.0.expect.0.fires_by: unknown key (got '2026-03-03')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import msgspec

from watchkeeper.config import config_error, read_yaml
from watchkeeper.errors import ConfigError, WatchkeeperError
from watchkeeper.rules.defaults import model_rules
from watchkeeper.scenarios.harness import SilenceSpec
from watchkeeper.scenarios.traffic import Columns, RecordedTraffic, SimulatedTraffic, Traffic
from watchkeeper.settings import ServiceConfig, load_service_config, parse_duration
from watchkeeper.simulate import CreditSimulation

Severity = Literal["critical", "high", "warning", "info"]
Span = tuple[datetime, datetime]


class SimulateSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Generated credit-model traffic (:class:`~watchkeeper.simulate.CreditSimulation`)."""

    start: str
    days: float
    per_hour: int = 120
    seed: int = 0
    drift: str | None = None  # income shifts, a new employment value
    decay: str | None = None  # the relationship changes (concept drift)
    decay_ramp: str | None = None  # ... gradually over this long
    quality_break: list[str] | None = None  # [start, end): missing and out-of-range features
    latency_spike: list[str] | None = None  # [start, end): 8x latency
    outage: list[str] | None = None  # [start, end): no traffic
    label_outage: list[str] | None = None  # [start, end): labels arriving then are lost
    label_delay: str = "6h"  # mean delay of a label after its prediction
    model_version: str = "v1"


class DataSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Recorded predictions (and labels), columns mapped as ``watchkeeper ingest`` does."""

    predictions: str
    labels: str | None = None
    id_column: str = "id"
    timestamp_column: str | None = None
    prediction_column: str = "prediction"
    label_column: str | None = None
    features: list[str] | None = None
    start: str | None = None  # default: the first prediction
    end: str | None = None  # default: the last prediction


class ExpectSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    alert: str
    severity: Severity | None = None
    model: str | None = None
    labels: dict[str, str] = msgspec.field(default_factory=dict)
    fires_between: list[str] | None = None
    resolves_by: str | None = None
    notified: bool | None = None


class SilenceEntry(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    matchers: list[str]
    start: str
    end: str
    comment: str = ""


class ScenarioSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str
    config: str | None = None
    model: str | None = None
    simulate: SimulateSpec | None = None
    data: DataSpec | None = None
    step: str | None = None
    silences: list[SilenceEntry] = msgspec.field(default_factory=list)
    expect: list[ExpectSpec] = msgspec.field(default_factory=list)
    quiet: list[list[str]] = msgspec.field(default_factory=list)
    never: list[str] = msgspec.field(default_factory=list)


class ScenarioFile(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    config: str | None = None
    step: str = "6h"
    scenarios: list[ScenarioSpec]


@dataclass(frozen=True)
class Expectation:
    """An alert that must fire (in a span), resolve (by a time) and be notified or not."""

    alert: str
    severity: str | None = None
    model: str | None = None
    labels: Mapping[str, str] | None = None
    fires_between: Span | None = None
    resolves_by: datetime | None = None
    notified: bool | None = None

    @property
    def subject(self) -> str:
        """The alert as the output names it: ``DataQualityBreak critical {feature=income}``."""
        parts = [self.alert, self.severity or ""]
        if self.model:
            parts.append(f"model={self.model}")
        parts += [f"{k}={v}" for k, v in sorted((self.labels or {}).items())]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class Scenario:
    name: str
    key: str  # where it is in its file, for messages: scenarios.2
    config: ServiceConfig
    config_path: Path
    traffic: Traffic
    step: timedelta
    start: datetime | None = None
    end: datetime | None = None
    silences: tuple[SilenceSpec, ...] = ()
    expect: tuple[Expectation, ...] = ()
    quiet: tuple[Span, ...] = ()
    never: tuple[str, ...] = ()


def load_scenarios(path: str | Path) -> list[Scenario]:
    """Read and validate a scenario file, its configs and its data files."""
    source = Path(path)
    if not source.exists():
        raise ConfigError("TESTS", str(source), "file does not exist")
    try:
        return build_scenarios(parse_scenarios(read_yaml(source)), source.parent)
    except ConfigError as exc:
        if exc.key.startswith(("scenarios", "config", "step")):
            raise ConfigError(f"{source}: {exc.key}", exc.value, exc.problem) from None
        raise


def parse_scenarios(data: Any) -> ScenarioFile:
    """Validate the decoded YAML of a scenario file (types and keys, times and spans)."""
    if not isinstance(data, dict):
        raise ConfigError("scenarios", data, "the file must hold a mapping with `scenarios:`")
    data = _plain(data)
    try:
        spec = msgspec.convert(data, ScenarioFile, strict=False)
    except msgspec.ValidationError as exc:
        raise config_error(exc, data, ScenarioFile) from None
    parse_duration(spec.step, "step")
    for i, scenario in enumerate(spec.scenarios):
        _check(scenario, f"scenarios.{i}")
    return spec


def build_scenarios(spec: ScenarioFile, base: Path) -> list[Scenario]:
    """The runnable scenarios: configs loaded, traffic sources opened."""
    if not spec.scenarios:
        raise ConfigError("scenarios", [], "give at least one scenario")
    configs: dict[Path, ServiceConfig] = {}
    out = []
    for i, item in enumerate(spec.scenarios):
        key = f"scenarios.{i}"
        name = item.config or spec.config
        if name is None:
            raise ConfigError(f"{key}.config", None, "name the watchkeeper.yaml to test")
        path = (base / name).resolve()
        if path not in configs:
            if not path.exists():
                where = f"{key}.config" if item.config else "config"
                raise ConfigError(where, name, f"file {path} does not exist")
            try:
                configs[path] = load_service_config(path)
            except ConfigError as exc:  # name the config file, not the scenario file
                raise ConfigError(f"{path}: {exc.key}", exc.value, exc.problem) from None
        config = configs[path]
        _check_alerts(item, key, config)
        out.append(_scenario(item, key, config, path, base, spec.step))
    return out


def _scenario(
    item: ScenarioSpec, key: str, config: ServiceConfig, path: Path, base: Path, step: str
) -> Scenario:
    start = end = None
    traffic: Traffic
    if item.simulate is not None:
        traffic = _simulated(item.simulate, item.model, f"{key}.simulate")
    else:
        assert item.data is not None  # _check made sure
        traffic, start, end = _recorded(item.data, item.model, base, f"{key}.data")
    return Scenario(
        name=item.name,
        key=key,
        config=config,
        config_path=path,
        traffic=traffic,
        step=parse_duration(item.step or step, f"{key}.step"),
        start=start,
        end=end,
        silences=tuple(
            SilenceSpec(
                tuple(s.matchers),
                moment(s.start, f"{key}.silences.{j}.start"),
                moment(s.end, f"{key}.silences.{j}.end"),
                s.comment,
            )
            for j, s in enumerate(item.silences)
        ),
        expect=tuple(_expectation(e, f"{key}.expect.{j}") for j, e in enumerate(item.expect)),
        quiet=tuple(span(q, f"{key}.quiet.{j}") for j, q in enumerate(item.quiet)),
        never=tuple(item.never),
    )


def _simulated(spec: SimulateSpec, model: str | None, key: str) -> SimulatedTraffic:
    start = moment(spec.start, f"{key}.start")
    simulation = CreditSimulation(
        seed=spec.seed,
        drift_start=_maybe(spec.drift, f"{key}.drift"),
        decay_start=_maybe(spec.decay, f"{key}.decay"),
        decay_ramp=parse_duration(spec.decay_ramp, f"{key}.decay_ramp")
        if spec.decay_ramp
        else None,
        label_delay=parse_duration(spec.label_delay, f"{key}.label_delay"),
        model_version=spec.model_version,
        quality_break=_maybe_span(spec.quality_break, f"{key}.quality_break"),
        latency_spike=_maybe_span(spec.latency_spike, f"{key}.latency_spike"),
        outage=_maybe_span(spec.outage, f"{key}.outage"),
        label_outage=_maybe_span(spec.label_outage, f"{key}.label_outage"),
    )
    end = start + timedelta(days=spec.days)
    return SimulatedTraffic(simulation, start, end, spec.per_hour, model)


def _recorded(
    spec: DataSpec, model: str | None, base: Path, key: str
) -> tuple[RecordedTraffic, datetime | None, datetime | None]:
    columns = Columns(
        id=spec.id_column,
        timestamp=spec.timestamp_column,
        prediction=spec.prediction_column,
        label=spec.label_column,
        features=tuple(spec.features) if spec.features is not None else None,
    )
    try:
        traffic = RecordedTraffic(
            base / spec.predictions,
            base / spec.labels if spec.labels else None,
            columns,
            model,
        )
    except WatchkeeperError as exc:
        raise ConfigError(key, spec.predictions, str(exc)) from None
    return traffic, _maybe(spec.start, f"{key}.start"), _maybe(spec.end, f"{key}.end")


def _expectation(spec: ExpectSpec, key: str) -> Expectation:
    return Expectation(
        alert=spec.alert,
        severity=spec.severity,
        model=spec.model,
        labels=dict(spec.labels),
        fires_between=_maybe_span(spec.fires_between, f"{key}.fires_between"),
        resolves_by=_maybe(spec.resolves_by, f"{key}.resolves_by"),
        notified=spec.notified,
    )


def _check(item: ScenarioSpec, key: str) -> None:
    """Everything that can be checked without opening files."""
    if not item.name.strip():
        raise ConfigError(f"{key}.name", item.name, "give the scenario a name")
    if (item.simulate is None) == (item.data is None):
        raise ConfigError(key, item.name, "give exactly one traffic source: simulate or data")
    if not (item.expect or item.quiet or item.never):
        raise ConfigError(key, item.name, "give at least one expectation (expect, quiet, never)")
    if item.step is not None:
        parse_duration(item.step, f"{key}.step")
    if item.simulate is not None:
        sim, where = item.simulate, f"{key}.simulate"
        if not 0 < sim.days <= 366:
            raise ConfigError(f"{where}.days", sim.days, "must be more than 0 and at most 366")
        if sim.per_hour < 1:
            raise ConfigError(f"{where}.per_hour", sim.per_hour, "must be at least 1")
        if sim.decay_ramp is not None and sim.decay is None:
            raise ConfigError(f"{where}.decay_ramp", sim.decay_ramp, "needs decay (its start)")
        _simulated(sim, item.model, where)  # times, spans and durations
    for j, entry in enumerate(item.expect):
        _expectation(entry, f"{key}.expect.{j}")
    for j, quiet in enumerate(item.quiet):
        span(quiet, f"{key}.quiet.{j}")
    for j, silence in enumerate(item.silences):
        where = f"{key}.silences.{j}"
        if not silence.matchers:
            raise ConfigError(f"{where}.matchers", [], "give at least one matcher")
        moment(silence.start, f"{where}.start")
        if moment(silence.end, f"{where}.end") <= moment(silence.start, f"{where}.start"):
            raise ConfigError(f"{where}.end", silence.end, "must be after start")


def _check_alerts(item: ScenarioSpec, key: str, config: ServiceConfig) -> None:
    """Each alert named must be one some rule of the config can raise (a typo never fires)."""
    known = {
        rule.name
        for name, model in config.models.items()
        for rule in model_rules(name, model, config.alerting)
    }
    named = [(f"{key}.expect.{j}.alert", e.alert) for j, e in enumerate(item.expect)]
    named += [(f"{key}.never.{j}", alert) for j, alert in enumerate(item.never)]
    for where, alert in named:
        if alert not in known:
            raise ConfigError(
                where,
                alert,
                f"no rule of the config raises it (its alerts: {', '.join(sorted(known))})",
            )
    if item.model is not None and item.model not in config.models:
        raise ConfigError(
            f"{key}.model", item.model, f"not a model of {item.config or 'the config'}"
        )


def moment(text: str, key: str) -> datetime:
    """An ISO 8601 time; without a zone it is UTC.

    >>> moment("2026-03-03T06:00Z", "t"), moment("2026-03-03", "t").hour
    (datetime.datetime(2026, 3, 3, 6, 0, tzinfo=datetime.timezone.utc), 0)
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise ConfigError(key, text, "not an ISO 8601 time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def span(items: list[str], key: str) -> Span:
    """``[start, end]`` with the end after the start."""
    if len(items) != 2:
        raise ConfigError(key, items, "give [start, end]")
    start, end = moment(items[0], f"{key}.0"), moment(items[1], f"{key}.1")
    if end <= start:
        raise ConfigError(f"{key}.1", items[1], "must be after the start")
    return start, end


def _maybe(text: str | None, key: str) -> datetime | None:
    return None if text is None else moment(text, key)


def _maybe_span(items: list[str] | None, key: str) -> Span | None:
    return None if items is None else span(items, key)


def _plain(data: Any) -> Any:
    """YAML's own times and dates as ISO text (every time in the file is parsed the same)."""
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    if isinstance(data, datetime | date):
        return data.isoformat()
    return data
