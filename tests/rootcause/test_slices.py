"""Slice ranking: a generated slice-specific degradation must come first."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.errors import InputError
from watchkeeper.rootcause.slices import bin_labels, rank_slices


def degraded_world(rows: int = 20_000, seed: int = 0) -> tuple[pa.Table, pa.Table, np.ndarray]:
    """Reference and current tables; current accuracy is 90%, except 30% where plan = 'c3'
    and 40% where usage ≥ 0.9 (usage uniform on [0, 1])."""
    rng = np.random.default_rng(seed)

    def table(n: int) -> pa.Table:
        return pa.table(
            {
                "plan": pa.array(rng.choice([f"c{i}" for i in range(5)], n)),
                "usage": rng.uniform(0.0, 1.0, n),
                "region": pa.array(rng.choice(["eu", "us"], n)).dictionary_encode(),
                "model_version": rng.integers(1, 4, n),
                "segment.tier": rng.integers(0, 3, n),
                "active": rng.random(n) < 0.5,
            }
        )

    reference, current = table(rows), table(rows)
    plan = np.asarray(current.column("plan").to_pylist())
    usage = current.column("usage").to_numpy()
    accuracy = np.where(plan == "c3", 0.3, np.where(usage >= 0.9, 0.4, 0.9))
    correct = (rng.random(rows) < accuracy).astype(np.float64)
    return reference, current, correct


def test_degraded_category_ranks_first() -> None:
    reference, current, correct = degraded_world()
    top = rank_slices(correct, current, higher_is_better=True, reference=reference)
    first = top[0]
    assert (first.column, first.value) == ("plan", "c3")
    assert first.metric == pytest.approx(0.3, abs=0.03)
    assert first.share == pytest.approx(0.2, abs=0.02)
    assert first.overall == pytest.approx(correct.mean())
    assert first.impact == pytest.approx((first.overall - first.metric) * first.share)
    # the high-usage decile comes next: its lower edge is the reference's 90th percentile
    assert top[1].column == "usage"
    assert float(top[1].value.split(",")[0][1:]) == pytest.approx(0.9, abs=0.01)
    assert all(a.impact >= b.impact for a, b in pairwise(top))
    assert all(s.impact > 0 for s in top)


def test_degraded_numeric_range_ranks_first() -> None:
    reference, current, correct = degraded_world()
    top = rank_slices(
        correct,
        current,
        ["usage", "region"],
        higher_is_better=True,
        reference=reference,
        edges={"usage": [0.25, 0.5, 0.75, 0.9]},
    )
    assert (top[0].column, top[0].value) == ("usage", "[0.9, inf)")


def test_regression_error_larger_is_worse() -> None:
    rng = np.random.default_rng(1)
    n = 5000
    shop = rng.choice(["north", "south", "east"], n)
    error = np.abs(rng.normal(0.0, 1.0, n)) + np.where(shop == "east", 3.0, 0.0)
    table = pa.table({"shop": shop})
    top = rank_slices(error, table, higher_is_better=False)
    assert [s.value for s in top] == ["east"]
    # the same error read as "higher is better" makes the other shops the worse ones
    flipped = rank_slices(error, table, higher_is_better=True)
    assert {s.value for s in flipped} == {"north", "south"}


def test_expected_correctness_from_an_estimator_works_the_same() -> None:
    table = pa.table({"country": ["de"] * 100 + ["fr"] * 100})
    expected = np.concatenate([np.full(100, 0.95), np.full(100, 0.55)])
    top = rank_slices(expected, table, higher_is_better=True)
    assert [(s.value, s.metric) for s in top] == [("fr", pytest.approx(0.55))]


def test_small_slices_are_skipped() -> None:
    table = pa.table({"plan": ["big"] * 500 + ["tiny"] * 29 + ["mid"] * 30})
    correct = np.concatenate([np.ones(500), np.zeros(29), np.full(30, 0.5)])
    assert [s.value for s in rank_slices(correct, table, higher_is_better=True)] == ["mid"]
    values = [s.value for s in rank_slices(correct, table, higher_is_better=True, min_rows=10)]
    assert values == ["tiny", "mid"]


def test_rows_without_a_value_are_left_out() -> None:
    table = pa.table({"plan": ["a"] * 60 + ["b"] * 60})
    correct = np.concatenate([np.ones(60), np.zeros(30), np.full(30, np.nan)])
    (only,) = rank_slices(correct, table, higher_is_better=True)
    assert (only.value, only.rows, only.share, only.overall) == (
        "b",
        30,
        pytest.approx(1 / 3),
        pytest.approx(2 / 3),
    )
    assert rank_slices(np.full(120, np.nan), table, higher_is_better=True) == []


def test_missing_values_form_their_own_slice() -> None:
    table = pa.table(
        {
            "plan": pa.array(["a"] * 50 + [None] * 50, pa.string()),
            "usage": pa.array([1.0] * 50 + [None] * 25 + [float("nan")] * 25),
        }
    )
    correct = np.concatenate([np.ones(50), np.zeros(50)])
    top = rank_slices(correct, table, higher_is_better=True)
    assert {(s.column, s.value, s.rows) for s in top} == {
        ("plan", "(missing)", 50),
        ("usage", "(missing)", 50),
    }


def test_versions_segments_and_booleans_are_categories() -> None:
    _, current, correct = degraded_world(rows=3000)
    names = ["model_version", "segment.tier", "active"]
    found = rank_slices(correct, current, names, higher_is_better=True, top=100, worse_only=False)
    values = {(s.column, s.value) for s in found}
    assert values == {
        ("model_version", "1"),
        ("model_version", "2"),
        ("model_version", "3"),
        ("segment.tier", "0"),
        ("segment.tier", "1"),
        ("segment.tier", "2"),
        ("active", "true"),
        ("active", "false"),
    }
    named = rank_slices(correct, current, ["usage"], higher_is_better=True, categorical=["usage"])
    assert named == []  # every value its own slice of one row: all below min_rows


def test_worse_only_false_keeps_better_slices_with_negative_impact() -> None:
    table = pa.table({"plan": ["a"] * 50 + ["b"] * 50})
    correct = np.concatenate([np.ones(50), np.zeros(50)])
    found = rank_slices(correct, table, higher_is_better=True, worse_only=False)
    assert [(s.value, s.impact) for s in found] == [("b", 0.25), ("a", -0.25)]


def test_bins_come_from_the_reference() -> None:
    reference = pa.table({"x": np.arange(1000.0)})
    current = pa.table({"x": np.full(100, 2000.0)})
    found = rank_slices(
        np.zeros(100), current, higher_is_better=True, reference=reference, worse_only=False
    )
    # every current value falls in the reference's top decile
    assert [(s.value, s.rows) for s in found] == [("[899.1, inf)", 100)]
    # without a reference the current column's own deciles (one value: one edge)
    own = rank_slices(np.zeros(100), current, higher_is_better=True, worse_only=False)
    assert [s.value for s in own] == ["[2000, inf)"]


def test_bin_labels_use_enough_digits() -> None:
    assert bin_labels(np.array([])) == ["[-inf, inf)"]
    assert bin_labels(np.array([0.123456, 0.123457])) == [
        "[-inf, 0.123456)",
        "[0.123456, 0.123457)",
        "[0.123457, inf)",
    ]


@pytest.mark.parametrize(
    ("call", "named"),
    [
        # one loss value too few for the table
        (lambda t: rank_slices(np.ones(99), t, higher_is_better=True), "loss: 99 values"),
        # a two-dimensional loss
        (lambda t: rank_slices(np.ones((100, 2)), t, higher_is_better=True), "loss"),
        # a column the table does not have
        (lambda t: rank_slices(np.ones(100), t, ["plann"], higher_is_better=True), "plann"),
        # a list column cannot be sliced
        (lambda t: rank_slices(np.ones(100), t, ["vec"], higher_is_better=True), "'vec'"),
        # a reference without the column
        (
            lambda t: rank_slices(
                np.ones(100), t, ["x"], higher_is_better=True, reference=pa.table({"y": [1.0]})
            ),
            "reference",
        ),
        # too few bins
        (lambda t: rank_slices(np.ones(100), t, higher_is_better=True, bins=1), "bins"),
    ],
)
def test_bad_inputs_name_the_item(call, named: str) -> None:
    table = pa.table({"plan": ["a", "b"] * 50, "x": np.arange(100.0), "vec": [[1.0]] * 100})
    with pytest.raises(InputError, match=named.replace("[", r"\[")):
        call(table)


def test_unsliceable_columns_are_skipped_when_not_named() -> None:
    table = pa.table({"plan": ["a"] * 40 + ["b"] * 40, "vec": [[1.0]] * 80})
    correct = np.concatenate([np.ones(40), np.zeros(40)])
    assert [s.value for s in rank_slices(correct, table, higher_is_better=True)] == ["b"]


@pytest.mark.slow
def test_million_rows_twenty_columns() -> None:
    rng = np.random.default_rng(0)
    n = 1_000_000
    columns: dict[str, object] = {f"num_{i}": rng.normal(size=n) for i in range(15)}
    for i in range(5):
        labels = np.array([f"c{k}" for k in range(10 * (i + 1))])
        columns[f"cat_{i}"] = pa.array(labels[rng.integers(0, labels.size, n)])
    table = pa.table(columns)
    cat = np.asarray(table.column("cat_2").to_numpy(zero_copy_only=False))
    correct = (rng.random(n) < np.where(cat == "c7", 0.2, 0.9)).astype(np.float64)
    top = rank_slices(correct, table, higher_is_better=True, reference=table)
    assert (top[0].column, top[0].value) == ("cat_2", "c7")
