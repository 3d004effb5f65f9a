"""Text profiles: descriptors per row, vocabulary, exact merges and state round trips."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import watchkeeper.profiles.text as text_module
from watchkeeper.profiles.numeric import NumericProfile
from watchkeeper.profiles.text import TextProfile, profile_text

REFERENCE = profile_text(pa.chunked_array([["the cat sat", "the dog ran", "a cat"]]), None)


def _column(values: list[str | None]) -> pa.ChunkedArray:
    return pa.chunked_array([pa.array(values, pa.string())])


def _assert_same_numeric(a: NumericProfile, b: NumericProfile) -> None:
    assert np.array_equal(a.edges, b.edges)
    assert np.array_equal(a.counts, b.counts)
    assert (a.count, a.nulls, a.finite) == (b.count, b.nulls, b.finite)
    assert np.isclose(a.mean, b.mean) or (np.isnan(a.mean) and np.isnan(b.mean))
    assert np.isclose(a.m2, b.m2, rtol=1e-9, atol=1e-9)


def _assert_same(a: TextProfile, b: TextProfile) -> None:
    for name in ("length", "tokens", "oov"):
        _assert_same_numeric(getattr(a, name), getattr(b, name))
    assert (a.vocabulary, a.count, a.nulls) == (b.vocabulary, b.count, b.nulls)


@pytest.mark.parametrize(
    ("rows", "length", "tokens", "oov"),
    [
        # known words only: nothing is out of vocabulary
        (["the cat", "a dog ran"], [7, 9], [2, 3], [0.0, 0.0]),
        # case is folded before the vocabulary lookup; "bird" is unknown
        (["The CAT bird"], [12], [3], [1 / 3]),
        # empty and blank rows have no tokens and an unknown-share of 0, not NaN
        (["", "   "], [0, 3], [0, 0], [0.0, 0.0]),
        # runs of spaces, tabs and newlines separate tokens; edges do not add empty tokens
        (["  zebra\t\tcat \n"], [14], [2], [0.5]),
        # non-ASCII text: length counts characters, not bytes
        (["café über"], [9], [2], [1.0]),
    ],
)
def test_descriptors_per_row(
    rows: list[str], length: list[float], tokens: list[float], oov: list[float]
) -> None:
    p = profile_text(_column(list(rows)), REFERENCE)
    assert p.length.values is not None
    assert p.tokens.values is not None
    assert p.oov.values is not None
    assert p.length.values.tolist() == [float(v) for v in length]
    assert p.tokens.values.tolist() == [float(v) for v in tokens]
    assert np.allclose(p.oov.values, oov)


@pytest.mark.parametrize(
    "kind",
    [
        # plain strings
        pa.string(),
        # 64-bit offsets
        pa.large_string(),
        # dictionary-encoded strings, as Parquet often delivers them
        pa.dictionary(pa.int32(), pa.string()),
    ],
)
def test_arrow_string_types_give_the_same_profile(kind: pa.DataType) -> None:
    rows = ["the cat sat", None, "a bird", "the cat", ""]
    plain = profile_text(_column(rows), REFERENCE)
    typed = profile_text(pa.chunked_array([pa.array(rows).cast(kind)]), REFERENCE)
    _assert_same(typed, plain)
    assert (typed.count, typed.nulls, typed.missing) == (5, 1, 1)


def test_reference_vocabulary_is_most_frequent_first_ties_alphabetical() -> None:
    p = profile_text(_column(["b a c", "c b", "c", "d"]), None)
    assert p.vocabulary == ("c", "b", "a", "d")


def test_vocabulary_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_module, "VOCABULARY_CAP", 2)
    p = profile_text(_column(["x y z", "y z", "z"]), None)
    assert p.vocabulary == ("z", "y")
    # tokens beyond the cap count as out of vocabulary in the reference itself
    assert p.oov.values is not None
    assert np.allclose(p.oov.values, [1 / 3, 0.0, 0.0])


def test_current_profile_uses_reference_vocabulary_and_edges() -> None:
    cur = profile_text(_column(["zebra okapi", "the cat"]), REFERENCE)
    assert cur.vocabulary == REFERENCE.vocabulary
    for name in ("length", "tokens", "oov"):
        assert np.array_equal(getattr(cur, name).edges, getattr(REFERENCE, name).edges)
    assert cur.oov.values is not None
    assert cur.oov.values.tolist() == [1.0, 0.0]


def test_all_null_and_empty_columns() -> None:
    nulls = profile_text(_column([None, None]), None)
    empty = profile_text(pa.chunked_array([], pa.string()), None)
    assert (nulls.count, nulls.nulls, nulls.length.count, nulls.vocabulary) == (2, 2, 0, ())
    assert (empty.count, empty.nulls, empty.length.count) == (0, 0, 0)


def test_merge_of_two_halves_equals_the_whole() -> None:
    rng = np.random.default_rng(5)
    words = np.array(["alpha", "beta", "gamma", "delta", "omega", "the", "a"])
    rows: list[str | None] = [
        " ".join(rng.choice(words, rng.integers(0, 9))) if rng.random() > 0.1 else None
        for _ in range(3000)
    ]
    reference = profile_text(_column(rows[:500]), None)
    first = profile_text(_column(rows[:1700]), reference)
    second = profile_text(_column(rows[1700:]), reference)
    whole = profile_text(_column(rows), reference)
    _assert_same(first + second, whole)
    assert (first + second).count == 3000


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(alphabet="ab \t", max_size=12)), max_size=30),
    st.integers(min_value=0, max_value=30),
)
def test_any_split_merges_to_the_whole(rows: list[str | None], cut: int) -> None:
    cut = min(cut, len(rows))
    reference = profile_text(_column(["a b", "ab ab a", "b"]), None)
    left = profile_text(_column(rows[:cut]), reference)
    right = profile_text(_column(rows[cut:]), reference)
    _assert_same(left + right, profile_text(_column(rows), reference))


def test_merge_keeps_left_vocabulary() -> None:
    other = profile_text(_column(["zebra zebra okapi"]), None)
    merged = REFERENCE + other
    assert merged.vocabulary == REFERENCE.vocabulary
    assert merged.count == REFERENCE.count + other.count


def test_state_round_trip() -> None:
    p = profile_text(_column(["the cat sat", None, "zebra", ""]), REFERENCE)
    state = p.to_state()
    assert isinstance(state["vocabulary"], list)
    assert isinstance(state["length"], dict)
    back = TextProfile.from_state(state)
    _assert_same(back, p)
    assert back.oov.values is not None
    assert p.oov.values is not None
    assert np.array_equal(back.oov.values, p.oov.values)
