"""Ranking metrics: the vectorised computation against a query-by-query reference
(scikit-learn's ndcg_score and average_precision_score), and the ranking task end to end."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from monitor_helpers import AFTER, END, START, config, find, ids, labels_table, meta_table, one
from sklearn.metrics import average_precision_score, ndcg_score

from watchkeeper.errors import ConfigError
from watchkeeper.monitors import ranking
from watchkeeper.monitors.base import Status
from watchkeeper.monitors.performance import performance_samples
from watchkeeper.monitors.ranking import ranking_metrics, score_queries
from watchkeeper.monitors.scope import Scope, group_rows
from watchkeeper.monitors.window import evaluate_window
from watchkeeper.profiles.dataset import build_profile

SCOPE = Scope("m", START, END, {"window": "1h"})
KS = (1, 3, 10)


def reference_metrics(
    query: np.ndarray, score: np.ndarray, grade: np.ndarray, ks: tuple[int, ...]
) -> dict[str, float]:
    """The same metrics, one query at a time, the plain way."""
    per: dict[str, list[float]] = {}
    for q in np.unique(query):
        mine = query == q
        s, g = score[mine], grade[mine]
        if not np.isfinite(g).any():
            continue  # no labelled item: the query does not count
        g = np.nan_to_num(g, nan=0.0)  # unlabelled items are not relevant
        ranked = g[np.argsort(-s, kind="stable")]
        relevant = ranked > 0
        r = int(relevant.sum())
        for k in ks:
            per.setdefault(f"precision_at_k@{k}", []).append(relevant[:k].sum() / k)
            if r == 0:
                continue
            per.setdefault(f"recall_at_k@{k}", []).append(relevant[:k].sum() / r)
            if g.size == 1:
                per.setdefault(f"ndcg@{k}", []).append(1.0)
            else:
                per.setdefault(f"ndcg@{k}", []).append(ndcg_score([g], [s], k=k))
        if r:
            per.setdefault("mrr", []).append(1.0 / (np.flatnonzero(relevant)[0] + 1))
            per.setdefault("map", []).append(average_precision_score(g > 0, s))
    return {name: float(np.mean(values)) for name, values in per.items()}


def random_window(seed: int, queries: int = 300) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 30, queries)
    query = np.repeat(rng.permutation(queries) * 7 + 3, sizes)  # sparse, unordered keys
    n = query.size
    grade = rng.integers(0, 4, n).astype(np.float64) * (rng.random(n) < 0.4)  # mostly 0
    score = grade * rng.uniform(0.0, 1.0) + rng.normal(0.0, 1.0, n)  # informative, no ties
    grade[rng.random(n) < 0.3] = np.nan  # unlabelled items
    grade[np.isin(query, query[rng.random(n) < 0.02])] = np.nan  # whole queries unlabelled
    shuffle = rng.permutation(n)
    return query[shuffle], score[shuffle], grade[shuffle]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_matches_a_query_by_query_reference(seed: int) -> None:
    query, score, grade = random_window(seed)
    got = ranking_metrics(score_queries(query, score, grade, KS))
    expected = reference_metrics(query, score, grade, KS)
    assert set(got) == set(expected)
    for name, value in expected.items():
        assert got[name].value == pytest.approx(value, abs=1e-12), name
    labelled_queries = len({q for q, g in zip(query, grade, strict=True) if np.isfinite(g)})
    assert got["precision_at_k@3"].n == labelled_queries


@pytest.mark.parametrize("decimals", [None, 1])  # 1: many tied scores
def test_huge_query_keys_and_the_unpacked_sort_agree(
    monkeypatch: pytest.MonkeyPatch, decimals: int | None
) -> None:
    query, score, grade = random_window(4)
    if decimals is not None:
        score = np.round(score, decimals)
    packed = ranking_metrics(score_queries(query, score, grade, KS))
    sparse = ranking_metrics(score_queries(query * 2**40, score, grade, KS))  # made dense
    monkeypatch.setattr(ranking, "PACKED", 1)  # nothing fits: plain lexsorts
    unpacked = ranking_metrics(score_queries(query, score, grade, KS))
    for name, estimate in packed.items():
        assert sparse[name].value == pytest.approx(estimate.value, abs=1e-12)
        assert unpacked[name].value == pytest.approx(estimate.value, abs=1e-12)


@pytest.mark.parametrize(
    ("score", "grade", "expected"),
    [
        # ties rank the less relevant first: constant scores give the worst order
        ([0.5, 0.5, 0.5], [1.0, 0.0, 0.0], {"mrr": 1 / 3, "precision_at_k@1": 0.0}),
        # the best item first: every metric is perfect
        ([0.9, 0.5, 0.1], [2.0, 1.0, 0.0], {"ndcg@3": 1.0, "mrr": 1.0, "map": 1.0}),
        # no relevant item: only precision is defined (0)
        ([0.9, 0.5, 0.1], [0.0, 0.0, 0.0], {"precision_at_k@1": 0.0, "mrr": math.nan}),
        # a negative grade counts as unlabelled (not relevant); an item without a score is
        # left out: the relevant item is second
        ([0.9, math.nan, 0.1], [-1.0, 5.0, 1.0], {"mrr": 0.5, "recall_at_k@1": 0.0}),
    ],
)
def test_edge_cases(score: list[float], grade: list[float], expected: dict[str, float]) -> None:
    got = ranking_metrics(
        score_queries(np.zeros(3, dtype=np.int64), np.array(score), np.array(grade), (1, 3))
    )
    for name, value in expected.items():
        assert got[name].value == pytest.approx(value, nan_ok=True), name


def test_no_labelled_query_is_undefined() -> None:
    got = ranking_metrics(score_queries(np.array([0, 1]), np.ones(2), np.full(2, np.nan), (5,)))
    assert all(math.isnan(e.value) and e.n == 0 for e in got.values())


def ranking_config(k: tuple[int, ...] = (5, 10), **keys: Any) -> Any:
    ranking = {"query": "query", "k": list(k)}
    return config("ranking", segments=["query", "country"], ranking=ranking, **keys)


def test_ranking_samples_overall_and_per_version() -> None:
    query, score, grade = random_window(7, queries=200)
    n = query.size
    versions = np.where(query % 2 == 0, "v1", "v2").tolist()  # a query is served by one version
    meta = meta_table(
        n,
        prediction=score,
        versions=versions,
        segments={"query": [f"q{q}" for q in query], "country": ["DE"] * n},
    )
    labelled = np.flatnonzero(np.isfinite(grade))
    labels = labels_table([f"r{i}" for i in labelled], [f"{grade[i]:g}" for i in labelled])
    model = ranking_config(k=(3,))
    samples = performance_samples(
        SCOPE, model, meta, labels, AFTER, group_rows(meta.column("model_version"), "model_version")
    )
    ndcg = one(samples, "ndcg", k="3")
    assert ndcg.value == pytest.approx(reference_metrics(query, score, grade, (3,))["ndcg@3"])
    assert ndcg.details["n_queries"] == ndcg.details["n"] > 20
    assert ndcg.status is Status.OK  # most items are labelled
    assert ndcg.details["label_coverage"] > 0.5
    # below the coverage the performance section asks for, the same values are provisional
    strict = ranking_config(k=(3,), performance={"min_label_coverage": 0.9})
    provisional = one(performance_samples(SCOPE, strict, meta, labels, AFTER), "ndcg", k="3")
    assert (provisional.value, provisional.status) == (ndcg.value, Status.PROVISIONAL)
    for version in ("v1", "v2"):
        mine = np.array(versions) == version
        expected = reference_metrics(query[mine], score[mine], grade[mine], (3,))
        assert one(samples, "map", model_version=version).value == pytest.approx(expected["map"])
        got = one(samples, "recall_at_k", k="3", model_version=version).value
        assert got == pytest.approx(expected["recall_at_k@3"])


def test_statuses_follow_queries_and_coverage() -> None:
    # 10 queries of 4 items, all labelled: too few queries to judge
    meta = meta_table(
        40,
        prediction=np.tile([0.9, 0.5, 0.3, 0.1], 10).tolist(),
        segments={"query": [f"q{i // 4}" for i in range(40)], "country": ["DE"] * 40},
    )
    labels = labels_table(ids(40), ["1", "0", "0", "0"] * 10)
    samples = performance_samples(SCOPE, ranking_config(), meta, labels, AFTER)
    assert one(samples, "mrr").value == 1.0
    assert one(samples, "mrr").status is Status.INSUFFICIENT
    assert {s.labels["k"] for s in find(samples, "ndcg")} == {"5", "10"}


def test_window_ignores_the_query_segment_as_breakdown_and_feature() -> None:
    rng = np.random.default_rng(3)
    n = 400
    ref = build_profile(
        pa.table(
            {"x": rng.normal(size=1_000), "query": ["a"] * 1_000, "prediction": rng.random(1_000)}
        )
    )
    meta = meta_table(
        n,
        prediction=rng.random(n),
        versions=["v1", "v2"] * (n // 2),
        segments={"query": [f"q{i // 8}" for i in range(n)], "country": ["DE", "US"] * (n // 2)},
    )
    features = pa.table({"x": rng.normal(size=n), "query": [f"q{i // 8}" for i in range(n)]})
    labels = labels_table(ids(n), [str(int(i % 8 == 0)) for i in range(n)])
    outcomes = pa.table({"id": pa.array([], pa.string()), "name": pa.array([], pa.string())})
    model = ranking_config(drift_breakdown=["model_version", "country"])
    result = evaluate_window("m", model, ref, (START, END), features, meta, labels, outcomes, AFTER)
    assert not [s for s in result.samples if s.labels.get("segment") == "query"]
    assert not find(result.samples, "feature_drift", feature="query")
    assert find(result.samples, "feature_drift", feature="x", segment="country")
    assert one(result.samples, "mrr").status is Status.OK


@pytest.mark.parametrize(
    ("keys", "path"),
    [
        ({"ranking": {"query": "nope"}}, "models.m.ranking.query"),  # not a segment
        ({"ranking": {"query": "query", "k": [0]}}, "models.m.ranking.k"),
        ({"drift_breakdown": ["region"]}, "models.m.drift_breakdown.0"),  # unknown segment
        (
            {"drift_breakdown": ["query"], "ranking": {"query": "query"}},
            "models.m.drift_breakdown.0",
        ),  # the query is no breakdown
    ],
)
def test_bad_keys_are_named(keys: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigError, match=path.replace(".", r"\.")):
        config("ranking", segments=["query"], **keys)
