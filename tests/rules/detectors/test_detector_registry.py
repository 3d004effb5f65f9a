"""build_detector: specs to detectors, errors that name the key, and the registry itself."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from watchkeeper.alerting.config import AnomalySpec
from watchkeeper.errors import ConfigError
from watchkeeper.rules.detectors import (
    BUILTIN_DETECTORS,
    Detector,
    DetectorType,
    Param,
    Registry,
    Scores,
    build_detector,
    default_registry,
)


@pytest.mark.parametrize(
    ("spec", "window", "key", "problem"),
    [
        # a parameter another detector takes
        (AnomalySpec("mad", params={"k": 0.5}), 3600, "anomaly.params.k", "not a parameter"),
        # a misspelt parameter; the message lists the right ones
        (AnomalySpec("cusum", params={"kk": 1}), 3600, "anomaly.params.kk", "k, memory"),
        # slack below zero
        (AnomalySpec("cusum", params={"k": -1}), 3600, "anomaly.params.k", "≥ 0"),
        # a memory that is not a whole number of windows
        (AnomalySpec("cusum", params={"memory": 2.5}), 3600, "anomaly.params.memory", "whole"),
        # a smoothing weight above 1
        (AnomalySpec("ewma", params={"lambda": 1.5}), 3600, "anomaly.params.lambda", "≤ 1"),
        # an objective of 100 % leaves no budget to burn
        (AnomalySpec("burn_rate", params={"objective": 1}), 300, "anomaly.params.objective", "≤"),
        # the short span must be shorter than the long one
        (
            AnomalySpec("burn_rate", params={"long": 6, "short": 6}),
            300,
            "anomaly.params.short",
            "shorter",
        ),
        # ADWIN's δ is a probability, at most 0.5
        (AnomalySpec("adwin", threshold=2), 3600, "anomaly.threshold", "≤ 0.5"),
        # a threshold of zero would alarm on everything
        (AnomalySpec("mad", threshold=0), 3600, "anomaly.threshold", "> 0"),
        # a NaN threshold
        (AnomalySpec("mad", threshold=float("nan")), 3600, "anomaly.threshold", "finite"),
        # three hourly windows are no history
        (AnomalySpec("mad", history="3h"), 3600, "anomaly.history", "at least 4 windows"),
        # not a duration
        (AnomalySpec("mad", history="a week"), 3600, "anomaly.history", "not a duration"),
        # a season shorter than two windows
        (AnomalySpec("mad", season="1h"), 3600, "anomaly.season", "at least 2 windows"),
        # burn rates have no seasonal baseline
        (AnomalySpec("burn_rate", season="1d"), 300, "anomaly.season", "does not apply"),
        # seasons without a season
        (AnomalySpec("mad", params={"seasons": 3}), 3600, "anomaly.params.seasons", "season"),
        # a detector nobody registered
        (AnomalySpec("prophet"), 3600, "anomaly.detector", "unknown detector"),  # type: ignore[arg-type]
    ],
)
def test_bad_specs_name_the_key(spec: AnomalySpec, window: float, key: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem) as caught:
        build_detector(spec, window)
    assert caught.value.key == key


def test_errors_carry_the_callers_key() -> None:
    with pytest.raises(ConfigError) as caught:
        build_detector(AnomalySpec("mad", params={"x": 1}), 3600, key="alerting.rules.3.anomaly")
    assert caught.value.key == "alerting.rules.3.anomaly.params.x"


@pytest.mark.parametrize(
    ("spec", "window", "lookback"),
    [
        # a week of hourly windows before the judged one
        (AnomalySpec("mad"), 3600, 168 + 1),
        # the baseline week plus the CUSUM memory ⌈2h/k⌉ = 40
        (AnomalySpec("cusum"), 3600, 168 + 40),
        # a memory given explicitly
        (AnomalySpec("cusum", params={"memory": 10}), 3600, 168 + 10),
        # the baseline plus the 44 windows λ = 0.1 smooths over
        (AnomalySpec("ewma"), 3600, 168 + 44),
        # Page–Hinkley, ADWIN and the trend read the history itself
        (AnomalySpec("page_hinkley", history="1d"), 600, 144),
        (AnomalySpec("adwin", history="2d"), 3600, 48),
        (AnomalySpec("trend"), 3600, 168),
        # plus a season and a half for the seasonal adjustment
        (AnomalySpec("mad", season="1d"), 3600, 169 + 24 + 12),
        # plus three seasons and a half with seasons: 3
        (AnomalySpec("mad", season="1d", params={"seasons": 3}), 3600, 169 + 72 + 12),
        # burn rate: the long span, 1 h of five-minute windows
        (AnomalySpec("burn_rate"), 300, 12),
        # on hourly windows: two of them
        (AnomalySpec("burn_rate"), 3600, 2),
    ],
)
def test_lookback_in_windows(spec: AnomalySpec, window: float, lookback: int) -> None:
    assert build_detector(spec, window).lookback == lookback


@pytest.mark.parametrize("detector_type", BUILTIN_DETECTORS, ids=lambda t: t.name)
def test_defaults_are_documented_where_the_detector_is(detector_type: DetectorType) -> None:
    doc = importlib.import_module(detector_type.build.__module__).__doc__ or ""
    assert f"default {detector_type.threshold.default:g}" in doc
    for name in detector_type.params:
        assert f"``{name}``" in doc


def test_default_thresholds_are_used_and_overridden() -> None:
    assert build_detector(AnomalySpec("cusum"), 3600).config.threshold == 10
    assert build_detector(AnomalySpec("cusum", threshold=6), 3600).config.threshold == 6
    built = build_detector(AnomalySpec("cusum", params={"k": 1.0}), 3600)
    assert dict(built.config.params) == {"k": 1.0}


class LastAbove(Detector):
    """A user's detector: the newest value itself against the threshold."""

    name = "last_above"

    @property
    def width(self) -> int:
        return 1

    def score(self, rows: np.ndarray) -> Scores:
        return Scores(rows[:, -1], -rows[:, -1])

    def explain(self, row: np.ndarray, statistic: float, alarm: bool) -> str:
        return f"value {self.compare(statistic, alarm)}"


def test_a_users_detector_registers_like_the_builtins() -> None:
    registry = default_registry()
    registry.register(DetectorType("last_above", LastAbove, Param(1.0)))
    spec = AnomalySpec("last_above", direction="up", threshold=5)  # type: ignore[arg-type]
    detector = build_detector(spec, 60, registry)
    assert detector.trace(np.array([1.0, 6.0, np.nan])).alarm.tolist() == [False, True, False]
    assert detector.detect(np.array([7.0])).reason == "value 7 ≥ 5"
    # the default registry is fresh each time: nothing leaked into it
    assert "last_above" not in default_registry().names()


def test_an_empty_registry_knows_nothing() -> None:
    with pytest.raises(ConfigError, match="known: none"):
        build_detector(AnomalySpec("mad"), 3600, Registry())
