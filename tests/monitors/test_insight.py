"""Drift drivers and performance slices through a real store, as the service evaluates them.

The credit simulation shifts ``income`` (which the model uses) and adds an ``employment`` value
``gig`` (which the model treats like any other non-student) on day two: both features drift,
but only income moves the score, so income leads the drivers and explains most of the change;
``region``, which the model never reads, is low impact."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper.errors import ConfigError
from watchkeeper.ingest.layout import Kind
from watchkeeper.ingest.payload import EventBatch
from watchkeeper.ingest.records import BatchDecoder
from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.monitors.evaluator import Evaluator
from watchkeeper.monitors.insight import ModelInsight, insight_samples
from watchkeeper.monitors.scope import Scope
from watchkeeper.runtime import load_runtimes
from watchkeeper.settings import parse_service_config
from watchkeeper.simulate import CreditSimulation
from watchkeeper.store.duckdb_store import DuckDBStore

T0 = datetime(2026, 3, 2, tzinfo=UTC)
DAY = timedelta(days=1)
TICK = timedelta(hours=6)


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> list[MetricSample]:
    root = tmp_path_factory.mktemp("insight")
    # the relation itself changes in the last window: its performance drops
    sim = CreditSimulation(seed=7, drift_start=T0 + DAY, decay_start=T0 + 2 * DAY - TICK)
    pq.write_table(pa.table(sim.reference_table(5000)), root / "reference.parquet")
    model = {"task": "binary_classification", "reference": "reference.parquet",
             "prediction": "score", "label": "label", "windows": ["6h"]}  # fmt: skip
    config = parse_service_config({"store": "wk", "models": {"credit": model}}, str(root))
    runtimes = load_runtimes(config)
    store = DuckDBStore(root / "wk" / "watchkeeper.duckdb")
    evaluator = Evaluator(runtimes, store)
    decoder = BatchDecoder(runtimes["credit"].config, runtimes["credit"].schema)
    tick = T0
    while tick < T0 + 2 * DAY:
        predictions, labels = sim.generate(tick, tick + TICK, 400)
        batches = []
        for kind, records in ((Kind.PREDICTIONS, predictions), (Kind.LABELS, labels)):
            decoded = decoder.decode(kind, json.dumps(records).encode(), ndjson=False, now=tick)
            table = pa.Table.from_batches([decoded.batch])
            batches.append(EventBatch("credit", kind, table.num_rows, table))
        store.apply(batches, store.applied_offset() + 1)
        tick += TICK
        evaluator.evaluate(tick)
    samples = store.samples("credit")
    store.close()
    return samples


def test_drivers_rank_the_feature_the_model_uses_above_the_one_it_ignores(
    evaluated: list[MetricSample],
) -> None:
    drivers = [s for s in evaluated if s.name == "drift_drivers"]
    assert drivers, "no window after the shift has drivers"
    assert all(s.window_start >= T0 + DAY for s in drivers)  # only windows whose drift breached
    for sample in drivers:
        ranked = {d["feature"]: (i, d) for i, d in enumerate(sample.details["drivers"])}
        income, employment = ranked["income"], ranked["employment"]
        assert income[1]["drifted"] and employment[1]["drifted"]
        assert income[0] < employment[0]
        assert income[1]["impact"] == "high" and employment[1]["impact"] != "high"
        assert income[1]["explained_share"] > 0.8 > 0.2 > employment[1]["explained_share"]
        assert ranked["region"][1]["impact"] == "low"
        assert sample.details["importance_source"] == "surrogate"
        assert sample.value >= 1  # income is not low impact


def test_slices_come_with_windows_whose_performance_dropped(
    evaluated: list[MetricSample],
) -> None:
    slices = [s for s in evaluated if s.name == "performance_slices"]
    auc = {s.window_start: s for s in evaluated if s.name == "roc_auc"
           and not s.labels.get("model_version")}  # fmt: skip
    dropped = {
        start for start, s in auc.items()
        if s.value <= 0.95 * s.details["reference"]
    }  # fmt: skip
    assert T0 + 2 * DAY - TICK in dropped  # the decayed window
    assert {s.window_start for s in slices} == dropped
    for sample in slices:
        assert sample.details["metric"] == "accuracy"
        assert sample.details["rows"] >= 100
        for item in sample.details["slices"]:
            assert item["metric"] < item["overall"]  # worse than the window as a whole
            assert item["impact"] > 0


def test_a_degraded_segment_ranks_first() -> None:
    rng = np.random.default_rng(3)
    n = 4000
    x = rng.normal(size=n)
    score = 1 / (1 + np.exp(-2 * x))
    config = parse_service_config({"models": {"m": {
        "task": "binary_classification", "prediction": "score", "label": "y",
        "segments": ["country"]}}}).models["m"]  # fmt: skip
    reference = pa.table({"x": x, "score": score, "y": (rng.random(n) < score).astype(int)})
    insight = ModelInsight(config, reference, ["x"])
    country = rng.choice(["de", "fr", "us"], n)
    y = (rng.random(n) < score).astype(int)
    y[country == "fr"] = 1 - y[country == "fr"]  # the model is wrong for France
    ids = [str(i) for i in range(n)]
    meta = pa.table({"id": ids, "prediction": score, "segment.country": country})
    labels = pa.table({"id": ids, "label": y.astype(str)})
    scope = Scope("m", T0, T0 + TICK, {"window": "6h"})
    dropped = scope.sample("roc_auc", {"monitor": "performance"}, 0.6, Status.OK,
                           {"reference": 0.8})  # fmt: skip
    assert not [s for s in insight_samples(insight, scope, pa.table({"x": x}), meta, labels, [])
                if s.name == "performance_slices"]  # no drop: nothing to trace  # fmt: skip
    found = insight_samples(insight, scope, pa.table({"x": x}), meta, labels, [dropped])
    [sliced] = [s for s in found if s.name == "performance_slices"]
    top = sliced.details["slices"][0]
    assert (top["column"], top["value"]) == ("segment.country", "fr")
    assert sliced.value == top["impact"] > 0.1
    assert sliced.status is Status.OK


def test_estimates_follow_the_realized_metrics(evaluated: list[MetricSample]) -> None:
    estimated = {s.window_start: s for s in evaluated if s.name == "estimated_roc_auc"}
    assert len(estimated) == 8
    errors = {s.window_start: s for s in evaluated if s.name == "estimation_error"
              and s.labels["metric"] == "roc_auc"}  # fmt: skip
    inside = 0
    for start, sample in estimated.items():
        d = sample.details
        assert sample.labels["monitor"] == "estimated_performance"
        assert d["lower"] <= sample.value <= d["upper"]
        assert "no concept drift" in d["assumption"]
        if "realized" in d:  # labels arrived with the predictions: every window is final
            inside += d["lower"] <= d["realized"] <= d["upper"]
            assert errors[start].value == pytest.approx(sample.value - d["realized"])
    assert inside >= 7


def test_regression_and_multiclass_estimates() -> None:
    rng = np.random.default_rng(11)
    n = 6000
    x = rng.normal(size=n)
    noise = 0.2 + 0.8 * np.abs(x)  # the further out, the larger the error
    y = 2 * x + rng.normal(0, noise)
    reference = pa.table({"x": x, "y_hat": 2 * x, "y": y})
    config = parse_service_config({"models": {"m": {
        "task": "regression", "prediction": "y_hat", "label": "y"}}}).models["m"]  # fmt: skip
    insight = ModelInsight(config, reference, ["x"])
    scope = Scope("m", T0, T0 + TICK, {"window": "6h"})

    def mae(shift: float) -> MetricSample:
        current = rng.normal(shift, 1, 3000)
        meta = pa.table({"id": [str(i) for i in range(3000)], "prediction": 2 * current})
        found = insight_samples(insight, scope, pa.table({"x": current}), meta, pa.table({}), [])
        return next(s for s in found if s.name == "estimated_mae")

    calm, wide = mae(0.0), mae(2.0)
    assert calm.status is Status.OK
    assert wide.status is Status.BREACH and wide.value > 1.5 * calm.value

    classes = np.array(["a", "b", "c"])
    logits = rng.normal(size=(n, 3)) * 2
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    truth = np.array([rng.choice(3, p=row) for row in p])
    reference = pa.table({"f": logits[:, 0], "cls": classes[p.argmax(axis=1)],
                          "label": classes[truth], "p_a": p[:, 0], "p_b": p[:, 1],
                          "p_c": p[:, 2]})  # fmt: skip
    config = parse_service_config({"models": {"m": {
        "task": "multiclass_classification", "prediction": "cls", "label": "label",
        "scores": ["p_a", "p_b", "p_c"]}}}).models["m"]  # fmt: skip
    insight = ModelInsight(config, reference, ["f"])
    meta = pa.table({"id": [str(i) for i in range(2000)], "prediction": classes[p[:2000].argmax(1)],
                     "scores": [list(row) for row in p[:2000]]})  # fmt: skip
    current = pa.table({"f": logits[:2000, 0]})
    found = insight_samples(insight, scope, current, meta, pa.table({}), [])
    accuracy = next(s for s in found if s.name == "estimated_accuracy")
    realized = float((p[:2000].argmax(1) == truth[:2000]).mean())
    assert accuracy.details["lower"] <= realized <= accuracy.details["upper"]


def _correlated(rows: int, rho: float, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=rows)
    x2 = rho * x1 + np.sqrt(1 - rho**2) * rng.normal(size=rows)
    score = 1 / (1 + np.exp(-(x1 + x2)))
    y = (rng.random(rows) < score).astype(int)
    return pa.table({"x1": x1, "x2": x2, "score": score, "y": y})


def test_a_changed_correlation_breaches_multivariate_drift_only() -> None:
    config = parse_service_config({"models": {"m": {
        "task": "binary_classification", "prediction": "score", "label": "y",
        "drift": {"multivariate": ["pca", "domain_classifier"]}}}}).models["m"]  # fmt: skip
    insight = ModelInsight(config, _correlated(6000, 0.9, 1), ["x1", "x2"])
    scope = Scope("m", T0, T0 + TICK, {"window": "6h"})

    def window(rho: float, seed: int) -> dict[str, MetricSample]:
        table = _correlated(3000, rho, seed)
        meta = pa.table({"id": [str(i) for i in range(3000)], "prediction": table["score"]})
        found = insight_samples(insight, scope, table.select(["x1", "x2"]), meta, pa.table({}), [])
        return {s.labels["method"]: s for s in found if s.name == "multivariate_drift"}

    same, flipped = window(0.9, 2), window(-0.9, 3)
    assert {m: s.status for m, s in same.items()} == {"pca": Status.OK,
                                                      "domain_classifier": Status.OK}
    assert {m: s.status for m, s in flipped.items()} == {"pca": Status.BREACH,
                                                         "domain_classifier": Status.BREACH}
    assert flipped["pca"].value > flipped["pca"].details["upper"]
    assert flipped["domain_classifier"].labels["monitor"] == "drift"


def test_before_labels_slices_rank_expected_correctness() -> None:
    rng = np.random.default_rng(5)
    n = 6000
    config = parse_service_config({"models": {"m": {
        "task": "binary_classification", "prediction": "score", "label": "y"}}}).models["m"]
    x = rng.normal(size=n)
    score = 1 / (1 + np.exp(-3 * x))
    reference = pa.table({"x": x, "score": score, "y": (rng.random(n) < score).astype(int)})
    insight = ModelInsight(config, reference, ["x"])
    # the window: France's predictions sit near the decision boundary (uncertain)
    country = rng.choice(["de", "fr"], 3000)
    xw = np.where(country == "fr", rng.normal(0, 0.1, 3000), rng.normal(0, 2, 3000))
    meta = pa.table({"id": [str(i) for i in range(3000)],
                     "prediction": 1 / (1 + np.exp(-3 * xw)), "segment.country": country})
    scope = Scope("m", T0, T0 + TICK, {"window": "6h"})
    dropped = scope.sample("roc_auc", {"monitor": "performance"}, 0.7, Status.PROVISIONAL,
                           {"reference": 0.9})  # fmt: skip
    found = insight_samples(insight, scope, pa.table({"x": xw}), meta, pa.table({}), [dropped])
    [sliced] = [s for s in found if s.name == "performance_slices"]
    assert sliced.details["metric"] == "expected_accuracy"
    top = sliced.details["slices"][0]
    assert top["column"] in ("segment.country", "x")
    assert any(s["column"] == "segment.country" and s["value"] == "fr"
               for s in sliced.details["slices"])  # fmt: skip


@pytest.mark.parametrize(
    ("root_cause", "message"),
    [
        # an importance for a column the model does not have
        ({"importances": {"salary": 1.0}},
         "models.credit.root_cause.importances.salary: not a feature of the model"),
        # an attribution column the reference file lacks
        ({"attributions": {"income": "shap_income"}},
         "models.credit.root_cause.attributions.income: no such column in the reference file"),
    ],
)  # fmt: skip
def test_root_cause_keys_are_checked_when_the_config_loads(
    tmp_path_factory: pytest.TempPathFactory, root_cause: dict[str, Any], message: str
) -> None:
    root = tmp_path_factory.mktemp("config")
    pq.write_table(pa.table(CreditSimulation(seed=1).reference_table(500)),
                   root / "reference.parquet")  # fmt: skip
    model = {"task": "binary_classification", "reference": "reference.parquet",
             "prediction": "score", "label": "label", "root_cause": root_cause}  # fmt: skip
    config = parse_service_config({"models": {"credit": model}}, str(root))
    with pytest.raises(ConfigError) as raised:
        load_runtimes(config)
    assert str(raised.value).startswith(message)
