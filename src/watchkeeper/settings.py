"""``watchkeeper.yaml``: the service configuration (monitoring as code), validated on load.

Unknown keys are errors and every error names the key path and the bad value. The minimal
file of the design (a store, one model with a reference, prediction, label and window, and one
webhook receiver) is valid; every other key has a default.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import msgspec

from watchkeeper.alerting.config import AlertingSection
from watchkeeper.config import DriftSection, SchemaSection, config_error, read_yaml
from watchkeeper.errors import ConfigError

Task = Literal["binary_classification", "multiclass_classification", "regression", "ranking"]
_DURATION = re.compile(r"^(\d+)(s|m|h|d|w)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str, key: str = "duration") -> timedelta:
    """``"90s"``, ``"15m"``, ``"1h"``, ``"1d"``, ``"2w"`` as a timedelta.

    >>> parse_duration("1h"), parse_duration("7d").days
    (datetime.timedelta(seconds=3600), 7)
    >>> parse_duration("1 hour", "windows.0")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: windows.0: not a duration like 30m, 1h or 1d (got '1 hour')
    """
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if not match or int(match.group(1)) == 0:
        raise ConfigError(key, text, "not a duration like 30m, 1h or 1d")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


class KpiSpec(msgspec.Struct, forbid_unknown_fields=True):
    """A business KPI over outcome events joined to predictions by id.

    ``aggregate``: ``rate`` (share of predictions with at least one such outcome, e.g.
    conversion), ``sum`` / ``mean`` of the outcome values per prediction (e.g. revenue per
    prediction), or ``count`` of outcome events. ``delay``: how long after a prediction its
    outcomes may still arrive (e.g. revenue when a loan is repaid); alert rules judge a window's
    KPI only once that long has passed.
    """

    outcome: str
    aggregate: Literal["rate", "sum", "mean", "count"] = "mean"
    delay: str | None = None


class PerformanceSection(msgspec.Struct, forbid_unknown_fields=True):
    min_label_coverage: float = 0.5  # below this share of labelled predictions: provisional
    threshold: float = 0.5  # binary: score at or above it is the positive class
    positive_label: str | None = None  # binary: which label value is positive (default: 1/true)


class RankingSection(msgspec.Struct, forbid_unknown_fields=True):
    """``task: ranking``: the segment key holding each prediction's query id, and the cut-offs
    of NDCG@k, precision@k and recall@k."""

    query: str | None = None
    k: list[int] = msgspec.field(default_factory=lambda: [5, 10])


class RootCauseSection(msgspec.Struct, forbid_unknown_fields=True):
    """What ranks drift drivers and performance slices (see ``watchkeeper.monitors.insight``).

    Importances come from ``importances`` when given, else from per-row attributions in the
    reference file (``attributions``: feature -> column, e.g. SHAP values), else from a
    surrogate model fitted on the reference (features -> the model's numeric prediction).
    """

    importances: dict[str, float] = {}
    attributions: dict[str, str] = {}
    surrogate: bool = True
    slices: bool = True  # performance slices of windows with labels


class ProductionReference(msgspec.Struct, forbid_unknown_fields=True):
    """``reference: {production: 7d}``: the reference is learned from the model's first
    ``production`` of traffic (event time) once that much is stored; the features' types come
    from ``schema.columns``."""

    production: str


class ModelConfig(msgspec.Struct, forbid_unknown_fields=True):
    task: Task
    # data file or .wkprofile, or {production: 7d}
    reference: str | ProductionReference | None = None
    prediction: str = "prediction"
    scores: list[str] = []
    label: str | None = None
    segments: list[str] = []
    windows: list[str] = msgspec.field(default_factory=lambda: ["1h"])
    schema: SchemaSection = msgspec.field(default_factory=SchemaSection)
    drift: DriftSection = msgspec.field(default_factory=DriftSection)
    performance: PerformanceSection = msgspec.field(default_factory=PerformanceSection)
    kpis: dict[str, KpiSpec] = {}
    retention: str = "90d"
    # features a prediction carries that the schema does not know: dropped and counted
    # ("ignore") or the whole batch rejected naming them ("reject")
    unknown_features: Literal["ignore", "reject"] = "ignore"
    # what drift is also broken down by: "model_version" and/or segment keys (costs time)
    drift_breakdown: list[str] = []
    ranking: RankingSection = msgspec.field(default_factory=RankingSection)
    root_cause: RootCauseSection = msgspec.field(default_factory=RootCauseSection)
    # estimated_<metric> per window, without labels (needs a reference file with the label)
    estimation: bool = True

    def window_lengths(self, key: str) -> list[timedelta]:
        return [parse_duration(w, f"{key}.windows.{i}") for i, w in enumerate(self.windows)]

    def production_period(self, key: str) -> timedelta | None:
        """How much traffic the reference is learned from; None for a reference file."""
        if not isinstance(self.reference, ProductionReference):
            return None
        return parse_duration(self.reference.production, f"{key}.reference.production")


class ServerSection(msgspec.Struct, forbid_unknown_fields=True):
    host: str = "127.0.0.1"
    port: int = 8000
    # names of environment variables holding bearer tokens for write endpoints (never the
    # tokens themselves); none set means writes are open (loopback use only)
    token_env: list[str] = []
    evaluate_every: str = "1m"  # the scheduler's tick


class StatsdTarget(msgspec.Struct, forbid_unknown_fields=True):
    host: str = "127.0.0.1"
    port: int = 8125
    prefix: str = "watchkeeper"
    tags_style: Literal["dogstatsd", "plain"] = "dogstatsd"


class OtlpTarget(msgspec.Struct, forbid_unknown_fields=True):
    endpoint: str  # e.g. http://127.0.0.1:4318/v1/metrics
    headers_env: dict[str, str] = {}  # header name -> environment variable holding its value


class EmfTarget(msgspec.Struct, forbid_unknown_fields=True):
    path: str  # JSON-lines file the CloudWatch agent tails


class ExportSection(msgspec.Struct, forbid_unknown_fields=True):
    """Push exporters: after each evaluation the new samples go to each one configured."""

    statsd: StatsdTarget | None = None
    otlp: OtlpTarget | None = None
    emf: EmfTarget | None = None


class ServiceConfig(msgspec.Struct, forbid_unknown_fields=True):
    store: str = "./wk-data"
    models: dict[str, ModelConfig] = {}
    server: ServerSection = msgspec.field(default_factory=ServerSection)
    alerting: AlertingSection = msgspec.field(default_factory=AlertingSection)
    export: ExportSection = msgspec.field(default_factory=ExportSection)
    base_dir: str = "."  # set on load: relative paths are relative to the config file

    def path(self, relative: str) -> Path:
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else Path(self.base_dir) / candidate

    def tokens(self) -> set[str]:
        """The bearer tokens read from the configured environment variables."""
        return {os.environ[name] for name in self.server.token_env if os.environ.get(name)}


def parse_service_config(data: Any, base_dir: str = ".") -> ServiceConfig:
    """Validate a decoded ``watchkeeper.yaml``.

    >>> c = parse_service_config({"models": {"credit": {"task": "binary_classification",
    ...     "label": "label", "windows": ["1h", "1d"]}}})
    >>> [w.total_seconds() for w in c.models["credit"].window_lengths("models.credit")]
    [3600.0, 86400.0]
    >>> parse_service_config({"models": {"m": {"task": "classify"}}})
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: models.m.task: Invalid enum value 'classify' (got 'classify')
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("watchkeeper.yaml", data, "the file must hold a mapping of sections")
    try:
        config = msgspec.convert({**data, "base_dir": base_dir}, ServiceConfig, strict=False)
    except msgspec.ValidationError as exc:
        raise config_error(exc, data, ServiceConfig) from None
    _check(config)
    return config


def _check(config: ServiceConfig) -> None:
    for name, model in config.models.items():
        key = f"models.{name}"
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise ConfigError(key, name, "model names may use letters, digits, '_', '-' and '.'")
        if not model.windows:
            raise ConfigError(f"{key}.windows", model.windows, "give at least one window")
        model.window_lengths(key)
        retention = parse_duration(model.retention, f"{key}.retention")
        _check_production_reference(key, model, retention)
        _check_breakdown_and_ranking(key, model)
        coverage = model.performance.min_label_coverage
        if not 0 <= coverage <= 1:
            raise ConfigError(
                f"{key}.performance.min_label_coverage", coverage, "must be between 0 and 1"
            )
    parse_duration(config.server.evaluate_every, "server.evaluate_every")
    from watchkeeper.alerting.validate import check_alerting  # it needs parse_duration

    check_alerting(config.alerting, config.models, Path(config.base_dir))
    if not 0 < config.server.port < 65536:
        raise ConfigError("server.port", config.server.port, "must be a TCP port")


def _check_production_reference(key: str, model: ModelConfig, retention: timedelta) -> None:
    reference = model.reference
    if not isinstance(reference, ProductionReference):
        return
    if parse_duration(reference.production, f"{key}.reference.production") > retention:
        raise ConfigError(
            f"{key}.reference.production",
            reference.production,
            f"must not be longer than the retention ({model.retention}): older events are deleted",
        )
    if not model.schema.columns:
        raise ConfigError(
            f"{key}.schema.columns",
            model.schema.columns,
            "a reference learned from production needs each feature's type here "
            "(e.g. {age: numeric, plan: categorical})",
        )


def _check_breakdown_and_ranking(key: str, model: ModelConfig) -> None:
    query = model.ranking.query
    if query is not None and query not in model.segments:
        raise ConfigError(
            f"{key}.ranking.query", query, "must be one of the model's segments (the query id)"
        )
    if any(k < 1 for k in model.ranking.k):
        raise ConfigError(f"{key}.ranking.k", model.ranking.k, "cut-offs must be at least 1")
    for i, name in enumerate(model.drift_breakdown):
        if name != "model_version" and (name not in model.segments or name == query):
            raise ConfigError(
                f"{key}.drift_breakdown.{i}",
                name,
                "must be model_version or one of the model's segments (not the ranking query)",
            )


def load_service_config(path: str | Path) -> ServiceConfig:
    return parse_service_config(read_yaml(path), str(Path(path).parent))
