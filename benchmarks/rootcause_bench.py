"""Root cause: drift drivers and slice ranking on 1M rows × 20 features, against the budget.

The data are the shared synthetic data set (``make_data(rows, seed)``: 15 numeric + 5
categorical features; num_00..num_04, cat_0 and cat_1 shifted in the current half), turned into
Arrow tables (not timed). A made-up model scores every row: its logit leans on num_00 (shifted),
cat_0 (shifted) and num_05 (stable), a little on num_01 (shifted), and ignores the rest. Labels
follow the score, except in the current rows holding the most frequent value of cat_2 (18% of
them at seed 0), whose labels are flipped, so the model is right there only a fifth of the time.
Drift verdicts come from watchkeeper's own drift rule on profiles of both tables (not timed: a
report computes them anyway).

Timed, best of ``--repeats``:

* **fit**: ``fit_surrogate`` on the reference: a 50k-row seeded sample, the gradient-boosted
  surrogate of the score, permutation importance on 5k held-out rows (3 repeats) — reported on
  its own; it runs once per reference, not per window;
* **drivers**: ``rank_drivers`` with the fitted surrogate and the 1M-row reference and current
  tables (5k-row samples of each, explained shares from 21 surrogate predictions);
* **slices**: ``rank_slices`` of per-row correctness over the 1M current rows, sliced by the 20
  features plus ``model_version`` and ``segment.region`` (22 columns; numeric bins on the
  reference's deciles, computed from the 1M reference rows inside the timing).

The budget: **ranking (drivers + slices, surrogate already fitted) ≤ 3 s** for 1M × 20.

    python benchmarks/rootcause_bench.py
    python benchmarks/rootcause_bench.py --rows 200000 --repeats 5
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
DEFAULT_SYNTH = REPO.parent / "shared" / "bench" / "synth.py"
BUDGET_S = 3.0  # ranking (drivers + slices) for 1M rows × 20 features
DEGRADED = "cat_2"  # its most frequent category is degraded in the current rows

if (SRC / "watchkeeper").is_dir() and str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from bench_common import load_synth, table  # noqa: E402

from watchkeeper.drift.selection import evaluate_drift  # noqa: E402
from watchkeeper.profiles.dataset import build_profile  # noqa: E402
from watchkeeper.rootcause.drivers import DriverSummary, FeatureDrift, rank_drivers  # noqa: E402
from watchkeeper.rootcause.slices import Slice, rank_slices  # noqa: E402
from watchkeeper.rootcause.surrogate import SurrogateFit, fit_surrogate  # noqa: E402

T = TypeVar("T")


def arrow(frame: Any) -> pa.Table:
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    schema = pa.schema(
        [
            pa.field(f.name, pa.string()) if pa.types.is_large_string(f.type) else f
            for f in table.schema
        ]
    )
    return table.cast(schema)


def score(table: pa.Table, effects: dict[str, float]) -> np.ndarray:
    """The made-up model's score (probability of the positive class)."""
    num_00 = table.column("num_00").to_numpy()
    num_01 = table.column("num_01").to_numpy()
    num_05 = table.column("num_05").to_numpy()
    cat_0 = np.array([effects.get(v, 0.0) for v in table.column("cat_0").to_pylist()])
    logit = 1.5 * (num_00 - 10.0) / 2.0 + cat_0 + 0.8 * (num_05 - 5.0) / 1.5 + 0.05 * num_01
    return np.asarray(1.0 / (1.0 + np.exp(-logit)))


def build(synth: ModuleType, rows: int, seed: int) -> dict[str, Any]:
    """Reference and current tables with a score, and the current rows' correctness."""
    reference, current, meta = synth.make_data(rows, seed)
    ref, cur = arrow(reference), arrow(current)
    rng = np.random.default_rng(seed + 1)
    effects = {f"c{v:02d}": float(e) for v, e in enumerate(rng.normal(0.0, 1.0, 10))}
    counts = pc.value_counts(cur.column(DEGRADED)).to_pylist()
    degraded = max(counts, key=lambda c: c["counts"])["values"]
    tables = []
    for data, degrade in ((ref, False), (cur, True)):
        p = score(data, effects)
        label = rng.random(p.size) < p
        if degrade:
            values = np.asarray(data.column(DEGRADED).to_numpy(zero_copy_only=False))
            hit = values == degraded
            label = np.where(hit, ~label, label)
        correct = ((p >= 0.5) == label).astype(np.float64)
        extra = {
            "score": pa.array(p),
            "model_version": pa.array(rng.choice(["v1", "v2", "v3"], p.size)).dictionary_encode(),
            "segment.region": pa.array(rng.choice(["eu", "us", "apac", "latam"], p.size)),
        }
        for name, column in extra.items():
            data = data.append_column(name, column)
        tables.append((data, correct))
    features = list(meta["numeric_columns"]) + list(meta["categorical_columns"])
    return {
        "ref": tables[0][0],
        "cur": tables[1][0],
        "correct": tables[1][1],
        "features": features,
        "degraded": degraded,
    }


def drift_verdicts(ref: pa.Table, cur: pa.Table, features: list[str]) -> list[FeatureDrift]:
    ref_profile = build_profile(ref.select(features))
    summary = evaluate_drift(
        ref_profile, build_profile(cur.select(features), reference=ref_profile)
    )
    return [
        FeatureDrift.distance(c.name, c.statistic, c.threshold, c.drift_detected)
        for c in summary.columns
    ]


def best_of(repeats: int, run: Callable[[], T]) -> tuple[float, T]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    assert result is not None
    return min(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in each table")
    parser.add_argument("--repeats", type=int, default=3, help="timing repeats (best is kept)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--synth", type=Path, default=DEFAULT_SYNTH)
    args = parser.parse_args(argv)

    print(f"generating {args.rows:,} + {args.rows:,} rows ...", file=sys.stderr, flush=True)
    data = build(load_synth(args.synth), args.rows, args.seed)
    ref, cur, correct, features = data["ref"], data["cur"], data["correct"], data["features"]
    drifts = drift_verdicts(ref, cur, features)
    slice_columns = [*features, "model_version", "segment.region"]

    fit_s, fit = best_of(
        args.repeats, lambda: fit_surrogate(ref, features, "score", seed=args.seed)
    )
    assert isinstance(fit, SurrogateFit)

    def drivers() -> DriverSummary:
        return rank_drivers(
            drifts, fit.importances, surrogate=fit.surrogate, reference=ref, current=cur
        )

    def slices() -> list[Slice]:
        return rank_slices(correct, cur, slice_columns, higher_is_better=True, reference=ref, top=5)

    drivers_s, summary = best_of(args.repeats, drivers)
    slices_s, ranked = best_of(args.repeats, slices)
    ranking_s = drivers_s + slices_s
    n = f"{args.rows:,} rows"
    print(f"## Root cause on {n} × {len(features)} features\n")
    print(
        table(
            ["step", "seconds", "budget", "within"],
            [
                [
                    f"surrogate fit + permutation importance ({fit.train_rows:,} + "
                    f"{fit.holdout_rows:,} rows; fidelity R² {fit.fidelity:.3f})",
                    f"{fit_s:.2f}",
                    "reported",
                    "",
                ],
                ["drivers with explained shares (5k-row samples)", f"{drivers_s:.2f}", "", ""],
                [f"slices ({len(slice_columns)} columns, {n})", f"{slices_s:.2f}", "", ""],
                [
                    "**ranking = drivers + slices**",
                    f"**{ranking_s:.2f}**",
                    f"≤ {BUDGET_S:g}",
                    "yes" if ranking_s <= BUDGET_S else "**no**",
                ],
            ],
        )
    )
    print("\n### Drivers (drifted, or importance ≥ 5%)\n")
    print(
        table(
            ["feature", "drifted", "magnitude", "importance", "weighted", "share", "impact"],
            [
                [
                    d.feature,
                    "yes" if d.drifted else "",
                    f"{d.statistic / d.threshold:.2f}",
                    f"{d.importance:.3f}",
                    f"{d.weighted_drift:.3f}",
                    f"{d.explained_share:.2f}",
                    d.impact,
                ]
                for d in summary.drivers
                if d.drifted or d.importance >= 0.05
            ],
        )
    )
    shift = summary.prediction_shift
    print(f"\nlow impact overall: {summary.low_impact}; surrogate mean-score shift: {shift:+.4f}")
    print(f"\n### Slices (degraded: {DEGRADED} = {data['degraded']})\n")
    print(
        table(
            ["column", "value", "rows", "share", "accuracy", "overall", "impact"],
            [
                [
                    s.column,
                    s.value,
                    f"{s.rows:,}",
                    f"{s.share:.3f}",
                    f"{s.metric:.3f}",
                    f"{s.overall:.3f}",
                    f"{s.impact:.4f}",
                ]
                for s in ranked
            ],
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
