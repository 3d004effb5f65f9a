"""The default drift rule: finds real shifts, keeps false alarms down, explains itself."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.drift.selection import DriftSettings, TestChoice, adjust_p_values, evaluate_drift
from watchkeeper.profiles.dataset import build_profile
from watchkeeper.schema import infer_schema


@pytest.mark.parametrize(
    ("p", "correction", "expected"),
    [
        # Holm: sorted p times (m, m-1, ...), made monotone
        ([0.01, 0.04, 0.03], "holm", [0.03, 0.06, 0.06]),
        ([0.5, 0.001], "holm", [0.5, 0.002]),
        # Benjamini–Hochberg: p * m / rank, made monotone from the top
        ([0.01, 0.04, 0.03], "bh", [0.03, 0.04, 0.04]),
        ([0.2, 0.9, 0.01, 0.04], "bh", [0.26666666666666666, 0.9, 0.04, 0.08]),
        # no correction leaves p alone
        ([0.2, 0.01], "none", [0.2, 0.01]),
        # nothing to correct
        ([], "holm", []),
    ],
)
def test_adjust_p_values(p: list[float], correction: str, expected: list[float]) -> None:
    assert adjust_p_values(p, correction) == pytest.approx(expected)  # type: ignore[arg-type]


def _null_pair(rng: np.random.Generator, n: int) -> tuple[pa.Table, pa.Table]:
    """Two samples of 15 numeric + 5 categorical columns from one distribution."""

    def draw() -> dict[str, object]:
        cols: dict[str, object] = {}
        for i in range(15):
            shape = i % 3
            if shape == 0:
                cols[f"num_{i}"] = rng.normal(i, 1 + i / 10, n)
            elif shape == 1:
                cols[f"num_{i}"] = rng.lognormal(0, 0.7, n)
            else:
                cols[f"num_{i}"] = rng.poisson(30, n).astype(np.float64)
        for j, k in enumerate((3, 8, 15, 30, 50)):
            weights = 1.0 / np.arange(1, k + 1) ** 0.8
            labels = np.array([f"c{v:02d}" for v in range(k)])
            cols[f"cat_{j}"] = labels[rng.choice(k, n, p=weights / weights.sum())]
        return cols

    return pa.table(draw()), pa.table(draw())


@pytest.mark.parametrize("n", [100, 300, 1000, 3000])
def test_false_alarms_are_rare_on_same_distribution_samples(n: int) -> None:
    """200 pairs of same-distribution samples per size: the Holm-corrected default rule raises
    a dataset-level alarm in at most 1% of pairs, and any column alarm in few of them."""
    rng = np.random.default_rng(n)
    pairs = 200
    dataset_alarms = column_alarms = 0
    for _ in range(pairs):
        ref_t, cur_t = _null_pair(rng, n)
        ref = build_profile(ref_t, infer_schema(ref_t), workers=1)
        summary = evaluate_drift(ref, build_profile(cur_t, reference=ref, workers=1))
        dataset_alarms += summary.dataset_drift
        column_alarms += bool(summary.drifted_columns)
    assert dataset_alarms <= pairs * 0.01
    # Holm bounds P(any column) by alpha = 5%; uncorrected tests would alarm in ~60% of pairs.
    assert column_alarms <= pairs * 0.09, column_alarms


@pytest.mark.parametrize("rows", [10_000, 100_000])
def test_synth_shifted_columns_are_exactly_the_drifted_ones(synth: ModuleType, rows: int) -> None:
    import watchkeeper

    reference, current, meta = synth.make_data(rows, 0)
    report = watchkeeper.report(reference, current)
    assert sorted(report.drifted_columns) == sorted(meta["drifted_columns"])


@pytest.mark.slow
def test_synth_one_million_rows(synth: ModuleType) -> None:
    import watchkeeper

    reference, current, meta = synth.make_data(1_000_000, 0)
    report = watchkeeper.report(reference, current)
    assert sorted(report.drifted_columns) == sorted(meta["drifted_columns"])


def _profiles(ref: dict[str, object], cur: dict[str, object]):  # type: ignore[no-untyped-def]
    ref_t, cur_t = pa.table(ref), pa.table(cur)
    reference = build_profile(ref_t, infer_schema(ref_t))
    return reference, build_profile(cur_t, reference=reference)


def test_tiny_real_shift_at_huge_n_is_not_drift_and_says_why() -> None:
    rng = np.random.default_rng(5)
    ref, cur = _profiles({"x": rng.normal(0, 1, 400_000)}, {"x": rng.normal(0.03, 1, 400_000)})
    column = evaluate_drift(ref, cur).columns[0]
    assert not column.drift_detected
    assert column.p_value is not None and column.p_value < 0.05  # significant...
    assert "too small to matter" in column.reason  # ...but below the effect threshold


def test_large_shift_at_small_n_is_drift() -> None:
    rng = np.random.default_rng(6)
    ref, cur = _profiles({"x": rng.normal(0, 1, 200)}, {"x": rng.normal(1.0, 1, 200)})
    column = evaluate_drift(ref, cur).columns[0]
    assert column.drift_detected and column.test == "wasserstein" and column.p_test == "ks"


def test_evidently_preset_uses_p_values_at_small_reference_and_distances_above() -> None:
    rng = np.random.default_rng(7)
    settings = DriftSettings(method="evidently")
    small = evaluate_drift(
        *_profiles({"x": rng.normal(0, 1, 500)}, {"x": rng.normal(0, 1, 500)}), settings
    )
    large = evaluate_drift(
        *_profiles({"x": rng.normal(0, 1, 5000)}, {"x": rng.normal(0, 1, 5000)}), settings
    )
    assert (small.columns[0].test, small.columns[0].threshold) == ("ks", 0.05)
    assert (large.columns[0].test, large.columns[0].threshold) == ("wasserstein", 0.1)


def test_column_override_replaces_the_rule() -> None:
    rng = np.random.default_rng(8)
    ref, cur = _profiles({"x": rng.normal(0, 1, 5000)}, {"x": rng.normal(0.05, 1, 5000)})
    settings = DriftSettings(per_column={"x": TestChoice("wasserstein", 0.01)})
    column = evaluate_drift(ref, cur, settings).columns[0]
    assert column.drift_detected and column.threshold == 0.01 and column.p_test is None


def test_empty_current_column_is_skipped_not_crashed() -> None:
    ref, cur = _profiles({"x": [1.0, 2.0, 3.0] * 10}, {"x": pa.array([None] * 30, pa.float64())})
    column = evaluate_drift(ref, cur).columns[0]
    assert column.skipped == "no usable values in the current data"
    assert not column.drift_detected
