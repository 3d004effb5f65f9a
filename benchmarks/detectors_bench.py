"""Anomaly detectors: detection delay, false alarms and speed on synthetic metric series.

Every detector runs with its defaults (``history: 7d`` on hourly windows; ``season: 1d`` on the
daily families) over ``--streams`` seeded series per family from
``watchkeeper.rules.detectors.streams`` — 400 windows, noise σ = 1, a change at window 200
where there is one. It prints, as Markdown:

- delays: median (90th percentile) windows from the change to the first alarm, and, when the
  change was not found in every series, in how many (``ramp``: the ramp's height in σ at the
  median delay; ``spike``: the share of spikes alarmed on as they happen);
- false alarms: alarm episodes (runs of alarming windows, i.e. alerts) per 1,000 judged
  windows of quiet series, and how many of the series had any;
- speed: one ``trace`` over 10,000 hourly windows and one ``detect`` on the newest (best of
  ``--repeats``).

    python benchmarks/detectors_bench.py
    python benchmarks/detectors_bench.py --streams 50 --repeats 3
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from bench_common import table

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
if (SRC / "watchkeeper").is_dir() and str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from watchkeeper.alerting.config import AnomalySpec  # noqa: E402
from watchkeeper.rules.detectors import build_detector, default_registry  # noqa: E402
from watchkeeper.rules.detectors.streams import (  # noqa: E402
    CHANGES,
    QUIET,
    RAMP_SLOPE,
    RATIO_CHANGES,
    RATIO_QUIET,
    Outcome,
    evaluate,
)


def spec_for(detector: str, family: str) -> AnomalySpec:
    season = "1d" if family.startswith("daily") else None
    return AnomalySpec(detector, history="7d", season=season)  # type: ignore[arg-type]


def families_for(detector: str) -> tuple[list[str], list[str]]:
    """(change families, quiet families) a detector is measured on."""
    if detector == "burn_rate":
        return list(RATIO_CHANGES), list(RATIO_QUIET)
    return list(CHANGES), list(QUIET)


def delay_cell(family: str, outcome: Outcome) -> str:
    median, p90 = outcome.delay_quantile(0.5), outcome.delay_quantile(0.9)
    if median is None or p90 is None:
        return "missed"
    if family == "spike":
        caught = sum(d == 0 for d in outcome.delays) / len(outcome.delays)
        return f"{caught:.0%}"
    cell = f"{median:g} ({p90:g})"
    if family == "ramp":
        cell += f" = {median * RAMP_SLOPE:.1f}σ"
    found = sum(d is not None for d in outcome.delays)
    if found < len(outcome.delays):
        cell += f", {found}/{len(outcome.delays)}"
    return cell


def false_cell(outcome: Outcome, streams: int) -> str:
    return f"{outcome.false_alarms_per_1000:.2f} ({outcome.streams_with_false_alarms}/{streams})"


def speed(detector: str, repeats: int) -> tuple[float, float]:
    """(ms for a trace of 10,000 hourly windows, µs for one detect): the best of ``repeats``,
    the least disturbed by whatever else the machine runs."""
    x = np.random.default_rng(0).normal(10.0, 1.0, 10_000)
    times = np.arange(x.size) * 3600.0
    built = build_detector(AnomalySpec(detector, history="7d"), 3600)  # type: ignore[arg-type]
    traces, detects = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        built.trace(x, times)
        traces.append(time.perf_counter() - start)
        start = time.perf_counter()
        for _ in range(20):
            built.detect(x, times)
        detects.append((time.perf_counter() - start) / 20)
    return min(traces) * 1e3, min(detects) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", type=int, default=200, help="series per family")
    parser.add_argument("--repeats", type=int, default=5, help="timing repeats")
    args = parser.parse_args(argv)
    registry = default_registry()
    names = registry.names()
    level_changes, level_quiet = families_for("mad")
    delays: dict[str, list[str]] = {}
    alarms: dict[str, list[str]] = {}
    timing: list[list[str]] = []
    for name in names:
        changes, quiet = families_for(name)
        outcomes = {f: evaluate(spec_for(name, f), f, args.streams) for f in changes + quiet}
        delays[name] = [delay_cell(f, outcomes[f]) for f in changes]
        alarms[name] = [false_cell(outcomes[f], args.streams) for f in quiet]
        trace_ms, detect_us = speed(name, args.repeats)
        kind = registry.get(name).kind
        timing.append([name, kind, f"{trace_ms:.1f}", f"{detect_us:.0f}"])
        print(f"measured {name}", file=sys.stderr)
    level = [n for n in names if n != "burn_rate"]
    print(f"### Detection delay, windows: median (p90) over {args.streams} series\n")
    print(table(["detector", *level_changes], [[n, *delays[n]] for n in level]))
    print(f"\n### False alarms per 1,000 quiet windows (series with any, of {args.streams})\n")
    print(table(["detector", *level_quiet], [[n, *alarms[n]] for n in level]))
    if "burn_rate" in names:
        ratio_changes, ratio_quiet = families_for("burn_rate")
        print("\n### burn_rate on five-minute error ratios (objective 99.9 %)\n")
        print(
            table(
                ["detector", *ratio_changes, *ratio_quiet],
                [["burn_rate", *delays["burn_rate"], *alarms["burn_rate"]]],
            )
        )
    print(f"\n### Speed (best of {args.repeats})\n")
    print(table(["detector", "for", "trace, 10k windows (ms)", "detect (µs)"], timing))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
