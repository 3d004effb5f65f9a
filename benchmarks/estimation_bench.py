"""Performance estimation without labels: fit and estimate times against the budget.

Budget: estimating 1M current rows takes at most 2 s (binary: calibration, expected confusion
and expected ROC AUC over every chunk); fitting on a 100k-row reference stays under 3 s.

Per task (binary, multiclass with 3 classes, regression with 5 numeric and 1 categorical
inputs) it generates, in memory and untimed, a labelled reference of ``--reference`` rows and
``--rows`` current rows whose inputs have shifted, then prints the median (and min) of
``--repeats`` runs of

- ``fit_estimator`` on the reference (calibration or the two error models, and the band's
  reference chunks);
- ``estimate_chunks`` over the current rows in chunks of the reference chunks' size;
- ``Estimator.estimate`` of the current rows as one chunk (what the service does per window).

The regression models' trees use OpenMP threads, by default one per core; ``--threads N``
limits them (and BLAS) to compare.

    python benchmarks/estimation_bench.py
    python benchmarks/estimation_bench.py --rows 100000 --repeats 5 --threads 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
if (SRC / "watchkeeper").is_dir() and str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from watchkeeper.performance.estimate import (  # noqa: E402
    Estimator,
    estimate_chunks,
    fit_estimator,
)

BUDGET_ESTIMATE_S = 2.0  # per 1M current rows
BUDGET_FIT_S = 3.0  # per 100k reference rows
CLASSES = ("a", "b", "c")


def binary(rng: np.random.Generator, rows: int, shift: float) -> pa.Table:
    x = rng.normal(0.0, 1.0, size=(rows, 4))
    x[:, 1] += shift
    logit = x @ np.array([2.0, -1.0, 0.5, 0.0])
    score = 1 / (1 + np.exp(-logit))
    label = (rng.random(rows) < score).astype(np.int64)
    columns = {f"x{i}": x[:, i] for i in range(4)}
    return pa.table({**columns, "score": score, "prediction": (score >= 0.5) * 1, "label": label})


def multiclass(rng: np.random.Generator, rows: int, shift: float) -> pa.Table:
    x = rng.normal(0.0, 1.0, size=(rows, 2))
    x[:, 0] += shift
    logits = x @ np.array([[1.5, 0.0], [-1.0, 1.3], [-0.5, -1.3]]).T
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = (rng.random((rows, 1)) > p.cumsum(axis=1)).sum(axis=1).clip(0, 2)
    names = np.array(CLASSES)
    scores = {f"score_{c}": p[:, k] for k, c in enumerate(CLASSES)}
    return pa.table({**scores, "prediction": names[p.argmax(axis=1)], "label": names[y]})


def regression(rng: np.random.Generator, rows: int, shift: float) -> pa.Table:
    x = rng.normal(0.0, 1.0, size=(rows, 5))
    x[:, 2] += shift
    segment = rng.choice(np.array(["north", "south", "east", "west"]), rows)
    sd = np.exp(x[:, 2] / 2) * np.where(segment == "south", 1.5, 1.0)
    mean = x @ np.array([2.0, -1.0, 0.0, 0.5, 0.3])
    columns = {f"x{i}": x[:, i] for i in range(5)}
    label = mean + rng.normal(0.0, 1.0, rows) * sd
    return pa.table({**columns, "segment": segment, "prediction": mean, "label": label})


TASKS: dict[str, tuple[str, Callable[..., pa.Table], list[str]]] = {
    "binary": ("binary_classification", binary, ["score"]),
    "multiclass (3)": ("multiclass_classification", multiclass, [f"score_{c}" for c in CLASSES]),
    "regression": ("regression", regression, []),
}


def timed(run: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """(median s, min s, the last result) of ``repeats`` runs."""
    runs, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), min(runs), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="current rows")
    parser.add_argument("--reference", type=int, default=100_000, help="reference rows")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, help="limit OpenMP / BLAS threads to this many")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    limit: Any = nullcontext()
    if args.threads:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(args.threads)
    import sklearn.ensemble  # noqa: F401  (imported once here, not inside the first fit)

    threads = args.threads or os.cpu_count()
    print(
        f"reference {args.reference:,} rows, current {args.rows:,} rows; {threads} thread(s); "
        f"median (min) of {args.repeats} runs"
    )
    print(f"{'task':<16} {'fit s':>13} {'chunks s':>13} {'one chunk s':>13} {'chunks':>7}")
    per_million: dict[str, float] = {}
    fits: dict[str, float] = {}
    with limit:
        for name, (task, generate, scores) in TASKS.items():
            rng = np.random.default_rng(args.seed)
            reference, current = generate(rng, args.reference, 0.0), generate(rng, args.rows, 0.5)

            def fit(
                task: str = task, reference: pa.Table = reference, s: list[str] = scores
            ) -> Estimator:
                return fit_estimator(reference, task, "prediction", s, "label", seed=args.seed)

            fit_median, fit_min, estimator = timed(fit, args.repeats)
            chunked = timed(lambda e=estimator, c=current: estimate_chunks(e, c), args.repeats)
            whole = timed(lambda e=estimator, c=current: e.estimate(c), args.repeats)
            per_million[name] = chunked[0] * 1_000_000 / args.rows
            fits[name] = fit_median * 100_000 / args.reference
            print(
                f"{name:<16} {fit_median:>6.2f} ({fit_min:.2f}) {chunked[0]:>6.2f} "
                f"({chunked[1]:.2f}) {whole[0]:>6.2f} ({whole[1]:.2f}) {len(chunked[2].chunks):>7}"
            )
    binary_s = per_million["binary"]
    slowest = max(per_million, key=per_million.__getitem__)
    print(
        f"\nbudget {BUDGET_ESTIMATE_S} s per 1M current rows (binary, chunked): "
        f"{'within' if binary_s <= BUDGET_ESTIMATE_S else 'OVER'} ({binary_s:.2f} s); slowest "
        f"task {slowest} {per_million[slowest]:.2f} s per 1M rows"
    )
    slow_fit = max(fits, key=fits.__getitem__)
    print(
        f"budget {BUDGET_FIT_S} s per fit on 100k reference rows: "
        f"{'within' if fits[slow_fit] <= BUDGET_FIT_S else 'OVER'} (slowest {slow_fit} "
        f"{fits[slow_fit]:.2f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
