"""Small generated tables for the report tests: one column of every kind, or many columns."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

WORDS = np.array([f"w{i}" + "x" * (i % 5) for i in range(400)])
NEW_WORDS = np.array([f"v{i}" + "y" * (i % 5) for i in range(400)])
DAY = 86_400
JAN_2024 = 1_704_067_200


def _texts(rng: np.random.Generator, rows: int, mean_tokens: float, words: np.ndarray) -> pa.Array:
    per_row = rng.poisson(mean_tokens, rows) + 3
    picks = words[np.minimum(rng.zipf(1.3, per_row.sum()) - 1, len(words) - 1)]
    return pa.array([" ".join(r) for r in np.split(picks, np.cumsum(per_row)[:-1])])


def mixed_tables(
    ref_rows: int = 3000, cur_rows: int = 2000, seed: int = 7
) -> tuple[pa.Table, pa.Table]:
    """Reference and current tables; which columns move is stated per column."""
    rng = np.random.default_rng(seed)

    def side(n: int, current: bool) -> pa.Table:
        gappy = rng.normal(5.0, 2.0, n)
        if current:  # 30% of the current rows lose their value
            gappy[rng.random(n) < 0.3] = np.nan
        plans = np.array(["basic", "plus", "pro"])
        plan = plans[rng.choice(3, n, p=[0.5, 0.3, 0.2])].astype(object)
        if current:  # a category the reference never saw
            plan[rng.random(n) < 0.25] = "enterprise"
        vectors = rng.normal(0.0, 1.0, (n, 8))
        if current:
            vectors[:, :3] += 0.8
        when = JAN_2024 + (31 * DAY if current else 0) + rng.integers(0, 30 * DAY, n)
        return pa.table(
            {
                "shifted": rng.normal(1.5 if current else 0.0, 1.0, n),  # moves by 1.5 sd
                "stable": rng.normal(10.0, 3.0, n),  # same distribution on both sides
                "gappy": pa.array(gappy, from_pandas=True),  # missing values appear
                "plan": plan,  # an unseen category appears
                "note": _texts(rng, n, 12.0 if current else 6.0, NEW_WORDS if current else WORDS),
                "vec": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), 8),
                "empty": pa.nulls(n, pa.float64()),  # nothing to test
                "when": pa.array(when, pa.timestamp("s")),  # datetimes move with time
            }
        )

    return side(ref_rows, False), side(cur_rows, True)


def wide_tables(
    columns: int, rows: int, seed: int = 3, *, categories: int = 30, label: str = "category"
) -> tuple[pa.Table, pa.Table]:
    """``columns`` columns, three numeric to one categorical, every tenth shifted.

    Categorical values are ``label`` followed by a number, out of ``categories``.
    """
    rng = np.random.default_rng(seed)
    labels = np.array([f"{label} {i:05d}" for i in range(categories)], dtype=object)

    def side(current: bool) -> pa.Table:
        data: dict[str, object] = {}
        for i in range(columns):
            shifted = current and i % 10 == 0
            if i % 4 == 3:
                top = categories - categories // 6 if shifted else categories
                data[f"c{i:03d}"] = labels[rng.integers(0, top, rows)]
            else:
                data[f"x{i:03d}"] = rng.normal(0.7 if shifted else 0.0, 1.0, rows)
        return pa.table(data)

    return side(False), side(True)
