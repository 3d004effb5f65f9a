"""Performance by slice: which values of which columns drag a per-row metric the wrong way.

The input is one number per row: 1/0 for a correct/incorrect classification, the absolute
error of a regression, or the *expected* correctness an estimator gives when labels are late.
Rows whose value is NaN (no label yet) are left out everywhere. Each column is cut into slices:

- strings, dictionary columns, booleans, ``model_version``, every ``segment.*`` column and the
  columns named in ``categorical``: one slice per value;
- other numeric columns: bins between edges from the reference (``edges[column]`` when given,
  else the reference column's deciles; without a reference, the column's own deciles), written
  ``"[a, b)"`` with ``-inf`` / ``inf`` outermost;
- nulls and NaN: one ``"(missing)"`` slice per column.

For each slice with at least ``min_rows`` rows: ``share = rows / all rows``, its ``metric`` (the
mean), the ``overall`` mean and ``impact = (metric - overall) × share``, negated when higher is
better, so a positive impact is how far the slice pulls the overall metric the wrong way (the
overall mean without the slice would be ``overall - (metric - overall) × share / (1 - share)``).
Slices are ranked by impact, largest first; by default only those worse than overall are kept.

Everything is vectorised: one ``np.bincount`` over dictionary codes (Arrow
``dictionary_encode``) or ``np.searchsorted`` bins per column.

>>> import pyarrow as pa
>>> table = pa.table({"country": ["de", "fr", "fr", "us"] * 25, "age": list(range(100))})
>>> correct = np.array([1.0, 0.0, 0.0, 1.0] * 25)
>>> top = rank_slices(correct, table, higher_is_better=True, min_rows=10, top=2)
>>> [(s.column, s.value, s.rows, s.metric, s.impact) for s in top]
[('country', 'fr', 50, 0.0, 0.25)]
>>> rank_slices(correct[:3], table, higher_is_better=True)
Traceback (most recent call last):
...
watchkeeper.errors.InputError: loss: 3 values for a table of 100 rows
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pyarrow as pa

from watchkeeper.errors import InputError
from watchkeeper.rootcause._columns import as_floats, category_codes, column_of, is_number, is_text

MIN_ROWS = 30
TOP = 10
BINS = 10
MISSING = "(missing)"
ALWAYS_CATEGORICAL = ("model_version",)
CATEGORICAL_PREFIX = "segment."


@dataclass(frozen=True)
class Slice:
    """One slice of one column and how much it moves the overall metric."""

    column: str
    value: str  # the category, or the bin as "[a, b)", or "(missing)"
    rows: int
    share: float
    metric: float
    overall: float
    impact: float  # > 0: the slice pulls the overall metric the wrong way


def rank_slices(
    loss: np.ndarray | Sequence[float],
    table: pa.Table,
    columns: Sequence[str] | None = None,
    *,
    higher_is_better: bool,
    reference: pa.Table | None = None,
    edges: Mapping[str, Sequence[float]] | None = None,
    categorical: Collection[str] = (),
    bins: int = BINS,
    min_rows: int = MIN_ROWS,
    top: int = TOP,
    worse_only: bool = True,
) -> list[Slice]:
    """The ``top`` slices of ``columns`` (default: every numeric or categorical column) by
    impact on the mean of ``loss``, one value per row of ``table``."""
    values = _loss(loss, table.num_rows)
    if bins < 2:
        raise InputError(f"bins: must be at least 2 (got {bins})")
    names = list(columns) if columns is not None else _sliceable(table, categorical)
    valid = np.isfinite(values)
    n_valid = int(valid.sum())
    if n_valid == 0:
        return []
    weights = np.where(valid, values, 0.0)
    overall = float(weights.sum() / n_valid)
    sign = -1.0 if higher_is_better else 1.0
    found: list[Slice] = []
    for name in names:
        ids, labels = _slice_ids(name, table, reference, edges, set(categorical), bins)
        if not valid.all():
            ids = np.where(valid, ids, len(labels))
        counts = np.bincount(ids, minlength=len(labels) + 1)[: len(labels)]
        sums = np.bincount(ids, weights=weights, minlength=len(labels) + 1)[: len(labels)]
        for k in np.flatnonzero(counts >= max(1, min_rows)):
            rows = int(counts[k])
            metric = float(sums[k] / rows)
            share = rows / n_valid
            impact = sign * (metric - overall) * share
            found.append(Slice(name, labels[k], rows, share, metric, overall, impact))
    if worse_only:
        found = [s for s in found if s.impact > 0]
    found.sort(key=lambda s: -s.impact)
    return found[: max(0, top)]


def _loss(loss: np.ndarray | Sequence[float], rows: int) -> np.ndarray:
    try:
        values = np.asarray(loss, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("loss: must be numbers, one per row") from None
    if values.ndim != 1:
        raise InputError(f"loss: must be one-dimensional (got shape {values.shape})")
    if values.size != rows:
        raise InputError(f"loss: {values.size} values for a table of {rows} rows")
    return values


def _is_categorical(name: str, kind: pa.DataType, categorical: Collection[str]) -> bool:
    return bool(
        is_text(kind)
        or pa.types.is_boolean(kind)
        or name in ALWAYS_CATEGORICAL
        or name.startswith(CATEGORICAL_PREFIX)
        or name in categorical
    )


def _sliceable(table: pa.Table, categorical: Collection[str]) -> list[str]:
    """Every column that can be sliced: categorical or numeric types."""
    return [
        field.name
        for field in table.schema
        if _is_categorical(field.name, field.type, categorical) or is_number(field.type)
    ]


def _slice_ids(
    name: str,
    table: pa.Table,
    reference: pa.Table | None,
    edges: Mapping[str, Sequence[float]] | None,
    categorical: Collection[str],
    bins: int,
) -> tuple[np.ndarray, list[str]]:
    """Each row's slice (an index into the labels) and the slice labels of column ``name``."""
    column = column_of(table, name, "columns")
    if _is_categorical(name, column.type, categorical):
        codes = category_codes(column)
        return codes.codes, [*codes.labels, MISSING]
    if not is_number(column.type):
        raise InputError(f"columns: {name!r} has type {column.type}, which cannot be sliced")
    values = as_floats(column, f"columns.{name}")
    cuts = _edges(name, values, reference, edges, bins)
    ids = np.searchsorted(cuts, values, side="right")
    ids[np.isnan(values)] = cuts.size + 1
    return ids, [*bin_labels(cuts), MISSING]


def _edges(
    name: str,
    values: np.ndarray,
    reference: pa.Table | None,
    edges: Mapping[str, Sequence[float]] | None,
    bins: int,
) -> np.ndarray:
    """Sorted distinct finite interior edges for column ``name``."""
    if edges is not None and name in edges:
        given = np.asarray(edges[name], dtype=np.float64)
        return np.unique(given[np.isfinite(given)])
    if reference is not None:
        values = as_floats(column_of(reference, name, "reference"), f"reference.{name}")
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros(0, dtype=np.float64)
    quantiles = np.quantile(finite, np.arange(1, bins) / bins)
    return np.unique(quantiles)


def bin_labels(edges: np.ndarray) -> list[str]:
    """``"[a, b)"`` for each bin around ``edges``, with as many digits as tell them apart.

    >>> bin_labels(np.array([1.0, 2.5]))
    ['[-inf, 1)', '[1, 2.5)', '[2.5, inf)']
    >>> bin_labels(np.array([1000.1, 1000.2]))[1]
    '[1000.1, 1000.2)'
    """
    text: list[str] = []
    for digits in range(4, 18):
        text = [f"{e:.{digits}g}" for e in edges]
        if len(set(text)) == len(text):
            break
    bounds = ["-inf", *text, "inf"]
    return [f"[{a}, {b})" for a, b in pairwise(bounds)]
