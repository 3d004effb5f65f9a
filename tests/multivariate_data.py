"""Seeded tables for the multivariate drift tests: correlated numeric features, an
independent one, and a categorical one."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

FEATURES = ["x1", "x2", "x3", "plan"]
PLANS = np.array(["basic", "plus", "pro"])
PLAN_SHARES = [0.5, 0.3, 0.2]


def correlated(rows: int, rho: float, seed: int, *, x1_shift: float = 0.0) -> pa.Table:
    """x1 and x2 standard normal with correlation ``rho``; x3 exponential and plan
    categorical, both independent of everything. ``x1_shift`` moves x1 alone."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=rows)
    x2 = rho * x1 + np.sqrt(1.0 - rho**2) * rng.normal(size=rows)
    return pa.table(
        {
            "x1": x1 + x1_shift,
            "x2": x2,
            "x3": rng.exponential(size=rows),
            "plan": rng.choice(PLANS, size=rows, p=PLAN_SHARES),
        }
    )


def repaired(reference: pa.Table, rho: float, seed: int) -> pa.Table:
    """The reference's own values, every column shuffled, with x2 re-paired to x1 so that their
    correlation is about ``rho``: each column holds exactly the reference's values, so no
    single-column test can see any difference."""
    rng = np.random.default_rng(seed)
    n = reference.num_rows
    columns = {name: reference.column(name).take(pa.array(rng.permutation(n))) for name in FEATURES}
    x1 = columns["x1"].to_numpy()
    target = rho * x1 + np.sqrt(1.0 - rho**2) * rng.normal(size=n)
    ranks = np.argsort(np.argsort(target))
    columns["x2"] = pa.chunked_array([np.sort(reference.column("x2").to_numpy())[ranks]])
    return pa.table(columns)


def correlation(table: pa.Table) -> float:
    return float(np.corrcoef(table.column("x1").to_numpy(), table.column("x2").to_numpy())[0, 1])
