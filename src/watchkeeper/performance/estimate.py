"""Estimating a model's performance on current data that has no labels (yet).

:func:`fit_estimator` learns, on a labelled reference, how the model's performance follows from
what is known without labels: for classifiers the calibrated scores (confidence-based
performance estimation, :mod:`~watchkeeper.performance.cbpe`), for regression the expected
error of each row given its inputs (direct loss estimation, :mod:`~watchkeeper.performance.dle`).
:func:`estimate_chunks` then estimates the metrics on each chunk of the current data, and
:meth:`Estimator.estimate` on one table (the service calls it per window).

**The assumption.** Both methods hold only while there is no concept drift: P(y | x) on the
current data is as on the reference. Covariate shift, i.e. a change in which inputs arrive,
is what they follow: more rows near the decision boundary, or in a region where the
regression errs more, lower the estimate. A change of the relation itself, the same inputs now
meaning other labels, stays invisible to them; only labels show it, so compare the estimate
with the realized metrics once labels arrive.

**Fitting.** Reference rows without a label are left out. The rest are split at random (with
``seed``) into two halves of at most :data:`FIT_ROWS` rows each: the first fits the
calibration or the error models, the second, held out, measures how far the estimate strays
(:mod:`~watchkeeper.performance.band`). Each chunk gets

* ``lower`` / ``upper``: the band around the estimate that holds the realized value (3
  standard deviations of realized − estimated on reference chunks, scaled to the chunk's rows);
* ``reference_lower`` / ``reference_upper``: the range the estimate keeps while the model
  performs as on the reference; ``alert`` when the estimate of any metric leaves it;
* ``realized``: the metrics on the chunk's labelled rows, when the current data has the label
  column.

Binary: one score column, the probability (or any score increasing with it) of the positive
class, which is the greater of the two label values (1 of 0/1, True, "yes" of "no"/"yes").
Multiclass: the classes are the label's distinct values on the reference in sorted order, and
``scores`` lists one score column per class in that order.

>>> rng = np.random.default_rng(0)
>>> def data(rows, shift):
...     x = rng.normal(shift, 1.0, rows)
...     p = 1 / (1 + np.exp(-3 * x))
...     y = (rng.random(rows) < p).astype(int)
...     return pa.table({"x": x, "score": p, "pred": (p >= 0.5).astype(int), "y": y})
>>> estimator = fit_estimator(data(4000, 1.0), "binary_classification", "pred", ["score"], "y")
>>> current = pa.concat_tables([data(1000, 1.0), data(1000, 0.0)])  # then nearer the boundary
>>> result = estimate_chunks(estimator, current, chunk_size=1000)
>>> [round(c.estimated["accuracy"], 2) for c in result.chunks], [c.alert for c in result.chunks]
([0.9, 0.84], [False, True])
>>> [round(c.realized["accuracy"], 2) for c in result.chunks]
[0.9, 0.84]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pyarrow as pa

from watchkeeper.errors import InputError
from watchkeeper.performance.band import Band, Rows, measure_band
from watchkeeper.performance.cbpe import Cbpe, fit_cbpe
from watchkeeper.performance.chunks import fixed_chunks, time_chunks
from watchkeeper.performance.dle import Dle, fit_dle
from watchkeeper.performance.inputs import (
    default_features,
    is_numeric,
    label_classes,
    listed,
    numbers,
    require,
)

ASSUMPTION = "no concept drift: P(y|x) on current data is as on the reference"
TASKS = ("binary_classification", "multiclass_classification", "regression")
FIT_ROWS = 200_000  # rows of each reference half, at most
MIN_ROWS = 200  # labelled reference rows, at least


@dataclass(frozen=True)
class ChunkEstimate:
    """The estimate on one chunk; ``left`` names the metrics whose estimate left the
    reference range (the reason for ``alert``). Values are NaN where undefined."""

    start: int | str
    end: int | str
    rows: int
    estimated: Mapping[str, float]
    lower: Mapping[str, float]
    upper: Mapping[str, float]
    realized: Mapping[str, float] | None
    reference_lower: Mapping[str, float]
    reference_upper: Mapping[str, float]
    left: tuple[str, ...] = ()

    @property
    def alert(self) -> bool:
        return bool(self.left)


@dataclass(frozen=True)
class EstimationResult:
    task: str
    assumption: str
    metrics: tuple[str, ...]
    chunks: tuple[ChunkEstimate, ...]

    @property
    def alerting(self) -> bool:
        return any(c.alert for c in self.chunks)

    @property
    def labelled(self) -> bool:
        return any(c.realized is not None for c in self.chunks)


@dataclass(frozen=True, eq=False)
class Estimator:
    """A fitted estimator: the task's method and the spread of its estimates."""

    task: str
    method: Cbpe | Dle
    band: Band
    assumption: str = ASSUMPTION

    @property
    def metrics(self) -> tuple[str, ...]:
        return self.method.metrics

    def rows(self, table: pa.Table, role: str = "current") -> Rows:
        return self.method.rows(table, role)

    def estimate(
        self, table: pa.Table, start: int | str = 0, end: int | str | None = None
    ) -> ChunkEstimate:
        """The estimate on all rows of ``table`` as one chunk (``end``: its row count)."""
        return self.summarise(self.rows(table), start, table.num_rows if end is None else end)

    def summarise(self, rows: Rows, start: int | str, end: int | str) -> ChunkEstimate:
        n, estimated = rows.size, rows.estimated()
        band, metrics = self.band, self.metrics
        bands = {m: band.uncertainty(m, estimated[m], n) for m in metrics}
        ranges = {m: band.reference_range(m, n) for m in metrics}
        left = tuple(m for m in metrics if _outside(estimated[m], *ranges[m]))
        return ChunkEstimate(
            start,
            end,
            n,
            estimated,
            {m: low for m, (low, _) in bands.items()},
            {m: high for m, (_, high) in bands.items()},
            rows.realized(),
            {m: low for m, (low, _) in ranges.items()},
            {m: high for m, (_, high) in ranges.items()},
            left,
        )


def fit_estimator(
    reference: pa.Table,
    task: str,
    prediction: str | None,
    scores: Sequence[str],
    label: str,
    features: Sequence[str] | None = None,
    seed: int = 0,
    threshold: float = 0.5,
) -> Estimator:
    """Fit the estimator of ``task`` on a labelled ``reference`` (see the module).

    ``prediction`` is the predicted class or value; for classifiers it may be None, the class
    then following from the scores. ``features`` are the regression model's inputs (default:
    every numeric and text column that is not the prediction, the label or a score).
    """
    if task not in TASKS:
        raise InputError(f"task: must be one of {', '.join(TASKS)} (got {task!r})")
    require(reference, [label, *scores, *([prediction] if prediction else [])], "reference")
    labelled = _labelled(reference, label)
    if labelled.num_rows < MIN_ROWS:
        raise InputError(
            f"reference: {labelled.num_rows} rows with a label in '{label}'; estimation needs "
            f"at least {MIN_ROWS}"
        )
    fit_part, band_part = _halves(labelled, seed)
    method: Cbpe | Dle
    if task == "regression":
        if prediction is None:
            raise InputError("prediction: regression needs the column of predicted values")
        if scores:
            raise InputError(f"scores: regression takes no score columns (got {', '.join(scores)})")
        if features is None:
            features = default_features(reference, [prediction, label])
        method = fit_dle(fit_part, prediction, label, features, seed)
        limits = (0.0, math.inf)
    else:
        classes = label_classes(labelled.column(label), "reference", label)
        _check_scores(task, scores, label, classes.values)
        method = fit_cbpe(fit_part, scores, prediction, label, classes, threshold)
        limits = (0.0, 1.0)
    band = measure_band(method.rows(band_part, "reference"), seed, limits)
    return Estimator(task, method, band)


def estimate_chunks(
    estimator: Estimator,
    current: pa.Table,
    chunk_size: int | None = None,
    window: timedelta | None = None,
    timestamp: str | None = None,
) -> EstimationResult:
    """Estimate on each chunk of ``current``: ``chunk_size`` rows, or each ``window`` of the
    ``timestamp`` column; without either, chunks of as many rows as the reference chunks the
    band was measured on."""
    if chunk_size is not None and window is not None:
        raise InputError("chunk_size and window: give one of them, not both")
    if (window is None) != (timestamp is None):
        raise InputError("window and timestamp: time chunks need both (the length and the column)")
    rows = estimator.rows(current)
    if window is not None and timestamp is not None:
        require(current, [timestamp], "current")
        chunks = time_chunks(current.column(timestamp), window, timestamp)
    else:
        size = estimator.band.rows if chunk_size is None else chunk_size
        chunks = fixed_chunks(current.num_rows, size)
    return EstimationResult(
        estimator.task,
        estimator.assumption,
        estimator.metrics,
        tuple(estimator.summarise(rows.take(c.index), c.start, c.end) for c in chunks),
    )


def _outside(value: float, low: float, high: float) -> bool:
    """Whether ``value`` left ``[low, high]``; an undefined value or range never did."""
    defined = math.isfinite(value) and math.isfinite(low) and math.isfinite(high)
    return defined and not low <= value <= high


def _labelled(table: pa.Table, label: str) -> pa.Table:
    column = table.column(label)
    if is_numeric(column.type):
        keep = np.isfinite(numbers(column, "reference", label, nulls=True))
    else:
        keep = np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    return table if keep.all() else table.filter(pa.array(keep))


def _halves(table: pa.Table, seed: int) -> tuple[pa.Table, pa.Table]:
    """Two disjoint random halves of ``table``, each of at most :data:`FIT_ROWS` rows."""
    order = np.random.default_rng(seed).permutation(table.num_rows)
    half = table.num_rows // 2
    first = np.sort(order[: min(half, FIT_ROWS)])
    second = np.sort(order[half : half + FIT_ROWS])
    return table.take(pa.array(first)), table.take(pa.array(second))


def _check_scores(task: str, scores: Sequence[str], label: str, classes: Sequence[object]) -> None:
    shown = listed(classes)
    if task == "binary_classification":
        if len(classes) != 2:
            raise InputError(
                f"reference: binary classification needs 2 label values in '{label}' "
                f"(found {len(classes)}: {shown})"
            )
        if len(scores) != 1:
            raise InputError(
                f"scores: binary classification takes one score column, the positive class's "
                f"(got {len(scores)}: {', '.join(scores) or 'none'})"
            )
    elif len(scores) != len(classes) or len(classes) < 2:
        raise InputError(
            f"scores: multiclass classification takes one score column per class of '{label}' "
            f"in sorted order ({len(classes)} classes: {shown}); got {len(scores)}: "
            f"{', '.join(scores) or 'none'}"
        )
