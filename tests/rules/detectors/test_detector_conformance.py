"""The detector interface, checked on every registered detector (with and without a season).

What the rule engine relies on: a verdict depends only on the ``lookback`` points ending at it,
``trace`` gives at every point what ``detect`` gives on the series up to there, missing windows
never alarm, ``direction`` is obeyed, and odd input (empty, all missing, flat, infinite) gives a
quiet verdict with a reason instead of an exception or a warning.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from watchkeeper.alerting.config import AnomalySpec
from watchkeeper.errors import InputError
from watchkeeper.rules.detectors import Detector, build_detector, default_registry

HOUR = 3600.0
NAMES = default_registry().names()
SEASONAL = [n for n in NAMES if default_registry().get(n).seasonal]
# (detector, season) pairs: every detector plain, every seasonal one with a daily season
CASES = [(n, None) for n in NAMES] + [(n, "1d") for n in SEASONAL]


def make(name: str, season: str | None = None, **spec: object) -> Detector:
    return build_detector(AnomalySpec(name, history="2d", season=season, **spec), HOUR)  # type: ignore[arg-type]


def series(name: str, seed: int = 0, season: str | None = None, n: int = 240) -> np.ndarray:
    """Noise (with a daily cycle when there is a season), a spike at 100, a 10σ step at 160
    and 8 % missing windows, the newest present; error ratios for burn_rate."""
    rng = np.random.default_rng(seed)
    if name == "burn_rate":
        x = rng.binomial(6000, np.where(np.arange(n) < 160, 0.0002, 0.03)) / 6000
    else:
        x = 10 + rng.normal(0, 1, n)
        if season:
            x += 2 * np.sin(2 * np.pi * np.arange(n) / 24)
        x[160:] += 10
        x[100] += 15
    x[:-1][rng.random(n - 1) < 0.08] = np.nan
    return x


@pytest.mark.parametrize(("name", "season"), CASES)
def test_trace_is_detect_at_every_point(name: str, season: str | None) -> None:
    detector = make(name, season)
    x = series(name, 0, season)
    times = np.arange(x.size) * HOUR
    trace = detector.trace(x, times)
    assert trace.alarm[160:].any()  # the change is found, so the comparison means something
    for t in range(0, x.size, 7):
        verdict = detector.detect(x[: t + 1], times[: t + 1])
        assert verdict.alarm == trace.alarm[t]
        np.testing.assert_allclose(verdict.statistic, trace.statistic[t], rtol=1e-9)


@pytest.mark.parametrize(("name", "season"), CASES)
def test_only_the_lookback_matters(name: str, season: str | None) -> None:
    detector = make(name, season)
    x = series(name, 1, season)
    times = np.arange(x.size) * HOUR
    whole = detector.detect(x, times)
    tail = detector.detect(x[-detector.lookback :], times[-detector.lookback :])
    assert whole == tail
    # and a change further back than the lookback does not matter either
    older = x.copy()
    older[: x.size - detector.lookback] += 100
    assert detector.detect(older, times) == whole


@pytest.mark.parametrize(("name", "season"), CASES)
def test_missing_windows_never_alarm(name: str, season: str | None) -> None:
    detector = make(name, season)
    x = series(name, 2, season)
    x[165:170] = np.nan  # missing right after the change, when every detector alarms
    trace = detector.trace(x)
    assert not trace.alarm[np.isnan(x)].any()
    assert np.isnan(trace.statistic[np.isnan(x)]).all()
    verdict = detector.detect(x[:166])
    assert (verdict.alarm, verdict.direction, verdict.reason) == (
        False,
        "none",
        "no value in the newest window",
    )


@pytest.mark.parametrize(("name", "season"), CASES)
@pytest.mark.parametrize(
    ("values", "judged"),
    [
        # no windows at all
        (np.array([]), False),
        # nothing but missing windows
        (np.full(200, np.nan), False),
        # a single window: no baseline yet (burn_rate needs none, and 0.05 % burns slowly)
        (np.array([0.0005]), None),
        # infinities are missing windows, not values
        (np.r_[np.full(100, 0.0005), np.inf, -np.inf], False),
    ],
)
def test_odd_input_gives_a_quiet_verdict(
    name: str, season: str | None, values: np.ndarray, judged: bool | None
) -> None:
    detector = make(name, season)
    trace = detector.trace(values)
    verdict = detector.detect(values)
    assert trace.statistic.shape == trace.alarm.shape == values.shape
    assert not trace.alarm.any() and not verdict.alarm
    if judged is None:
        judged = name == "burn_rate"
    assert math.isnan(verdict.statistic) != judged
    assert verdict.reason


@pytest.mark.parametrize(("name", "season"), CASES)
def test_a_flat_series_does_not_alarm_on_rounding_noise(name: str, season: str | None) -> None:
    level = 0.0005 if name == "burn_rate" else 0.021
    x = level * (1 + 1e-9 * np.random.default_rng(3).normal(size=300))
    assert not make(name, season).trace(x).alarm.any()


@pytest.mark.parametrize("name", [n for n in NAMES if n != "burn_rate"])
@pytest.mark.parametrize(("step", "quiet_side"), [(10.0, "down"), (-10.0, "up")])
def test_direction_is_obeyed(name: str, step: float, quiet_side: str) -> None:
    x = 10 + np.random.default_rng(4).normal(0, 1, 300)
    x[200:] += step
    both = make(name).trace(x)
    assert both.alarm[200:].any()
    assert np.all(np.sign(both.statistic[both.alarm]) == np.sign(step))
    assert not make(name, direction=quiet_side).trace(x).alarm.any()
    loud = make(name, direction="up" if quiet_side == "down" else "down").trace(x)
    np.testing.assert_array_equal(loud.alarm[200:], both.alarm[200:])


@pytest.mark.parametrize(
    ("direction", "values"),
    [
        # up: the values are bad ratios; 3 % errors burn a 0.1 % budget 30 times over
        ("up", np.r_[np.zeros(50), np.full(20, 0.03)]),
        # down: the values are good ratios; 97 % success is the same burn
        ("down", np.r_[np.ones(50), np.full(20, 0.97)]),
        # both reads the values as bad ratios, like up
        ("both", np.r_[np.zeros(50), np.full(20, 0.03)]),
    ],
)
def test_burn_rate_direction_chooses_the_ratio_that_burns(
    direction: str, values: np.ndarray
) -> None:
    trace = make("burn_rate", direction=direction).trace(values)
    assert trace.alarm[50:].all() and not trace.alarm[:50].any()
    assert (trace.statistic[50:] > 0).all()


@pytest.mark.parametrize(("name", "season"), CASES)
def test_datetime_times_equal_seconds(name: str, season: str | None) -> None:
    detector = make(name, season)
    x = series(name, 5, season)
    seconds = 1.7e9 + np.arange(x.size) * HOUR
    stamps = (seconds * 1e9).astype("datetime64[ns]")
    a, b = detector.trace(x, seconds), detector.trace(x, stamps)
    np.testing.assert_array_equal(a.alarm, b.alarm)
    np.testing.assert_array_equal(a.statistic, b.statistic)


@pytest.mark.parametrize(("name", "season"), CASES)
def test_windows_never_stored_count_as_missing(name: str, season: str | None) -> None:
    # with times, rows that are absent are missing windows, exactly like NaN values
    detector = make(name, season)
    x = series(name, 7, season)
    times = np.arange(x.size) * HOUR
    keep = np.ones(x.size, bool)
    keep[[30, 31, 32, 90, 170]] = False
    gapped = detector.trace(x[keep], times[keep])
    with_nan = detector.trace(np.where(keep, x, np.nan), times)
    np.testing.assert_array_equal(gapped.alarm, with_nan.alarm[keep])
    np.testing.assert_array_equal(gapped.statistic, with_nan.statistic[keep])
    verdict = detector.detect(x[keep][:-1], times[keep][:-1])
    assert verdict == detector.detect(np.where(keep, x, np.nan)[:-1], times[:-1])


@pytest.mark.parametrize(
    ("n", "times", "message"),
    [
        # one timestamp short
        (10, np.arange(9) * HOUR, "one entry per value"),
        # out of order
        (10, np.r_[np.arange(9) * HOUR, 0.0], "increasing"),
        # two values in one hourly window
        (10, np.r_[np.arange(9) * HOUR, 8.2 * HOUR], "one value per 3600 s window"),
        # milliseconds taken for seconds: a year of hourly values would make 8.8 billion windows
        (8760, np.arange(8760) * HOUR * 1000, "are the times in seconds"),
    ],
)
def test_bad_times_are_input_errors(n: int, times: np.ndarray, message: str) -> None:
    with pytest.raises(InputError, match=message):
        make("mad", "1d").detect(np.ones(n), times)


def test_a_two_dimensional_series_is_an_input_error() -> None:
    with pytest.raises(InputError, match="one-dimensional"):
        make("mad").trace(np.ones((3, 3)))


@pytest.mark.parametrize("name", NAMES)
def test_detection_reads_as_a_sentence(name: str) -> None:
    x = series(name, seed=6)
    detector = make(name)
    first = detector.trace(x).first_alarm(160)
    assert first is not None
    verdict = detector.detect(x[: first + 1])
    assert verdict.alarm and verdict.direction == "up"
    assert verdict.threshold == detector.level
    assert "≥" in verdict.reason
