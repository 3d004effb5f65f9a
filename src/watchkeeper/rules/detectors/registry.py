"""Detectors by name, and :func:`build_detector` turning an ``anomaly:`` spec into one.

The built-in detectors register through the same :class:`Registry` a user's detector would:
a :class:`DetectorType` names the class, its threshold and its parameters (each with a default
and a valid range); ``build_detector`` validates the spec against it and converts the spans to
numbers of evaluation windows. Errors name the key: ``anomaly.params.<name>`` and friends.

>>> from watchkeeper.alerting.config import AnomalySpec
>>> build_detector(AnomalySpec("cusum", params={"k": 1.0}), window_seconds=3600).lookback
188
>>> build_detector(AnomalySpec("mad", params={"k": 1.0}), window_seconds=3600)
Traceback (most recent call last):
...
watchkeeper.errors.ConfigError: anomaly.params.k: not a parameter of the mad detector;
it takes: no parameters (got 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from watchkeeper.alerting.config import AnomalySpec
from watchkeeper.errors import ConfigError
from watchkeeper.rules.detectors.adwin import Adwin
from watchkeeper.rules.detectors.base import Detector, DetectorConfig
from watchkeeper.rules.detectors.burn_rate import BurnRate
from watchkeeper.rules.detectors.cusum import Cusum
from watchkeeper.rules.detectors.ewma import Ewma
from watchkeeper.rules.detectors.mad import Mad
from watchkeeper.rules.detectors.page_hinkley import PageHinkley
from watchkeeper.rules.detectors.season import Season
from watchkeeper.rules.detectors.trend import Trend
from watchkeeper.settings import parse_duration

MIN_HISTORY = 4  # windows


@dataclass(frozen=True)
class Param:
    """A numeric setting: default (None: derived from the others), open/closed bounds."""

    default: float | None
    low: float = 0.0
    high: float = math.inf
    integer: bool = False
    low_inclusive: bool = False

    def check(self, key: str, value: float) -> float:
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise ConfigError(key, value, "must be a finite number")
        too_low = value < self.low if self.low_inclusive else value <= self.low
        if too_low or value > self.high:
            low = f"{'≥' if self.low_inclusive else '>'} {self.low:g}"
            high = "" if math.isinf(self.high) else f" and ≤ {self.high:g}"
            raise ConfigError(key, value, f"must be {low}{high}")
        if self.integer and value != int(value):
            raise ConfigError(key, value, "must be a whole number")
        return float(value)


@dataclass(frozen=True)
class DetectorType:
    """How to build one kind of detector from a spec."""

    name: str
    build: type[Detector]
    threshold: Param
    params: Mapping[str, Param] = field(default_factory=dict)
    seasonal: bool = True  # whether ``season`` applies
    kind: str = "sudden"  # or "gradual": what it is for, shown in docs and benchmarks


SEASONS = Param(1, low=1, high=10, integer=True, low_inclusive=True)

BUILTIN_DETECTORS: tuple[DetectorType, ...] = (
    DetectorType("mad", Mad, Param(6.0)),
    DetectorType(
        "cusum",
        Cusum,
        Param(10.0),
        {"k": Param(0.5, low_inclusive=True), "memory": Param(None, low=1, integer=True)},
    ),
    DetectorType(
        "page_hinkley", PageHinkley, Param(10.0), {"delta": Param(0.5, low_inclusive=True)}
    ),
    DetectorType(
        "adwin",
        Adwin,
        Param(0.002, high=0.5),
        {"min_window": Param(5, low=1, integer=True, low_inclusive=True)},
    ),
    DetectorType("ewma", Ewma, Param(4.0), {"lambda": Param(0.1, high=1)}, kind="gradual"),
    DetectorType("trend", Trend, Param(2.0), {"alpha": Param(0.01, high=1)}, kind="gradual"),
    DetectorType(
        "burn_rate",
        BurnRate,
        Param(14.4),
        {
            "objective": Param(0.999, high=1 - 1e-12),
            "long": Param(None, low=1, integer=True),
            "short": Param(None, low=1, integer=True, low_inclusive=True),
        },
        seasonal=False,
        kind="gradual",
    ),
)


class Registry:
    """Detector types by name; the built-ins are registered like any other.

    >>> Registry(BUILTIN_DETECTORS).names()
    ['adwin', 'burn_rate', 'cusum', 'ewma', 'mad', 'page_hinkley', 'trend']
    """

    def __init__(self, types: Iterable[DetectorType] = ()) -> None:
        self._types: dict[str, DetectorType] = {}
        for detector_type in types:
            self.register(detector_type)

    def register(self, detector_type: DetectorType) -> None:
        self._types[detector_type.name] = detector_type

    def get(self, name: str, key: str = "anomaly.detector") -> DetectorType:
        try:
            return self._types[name]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise ConfigError(key, name, f"unknown detector; known: {known}") from None

    def names(self) -> list[str]:
        return sorted(self._types)


def default_registry() -> Registry:
    """A fresh registry holding the built-in detectors (add your own with ``register``)."""
    return Registry(BUILTIN_DETECTORS)


def build_detector(
    spec: AnomalySpec,
    window_seconds: float,
    registry: Registry | None = None,
    key: str = "anomaly",
) -> Detector:
    """The detector ``spec`` describes, for a series with one value per ``window_seconds``."""
    detector_type = (registry or default_registry()).get(spec.detector, f"{key}.detector")
    history_seconds = parse_duration(spec.history, f"{key}.history").total_seconds()
    history = round(history_seconds / window_seconds)
    if history < MIN_HISTORY:
        raise ConfigError(
            f"{key}.history", spec.history, f"must span at least {MIN_HISTORY} windows"
        )
    known = dict(detector_type.params)
    if detector_type.seasonal and spec.season is not None:
        known["seasons"] = SEASONS
    params: dict[str, float] = {}
    for name, value in spec.params.items():
        if name == "seasons" and "seasons" not in known:
            raise ConfigError(f"{key}.params.{name}", value, f"only applies with {key}.season")
        if name not in known:
            takes = ", ".join(sorted(known)) or "no parameters"
            raise ConfigError(
                f"{key}.params.{name}",
                value,
                f"not a parameter of the {detector_type.name} detector; it takes: {takes}",
            )
        params[name] = known[name].check(f"{key}.params.{name}", value)
    for name, param in known.items():
        if name not in params and param.default is not None:
            params[name] = param.default
    threshold = detector_type.threshold
    config = DetectorConfig(
        direction=spec.direction,
        history=history,
        threshold=(
            threshold.check(f"{key}.threshold", spec.threshold)
            if spec.threshold is not None
            else float(threshold.default or 0)
        ),
        params=params,
        window_seconds=window_seconds,
        season=_season(spec, detector_type, window_seconds, params, key),
        history_label=spec.history,
        key=key,
    )
    detector = detector_type.build(config)
    detector.check()
    return detector


def _season(
    spec: AnomalySpec,
    detector_type: DetectorType,
    window_seconds: float,
    params: Mapping[str, float],
    key: str,
) -> Season | None:
    if spec.season is None:
        return None
    if not detector_type.seasonal:
        raise ConfigError(
            f"{key}.season", spec.season, f"does not apply to the {detector_type.name} detector"
        )
    seconds = parse_duration(spec.season, f"{key}.season").total_seconds()
    points = round(seconds / window_seconds)
    if points < 2:
        raise ConfigError(f"{key}.season", spec.season, "must span at least 2 windows")
    return Season(points, int(params["seasons"]), spec.season)
