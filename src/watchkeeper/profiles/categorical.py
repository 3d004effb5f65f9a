"""Mergeable profile of a categorical column: exact counts per category.

Categories are compared by their text form (``True`` -> ``"true"``, ``3`` -> ``"3"``). At most
``MAX_CATEGORIES`` are kept; the rarest beyond that are folded into ``other`` so a column that is
really an identifier cannot blow up a profile (the report flags it).

>>> import pyarrow as pa
>>> a = profile_categorical(pa.chunked_array([["x", "y", "x", None]]))
>>> b = profile_categorical(pa.chunked_array([["z", "x"]]))
>>> m = a + b
>>> dict(zip(m.categories, m.counts.tolist())), m.count, m.nulls, m.distinct
({'x': 3, 'y': 1, 'z': 1}, 6, 1, 3)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.profiles.convert import to_strings

MAX_CATEGORIES = 10_000


@dataclass(frozen=True, eq=False)
class CategoricalProfile:
    """Frozen view: categories (most frequent first) with their counts, plus missing values."""

    categories: tuple[str, ...]
    counts: np.ndarray
    count: int
    nulls: int = 0
    other: int = 0  # values of categories beyond MAX_CATEGORIES

    @property
    def present(self) -> int:
        return int(self.counts.sum()) + self.other

    @property
    def missing(self) -> int:
        return self.nulls

    @property
    def distinct(self) -> int:
        """Distinct categories seen (a lower bound once ``other`` is non-zero)."""
        return len(self.categories)

    def as_dict(self) -> dict[str, int]:
        return dict(zip(self.categories, self.counts.tolist(), strict=True))

    def __add__(self, other: CategoricalProfile) -> CategoricalProfile:
        if not isinstance(other, CategoricalProfile):
            return NotImplemented
        merged = self.as_dict()
        for name, n in zip(other.categories, other.counts.tolist(), strict=True):
            merged[name] = merged.get(name, 0) + n
        return _from_counts(
            merged, self.count + other.count, self.nulls + other.nulls, self.other + other.other
        )

    def to_state(self) -> dict[str, Any]:
        return {
            "categories": list(self.categories),
            "counts": self.counts,
            "count": self.count,
            "nulls": self.nulls,
            "other": self.other,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CategoricalProfile:
        return cls(
            tuple(state["categories"]),
            np.asarray(state["counts"], dtype=np.int64),
            state["count"],
            state["nulls"],
            state["other"],
        )


def _from_counts(counts: dict[str, int], count: int, nulls: int, other: int) -> CategoricalProfile:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    kept, dropped = ordered[:MAX_CATEGORIES], ordered[MAX_CATEGORIES:]
    return CategoricalProfile(
        tuple(k for k, _ in kept),
        np.array([v for _, v in kept], dtype=np.int64),
        count,
        nulls,
        other + sum(v for _, v in dropped),
    )


def profile_categorical(array: pa.ChunkedArray) -> CategoricalProfile:
    """Count the categories of an Arrow column on dictionary codes.

    String dictionaries (as Parquet hands them over) are counted as they are; anything else is
    read as text and dictionary-encoded once.
    """
    if pa.types.is_dictionary(array.type) and pa.types.is_string(array.type.value_type):
        encoded = array.unify_dictionaries()
    else:
        encoded = pc.dictionary_encode(to_strings(array))
    if encoded.num_chunks == 0:
        return _from_counts({}, 0, 0, 0)
    dictionary = encoded.chunk(0).dictionary
    tallies = np.zeros(len(dictionary), dtype=np.int64)
    for chunk in encoded.chunks:
        codes = chunk.indices.drop_null().to_numpy(zero_copy_only=False)
        tallies += np.bincount(codes, minlength=len(dictionary))
    seen = np.flatnonzero(tallies)
    names = dictionary.take(pa.array(seen)).to_pylist()
    return _from_counts(
        {str(n): int(c) for n, c in zip(names, tallies[seen].tolist(), strict=True)},
        len(array),
        array.null_count,
        0,
    )


def aligned_counts(
    reference: CategoricalProfile, current: CategoricalProfile
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Both profiles' counts over the union of categories (reference order, then new ones).

    >>> import pyarrow as pa
    >>> r = profile_categorical(pa.chunked_array([["a", "a", "b"]]))
    >>> c = profile_categorical(pa.chunked_array([["b", "c"]]))
    >>> names, rc, cc = aligned_counts(r, c)
    >>> names, rc.tolist(), cc.tolist()
    (['a', 'b', 'c'], [2, 1, 0], [0, 1, 1])
    """
    names = list(reference.categories)
    seen = set(names)
    names += [c for c in current.categories if c not in seen]
    index = {name: i for i, name in enumerate(names)}
    ref = np.zeros(len(names), dtype=np.int64)
    cur = np.zeros(len(names), dtype=np.int64)
    ref[: len(reference.categories)] = reference.counts
    cur[[index[c] for c in current.categories]] = current.counts
    if reference.other or current.other:
        names.append("(other)")
        ref = np.append(ref, reference.other)
        cur = np.append(cur, current.other)
    return names, ref, cur
