"""Shared helpers for tests that read two numeric profiles bin by bin."""

from __future__ import annotations

import numpy as np

from watchkeeper.profiles.numeric import NumericProfile, rebin


def aligned_histograms(
    reference: NumericProfile, current: NumericProfile
) -> tuple[np.ndarray, np.ndarray]:
    """Counts of both profiles on the reference's bins (current re-binned if its edges differ)."""
    if np.array_equal(reference.edges, current.edges):
        return reference.counts, current.counts
    return reference.counts, rebin(current, reference.edges)


def both_exact(reference: NumericProfile, current: NumericProfile) -> bool:
    return reference.values is not None and current.values is not None


def coarse_histograms(
    reference: NumericProfile, current: NumericProfile, bins: int
) -> tuple[np.ndarray, np.ndarray]:
    """Group the fine bins into about ``bins`` bins of equal reference mass (plus the tails).

    Because fine edges are reference quantiles, grouping them gives reference-quantile bins:
    ``bins=10`` is the decile binning PSI is usually computed on.
    """
    ref, cur = aligned_histograms(reference, current)
    cumulative = np.cumsum(ref)
    total = cumulative[-1] if cumulative.size else 0
    if total == 0:
        return ref, cur
    targets = np.linspace(0, total, bins + 1)[1:-1]
    cuts = np.unique(np.searchsorted(cumulative, targets, side="left") + 1)
    cuts = cuts[(cuts > 0) & (cuts < ref.size)]
    starts = np.concatenate([[0], cuts])
    return np.add.reduceat(ref, starts), np.add.reduceat(cur, starts)


def proportions(counts: np.ndarray, floor: float = 1e-4) -> np.ndarray:
    """Shares that sum to 1, with empty cells lifted to ``floor`` so logarithms stay finite."""
    total = counts.sum()
    shares = counts / total if total else np.full(counts.shape, 1.0 / max(counts.size, 1))
    shares = np.maximum(shares, floor)
    return np.asarray(shares / shares.sum(), dtype=np.float64)
