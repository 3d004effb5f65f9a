"""Ranking metrics on labelled queries: NDCG@k, precision@k, recall@k, MRR and MAP.

Each prediction is one item of one query; its score ranks it within the query (highest
first) and its label is a relevance grade (a number ≥ 0; binary relevance is 0/1). Per query:

* ``ndcg@k`` — DCG@k / ideal DCG@k with gain = grade and discount 1 / log2(rank + 1) (the
  linear gain of scikit-learn's ``ndcg_score``);
* ``precision_at_k@k`` — relevant items (grade > 0) in the top k, divided by k (also when
  the query has fewer than k items); ``recall_at_k@k`` — the same over the query's relevant
  items;
* ``mrr`` — 1 / rank of the first relevant item; ``map`` — average precision: the mean of
  precision@rank over the ranks of the relevant items.

Window values are means over queries, with a normal 95% interval (``n`` = queries). A query
counts only when at least one of its items is labelled; inside such a query an unlabelled item
keeps its rank and counts as not relevant (gain 0), as with implicit feedback where only the
relevant items get a label. A query without a relevant item is left out of NDCG, recall, MRR
and MAP (they are undefined there) but counts for precision (0). Items with equal scores are
ranked less relevant first — a pessimistic tie-break that does not depend on input order.
Items without a query id or a finite score are left out; labels that are not numbers ≥ 0 count
as missing.

Everything is vectorised: one sort by (query, -score, grade) — an integer sort of the three
ranks packed into one key — per-query sums with ``np.add.reduceat`` and a second integer sort
for the ideal order; no loop over queries.

>>> query = np.array([0, 0, 0, 1, 1, 1])
>>> score = np.array([0.9, 0.8, 0.1, 0.3, 0.6, 0.2])
>>> grade = np.array([0.0, 1.0, 1.0, 2.0, np.nan, 0.0])  # item 4 unlabelled: not relevant
>>> m = ranking_metrics(score_queries(query, score, grade, ks=(2,)))
>>> {name: round(e.value, 4) for name, e in m.items()}  # doctest: +NORMALIZE_WHITESPACE
{'ndcg@2': 0.5089, 'precision_at_k@2': 0.5, 'recall_at_k@2': 0.75, 'mrr': 0.5, 'map': 0.5417}
>>> m["mrr"].n
2
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from watchkeeper.monitors.intervals import Estimate, mean_of, undefined

NO_QUERIES = "no query with a labelled item"
PACKED = 2**62  # the ranks are packed into one int64 sort key below this
# per k; a name ``metric@k`` becomes the sample ``metric{k="..."}``
AT_K = ("ndcg", "precision_at_k", "recall_at_k")
OVERALL = ("mrr", "map")


def metric_names(ks: Sequence[int]) -> list[str]:
    """``ndcg@5``, ... for every k, then ``mrr`` and ``map``."""
    return [f"{name}@{k}" for k in ks for name in AT_K] + list(OVERALL)


@dataclass(frozen=True, eq=False)
class QueryScores:
    """Every metric per labelled query of one window (NaN where undefined for the query)."""

    keys: np.ndarray  # the queries' keys, ascending
    values: dict[str, np.ndarray]  # metric name -> one value per query


def score_queries(
    query: np.ndarray, score: np.ndarray, relevance: np.ndarray, ks: Sequence[int]
) -> QueryScores:
    """Per-query metrics of items with integer ``query`` keys (negative: no query), float
    ``score`` and ``relevance`` grades (NaN: unlabelled)."""
    names = metric_names(ks)
    grade = np.where(np.isfinite(relevance) & (relevance >= 0), relevance, np.nan)
    keep = (query >= 0) & np.isfinite(score)
    query, score, grade = query[keep], score[keep], grade[keep]
    labelled = np.isfinite(grade)
    gain = np.where(labelled, grade, 0.0)
    by_gain, grades = _dense_rank(gain)
    order = _ranked(query, score, by_gain, grades.size)
    query, gain, labelled = query[order], gain[order], labelled[order]
    by_gain = by_gain[order]
    starts = _starts(query)
    # only queries with a labelled item count
    counted = np.add.reduceat(labelled, starts) > 0 if query.size else np.zeros(0, dtype=bool)
    if not counted.all():
        member = np.repeat(counted, np.diff(starts, append=query.size))
        query, gain, by_gain = query[member], gain[member], by_gain[member]
        starts = _starts(query)
    if query.size == 0:
        return QueryScores(np.zeros(0, dtype=np.int64), {n: np.zeros(0) for n in names})
    sizes = np.diff(starts, append=query.size)
    rank = np.arange(1, query.size + 1) - np.repeat(starts, sizes)
    discount = 1.0 / np.log2(rank + 1.0)
    ideal = _ideal(query, by_gain, grades)
    relevant = gain > 0
    total = np.add.reduceat(relevant.astype(np.int64), starts).astype(np.float64)
    values: dict[str, np.ndarray] = {}
    for k in ks:
        top = rank <= k
        dcg = np.add.reduceat(gain * discount * top, starts)
        best = np.add.reduceat(ideal * discount * top, starts)
        hits = np.add.reduceat((relevant & top).astype(np.float64), starts)
        values[f"ndcg@{k}"] = _ratio(dcg, best)
        values[f"precision_at_k@{k}"] = hits / k
        values[f"recall_at_k@{k}"] = _ratio(hits, total)
    values["mrr"] = _ratio(
        np.maximum.reduceat(np.where(relevant, 1.0 / rank, 0.0), starts), total > 0
    )
    found = np.cumsum(relevant, dtype=np.int64)
    found = found - np.repeat(found[starts] - relevant[starts], sizes)  # relevant so far
    precision_at_hit = np.where(relevant, found / rank, 0.0)
    values["map"] = _ratio(np.add.reduceat(precision_at_hit, starts), total)
    return QueryScores(query[starts], values)


def ranking_metrics(scores: QueryScores, chosen: np.ndarray | None = None) -> dict[str, Estimate]:
    """Mean of every metric over the queries (``chosen``: a mask over ``scores.keys``)."""
    out = {}
    for name, per_query in scores.values.items():
        values = per_query if chosen is None else per_query[chosen]
        if values.size == 0:
            out[name] = undefined(0, NO_QUERIES)
            continue
        defined = np.isfinite(values)
        left_out = int(values.size - np.count_nonzero(defined))
        if not defined.any():
            out[name] = undefined(0, "no query with a relevant item")
            continue
        note = f"{left_out} queries without a relevant item left out" if left_out else ""
        out[name] = mean_of(values[defined], note)
    return out


def _dense_rank(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's rank among the distinct values (ties share one), and those values."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64), values
    order = np.argsort(values)
    ordered = values[order]
    new = np.empty(values.size, dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    ranks = np.empty(values.size, dtype=np.int64)
    ranks[order] = np.cumsum(new) - 1
    return ranks, ordered[new]


def _ranked(query: np.ndarray, score: np.ndarray, by_gain: np.ndarray, grades: int) -> np.ndarray:
    """The order by query, then score (highest first), then grade (lowest first): one sort of
    the three dense ranks packed into an integer, or a lexsort when they do not fit."""
    if query.size == 0:
        return np.zeros(0, dtype=np.int64)
    by_score, scores = _dense_rank(-score)
    queries = int(query.max()) + 1
    if queries * scores.size * grades >= PACKED:
        query, distinct = _dense_rank(query)
        queries = distinct.size
    if queries * scores.size * grades >= PACKED:
        return np.lexsort((by_gain, by_score, query))
    key = (query * scores.size + by_score) * grades + by_gain
    return np.argsort(key)  # equal keys are items alike in everything the metrics read


def _ideal(query: np.ndarray, by_gain: np.ndarray, grades: np.ndarray) -> np.ndarray:
    """The grades of ``query``'s (sorted) items, best first within each query."""
    worst_first = grades.size - 1 - by_gain
    if (int(query.max()) + 1) * grades.size >= PACKED:
        best = by_gain[np.lexsort((worst_first, query))]
    else:
        best = grades.size - 1 - np.sort(query * grades.size + worst_first) % grades.size
    ideal: np.ndarray = grades[best]
    return ideal


def _starts(query: np.ndarray) -> np.ndarray:
    """Where each run of equal keys begins in the sorted ``query``."""
    if query.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate([[True], query[1:] != query[:-1]]))


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` per query, NaN where the denominator is 0 (undefined)."""
    den = np.asarray(denominator, dtype=np.float64)
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, den, out=out, where=den > 0)
    return out
