"""Builders shared by the drift test modules."""

from __future__ import annotations

import pyarrow as pa

from watchkeeper.profiles.categorical import CategoricalProfile, profile_categorical


def labels(counts: dict[str, int]) -> CategoricalProfile:
    """A categorical profile with the given count per category."""
    return profile_categorical(pa.chunked_array([[k for k, n in counts.items() for _ in range(n)]]))


# (reference counts, current counts) that both homogeneity tests are checked against scipy on;
# no cell is sparse, so no category gets pooled
HOMOGENEITY_CASES = [
    # two categories, a clear shift
    ({"a": 500, "b": 500}, {"a": 600, "b": 400}),
    # four categories, small shift, unequal sample sizes
    ({"a": 120, "b": 80, "c": 60, "d": 40}, {"a": 250, "b": 170, "c": 100, "d": 90}),
    # no shift at all
    ({"x": 30, "y": 70}, {"x": 60, "y": 140}),
    # a category missing from the current sample (expected counts still >= 5)
    ({"a": 50, "b": 50, "c": 40}, {"a": 60, "b": 60}),
]


def contingency(reference: dict[str, int], current: dict[str, int]) -> list[list[int]]:
    """The 2 × k table scipy's chi2_contingency takes, categories in sorted order."""
    names = sorted(set(reference) | set(current))
    return [[reference.get(n, 0) for n in names], [current.get(n, 0) for n in names]]
