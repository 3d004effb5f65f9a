"""Per-column distribution charts and side-by-side summaries for the HTML report.

Display work only: the profiles' counts are re-binned onto display edges and turned into
shares; every statistic shown is read from the profiles as computed.

>>> import numpy as np
>>> from watchkeeper.profiles.numeric import profile_numeric
>>> ref = profile_numeric(np.linspace(0.0, 1.0, 1001))
>>> cur = profile_numeric(np.linspace(0.5, 1.5, 1001), ref.edges)
>>> edges = display_edges(ref, cur)
>>> len(edges) - 1, round(float(edges[0]), 3), round(float(edges[-1]), 3)
(40, 0.005, 1.495)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from watchkeeper.profiles.categorical import CategoricalProfile, aligned_counts
from watchkeeper.profiles.dataset import ColumnProfile
from watchkeeper.profiles.embedding import EmbeddingProfile
from watchkeeper.profiles.numeric import NumericProfile, rebin
from watchkeeper.profiles.text import TextProfile
from watchkeeper.report import _svg
from watchkeeper.report._format import num, percent, share, timestamp
from watchkeeper.schema import ColumnType

DISPLAY_BINS = 40
TOP_CATEGORIES = 15
EMBEDDING_DIMS = 32
LOW_Q, HIGH_Q = 0.005, 0.995


@dataclass(frozen=True)
class Chart:
    """An inline SVG (None when there is nothing to draw) and a plain-text caption."""

    svg: str | None
    note: str


def _integral(p: NumericProfile) -> bool:
    """Whether every finite value of ``p`` is a whole number (as far as the profile tells)."""
    if p.values is not None:
        return bool(p.values.size and np.all(p.values == np.round(p.values)))
    inner = p.edges[(p.edges >= p.min) & (p.edges <= p.max)]
    ends = np.array([p.min, p.max])
    return bool(np.all(inner == np.round(inner)) and np.all(ends == np.round(ends)))


def display_edges(
    reference: NumericProfile, current: NumericProfile, bins: int = DISPLAY_BINS
) -> np.ndarray | None:
    """Equal-width display edges between robust bounds of both sides (None: no values).

    The bounds are the 0.5% and 99.5% quantiles of whichever side reaches further, so a few
    extreme values do not squeeze the chart. Whole-number data gets whole-number edges, so no
    display bin holds one more integer than its neighbour.

    >>> from watchkeeper.profiles.numeric import profile_numeric
    >>> p = profile_numeric(np.array([1.0, 2.0, 2.0, 3.0]))
    >>> display_edges(p, p).tolist()
    [1.0, 2.0, 3.0, 4.0]
    """
    sides = [p for p in (reference, current) if p.finite]
    if not sides:
        return None
    low = min(p.quantile(LOW_Q) for p in sides)
    high = max(p.quantile(HIGH_Q) for p in sides)
    if not high > low:
        pad = max(abs(low) * 0.05, 0.5)
        low, high = low - pad, high + pad
    if all(_integral(p) for p in sides):
        step = max(1.0, math.ceil((high - low) / bins))
        start = math.floor(low)
        count = max(1, math.ceil((math.ceil(high) + 1 - start) / step))
        return start + step * np.arange(count + 1, dtype=np.float64)
    return np.linspace(low, high, bins + 1)


def _shares(p: NumericProfile, edges: np.ndarray) -> tuple[list[float] | None, float]:
    """Share of ``p``'s finite values per display bin, and the share outside the edges."""
    if not p.finite:
        return None, 0.0
    counts = rebin(p, edges)
    return (counts[1:-1] / p.finite).tolist(), float(counts[0] + counts[-1]) / p.finite


def numeric_chart(
    reference: NumericProfile, current: NumericProfile, *, title: str, datetime: bool = False
) -> Chart:
    edges = display_edges(reference, current)
    if edges is None:
        return Chart(None, "no finite values on either side")
    ref, ref_out = _shares(reference, edges)
    cur, cur_out = _shares(current, edges)
    span = float(edges[-1] - edges[0])
    label = (lambda v: timestamp(v, span)) if datetime else num
    svg = _svg.histogram(edges.tolist(), ref, cur, title=title, tick_label=label)
    notes = [f"{len(edges) - 1} bins of equal width, share of finite values per bin"]
    if ref_out or cur_out:
        notes.append(
            f"outside the shown range: reference {percent(ref_out)}, current {percent(cur_out)}"
        )
    for side, shares in (("reference", ref), ("current data", cur)):
        if shares is None:
            notes.append(f"no finite values in the {side}")
    return Chart(svg, "; ".join(notes))


def categorical_chart(
    reference: CategoricalProfile, current: CategoricalProfile, *, title: str
) -> Chart:
    names, ref_counts, cur_counts = aligned_counts(reference, current)
    ref_total, cur_total = int(ref_counts.sum()), int(cur_counts.sum())
    if not names or not (ref_total or cur_total):
        return Chart(None, "no values on either side")
    ref = ref_counts / ref_total if ref_total else np.zeros(len(names))
    cur = cur_counts / cur_total if cur_total else np.zeros(len(names))
    order = np.lexsort((-ref, -np.maximum(ref, cur)))
    shown, rest = order[:TOP_CATEGORIES], order[TOP_CATEGORIES:]
    known = set(reference.categories)
    rows = [
        _svg.Bar(
            names[i],
            float(ref[i]),
            float(cur[i]),
            new=names[i] not in known and names[i] != "(other)",
        )
        for i in shown
    ]
    unseen = sum(1 for n in current.categories if n not in known)
    notes = [f"{len(names)} categories, share of present values"]
    if rest.size:
        notes.append(
            f"the {rest.size} not shown hold reference {percent(float(ref[rest].sum()))}, "
            f"current {percent(float(cur[rest].sum()))}"
        )
    if unseen:
        what = "category" if unseen == 1 else "categories"
        notes.append(f"{unseen} {what} of the current data not in the reference (marked new)")
    return Chart(_svg.bars(rows, title=title), "; ".join(notes))


def embedding_chart(reference: EmbeddingProfile, current: EmbeddingProfile, *, title: str) -> Chart:
    if not (reference.valid and current.valid) or reference.dim != current.dim or not reference.dim:
        return Chart(None, "no valid vectors on one side, or dimensions differ")
    dims = min(reference.dim, EMBEDDING_DIMS)
    shift = (current.mean[:dims] - reference.mean[:dims]).tolist()
    note = (
        f"first {dims} of {reference.dim} dimensions"
        if reference.dim > dims
        else f"{dims} dimensions"
    )
    return Chart(_svg.shifts(shift, title=title), note)


def column_chart(
    kind: ColumnType, reference: ColumnProfile, current: ColumnProfile, name: str
) -> Chart:
    """The chart that fits the column's type."""
    title = f"{name}: reference vs current"
    if isinstance(reference, NumericProfile) and isinstance(current, NumericProfile):
        return numeric_chart(reference, current, title=title, datetime=kind is ColumnType.DATETIME)
    if isinstance(reference, CategoricalProfile) and isinstance(current, CategoricalProfile):
        return categorical_chart(reference, current, title=title)
    if isinstance(reference, TextProfile) and isinstance(current, TextProfile):
        chart = numeric_chart(
            reference.length, current.length, title=f"{name}: length in characters"
        )
        return Chart(chart.svg, f"length in characters; {chart.note}")
    if isinstance(reference, EmbeddingProfile) and isinstance(current, EmbeddingProfile):
        return embedding_chart(reference, current, title=f"{name}: mean shift per dimension")
    return Chart(None, "no chart for this column")


Row = tuple[str, str, str]


def _missing(p: ColumnProfile) -> str:
    return percent(share(p.missing, p.count))


def _numeric_rows(ref: NumericProfile, cur: NumericProfile, datetime: bool) -> list[Row]:
    if datetime:
        span = max(ref.max - ref.min, cur.max - cur.min, 0.0) if ref.finite and cur.finite else 0.0

        def fmt(v: float) -> str:
            return timestamp(v, span)

        return [(k, fmt(getattr(ref, k)), fmt(getattr(cur, k))) for k in ("min", "max")]
    rows = [(k, num(getattr(ref, k)), num(getattr(cur, k))) for k in ("mean", "std", "min", "max")]
    if ref.pos_inf + ref.neg_inf + cur.pos_inf + cur.neg_inf:
        rows.append(
            ("infinite", f"{ref.pos_inf + ref.neg_inf:,}", f"{cur.pos_inf + cur.neg_inf:,}")
        )
    return rows


def column_summary(kind: ColumnType, ref: ColumnProfile, cur: ColumnProfile) -> list[Row]:
    """(what, reference, current) rows read off both profiles."""
    rows: list[Row] = [("missing", _missing(ref), _missing(cur))]
    if isinstance(ref, NumericProfile) and isinstance(cur, NumericProfile):
        rows += _numeric_rows(ref, cur, kind is ColumnType.DATETIME)
    elif isinstance(ref, CategoricalProfile) and isinstance(cur, CategoricalProfile):
        rows.append(("distinct", f"{ref.distinct:,}", f"{cur.distinct:,}"))
    elif isinstance(ref, TextProfile) and isinstance(cur, TextProfile):
        rows += [
            ("mean length", num(ref.length.mean), num(cur.length.mean)),
            ("mean tokens", num(ref.tokens.mean), num(cur.tokens.mean)),
            (
                "out-of-vocabulary",
                percent(_nan_none(ref.oov.mean)),
                percent(_nan_none(cur.oov.mean)),
            ),
        ]
    elif isinstance(ref, EmbeddingProfile) and isinstance(cur, EmbeddingProfile):
        rows += [
            ("dimensions", str(ref.dim), str(cur.dim)),
            ("valid vectors", f"{ref.valid:,}", f"{cur.valid:,}"),
        ]
    return rows


def _nan_none(value: float) -> float | None:
    return None if math.isnan(value) else value
