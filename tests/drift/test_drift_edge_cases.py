"""Every drift test on the edge cases: an empty current window and identical samples."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.drift.anderson_darling import ANDERSON_DARLING
from watchkeeper.drift.base import DriftTest
from watchkeeper.drift.chi_square import CHI_SQUARE
from watchkeeper.drift.cramer_von_mises import CRAMER_VON_MISES
from watchkeeper.drift.g_test import G_TEST
from watchkeeper.drift.hellinger import HELLINGER
from watchkeeper.drift.jensen_shannon import JENSEN_SHANNON
from watchkeeper.drift.ks import KS
from watchkeeper.drift.l_infinity import L_INFINITY
from watchkeeper.drift.psi import PSI
from watchkeeper.drift.registry import default_registry
from watchkeeper.drift.wasserstein import WASSERSTEIN
from watchkeeper.drift.z_test import Z_TEST
from watchkeeper.profiles.categorical import CategoricalProfile, profile_categorical
from watchkeeper.profiles.numeric import NumericProfile, profile_numeric

NUMERIC = [KS, WASSERSTEIN, PSI, HELLINGER, JENSEN_SHANNON, CRAMER_VON_MISES, ANDERSON_DARLING]
CATEGORICAL = [CHI_SQUARE, G_TEST, Z_TEST, PSI, HELLINGER, JENSEN_SHANNON, L_INFINITY]


def numeric_pair(values: np.ndarray, current: np.ndarray, keep: int) -> tuple[NumericProfile, ...]:
    ref = profile_numeric(values, keep_values=keep)
    return ref, profile_numeric(current, ref.edges, keep_values=keep)


def labels(counts: dict[str, int]) -> CategoricalProfile:
    rows = [k for k, n in counts.items() for _ in range(n)]
    return profile_categorical(pa.chunked_array([rows], type=pa.string()))


def assert_no_evidence(test: DriftTest, statistic: float, p_value: float | None) -> None:
    if test.kind == "distance":
        assert statistic == pytest.approx(0.0, abs=1e-12)
    else:
        assert p_value is not None
        assert p_value > 0.99


@pytest.mark.parametrize("keep", [10_000, 0])  # raw values kept (exact) / histogram only
@pytest.mark.parametrize("test", NUMERIC, ids=lambda t: t.name)
def test_numeric_empty_current_gives_nan(test: DriftTest, keep: int) -> None:
    # a window of missing values only: nothing to compare, and no alarm
    rng = np.random.default_rng(0)
    ref, cur = numeric_pair(rng.normal(0, 1, 20_000), np.full(30, np.nan), keep)
    assert cur.finite == 0
    result = test(ref, cur)
    assert math.isnan(result.statistic)
    assert not test.detected(result, test.default_threshold)


@pytest.mark.parametrize("keep", [10_000, 0])  # raw values kept (exact) / histogram only
@pytest.mark.parametrize("test", NUMERIC, ids=lambda t: t.name)
def test_numeric_identical_samples_show_no_drift(test: DriftTest, keep: int) -> None:
    # the same 20 000 values on both sides
    values = np.random.default_rng(1).lognormal(0, 1, 20_000)
    result = test(*numeric_pair(values, values, keep))
    assert_no_evidence(test, result.statistic, result.p_value)
    assert not test.detected(result, test.default_threshold)


@pytest.mark.parametrize("test", CATEGORICAL, ids=lambda t: t.name)
def test_categorical_empty_current_gives_nan(test: DriftTest) -> None:
    # a window of nulls only
    ref = labels({"a": 60, "b": 30, "c": 10})
    cur = profile_categorical(pa.chunked_array([[None] * 8], type=pa.string()))
    result = test(ref, cur)
    assert math.isnan(result.statistic)
    assert not test.detected(result, test.default_threshold)


@pytest.mark.parametrize(
    "counts",
    [
        # several categories
        {"a": 60, "b": 30, "c": 10},
        # a binary column
        {"true": 700, "false": 300},
        # a single category on both sides
        {"only": 40},
    ],
)
@pytest.mark.parametrize("test", CATEGORICAL, ids=lambda t: t.name)
def test_categorical_identical_samples_show_no_drift(
    test: DriftTest, counts: dict[str, int]
) -> None:
    result = test(labels(counts), labels(counts))
    assert_no_evidence(test, result.statistic, result.p_value)
    assert not test.detected(result, test.default_threshold)


def test_new_tests_are_registered() -> None:
    names = set(default_registry().names())
    new = [CRAMER_VON_MISES, ANDERSON_DARLING, PSI, HELLINGER, G_TEST, Z_TEST, L_INFINITY]
    assert {t.name for t in new} <= names
    for test in new:
        assert default_registry().get(test.name) is test
