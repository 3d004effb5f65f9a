"""Mergeable profile of an embedding column: exact per-dimension sums and a bounded sample.

A row counts in the statistics when it is a vector of exactly ``dim`` finite numbers; a null
row is a null, any other row (wrong length, NaN / inf or null components, a value that is not
a list of numbers) is a *type error*, counted and never raised. The sums of the vectors and of
their squares give the mean and per-dimension variance exactly and add exactly on merge. A
uniform sample of at most ``SAMPLE_CAP`` valid vectors, drawn with a fixed seed, feeds the
sample-based tests (MMD); merged samples draw from each side in proportion to its rows.

>>> import pyarrow as pa
>>> rows = [[1.0, 2.0], [3.0, 4.0], None, [1.0], [5.0, float("nan")]]
>>> p = profile_embedding(pa.chunked_array([rows]), dim=2)
>>> p.count, p.nulls, p.type_errors, p.valid, p.mean.tolist(), p.variance.tolist()
(5, 1, 2, 2, [2.0, 3.0], [2.0, 2.0])
>>> q = p + profile_embedding(pa.chunked_array([[[5, 6]]], pa.list_(pa.int64(), 2)), dim=2)
>>> q.valid, q.total.tolist(), q.sample.shape
(3, [9.0, 12.0], (3, 2))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import ProfileError

SAMPLE_CAP = 1000
SEED = 20_240_601


@dataclass(frozen=True, eq=False)
class EmbeddingProfile:
    """Frozen view of an embedding column; ``a + b`` merges two views of the same column."""

    dim: int
    count: int  # every row, missing included
    nulls: int
    type_errors: int  # rows that are not ``dim`` finite numbers
    total: np.ndarray  # sum of the valid vectors, float64, shape (dim,)
    total_sq: np.ndarray  # per-dimension sum of squares of the valid vectors
    sample: np.ndarray  # uniform sample of valid vectors, shape (k, dim), k <= SAMPLE_CAP

    @property
    def valid(self) -> int:
        """Rows counted in ``total``: the column's usable vectors."""
        return self.count - self.nulls - self.type_errors

    @property
    def missing(self) -> int:
        return self.nulls + self.type_errors

    @property
    def mean(self) -> np.ndarray:
        if self.valid == 0:
            return np.full(self.dim, np.nan)
        return self.total / self.valid

    @property
    def variance(self) -> np.ndarray:
        """Per-dimension sample variance (NaN below two vectors)."""
        n = self.valid
        if n < 2:
            return np.full(self.dim, np.nan)
        spread: np.ndarray = np.maximum(self.total_sq - self.total * self.total / n, 0.0)
        return spread / (n - 1)

    def __add__(self, other: EmbeddingProfile) -> EmbeddingProfile:
        if not isinstance(other, EmbeddingProfile):
            return NotImplemented
        dim = _merged_dim(self, other)
        zeros = np.zeros(dim)
        return EmbeddingProfile(
            dim=dim,
            count=self.count + other.count,
            nulls=self.nulls + other.nulls,
            type_errors=self.type_errors + other.type_errors,
            total=(self.total if self.valid else zeros) + (other.total if other.valid else zeros),
            total_sq=(self.total_sq if self.valid else zeros)
            + (other.total_sq if other.valid else zeros),
            sample=_merge_samples(self, other, dim),
        )

    def to_state(self) -> dict[str, Any]:
        return {
            "dim": self.dim,
            "count": self.count,
            "nulls": self.nulls,
            "type_errors": self.type_errors,
            "total": self.total,
            "total_sq": self.total_sq,
            "sample": self.sample,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> EmbeddingProfile:
        dim = int(state["dim"])
        return cls(
            dim=dim,
            count=int(state["count"]),
            nulls=int(state["nulls"]),
            type_errors=int(state["type_errors"]),
            total=np.asarray(state["total"], dtype=np.float64).reshape(dim),
            total_sq=np.asarray(state["total_sq"], dtype=np.float64).reshape(dim),
            sample=np.asarray(state["sample"], dtype=np.float64).reshape(-1, dim),
        )


def _merged_dim(a: EmbeddingProfile, b: EmbeddingProfile) -> int:
    """The shared dimension; a profile without valid vectors takes the other's."""
    if a.dim == b.dim or b.valid == 0:
        return a.dim
    if a.valid == 0:
        return b.dim
    raise ProfileError(f"cannot merge embedding profiles of dimension {a.dim} and {b.dim}")


def _merge_samples(a: EmbeddingProfile, b: EmbeddingProfile, dim: int) -> np.ndarray:
    """A uniform sample of the union: each side contributes in proportion to its valid rows."""
    left = a.sample if a.valid else np.zeros((0, dim))
    right = b.sample if b.valid else np.zeros((0, dim))
    total = a.valid + b.valid
    if len(left) + len(right) <= SAMPLE_CAP:
        return np.concatenate([left, right])
    k_left = min(len(left), round(SAMPLE_CAP * a.valid / total))
    k_right = min(len(right), SAMPLE_CAP - k_left)
    rng = np.random.default_rng([SEED, a.valid, b.valid])
    pick_left = np.sort(rng.choice(len(left), k_left, replace=False))
    pick_right = np.sort(rng.choice(len(right), k_right, replace=False))
    return np.concatenate([left[pick_left], right[pick_right]])


def _sample(vectors: np.ndarray) -> np.ndarray:
    if len(vectors) <= SAMPLE_CAP:
        return vectors.copy()
    rng = np.random.default_rng(SEED)
    return vectors[np.sort(rng.choice(len(vectors), SAMPLE_CAP, replace=False))]


def _is_list(t: pa.DataType) -> bool:
    return bool(pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t))


def _is_number(t: pa.DataType) -> bool:
    return bool(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t))


def _empty(dim: int, count: int, nulls: int, type_errors: int) -> EmbeddingProfile:
    return EmbeddingProfile(
        dim, count, nulls, type_errors, np.zeros(dim), np.zeros(dim), np.zeros((0, dim))
    )


def _starts(rows: pa.Array) -> np.ndarray:
    """Where each row's values begin in ``rows.values`` (which ignores the array's slicing)."""
    if pa.types.is_fixed_size_list(rows.type):
        size = int(rows.type.list_size)
        return (int(rows.offset) + np.arange(len(rows), dtype=np.int64)) * size
    offsets = rows.offsets.to_numpy(zero_copy_only=False)
    return np.asarray(offsets[:-1], dtype=np.int64)


def _gather(values: np.ndarray, starts: np.ndarray, dim: int) -> np.ndarray:
    """The ``dim`` values from each start as a (rows, dim) matrix, a view when contiguous."""
    if starts.size and np.array_equal(starts, starts[0] + dim * np.arange(starts.size)):
        first = int(starts[0])
        return values[first : first + dim * starts.size].reshape(starts.size, dim)
    return values[starts[:, None] + np.arange(dim)]


def profile_embedding(array: pa.ChunkedArray, dim: int | None) -> EmbeddingProfile:
    """Profile a column of vectors (list, large_list or fixed_size_list of numbers).

    Without ``dim`` the most common vector length among the present rows is used.
    """
    if pa.types.is_dictionary(array.type):
        # Arrow cannot cast a dictionary of lists; decoding is a take of the dictionary.
        decoded = [chunk.dictionary.take(chunk.indices) for chunk in array.chunks]
        array = pa.chunked_array(decoded, array.type.value_type)
    count, nulls = len(array), array.null_count
    t = array.type
    if not (_is_list(t) and _is_number(t.value_type)):
        return _empty(dim or 0, count, nulls, count - nulls)
    rows = array.chunk(0) if array.num_chunks == 1 else array.combine_chunks()
    lengths = pc.list_value_length(rows).fill_null(-1).to_numpy(zero_copy_only=False)
    if dim is None:
        present = lengths[lengths >= 0]
        dim = int(np.bincount(present).argmax()) if present.size else 0
    candidates = np.flatnonzero(lengths == dim)
    if dim == 0 or candidates.size == 0:
        return _empty(dim, count, nulls, count - nulls - (candidates.size if dim == 0 else 0))
    # Null components read as NaN, so one finiteness check covers them too.
    values = rows.values.cast(pa.float64()).to_numpy(zero_copy_only=False)
    vectors = _gather(values, _starts(rows)[candidates], dim)
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        vectors = vectors[finite]
    n_valid = len(vectors)
    return EmbeddingProfile(
        dim=dim,
        count=count,
        nulls=nulls,
        type_errors=count - nulls - n_valid,
        total=vectors.sum(axis=0, dtype=np.float64),
        total_sq=np.einsum("ij,ij->j", vectors, vectors),
        sample=_sample(vectors),
    )
