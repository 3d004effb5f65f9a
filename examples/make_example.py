"""Generate the bundled example: a credit-scoring model's reference and current inputs.

The current month differs from the reference the way production data does: incomes grew
(inflation), a new employment type appeared, the utilisation feed started dropping values,
one upstream system writes "unknown" into the debt-to-income field, and applicants write longer
loan-purpose texts. Everything else is drawn from the same distributions.

Run: python examples/make_example.py  (writes examples/credit_reference.parquet and
examples/credit_current.csv, deterministic for a given seed)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
PURPOSES = [
    "car",
    "home repair",
    "debt consolidation",
    "education",
    "medical bills",
    "wedding",
    "travel",
]
EXTRA_WORDS = ["urgent", "family", "new", "small", "business", "renovation", "payment", "costs"]


def _purpose_text(rng: np.random.Generator, n: int, extra_words: int) -> list[str]:
    texts = []
    for _ in range(n):
        words = [f"loan for {PURPOSES[rng.integers(len(PURPOSES))]}"]
        words += list(rng.choice(EXTRA_WORDS, size=rng.integers(0, extra_words + 1)))
        words.append(f"over {rng.integers(6, 61)} months, about {rng.integers(2, 90) * 10} a month")
        texts.append(" ".join(words))
    return texts


def make_frame(n: int, seed: int, current: bool) -> pa.Table:
    rng = np.random.default_rng(seed)
    age = rng.normal(41, 12, n).clip(18, 90).round()
    income = rng.lognormal(10.8 + (0.12 if current else 0.0), 0.45, n).round(-2)
    loan = (income * rng.uniform(0.1, 0.6, n)).round(-2)
    utilisation = rng.beta(2, 5, n).round(4)
    if current:
        utilisation[rng.random(n) < 0.18] = np.nan
    dti = (loan / income * rng.uniform(0.8, 1.2, n)).round(3)
    accounts = rng.poisson(4, n)
    employment_types = ["salaried", "self-employed", "retired", "student"]
    weights = [0.62, 0.2, 0.12, 0.06]
    if current:
        employment_types.append("gig")
        weights = [0.55, 0.18, 0.11, 0.06, 0.10]
    employment = rng.choice(employment_types, size=n, p=weights)
    region = rng.choice(["north", "south", "east", "west"], size=n, p=[0.3, 0.3, 0.2, 0.2])
    mortgage = rng.random(n) < 0.35
    purpose = _purpose_text(rng, n, 6 if current else 2)
    start = np.datetime64("2026-10-01" if current else "2026-06-01")
    timestamps = start + rng.integers(0, 30 * 24 * 3600, n).astype("timedelta64[s]")
    ids = np.arange(n) + (1_000_000 if current else 0)
    score = 1 / (
        1
        + np.exp(
            -(-2.5 + 2.2 * dti + 1.5 * np.nan_to_num(utilisation, nan=0.3) - 0.01 * (age - 40))
        )
    )
    columns: dict[str, pa.Array] = {
        "application_id": pa.array(ids),
        "applied_at": pa.array(timestamps),
        "age": pa.array(age),
        "income": pa.array(income),
        "loan_amount": pa.array(loan),
        "credit_utilisation": pa.array(utilisation, from_pandas=True),
        "debt_to_income": pa.array(dti),
        "open_accounts": pa.array(accounts),
        "employment": pa.array(employment),
        "region": pa.array(region),
        "has_mortgage": pa.array(mortgage),
        "loan_purpose": pa.array(purpose),
        "score": pa.array(score.round(4)),
    }
    if current:
        dti_text = np.array([f"{v:g}" for v in dti], dtype=object)
        dti_text[rng.random(n) < 0.03] = "unknown"
        columns["debt_to_income"] = pa.array(dti_text.tolist())
    return pa.table(columns)


def main(rows: int = 5000, seed: int = 7) -> None:
    pq.write_table(make_frame(rows, seed, current=False), HERE / "credit_reference.parquet")
    pacsv.write_csv(make_frame(rows, seed + 1, current=True), HERE / "credit_current.csv")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
