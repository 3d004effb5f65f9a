"""Profiles merge exactly: associativity, and hourly merges equal the profile of all rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.profiles.categorical import profile_categorical
from watchkeeper.profiles.dataset import build_profile
from watchkeeper.profiles.numeric import NumericProfile, profile_numeric
from watchkeeper.profiles.serialize import dumps, loads

finite_floats = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
any_floats = st.one_of(
    finite_floats, st.just(float("nan")), st.just(float("inf")), st.just(float("-inf"))
)
chunks = st.lists(any_floats, min_size=0, max_size=60)
EDGES = profile_numeric(np.random.default_rng(0).normal(0, 1e3, 5000)).edges


def _numeric(values: list[float], keep: int = 0) -> NumericProfile:
    return profile_numeric(np.array(values, dtype=np.float64), EDGES, keep_values=keep)


def _assert_same(a: NumericProfile, b: NumericProfile) -> None:
    assert np.array_equal(a.counts, b.counts)
    for name in ("count", "nulls", "nans", "pos_inf", "neg_inf", "type_errors", "finite"):
        assert getattr(a, name) == getattr(b, name), name
    for name in ("min", "max", "mean"):
        x, y = getattr(a, name), getattr(b, name)
        assert (np.isnan(x) and np.isnan(y)) or np.isclose(x, y, rtol=1e-9, atol=1e-6), name
    assert np.isclose(a.m2, b.m2, rtol=1e-7, atol=1e-3)


@settings(max_examples=150, deadline=None)
@given(chunks, chunks, chunks)
def test_numeric_merge_is_associative(x: list[float], y: list[float], z: list[float]) -> None:
    a, b, c = _numeric(x), _numeric(y), _numeric(z)
    _assert_same((a + b) + c, a + (b + c))


@settings(max_examples=150, deadline=None)
@given(st.lists(chunks, min_size=1, max_size=8))
def test_merged_hourly_profiles_equal_profile_of_all_rows(hours: list[list[float]]) -> None:
    merged = _numeric(hours[0])
    for hour in hours[1:]:
        merged = merged + _numeric(hour)
    everything = _numeric([v for hour in hours for v in hour])
    _assert_same(merged, everything)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.sampled_from("abcdefg")), max_size=40),
        min_size=1,
        max_size=6,
    )
)
def test_categorical_hourly_merge_equals_whole(hours: list[list[str | None]]) -> None:
    profiles = [profile_categorical(pa.chunked_array([pa.array(h, pa.string())])) for h in hours]
    merged = profiles[0]
    for p in profiles[1:]:
        merged = merged + p
    whole = profile_categorical(
        pa.chunked_array([pa.array([v for h in hours for v in h], pa.string())])
    )
    assert merged.as_dict() == whole.as_dict()
    assert (merged.count, merged.nulls) == (whole.count, whole.nulls)


def test_exact_values_kept_while_small_and_dropped_past_the_cap() -> None:
    small = _numeric([1.0, 2.0], keep=10)
    assert small.values is not None and (small + small).values is not None
    big = profile_numeric(np.arange(6000.0), EDGES, keep_values=10_000)
    assert (big + big).values is None  # 12000 values exceed the cap


def test_profiles_on_different_edges_merge_with_exact_scalars() -> None:
    rng = np.random.default_rng(3)
    a = profile_numeric(rng.normal(0, 1, 20_000), keep_values=0)
    b = profile_numeric(rng.normal(0.5, 1, 30_000), keep_values=0)  # its own edges
    merged = a + b
    assert merged.finite == 50_000 and merged.counts.sum() == 50_000
    assert np.isclose(merged.mean, (a.mean * 20_000 + b.mean * 30_000) / 50_000)


def test_dataset_profile_merge_and_round_trip() -> None:
    table = pa.table(
        {"x": [1.0, 2.0, None, 4.0] * 50, "c": ["a", "b", "c", None] * 50, "n": [1, 2, 3, 4] * 50}
    )
    ref = build_profile(table)
    first, second = table.slice(0, 77), table.slice(77)
    merged = build_profile(first, reference=ref) + build_profile(second, reference=ref)
    whole = build_profile(table, reference=ref)
    assert merged.rows == whole.rows == 200
    x_merged, x_whole = merged["x"], whole["x"]
    assert isinstance(x_merged, NumericProfile) and isinstance(x_whole, NumericProfile)
    _assert_same(x_merged, x_whole)
    restored = loads(dumps(merged))
    assert restored.schema == merged.schema
    restored_x = restored["x"]
    assert isinstance(restored_x, NumericProfile)
    _assert_same(restored_x, x_merged)
