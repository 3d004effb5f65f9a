"""PCA reconstruction error: drift in how the features move together.

Fitted once on the reference (:func:`fit_pca_reference`): the features are encoded
(:mod:`.encode`), a seeded sample of at most ``max_rows`` reference rows is split in two
halves, and the principal components of the first half that together explain at least
``variance_share`` of its variance are kept. A row's *reconstruction error* is the mean squared
difference between its encoded row and that row projected onto the kept components; a window's
statistic is the mean error of its rows (a window of more than ``SCORE_ROWS`` rows is scored
on a seeded sample of that many, which leaves the band nearly as narrow as every row would).
The second half of the sample calibrates, so that the band does not inherit the optimism of
errors measured on the rows the components were fitted to: its mean error is the centre, and
the spread of the mean errors of a fixed number of random chunks of it, times
``sqrt(chunk rows)``, is one row's spread. For a window of ``n`` rows the band is

    centre ± sigmas · spread · sqrt(1 / n + 1 / calibration rows)

(the second term is the uncertainty of the centre itself, which dominates for large windows),
widened to at least ``centre · (1 ± min_change)`` so that large windows do not alarm on
negligible changes. Drift when the statistic leaves the band: above it, the rows no longer
follow the reference's correlations (or have moved away from its centre); below it, they vary
less than the reference did.

Blind spot: a change *along* the kept components (x1 and x2 moving up together while they stay
on their shared line, or the mean of a column that has a component of its own) leaves the error
as it was. The univariate tests and the domain classifier see those; this test is for the
structure between columns.

The fitted :class:`PcaReference` holds the encoder, the components and four numbers, and
round-trips through a JSON-friendly dict. Applying it needs no one-hot matrix: per string
feature, each category's projection is looked up, so a million rows cost a few numeric passes.

>>> import numpy as np
>>> import pyarrow as pa
>>> rng = np.random.default_rng(0)
>>> def window(rho, n):
...     x1, e = rng.normal(size=n), rng.normal(size=n)
...     return pa.table({"x1": x1, "x2": rho * x1 + np.sqrt(1 - rho**2) * e})
>>> ref = fit_pca_reference(window(0.9, 5000), ["x1", "x2"], seed=0)
>>> ref.n_components, round(ref.explained_variance, 2)
(1, 0.95)
>>> pca_drift(ref, window(0.9, 1000)).drift_detected
False
>>> result = pca_drift(ref, window(-0.9, 1000))
>>> result.drift_detected, result.statistic > 10 * result.upper
(True, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from watchkeeper.drift.multivariate.encode import TOP_K, EncodedParts, Encoder, sample_rows
from watchkeeper.errors import InputError

VARIANCE_SHARE = 0.65  # keep the fewest components explaining at least this share
FIT_ROWS = 100_000  # reference rows sampled: one half fits, the other calibrates
CHUNKS = 50  # random chunks of the calibration half whose mean errors give the spread
SIGMAS = 3.0
MIN_CHANGE = 0.05  # the band is at least centre · (1 ± MIN_CHANGE)
MIN_ROWS = 50  # a smaller current window is not tested
SCORE_ROWS = 100_000  # a larger window is scored on a seeded sample of this many rows
BLOCK_ROWS = 1 << 17  # rows encoded at a time when scoring a window


@dataclass(frozen=True)
class PcaResult:
    """Mean reconstruction error of a window against the reference's band."""

    statistic: float
    lower: float
    upper: float
    drift_detected: bool
    components: int
    explained_variance: float
    n_reference: int  # calibration rows behind the band
    n_current: int
    n_scored: int  # current rows scored: all, or a seeded sample of ``max_rows``
    note: str = ""


@dataclass(frozen=True, eq=False)
class PcaReference:
    """What :func:`pca_drift` needs from the reference: small and serialisable."""

    encoder: Encoder
    components: np.ndarray  # (encoded width, kept components), orthonormal columns
    explained_variance: float  # share of the fit half's variance the components explain
    centre: float  # mean reconstruction error of the calibration half
    spread: float  # standard deviation of one row's error, from the chunk means
    calibration_rows: int

    @property
    def n_components(self) -> int:
        return int(self.components.shape[1])

    def errors(self, table: pa.Table, role: str = "current") -> np.ndarray:
        """Reconstruction error of every row of ``table``."""
        out = np.empty(table.num_rows)
        for start in range(0, table.num_rows, BLOCK_ROWS):
            parts = self.encoder.parts(table.slice(start, BLOCK_ROWS), role)
            out[start : start + parts.rows] = _row_errors(self.encoder, self.components, parts)
        return out

    def bounds(
        self, rows: int, sigmas: float = SIGMAS, min_change: float = MIN_CHANGE
    ) -> tuple[float, float]:
        """The (lower, upper) band for the mean error of a window of ``rows`` rows."""
        sd = self.spread * math.sqrt(1.0 / rows + 1.0 / self.calibration_rows)
        lower = min(self.centre - sigmas * sd, self.centre * (1.0 - min_change))
        upper = max(self.centre + sigmas * sd, self.centre * (1.0 + min_change))
        return max(lower, 0.0), upper

    def to_dict(self) -> dict[str, Any]:
        return {
            "encoder": self.encoder.to_dict(),
            "components": self.components.tolist(),
            "explained_variance": self.explained_variance,
            "centre": self.centre,
            "spread": self.spread,
            "calibration_rows": self.calibration_rows,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PcaReference:
        """The reference saved by :meth:`to_dict`.

        >>> ref = fit_pca_reference(pa.table({"a": [1.0, 2, 3, 5] * 50, "b": ["x", "y"] * 100}),
        ...                         ["a", "b"])
        >>> again = PcaReference.from_dict(ref.to_dict())
        >>> again.to_dict() == ref.to_dict()
        True
        """
        encoder = Encoder.from_dict(data.get("encoder", {}))
        try:
            components = np.asarray(data["components"], dtype=np.float64)
            if components.ndim != 2 or components.shape[0] != len(encoder.columns):
                raise ValueError(f"components have shape {components.shape}")
            return cls(
                encoder,
                components,
                float(data["explained_variance"]),
                float(data["centre"]),
                float(data["spread"]),
                int(data["calibration_rows"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"not a saved PCA reference: {exc}") from None


def fit_pca_reference(
    reference: pa.Table,
    features: Sequence[str],
    *,
    seed: int = 0,
    variance_share: float = VARIANCE_SHARE,
    max_rows: int = FIT_ROWS,
    top_k: int = TOP_K,
    current: pa.Table | None = None,
) -> PcaReference:
    """Fit the encoder, the components and the calibration band on ``reference``.

    ``current``, when given, only decides which numeric features get a missing indicator
    (see :class:`Encoder`); without it, only features with missing reference values do.
    """
    if not 0.0 < variance_share < 1.0:
        raise InputError(f"variance_share must be between 0 and 1 (got {variance_share!r})")
    if max_rows < 2 * MIN_ROWS:
        raise InputError(f"max_rows must be at least {2 * MIN_ROWS} (got {max_rows!r})")
    encoder = Encoder.fit(reference, features, current=current, top_k=top_k)
    width = len(encoder.columns)
    if width < 2:
        raise InputError(
            f"PCA reconstruction needs at least 2 encoded columns; features {list(features)} "
            "give 1 (use a univariate test for a single numeric column)"
        )
    if reference.num_rows < 2 * MIN_ROWS:
        raise InputError(
            f"the reference has {reference.num_rows} rows; PCA reconstruction needs at least "
            f"{2 * MIN_ROWS}"
        )
    rng = np.random.default_rng(seed)
    picked = rng.choice(reference.num_rows, size=min(reference.num_rows, max_rows), replace=False)
    half = picked.size // 2
    fit = encoder.densify(encoder.parts(reference.take(pa.array(picked[:half])), "reference"))
    components, explained = _principal_components(fit, variance_share)
    calibration = reference.take(pa.array(picked[half:]))
    errors = _row_errors(encoder, components, encoder.parts(calibration, "reference"))
    return PcaReference(
        encoder,
        components,
        explained,
        float(errors.mean()),
        _spread(errors),
        int(errors.size),
    )


def pca_drift(
    reference: PcaReference,
    current: pa.Table,
    *,
    seed: int = 0,
    max_rows: int | None = SCORE_ROWS,
    sigmas: float = SIGMAS,
    min_change: float = MIN_CHANGE,
) -> PcaResult:
    """Mean reconstruction error of ``current`` and whether it leaves the reference's band.

    A window of more than ``max_rows`` rows is scored on a seeded sample of that many (None:
    every row). A window of fewer than ``MIN_ROWS`` rows is not tested: the result says so
    in ``note``.
    """
    if not sigmas > 0:
        raise InputError(f"sigmas must be positive (got {sigmas!r})")
    if not 0.0 <= min_change < 1.0:
        raise InputError(f"min_change must be between 0 and 1 (got {min_change!r})")
    if max_rows is not None and max_rows < MIN_ROWS:
        raise InputError(f"max_rows must be at least {MIN_ROWS} (got {max_rows!r})")
    n = current.num_rows
    if n < MIN_ROWS:
        # still validates the features, so a wrong column is reported even on a small window
        reference.encoder.parts(current.slice(0, 0))
        return PcaResult(
            math.nan,
            math.nan,
            math.nan,
            False,
            reference.n_components,
            reference.explained_variance,
            reference.calibration_rows,
            n,
            0,
            f"not tested: the current window has {n} rows, fewer than {MIN_ROWS}",
        )
    scored = sample_rows(current, max_rows, seed)
    statistic = float(reference.errors(scored).mean())
    lower, upper = reference.bounds(scored.num_rows, sigmas, min_change)
    return PcaResult(
        statistic,
        lower,
        upper,
        not lower <= statistic <= upper,
        reference.n_components,
        reference.explained_variance,
        reference.calibration_rows,
        n,
        scored.num_rows,
    )


def _principal_components(encoded: np.ndarray, share: float) -> tuple[np.ndarray, float]:
    """The fewest leading principal axes explaining ``share`` of the variance (at most
    ``width - 1``, so the error never vanishes by construction) and the share they explain."""
    centred = encoded - encoded.mean(axis=0)
    covariance = centred.T @ centred / max(len(centred) - 1, 1)
    values, vectors = np.linalg.eigh(covariance)
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
    total = float(values.sum())
    if total <= 0.0:
        return vectors[:, :1], 1.0
    cumulative = np.cumsum(values) / total
    keep = min(int(np.searchsorted(cumulative, share - 1e-12)) + 1, len(values) - 1)
    return vectors[:, :keep], float(cumulative[keep - 1])


def _row_errors(encoder: Encoder, components: np.ndarray, parts: EncodedParts) -> np.ndarray:
    """Per-row ``|x - V Vᵀ x|² / width`` = ``(|x|² - |Vᵀ x|²) / width`` without building the
    one-hot columns: each category's projection and squared norm come from a small table.
    Projections are float32 (faster; a row's error moves by about 1e-6 of its squared norm)."""
    width = components.shape[0]
    offset = parts.numeric.shape[1]
    basis = components.astype(np.float32)
    projected = parts.numeric.astype(np.float32) @ basis[:offset]
    squared = np.einsum("ij,ij->i", parts.numeric, parts.numeric)
    for feature, codes in zip(encoder.categorical, parts.codes, strict=True):
        block = feature.centred_rows()  # the encoded block of each category
        projections = block.astype(np.float32) @ basis[offset : offset + feature.width]
        projected += np.take(projections, codes, axis=0)
        squared += np.take(np.einsum("ij,ij->i", block, block), codes)
        offset += feature.width
    squared -= np.einsum("ij,ij->i", projected, projected)
    np.maximum(squared, 0.0, out=squared)
    errors: np.ndarray = squared / width
    return errors


def _spread(errors: np.ndarray) -> float:
    """Standard deviation of one row's error, from the spread of the means of random chunks
    (the rows are already in random order)."""
    chunks = max(2, min(CHUNKS, errors.size // 2))
    size = errors.size // chunks
    means = errors[: chunks * size].reshape(chunks, size).mean(axis=1)
    return float(means.std(ddof=1) * math.sqrt(size))
