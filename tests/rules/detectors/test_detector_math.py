"""Each detector's vectorized arithmetic against the plain loop or library it stands for."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from watchkeeper.alerting.config import AnomalySpec
from watchkeeper.rules.detectors import build_detector
from watchkeeper.rules.detectors._window import robust_baseline
from watchkeeper.rules.detectors.cusum import upper_sum
from watchkeeper.rules.detectors.season import Season

HOUR = 3600.0


def noisy_row(seed: int, n: int = 60, missing: float = 0.1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    row = rng.normal(5.0, 2.0, n)
    row[n // 2 :] += rng.uniform(-4, 4)  # a change of random size and sign
    row[rng.random(n) < missing] = np.nan
    return row


@pytest.mark.parametrize("seed", range(5))
def test_cusum_sum_is_the_recursion(seed: int) -> None:
    d = noisy_row(seed) - 5.0
    s = 0.0
    for value in d[~np.isnan(d)]:
        s = max(0.0, s + value)
    assert upper_sum(d[None, :])[0] == pytest.approx(s)


@pytest.mark.parametrize("seed", range(5))
def test_page_hinkley_is_rivers_recursion(seed: int) -> None:
    # river.drift.PageHinkley with alpha = 1 on values standardized by the window's scale
    row = noisy_row(seed, 48)
    detector = build_detector(AnomalySpec("page_hinkley", history="2d"), HOUR)
    scale = robust_baseline(row[None, :], 10).scale[0]
    delta = 0.5
    mean = n = 0.0
    sum_up = sum_down = min_up = max_down = 0.0
    for x in row[~np.isnan(row)] / scale:
        n += 1
        mean += (x - mean) / n
        sum_up += x - mean - delta
        sum_down += x - mean + delta
        min_up, max_down = min(min_up, sum_up), max(max_down, sum_down)
    scores = detector.score(row[None, :])
    assert scores.up[0] == pytest.approx(sum_up - min_up)
    assert scores.down[0] == pytest.approx(max_down - sum_down)


@pytest.mark.parametrize("seed", range(5))
def test_adwin_tests_every_split_with_rivers_bound(seed: int) -> None:
    row = noisy_row(seed, 48)
    detector = build_detector(AnomalySpec("adwin", history="2d"), HOUR)
    base = robust_baseline(row[None, :], 10)
    z = (row[~np.isnan(row)] - base.location[0]) / base.scale[0]
    n, low, delta = z.size, 5, 0.002
    ratios = []
    for cut in range(low, n - low + 1):
        w0, w1 = z[:cut], z[cut:]
        delta_prime = math.log(2 * math.log(n) / delta)
        inv_m = 1 / (w0.size - low + 1) + 1 / (w1.size - low + 1)
        bound = math.sqrt(2 * z.var() * delta_prime * inv_m) + 2 / 3 * delta_prime * inv_m
        ratios.append((w1.mean() - w0.mean()) / bound)
    scores = detector.score(row[None, :])
    assert scores.up[0] == pytest.approx(max(ratios))
    assert scores.down[0] == pytest.approx(-min(ratios))


@pytest.mark.parametrize("seed", range(5))
def test_ewma_is_the_recursion_over_the_baseline(seed: int) -> None:
    detector = build_detector(AnomalySpec("ewma", history="2d"), HOUR)
    row = noisy_row(seed, detector.width)
    history, lam = 48, 0.1
    base = robust_baseline(row[None, :history], 24)
    z = (row[history:] - base.location[0]) / base.scale[0]
    e, i = 0.0, 0
    for value in z[~np.isnan(z)]:
        e, i = lam * value + (1 - lam) * e, i + 1
    sigma = math.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * i)) + math.pi / 2 / base.count[0])
    assert detector.score(row[None, :]).up[0] == pytest.approx(e / sigma)


@pytest.mark.parametrize("seed", range(5))
def test_trend_is_linregress(seed: int) -> None:
    detector = build_detector(AnomalySpec("trend", history="2d"), HOUR)
    row = noisy_row(seed, 48)
    t = np.arange(48.0)
    keep = ~np.isnan(row)
    fit = stats.linregress(t[keep], row[keep])
    residual = np.sqrt(
        np.sum((row[keep] - fit.intercept - fit.slope * t[keep]) ** 2) / (keep.sum() - 2)
    )
    span = t[keep][-1] - t[keep][0]
    scores = detector.score(row[None, :])
    assert scores.up[0] == pytest.approx(fit.slope * span / residual)
    assert scores.allowed is not None
    assert bool(scores.allowed[0]) == (fit.pvalue < 0.01)


@pytest.mark.parametrize(
    ("values", "long", "short", "expected"),
    [
        # 12 windows at 0.1 % errors, then 0.5 %: the hour burns (11·1 + 5)/12 = 1.33x, the
        # last five minutes 5x; the alarm takes the smaller
        (np.r_[np.full(11, 0.001), 0.005], 12, 1, 16 / 12),
        # the short span is the smaller one: it burned 2x, the hour 10x
        (np.r_[np.full(10, 0.012), 0.002, 0.002], 12, 2, 2.0),
        # a missing window is skipped in both spans
        (np.r_[np.full(10, 0.02), np.nan, 0.02], 12, 2, 20.0),
    ],
)
def test_burn_rate_by_hand(values: np.ndarray, long: int, short: int, expected: float) -> None:
    spec = AnomalySpec("burn_rate", params={"long": long, "short": short})
    assert build_detector(spec, 300).detect(values).statistic == pytest.approx(expected)


@pytest.mark.parametrize(
    ("baseline", "value", "z"),
    [
        # median 3, MAD 1: z = (8 − 3) / 1.4826
        ([1.0, 2.0, 3.0, 4.0, 5.0] * 4, 8.0, 5 / 1.4826),
        # the outlier in the baseline moves neither the median nor the MAD
        ([1.0, 2.0, 3.0, 4.0, 5.0] * 3 + [1.0, 2.0, 3.0, 4.0, 500.0], 8.0, 5 / 1.4826),
        # a flat baseline: the floor is 0.1 % of the level, so +0.3 % is z = 3
        ([100.0] * 20, 100.3, 3.0),
        # a flat zero: any value is far off (the floor is 1e-12)
        ([0.0] * 20, 1e-9, 1000.0),
        # mostly zeros (MAD = 0): the RMS deviation from the median stands in, here
        # sqrt(4 · 1² / 19)
        ([0.0] * 16 + [1.0] * 4, 2.0, 2 / math.sqrt(4 / 19)),
    ],
)
def test_mad_robust_z_by_hand(baseline: list[float], value: float, z: float) -> None:
    detector = build_detector(AnomalySpec("mad", history="20h"), HOUR)
    assert detector.detect(np.r_[baseline, value]).statistic == pytest.approx(z, rel=1e-9)


def test_season_keeps_a_step_a_step() -> None:
    t = np.arange(24 * 8)
    x = 50 + 10 * np.sin(2 * np.pi * t / 24)
    x[120:] += 5
    adjusted = Season(points=24).adjust(x)
    np.testing.assert_allclose(adjusted[36:120], 50, atol=1e-9)  # the cycle is gone
    np.testing.assert_allclose(adjusted[120:132], 55, atol=1e-9)  # the step is kept as a level
    np.testing.assert_allclose(adjusted[156:], 55, atol=1e-9)  # and stays once both seasons have it


def test_several_seasons_ignore_an_incident_in_one() -> None:
    t = np.arange(24 * 6)
    x = 50 + 10 * np.sin(2 * np.pi * t / 24)
    x[24 * 4 + 5] += 40  # an incident yesterday at 05:00
    one = Season(points=24).adjust(x)
    three = Season(points=24, count=3).adjust(x)
    today = 24 * 5 + 5
    assert one[today] < 15  # against yesterday alone, today looks 40 below normal
    assert three[today] == pytest.approx(50.0)  # the median of three seasons ignores it
