"""Builders shared by the drift test modules."""

from __future__ import annotations

import pyarrow as pa

from watchkeeper.profiles.categorical import CategoricalProfile, profile_categorical


def labels(counts: dict[str, int]) -> CategoricalProfile:
    """A categorical profile with the given count per category."""
    return profile_categorical(pa.chunked_array([[k for k, n in counts.items() for _ in range(n)]]))
