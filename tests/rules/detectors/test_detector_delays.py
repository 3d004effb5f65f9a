"""How fast each detector finds known changes, and how rarely it alarms on quiet series.

Every series is 400 hourly windows with noise σ = 1 (``watchkeeper.rules.detectors.streams``),
a change at window 200 where there is one, defaults everywhere (``history: 7d``; ``season: 1d``
on the daily families). The bounds are the measured values (fixed seeds) with a little room;
``benchmarks/detectors_bench.py`` prints the full table.
"""

from __future__ import annotations

import pytest

from watchkeeper.alerting.config import AnomalySpec
from watchkeeper.rules.detectors.streams import RAMP_SLOPE, evaluate

pytestmark = pytest.mark.slow
CHANGED_SERIES = 100
QUIET_SERIES = 200
RAMP_AT_3_SIGMA = round(3 / RAMP_SLOPE)  # windows after the ramp starts


def spec(detector: str, family: str) -> AnomalySpec:
    season = "1d" if family.startswith("daily") else None
    return AnomalySpec(detector, season=season)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("detector", "family", "median", "p90", "found"),
    [
        # mad: an 8σ spike is caught the moment it happens (measured 94 % of the series)
        ("mad", "spike", 0, 0, 0.9),
        # cusum: a 3σ step within 5 windows (measured median 3, p90 5 up and 4 down)
        ("cusum", "step_up_3", 3, 5, 1.0),
        ("cusum", "step_down_3", 3, 5, 1.0),
        # cusum: a 1σ step, about h / (δ − k) = 20 windows (measured median 15, 99 % found)
        ("cusum", "step_up_1", 18, 35, 0.95),
        # cusum: the same 3σ step on a daily cycle of ±3σ, with season: 1d (measured p90 8)
        ("cusum", "daily_step_3", 6, 10, 1.0),
        # cusum: with 10 % of the windows missing (measured p90 5)
        ("cusum", "missing_step_3", 4, 7, 1.0),
        # page_hinkley: a 3σ step within 5 windows (measured median 3, p90 5)
        ("page_hinkley", "step_up_3", 3, 5, 1.0),
        ("page_hinkley", "step_down_3", 3, 5, 1.0),
        # page_hinkley: 1σ (measured median 19, p90 39)
        ("page_hinkley", "step_up_1", 22, 45, 0.95),
        ("page_hinkley", "daily_step_3", 7, 10, 1.0),
        # adwin: conservative, a 3σ step after about 10 windows (measured p90 11)
        ("adwin", "step_up_3", 10, 12, 1.0),
        ("adwin", "step_down_3", 10, 12, 1.0),
        # adwin: 1σ found in 96 % of the series (median 39)
        ("adwin", "step_up_1", 45, 70, 0.9),
        ("adwin", "missing_step_3", 12, 15, 1.0),
        # ewma: a 3σ step within 5 windows too (measured median 3, p90 5)
        ("ewma", "step_up_3", 3, 5, 1.0),
        ("ewma", "step_down_3", 3, 5, 1.0),
        ("ewma", "daily_step_3", 7, 10, 1.0),
        # trend: a 3σ step tilts the line enough after about 30 windows (measured p90 35)
        ("trend", "step_up_3", 32, 40, 1.0),
        # burn_rate: a 20x outage on five-minute windows: 9 windows to fill the hour at 14.4x
        ("burn_rate", "ratio_outage_20x", 8, 9, 1.0),
    ],
)
def test_detection_delay(detector: str, family: str, median: int, p90: int, found: float) -> None:
    outcome = evaluate(spec(detector, family), family, CHANGED_SERIES)
    assert outcome.detected >= found
    assert (outcome.delay_quantile(0.5) or 0) <= median
    assert (outcome.delay_quantile(0.9) or 0) <= p90


@pytest.mark.parametrize(
    ("detector", "median", "latest"),
    [
        # ewma: at a height of about 1σ (measured median 48 windows, the last series 79)
        ("ewma", 55, 100),
        # trend: about 1.9σ (measured median 93, the last series 122)
        ("trend", 100, 130),
        # cusum and page_hinkley catch it too, like a slow step (measured medians 47, 54)
        ("cusum", 55, 100),
        ("page_hinkley", 60, 110),
        # adwin (measured median 67, the last series 97)
        ("adwin", 75, 110),
    ],
)
def test_gradual_detectors_catch_the_ramp_before_it_reaches_3_sigma(
    detector: str, median: int, latest: int
) -> None:
    outcome = evaluate(spec(detector, "ramp"), "ramp", CHANGED_SERIES)
    assert outcome.detected == 1.0
    assert (outcome.delay_quantile(0.5) or 0) <= median
    assert (outcome.delay_quantile(1.0) or 0) <= latest < RAMP_AT_3_SIGMA


@pytest.mark.parametrize(
    ("detector", "family", "most"),
    [
        # Gaussian noise around a constant level: 63,000 judged windows per detector
        ("mad", "gaussian", 0),  # measured 0
        ("cusum", "gaussian", 20),  # measured 15 episodes: 0.27 per 1,000 windows
        ("page_hinkley", "gaussian", 4),  # measured 2: 0.03 per 1,000
        ("adwin", "gaussian", 0),  # measured 0
        ("ewma", "gaussian", 6),  # measured 4: 0.07 per 1,000
        ("trend", "gaussian", 0),  # measured 0
        # a daily cycle of ±3σ, judged with season: 1d
        ("mad", "daily", 0),
        ("cusum", "daily", 3),  # measured 1
        ("page_hinkley", "daily", 0),
        ("adwin", "daily", 0),
        ("ewma", "daily", 0),
        ("trend", "daily", 0),
        # 10 % of the windows missing
        ("mad", "missing_10pct", 0),
        ("cusum", "missing_10pct", 16),  # measured 12: 0.25 per 1,000
        ("ewma", "missing_10pct", 5),  # measured 3
        ("adwin", "missing_10pct", 0),
        # heavy tails (Student t, 4 degrees of freedom): the price of every detector that
        # assumes near-normal noise, documented with each (mad measured 178: 2.8 per 1,000)
        ("mad", "student_t4", 200),
        ("trend", "student_t4", 2),  # measured 0
        # burn_rate: a quiet service, a single 30x five-minute blip, a 5x slow burn (a ticket,
        # not a page): no alarm in any of them
        ("burn_rate", "ratio_quiet", 0),
        ("burn_rate", "ratio_blip_30x", 0),
        ("burn_rate", "ratio_slow_burn_5x", 0),
    ],
)
def test_false_alarms_on_quiet_series(detector: str, family: str, most: int) -> None:
    outcome = evaluate(spec(detector, family), family, QUIET_SERIES)
    assert outcome.judged > QUIET_SERIES * 200
    assert outcome.false_alarms <= most
