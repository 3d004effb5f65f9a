"""Text drift: changed lengths or vocabulary are detected, text from the same source is not."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.drift.ks import ks
from watchkeeper.drift.registry import default_registry
from watchkeeper.drift.text_descriptors import TEXT_DESCRIPTORS, descriptor_statistics
from watchkeeper.profiles.text import TextProfile, profile_text

WORDS = np.array([f"w{i}" + "x" * (i % 7) for i in range(2000)])
OTHER_WORDS = np.array([f"v{i}" + "y" * (i % 7) for i in range(2000)])


def _texts(
    seed: int, rows: int = 5000, mean_tokens: float = 12.0, vocabulary: np.ndarray = WORDS
) -> pa.ChunkedArray:
    """Rows of Zipf-distributed words, a Poisson number of them per row."""
    rng = np.random.default_rng(seed)
    per_row = rng.poisson(mean_tokens, rows)
    ranks = np.minimum(rng.zipf(1.3, per_row.sum()) - 1, len(vocabulary) - 1)
    words = vocabulary[ranks]
    rows_of_words = np.split(words, np.cumsum(per_row)[:-1])
    return pa.chunked_array([pa.array([" ".join(r) for r in rows_of_words])])


@pytest.fixture(scope="module")
def reference() -> TextProfile:
    return profile_text(_texts(1, rows=20_000), None)


@pytest.mark.parametrize(
    ("current", "detected", "largest"),
    [
        # the same source, another draw of 5000 rows
        (lambda: _texts(2), False, None),
        # the same source, a small window of 300 rows (exact values on both sides)
        (lambda: _texts(3, rows=300), False, None),
        # rows grow from 12 to 15 tokens on average: length and token count move
        (lambda: _texts(4, mean_tokens=15.0), True, "tokens"),
        # the vocabulary is replaced but for the 20 commonest words: the unknown-share moves
        (lambda: _texts(5, vocabulary=np.concatenate([WORDS[:20], OTHER_WORDS])), True, "oov"),
        # rows shrink to a third of their tokens
        (lambda: _texts(6, mean_tokens=4.0), True, "tokens"),
    ],
)
def test_detection(
    reference: TextProfile,
    current: Callable[[], pa.ChunkedArray],
    detected: bool,
    largest: str | None,
) -> None:
    cur = profile_text(current(), reference)
    result = TEXT_DESCRIPTORS(reference, cur)
    assert TEXT_DESCRIPTORS.detected(result, TEXT_DESCRIPTORS.default_threshold) is detected
    distances = descriptor_statistics(reference, cur)
    assert set(distances) == {"length", "tokens", "oov"}
    assert result.statistic == max(distances.values())
    assert result.p_value is not None
    if detected:
        assert max(distances, key=lambda k: distances[k]) == largest
        assert result.p_value < 1e-6
    else:
        assert result.statistic < 0.1
        assert result.p_value > 0.05


def test_p_value_is_the_smallest_ks_p_value_times_three(reference: TextProfile) -> None:
    cur = profile_text(_texts(7, rows=2000, mean_tokens=12.3), reference)
    smallest = min(
        p
        for name in ("length", "tokens", "oov")
        if (p := ks(getattr(reference, name), getattr(cur, name)).p_value) is not None
    )
    result = TEXT_DESCRIPTORS(reference, cur)
    assert 0 < smallest < 1 / 3  # so the product is not capped
    assert result.p_value == pytest.approx(3 * smallest)


def test_oov_share_is_compared_unscaled() -> None:
    # the reference knows every token, so its unknown-share is all zeros (no spread)
    ref = profile_text(pa.chunked_array([["a b c d"] * 100]), None)
    cur = profile_text(pa.chunked_array([["a b c z"] * 100]), ref)
    assert descriptor_statistics(ref, cur)["oov"] == pytest.approx(0.25)


def test_nothing_to_compare_gives_no_verdict(reference: TextProfile) -> None:
    # a window of nulls only: no descriptor has values
    cur = profile_text(pa.chunked_array([[None, None]], pa.string()), reference)
    result = TEXT_DESCRIPTORS(reference, cur)
    assert math.isnan(result.statistic)
    assert result.p_value is None
    assert not TEXT_DESCRIPTORS.detected(result, 0.1)


def test_registered_for_text_columns() -> None:
    registry = default_registry()
    assert registry.get("text_descriptors") is TEXT_DESCRIPTORS
    assert TEXT_DESCRIPTORS in registry.for_type("text")
    assert (TEXT_DESCRIPTORS.kind, TEXT_DESCRIPTORS.default_threshold) == ("distance", 0.1)
