"""A mergeable latency histogram: fixed log-spaced buckets, so any two windows add exactly.

Bucket bounds grow by 10% from 0.1 ms to about 62 s (141 bounds), plus one bucket below
0.1 ms and one above the last bound; count, sum, min and max ride along exactly. A quantile
is read off the cumulative counts, interpolated linearly within its bucket and clipped to
[min, max], so it is within one bucket (10%) of the exact quantile. Values are milliseconds;
nulls are not latencies, and NaN, infinite or negative values are counted as ``invalid``.

>>> import numpy as np
>>> h = LatencyHistogram.from_values(np.array([1.0, 2.0, 3.0, 4.0, 100.0]))
>>> h.count, h.min, h.max, round(h.mean, 1)
(5, 1.0, 100.0, 22.0)
>>> halves = LatencyHistogram.from_values(np.arange(1.0, 501.0)) + LatencyHistogram.from_values(
...     np.arange(501.0, 1001.0))
>>> q = halves.quantile(0.99)
>>> bool(abs(q - np.quantile(np.arange(1.0, 1001.0), 0.99)) / q < GROWTH - 1)
True
>>> LatencyHistogram.from_state(halves.to_state()) == halves
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from watchkeeper.errors import ProfileError

LOW_MS = 0.1
HIGH_MS = 60_000.0
GROWTH = 1.1
_STEPS = int(np.ceil(np.log(HIGH_MS / LOW_MS) / np.log(GROWTH)))
BOUNDS_MS = LOW_MS * GROWTH ** np.arange(_STEPS + 1)
BUCKETS = BOUNDS_MS.size + 1  # [0, b0), [b0, b1), ..., [b_last, inf)
_INVERSE_LOW = np.float32(1.0 / LOW_MS)
_INVERSE_LOG_GROWTH = np.float32(1.0 / np.log(GROWTH))


def bucket_index(values: np.ndarray) -> np.ndarray:
    """The bucket of each non-negative finite value (same as a right-sided ``searchsorted``).

    One logarithm per value, then a correction of float rounding at the bounds; about five
    times faster than a binary search over the bounds.

    >>> bucket_index(np.array([0.0, 0.1, 0.12, BOUNDS_MS[5], 1e9])).tolist()
    [0, 1, 2, 6, 141]
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # single precision is enough for a guess that is at most one bucket off
        steps = np.log(np.asarray(values, dtype=np.float32) * _INVERSE_LOW) * _INVERSE_LOG_GROWTH
    index: np.ndarray = np.clip(steps, -1.0, BOUNDS_MS.size).astype(np.int64) + 1
    index = np.minimum(index, BOUNDS_MS.size)
    lower = BOUNDS_MS[np.maximum(index - 1, 0)]
    index -= (index > 0) & (values < lower)
    upper = BOUNDS_MS[np.minimum(index, BOUNDS_MS.size - 1)]
    index += (index < BOUNDS_MS.size) & (values >= upper)
    return index


@dataclass(frozen=True, eq=False)
class LatencyHistogram:
    """Frozen view of a latency distribution; ``a + b`` merges two windows."""

    counts: np.ndarray  # BUCKETS counts
    count: int = 0
    total: float = 0.0  # sum of the values, ms
    min: float = float("nan")
    max: float = float("nan")
    invalid: int = 0  # NaN, infinite or negative values, left out

    @classmethod
    def empty(cls) -> LatencyHistogram:
        return cls(np.zeros(BUCKETS, dtype=np.int64))

    @classmethod
    def from_values(cls, values: np.ndarray) -> LatencyHistogram:
        """Histogram of latencies in milliseconds (NaN marks a missing value)."""
        values = np.asarray(values, dtype=np.float64)
        valid = np.isfinite(values) & (values >= 0)
        invalid = int(values.size - np.count_nonzero(valid) - np.count_nonzero(np.isnan(values)))
        kept = values if valid.all() else values[valid]
        if kept.size == 0:
            return cls(np.zeros(BUCKETS, dtype=np.int64), invalid=invalid)
        counts = np.bincount(bucket_index(kept), minlength=BUCKETS).astype(np.int64)
        return cls(
            counts, kept.size, float(kept.sum()), float(kept.min()), float(kept.max()), invalid
        )

    @classmethod
    def grouped(cls, values: np.ndarray, codes: np.ndarray, groups: int) -> list[LatencyHistogram]:
        """One histogram per group, ``codes[i]`` the group of ``values[i]``, in one pass."""
        values = np.asarray(values, dtype=np.float64)
        valid = np.isfinite(values) & (values >= 0)
        bad = ~valid & ~np.isnan(values)
        kept, where = values[valid], codes[valid]
        flat = np.bincount(where * BUCKETS + bucket_index(kept), minlength=groups * BUCKETS)
        counts = flat.reshape(groups, BUCKETS).astype(np.int64)
        sums = np.bincount(where, weights=kept, minlength=groups)
        lows, highs = np.full(groups, np.inf), np.full(groups, -np.inf)
        np.minimum.at(lows, where, kept)
        np.maximum.at(highs, where, kept)
        invalid = np.bincount(codes[bad], minlength=groups)
        result = []
        for g in range(groups):
            n = int(counts[g].sum())
            low, high = (float(lows[g]), float(highs[g])) if n else (float("nan"),) * 2
            result.append(cls(counts[g], n, float(sums[g]), low, high, int(invalid[g])))
        return result

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else float("nan")

    def quantile(self, q: float) -> float:
        """The ``q`` quantile in ms, interpolated within its bucket (the bucket's bounds
        clipped to [min, max]); NaN when empty."""
        if self.count == 0:
            return float("nan")
        cumulative = np.cumsum(self.counts)
        target = q * self.count
        index = min(int(np.searchsorted(cumulative, target, side="left")), BUCKETS - 1)
        while self.counts[index] == 0 and index < BUCKETS - 1:  # q == 0 lands before the data
            index += 1
        lower = max(BOUNDS_MS[index - 1] if index else 0.0, self.min)
        upper = min(BOUNDS_MS[index] if index < BOUNDS_MS.size else self.max, self.max)
        before = cumulative[index] - self.counts[index]
        share = (target - before) / self.counts[index]
        return float(lower + share * (upper - lower))

    def __add__(self, other: LatencyHistogram) -> LatencyHistogram:
        if not isinstance(other, LatencyHistogram):
            return NotImplemented
        return LatencyHistogram(
            self.counts + other.counts,
            self.count + other.count,
            self.total + other.total,
            float(np.fmin(self.min, other.min)),
            float(np.fmax(self.max, other.max)),
            self.invalid + other.invalid,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LatencyHistogram):
            return NotImplemented
        same = np.array_equal(self.counts, other.counts)
        scalars = (self.count, self.invalid) == (other.count, other.invalid)
        close = np.allclose(
            [self.total, self.min, self.max],
            [other.total, other.min, other.max],
            rtol=1e-12,
            equal_nan=True,
        )
        return bool(same and scalars and close)

    __hash__ = None  # type: ignore[assignment]

    def to_state(self) -> dict[str, Any]:
        """Plain values: the bucket layout, the non-empty buckets and the scalars."""
        nonzero = np.flatnonzero(self.counts)
        return {
            "layout": [LOW_MS, GROWTH, BUCKETS],
            "buckets": nonzero.tolist(),
            "counts": self.counts[nonzero].tolist(),
            "count": self.count,
            "total": self.total,
            "min": self.min,
            "max": self.max,
            "invalid": self.invalid,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> LatencyHistogram:
        if list(state.get("layout", ())) != [LOW_MS, GROWTH, BUCKETS]:
            raise ProfileError(
                f"latency histogram with bucket layout {state.get('layout')!r} cannot be read "
                f"by this version (layout {[LOW_MS, GROWTH, BUCKETS]})"
            )
        counts = np.zeros(BUCKETS, dtype=np.int64)
        counts[np.asarray(state["buckets"], dtype=np.int64)] = state["counts"]
        return cls(
            counts,
            int(state["count"]),
            float(state["total"]),
            float(state["min"]),
            float(state["max"]),
            int(state["invalid"]),
        )
