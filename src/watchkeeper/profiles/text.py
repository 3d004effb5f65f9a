"""Mergeable profile of a free-text column: three numeric descriptors and a vocabulary.

Each present row is described by its length in characters, its number of whitespace tokens
(lowercased) and its *out-of-vocabulary share*: the fraction of its tokens missing from the
reference's ``VOCABULARY_CAP`` most frequent tokens (0 for a row without tokens). The
descriptors are :class:`~watchkeeper.profiles.numeric.NumericProfile` views on the reference's
edges, so text windows merge and compare exactly like numeric columns. Nulls are counted apart
and do not enter the descriptors.

>>> import pyarrow as pa
>>> ref = profile_text(pa.chunked_array([["the cat sat", "The dog", None]]), None)
>>> ref.vocabulary, ref.count, ref.missing, ref.tokens.mean
(('the', 'cat', 'dog', 'sat'), 3, 1, 2.5)
>>> cur = profile_text(pa.chunked_array([["a cat", "the dog barked loudly"]]), ref)
>>> cur.oov.values.tolist()
[0.5, 0.5]
>>> (ref + cur).count, (ref + cur).length.count
(5, 4)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.profiles.convert import to_strings
from watchkeeper.profiles.numeric import EXACT_CAP, NumericProfile, profile_numeric

VOCABULARY_CAP = 10_000
DESCRIPTORS = ("length", "tokens", "oov")


@dataclass(frozen=True, eq=False)
class TextProfile:
    """Frozen view of a text column; ``a + b`` merges two views of the same column."""

    length: NumericProfile  # characters per present row
    tokens: NumericProfile  # whitespace tokens per present row
    oov: NumericProfile  # share of a row's tokens outside ``vocabulary``
    vocabulary: tuple[str, ...]  # the reference's most frequent tokens, most frequent first
    count: int  # every row, nulls included
    nulls: int = 0

    @property
    def missing(self) -> int:
        return self.nulls

    def descriptors(self) -> dict[str, NumericProfile]:
        return {name: getattr(self, name) for name in DESCRIPTORS}

    def __add__(self, other: TextProfile) -> TextProfile:
        """Descriptors add; the vocabulary is the left operand's (the reference's)."""
        if not isinstance(other, TextProfile):
            return NotImplemented
        return TextProfile(
            length=self.length + other.length,
            tokens=self.tokens + other.tokens,
            oov=self.oov + other.oov,
            vocabulary=self.vocabulary,
            count=self.count + other.count,
            nulls=self.nulls + other.nulls,
        )

    def to_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {name: p.to_state() for name, p in self.descriptors().items()}
        state.update(vocabulary=list(self.vocabulary), count=self.count, nulls=self.nulls)
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TextProfile:
        return cls(
            length=NumericProfile.from_state(state["length"]),
            tokens=NumericProfile.from_state(state["tokens"]),
            oov=NumericProfile.from_state(state["oov"]),
            vocabulary=tuple(str(t) for t in state["vocabulary"]),
            count=int(state["count"]),
            nulls=int(state["nulls"]),
        )


def _top_tokens(tokens: pa.Array, cap: int) -> tuple[str, ...]:
    """The ``cap`` most frequent tokens, ties broken alphabetically so the result is stable."""
    if len(tokens) == 0:
        return ()
    tallies = pc.value_counts(tokens)
    names = tallies.field("values")
    counts = tallies.field("counts").to_numpy(zero_copy_only=False)
    # Sort by count, descending; alphabetical order among equal counts.
    alphabetical = pc.sort_indices(names).to_numpy(zero_copy_only=False)
    rank = np.empty_like(alphabetical)
    rank[alphabetical] = np.arange(alphabetical.size)
    order = np.lexsort((rank, -counts))[:cap]
    return tuple(str(t) for t in names.take(pa.array(order)).to_pylist())


def profile_text(
    array: pa.ChunkedArray, reference: TextProfile | None, *, keep_values: int = EXACT_CAP
) -> TextProfile:
    """Profile a text column; without ``reference`` a new vocabulary and new edges are built."""
    strings = to_strings(array)
    nulls = strings.null_count
    present = strings.drop_null().combine_chunks() if len(strings) else pa.array([], pa.string())
    n = len(present)
    length = pc.utf8_length(present).to_numpy(zero_copy_only=False).astype(np.float64)
    # Trimmed first: Arrow's whitespace split can emit a stray token for whitespace at the very
    # end of the data (seen with pyarrow 26); without edge whitespace it is exact.
    split = pc.utf8_split_whitespace(pc.utf8_trim_whitespace(pc.utf8_lower(present)))
    flat = pc.list_flatten(split)
    parents = pc.list_parent_indices(split).to_numpy(zero_copy_only=False)
    # Empty strings split into one empty token: drop it.
    real = pc.not_equal(flat, "").to_numpy(zero_copy_only=False).astype(bool)
    words = flat.filter(pa.array(real))
    owners = parents[real]
    per_row = np.bincount(owners, minlength=n).astype(np.float64)

    vocabulary = reference.vocabulary if reference else _top_tokens(words, VOCABULARY_CAP)
    known = pc.is_in(words, value_set=pa.array(vocabulary, words.type))
    unknown = ~known.to_numpy(zero_copy_only=False).astype(bool)
    outside = np.bincount(owners[unknown], minlength=n).astype(np.float64)
    share = np.divide(outside, per_row, out=np.zeros(n), where=per_row > 0)

    def describe(values: np.ndarray, name: str) -> NumericProfile:
        edges = getattr(reference, name).edges if reference is not None else None
        return profile_numeric(values, edges, keep_values=keep_values)

    return TextProfile(
        length=describe(length, "length"),
        tokens=describe(per_row, "tokens"),
        oov=describe(share, "oov"),
        vocabulary=vocabulary,
        count=len(strings),
        nulls=nulls,
    )
