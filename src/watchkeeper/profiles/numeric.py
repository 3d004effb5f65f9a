"""Mergeable profile of a numeric column: a fine histogram on reference-quantile edges.

The histogram's inner edges are ~1024 quantiles of the reference, so every inner bin holds
about 0.1% of the reference. Beyond the reference range, log-spaced tail edges keep
resolution for shifted current data. Bins are ``(-inf, e0), [e0, e1), ..., [e_last, +inf)``
and count finite values only; NaN, +/-inf and nulls are counted apart.

Exact scalars ride along: count, nulls, NaN, infinities, min, max, mean and variance (merged
with Chan's formula). While a column has at most ``EXACT_CAP`` finite values the values
themselves are kept, so small samples get exact tests. The histogram doubles as the quantile
sketch: a quantile is read off the cumulative counts, interpolated within its bin.

>>> import numpy as np
>>> ref = profile_numeric(np.arange(1000.0))
>>> first = profile_numeric(np.arange(500.0), ref.edges)
>>> second = profile_numeric(np.arange(500.0, 1000.0), ref.edges)
>>> merged = first + second
>>> bool((merged.counts == ref.counts).all()), merged.count, merged.mean
(True, 1000, 499.5)
>>> round(ref.quantile(0.5), 1)
499.5
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

FINE_BINS = 1024
TAIL_BINS = 32
EXACT_CAP = 10_000
_TAIL_REACH = np.geomspace(1e-3, 1e3, TAIL_BINS)


def reference_edges(finite: np.ndarray, bins: int = FINE_BINS) -> np.ndarray:
    """Edges at ``bins`` quantiles of ``finite`` plus log-spaced tails on each side.

    The outermost quantile bins are split further at the 2nd, 3rd, 5th, 9th, ... smallest and
    largest values: heavy or shifted tails put much of a distance there, and a single wide bin
    would hide where inside it the mass sits.

    >>> e = reference_edges(np.linspace(0.0, 1.0, 101), bins=4)
    >>> e[TAIL_BINS:TAIL_BINS + 6].tolist()
    [0.0, 0.01, 0.02, 0.04, 0.08, 0.16]
    >>> bool(np.all(np.diff(e) > 0))
    True
    """
    if finite.size == 0:
        return np.zeros(0)
    ordered = np.sort(finite)
    last = ordered.size - 1
    positions = np.linspace(0, last, bins + 1).round().astype(np.int64)
    # ranks 1, 2, 4, ... from either end, inside the first and last quantile bin
    doublings = int(np.log2(last / bins)) + 1 if last >= bins else 0
    extreme = 2 ** np.arange(doublings, dtype=np.int64)
    positions = np.concatenate([positions, extreme, last - extreme])
    inner = np.unique(ordered[positions])
    # An edge just above the maximum closes the reference range: the bins from it on hold only
    # values above that range, and the maximum keeps a bin of its own (for discrete data it
    # would otherwise share one with the next value down).
    inner = np.append(inner, np.nextafter(inner[-1], np.inf))
    low, high = float(inner[0]), float(inner[-1])
    span = high - low if high > low else max(abs(low), 1.0)
    edges = np.concatenate([low - span * _TAIL_REACH[::-1], inner, high + span * _TAIL_REACH])
    return np.unique(edges)  # unique also drops tail edges lost to float rounding


@dataclass(frozen=True, eq=False)
class NumericProfile:
    """Frozen view of a numeric column; ``a + b`` merges two views of the same column."""

    edges: np.ndarray
    counts: np.ndarray  # len(edges) + 1 bins of finite values
    count: int  # every row, missing included
    nulls: int = 0
    nans: int = 0
    pos_inf: int = 0
    neg_inf: int = 0
    type_errors: int = 0
    min: float = float("nan")
    max: float = float("nan")
    mean: float = float("nan")
    m2: float = 0.0  # sum of squared deviations from the mean
    values: np.ndarray | None = field(default=None, repr=False)  # finite values, small samples only
    type_error_examples: tuple[str, ...] = ()

    @property
    def finite(self) -> int:
        return int(self.counts.sum())

    @property
    def missing(self) -> int:
        """Rows without a value: nulls and NaN (unreadable values are ``type_errors``)."""
        return self.nulls + self.nans

    @property
    def variance(self) -> float:
        return self.m2 / (self.finite - 1) if self.finite > 1 else float("nan")

    @property
    def std(self) -> float:
        return float(np.sqrt(self.variance)) if self.finite > 1 else float("nan")

    def bin_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bound of every bin, the open outer bins closed by min and max."""
        low = self.min if np.isfinite(self.min) else (self.edges[0] if self.edges.size else 0.0)
        high = self.max if np.isfinite(self.max) else (self.edges[-1] if self.edges.size else 0.0)
        first = min(low, self.edges[0]) if self.edges.size else low
        last = max(high, self.edges[-1]) if self.edges.size else high
        points = np.concatenate([[first], self.edges, [last]])
        return points[:-1], points[1:]

    def quantile(self, q: float) -> float:
        """The ``q`` quantile of the finite values, interpolated within its histogram bin."""
        if self.values is not None and self.values.size:
            return float(np.quantile(self.values, q))
        total = self.finite
        if total == 0:
            return float("nan")
        cumulative = np.cumsum(self.counts)
        target = q * total
        index = int(np.searchsorted(cumulative, target, side="left"))
        index = min(index, len(self.counts) - 1)
        lower, upper = self.bin_bounds()
        before = cumulative[index] - self.counts[index]
        share = (target - before) / self.counts[index] if self.counts[index] else 0.0
        value = lower[index] + share * (upper[index] - lower[index])
        return float(np.clip(value, self.min, self.max))

    def __add__(self, other: NumericProfile) -> NumericProfile:
        if not isinstance(other, NumericProfile):
            return NotImplemented
        if self.edges.shape == other.edges.shape and np.array_equal(self.edges, other.edges):
            counts = self.counts + other.counts
        else:
            counts = self.counts + rebin(other, self.edges)
        n_a, n_b = self.finite, other.finite
        n = n_a + n_b
        if n_a == 0 or n_b == 0:
            mean, m2 = (self.mean, self.m2) if n_b == 0 else (other.mean, other.m2)
        else:
            delta = other.mean - self.mean
            mean = self.mean + delta * n_b / n
            m2 = self.m2 + other.m2 + delta * delta * n_a * n_b / n
        values = None
        if self.values is not None and other.values is not None and n <= EXACT_CAP:
            values = np.concatenate([self.values, other.values])
        return NumericProfile(
            edges=self.edges,
            counts=counts,
            count=self.count + other.count,
            nulls=self.nulls + other.nulls,
            nans=self.nans + other.nans,
            pos_inf=self.pos_inf + other.pos_inf,
            neg_inf=self.neg_inf + other.neg_inf,
            type_errors=self.type_errors + other.type_errors,
            min=float(np.fmin(self.min, other.min)),
            max=float(np.fmax(self.max, other.max)),
            mean=float(mean),
            m2=float(m2),
            values=values,
            type_error_examples=(self.type_error_examples + other.type_error_examples)[:3],
        )

    def to_state(self) -> dict[str, Any]:
        state = {k: getattr(self, k) for k in _SCALARS}
        state.update(edges=self.edges, counts=self.counts, values=self.values)
        state["type_error_examples"] = list(self.type_error_examples)
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> NumericProfile:
        return cls(
            edges=np.asarray(state["edges"], dtype=np.float64),
            counts=np.asarray(state["counts"], dtype=np.int64),
            values=None
            if state["values"] is None
            else np.asarray(state["values"], dtype=np.float64),
            type_error_examples=tuple(state.get("type_error_examples", ())),
            **{k: state[k] for k in _SCALARS},
        )

    def with_edges(self, edges: np.ndarray) -> NumericProfile:
        """The same profile re-binned onto ``edges`` (approximate within bins)."""
        return replace(self, edges=edges, counts=rebin(self, edges))


_SCALARS = (
    "count",
    "nulls",
    "nans",
    "pos_inf",
    "neg_inf",
    "type_errors",
    "min",
    "max",
    "mean",
    "m2",
)


def rebin(profile: NumericProfile, edges: np.ndarray) -> np.ndarray:
    """Counts of ``profile`` moved onto other ``edges``, spreading each bin uniformly.

    The total is kept exactly (cumulative counts are rounded, then differenced).

    >>> p = profile_numeric(np.arange(100.0), np.array([0.0, 50.0, 100.0]))
    >>> rebin(p, np.array([25.0, 75.0])).tolist()
    [25, 50, 25]
    """
    if profile.values is not None:
        return _histogram(profile.values, edges)
    lower, upper = profile.bin_bounds()
    cumulative = np.concatenate([[0.0], np.cumsum(profile.counts, dtype=np.float64)])
    # The cumulative count is piecewise linear between bin bounds; read it at the new edges.
    xs = np.concatenate([lower[:1], upper])
    at_edges = np.interp(edges, xs, cumulative) if edges.size else np.zeros(0)
    total = cumulative[-1]
    points = np.concatenate([[0.0], at_edges, [total]])
    return np.diff(np.round(points)).astype(np.int64)


def _histogram(finite: np.ndarray, edges: np.ndarray) -> np.ndarray:
    bounds = np.concatenate([[-np.inf], edges, [np.inf]])
    counts, _ = np.histogram(finite, bins=bounds)
    return counts.astype(np.int64)


def profile_numeric(
    values: np.ndarray,
    edges: np.ndarray | None = None,
    *,
    nulls: int = 0,
    type_errors: int = 0,
    type_error_examples: tuple[str, ...] = (),
    keep_values: int = EXACT_CAP,
) -> NumericProfile:
    """Profile float64 ``values`` (NaN marks missing); new reference edges when none are given.

    ``nulls`` of the NaNs were nulls and ``type_errors`` were unreadable values; the rest are
    real NaN.

    >>> p = profile_numeric(np.array([1.0, np.inf, np.nan, 3.0]), nulls=0)
    >>> p.count, p.nans, p.pos_inf, p.finite, p.mean, p.max
    (4, 1, 1, 2, 2.0, 3.0)
    """
    values = np.asarray(values, dtype=np.float64)
    finite_mask = np.isfinite(values)
    n_finite = int(np.count_nonzero(finite_mask))
    if n_finite == values.size:  # the common case: one pass decides there is nothing else
        finite, n_nan, pos_inf = values, 0, 0
    else:
        finite = values[finite_mask]
        n_nan = int(np.count_nonzero(np.isnan(values)))
        pos_inf = int(np.count_nonzero(values == np.inf))
    if edges is None:
        edges = reference_edges(finite)
    counts = _histogram(finite, edges)
    if n_finite:
        mean = float(finite.mean())
        deviations = finite - mean
        m2 = float(np.einsum("i,i->", deviations, deviations))  # no BLAS thread spin
        low, high = float(finite.min()), float(finite.max())
    else:
        mean, m2, low, high = float("nan"), 0.0, float("nan"), float("nan")
    return NumericProfile(
        edges=edges,
        counts=counts,
        count=int(values.size),
        nulls=nulls,
        nans=n_nan - nulls - type_errors,
        pos_inf=pos_inf,
        neg_inf=values.size - n_finite - n_nan - pos_inf,
        type_errors=type_errors,
        min=low,
        max=high,
        mean=mean,
        m2=m2,
        values=finite.copy() if n_finite <= keep_values else None,
        type_error_examples=type_error_examples,
    )


def out_of_range_counts(reference: NumericProfile, current: NumericProfile) -> tuple[int, int]:
    """How many finite values of ``current`` lie below / above the reference's range.

    Exact when ``current`` was profiled on the reference's edges: the reference minimum is an
    edge, and the last inner edge sits just above the reference maximum.

    >>> ref = profile_numeric(np.arange(10.0))
    >>> out_of_range_counts(ref, profile_numeric(np.array([-1.0, 0.0, 9.0, 9.5, 20.0]), ref.edges))
    (1, 2)
    """
    if current.values is not None:
        return (
            int(np.count_nonzero(current.values < reference.min)),
            int(np.count_nonzero(current.values > reference.max)),
        )
    if reference.finite == 0 or not np.array_equal(reference.edges, current.edges):
        counts = rebin(current, reference.edges) if reference.edges.size else current.counts
    else:
        counts = current.counts
    low = int(np.searchsorted(reference.edges, reference.min, side="left"))
    high = int(np.searchsorted(reference.edges, np.nextafter(reference.max, np.inf), side="left"))
    return int(counts[: low + 1].sum()), int(counts[high + 1 :].sum())
