"""Row-wise helpers the detectors share: rolling windows and a robust baseline per row.

A detector scores a 2-D block whose rows are the windows ending at each point (oldest first,
NaN for missing windows and for points before the series began). Everything here works on
such blocks with whole-array numpy operations and never warns on all-NaN rows.

The baseline scale has a floor, so a constant series does not alarm on tiny noise: the scale
is at least ``REL_FLOOR`` (0.1 %) of the baseline level ``|median|``, and at least
``ABS_FLOOR`` for a series at zero. With the default ``mad`` threshold of 6, a change smaller
than 0.6 % of the level never alarms on a perfectly flat series. When more than half of the
baseline equals its median (MAD = 0: counts that are mostly zero, a flat line with a few
blips), the root-mean-square deviation from the median stands in for ``1.4826 · MAD``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

MAD_TO_SIGMA = 1.4826  # 1 / Φ⁻¹(3/4): the MAD of a normal sample times this estimates σ
REL_FLOOR = 1e-3
ABS_FLOOR = 1e-12
CHUNK_ROWS = 2048  # rows scored at once: bounds the temporaries to a few MB per block


def padded_rows(x: np.ndarray, width: int) -> np.ndarray:
    """A read-only view: row ``t`` holds the ``width`` points ending at ``x[t]``.

    >>> padded_rows(np.array([1.0, 2.0, 3.0]), 2)
    array([[nan,  1.],
           [ 1.,  2.],
           [ 2.,  3.]])
    """
    padded = np.concatenate([np.full(width - 1, np.nan), np.asarray(x, dtype=np.float64)])
    return sliding_window_view(padded, width)


def map_rows(
    x: np.ndarray, width: int, score: Callable[[np.ndarray], tuple[np.ndarray, ...]]
) -> tuple[np.ndarray, ...]:
    """Apply ``score`` to the rows of :func:`padded_rows` in chunks; concatenate its outputs."""
    if x.size == 0:
        return tuple(column[:0] for column in score(np.full((1, width), np.nan)))
    rows = padded_rows(x, width)
    parts = [score(rows[start : start + CHUNK_ROWS]) for start in range(0, len(x), CHUNK_ROWS)]
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


def middle(sorted_rows: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Median of each row of an ascending-sorted block whose first ``count`` entries are valid.

    >>> middle(np.array([[1.0, 2.0, 9.0, np.nan], [np.nan] * 4]), np.array([3, 0]))
    array([ 2., nan])
    """
    lo = np.maximum((count - 1) // 2, 0)[:, None]
    hi = np.maximum(count // 2, 0)[:, None]
    mid = 0.5 * (
        np.take_along_axis(sorted_rows, lo, axis=1) + np.take_along_axis(sorted_rows, hi, axis=1)
    )
    return np.where(count > 0, mid[:, 0], np.nan)


@dataclass(frozen=True)
class Baseline:
    """Per-row robust level and spread; NaN where a row has fewer than the needed values."""

    location: np.ndarray
    scale: np.ndarray
    count: np.ndarray


def robust_baseline(block: np.ndarray, min_count: int) -> Baseline:
    """Median and floored ``1.4826 · MAD`` of each row (NaN entries skipped).

    >>> b = robust_baseline(np.array([[1.0, 2.0, 3.0, 4.0, 100.0]]), 3)
    >>> float(b.location[0]), round(float(b.scale[0]), 4)
    (3.0, 1.4826)
    >>> float(robust_baseline(np.array([[5.0, 5.0, 5.0]]), 3).scale[0])  # the 0.1 % floor
    0.005
    """
    valid = ~np.isnan(block)
    count = valid.sum(axis=1)
    location = middle(np.sort(block, axis=1), count)
    deviation = np.abs(block - location[:, None])
    scale = MAD_TO_SIGMA * middle(np.sort(deviation, axis=1), count)
    flat = scale == 0
    if flat.any():
        rows = deviation[flat]
        has = ~np.isnan(rows)
        squares = np.where(has, rows, 0.0) ** 2
        scale[flat] = np.sqrt(squares.sum(axis=1) / np.maximum(has.sum(axis=1) - 1, 1))
    scale = np.maximum(scale, np.maximum(REL_FLOOR * np.abs(location), ABS_FLOOR))
    enough = count >= min_count
    return Baseline(np.where(enough, location, np.nan), np.where(enough, scale, np.nan), count)


def running_count(valid: np.ndarray) -> np.ndarray:
    """Valid entries up to and including each column, as floats (a shared row when all are).

    >>> running_count(np.array([[True, False, True]])), running_count(np.ones((2, 3), bool))
    (array([[1., 1., 2.]]), array([[1., 2., 3.]]))
    """
    if valid.all():
        return np.arange(1.0, valid.shape[1] + 1)[None, :]
    return np.cumsum(valid, axis=1, dtype=np.float64)


def row_sum(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum of the valid entries of each row, and their count."""
    valid = ~np.isnan(block)
    return np.where(valid, block, 0.0).sum(axis=1), valid.sum(axis=1)


def row_mean(block: np.ndarray, min_count: int = 1) -> np.ndarray:
    """Mean of the valid entries of each row; NaN below ``min_count`` values.

    >>> row_mean(np.array([[1.0, np.nan, 3.0], [np.nan] * 3]))
    array([ 2., nan])
    """
    total, count = row_sum(block)
    return np.where(count >= min_count, total / np.maximum(count, 1), np.nan)
