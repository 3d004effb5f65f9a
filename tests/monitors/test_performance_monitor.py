"""Performance with delayed labels: coverage, delay, metric status, per-version breakdown."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pyarrow as pa
import pytest
from monitor_helpers import (
    AFTER,
    END,
    START,
    config,
    ids,
    labels_table,
    meta_table,
    no_labels,
    one,
)

from watchkeeper.monitors.base import Status
from watchkeeper.monitors.performance import performance_samples
from watchkeeper.monitors.scope import Scope, group_rows

SCOPE = Scope("m", START, END, {"window": "1h"})


def _binary_window(n: int, labelled: int) -> tuple[pa.Table, pa.Table]:
    """n predictions alternating 0.8 / 0.2 scores; the first ``labelled`` get a label that
    agrees with the score on 3 rows of 4 for either score (rows 0 and 1 of every 8 disagree)."""
    scores = [0.8 if i % 2 else 0.2 for i in range(n)]
    truth = [
        ("1" if s > 0.5 else "0") if i % 8 >= 2 else ("0" if s > 0.5 else "1")
        for i, s in enumerate(scores)
    ]
    return meta_table(n, prediction=scores), labels_table(ids(n)[:labelled], truth[:labelled])


@pytest.mark.parametrize(
    ("n", "labelled", "minimum", "coverage", "status"),
    [
        (100, 30, 0.5, 0.3, Status.PROVISIONAL),  # 30% labelled, 50% asked: provisional
        (100, 60, 0.5, 0.6, Status.OK),  # enough labels
        (100, 60, 0.7, 0.6, Status.PROVISIONAL),  # a stricter model
        (100, 12, 0.1, 0.12, Status.INSUFFICIENT),  # coverage met, but under 20 rows
        (100, 0, 0.5, 0.0, Status.INSUFFICIENT),  # no labels yet
        (40, 40, 1.0, 1.0, Status.OK),  # everything labelled
    ],
)
def test_coverage_decides_metric_status(
    n: int, labelled: int, minimum: float, coverage: float, status: Status
) -> None:
    meta, labels = _binary_window(n, labelled)
    model = config(performance={"min_label_coverage": minimum})
    samples = performance_samples(SCOPE, model, meta, labels, AFTER)
    cov = one(samples, "label_coverage")
    assert cov.value == pytest.approx(coverage)
    assert cov.status is Status.OK
    assert cov.details["labelled"] == labelled
    accuracy = one(samples, "accuracy")
    assert accuracy.status is status
    assert accuracy.details["n_labelled"] == labelled
    if labelled:
        assert accuracy.value == pytest.approx(0.75, abs=0.1)
        assert accuracy.details["ci_method"] == "wilson"
        assert accuracy.details["ci_low"] <= accuracy.value <= accuracy.details["ci_high"]
    else:
        assert math.isnan(accuracy.value)


def test_label_delay_and_waiting_time() -> None:
    meta = meta_table(200, prediction=[0.9] * 200)
    delays = np.arange(100) * 10.0  # label i arrives 10 * i seconds after its prediction
    labels = labels_table(ids(200)[:100], ["1"] * 100, delays)
    samples = performance_samples(SCOPE, config(), meta, labels, AFTER)
    for q in ("0.5", "0.9", "0.99"):
        delay = one(samples, "label_delay_seconds", quantile=q)
        assert delay.value == pytest.approx(np.quantile(delays, float(q)))
        assert delay.details["n"] == 100
    # the first unlabelled prediction (row 100) was made 100 s after START
    waited = (AFTER - START - timedelta(seconds=100)).total_seconds()
    assert one(samples, "label_coverage").details["oldest_unlabelled_seconds"] == waited


@pytest.mark.parametrize(
    ("labels", "positive", "threshold", "accuracy", "usable"),
    [
        # default positives 1/true/yes, negatives 0/false/no, any case; "maybe" is unusable
        (["1", "TRUE", " yes", "0", "false", "No", "maybe"] * 4, None, 0.5, 6 / 6, 24),
        # a configured positive label: every other value is negative (rows 1, 2, 4 wrong)
        (["fraud", "ok", "ok", "legit", "fraud", "ok", "x"] * 4, "fraud", 0.5, 4 / 7, 28),
        # a high threshold turns the 0.6 score into a negative prediction
        (["1", "1", "1", "0", "0", "0", "0"] * 4, None, 0.65, 6 / 7, 28),
    ],
)
def test_binary_labels_and_threshold(
    labels: list[str], positive: str | None, threshold: float, accuracy: float, usable: int
) -> None:
    scores = [0.9, 0.8, 0.6, 0.1, 0.2, 0.3, 0.4] * 4
    meta = meta_table(28, prediction=scores)
    model = config(performance={"positive_label": positive, "threshold": threshold})
    samples = performance_samples(SCOPE, model, meta, labels_table(ids(28), labels), AFTER)
    result = one(samples, "accuracy")
    assert result.value == pytest.approx(accuracy)
    assert result.details["n"] == usable


def test_binary_metrics_are_all_there() -> None:
    meta, labels = _binary_window(400, 400)
    samples = performance_samples(SCOPE, config(), meta, labels, AFTER)
    names = {s.name for s in samples}
    assert names == {
        "label_coverage",
        "label_delay_seconds",
        "accuracy",
        "precision",
        "recall",
        "f1",
        "roc_auc",
        "log_loss",
        "calibration_error",
    }
    assert all(s.labels["monitor"] == "performance" for s in samples)
    # calibration: scores 0.8 / 0.2 vs observed 0.75 / 0.25 positives -> 0.05
    assert one(samples, "calibration_error").value == pytest.approx(0.05)


def test_multiclass_with_scores() -> None:
    # class scores come in sorted class order: bird, cat, dog
    predicted = ["cat", "dog", "cat", "bird"] * 10
    truth = ["cat", "dog", "dog", "bird"] * 10
    scores = [[0.1, 0.7, 0.2], [0.1, 0.2, 0.7], [0.2, 0.5, 0.3], [0.6, 0.2, 0.2]] * 10
    meta = meta_table(40, prediction=predicted, scores=scores, string_prediction=True)
    samples = performance_samples(
        SCOPE, config("multiclass_classification"), meta, labels_table(ids(40), truth), AFTER
    )
    assert one(samples, "accuracy").value == pytest.approx(0.75)
    # per class: bird P=R=1; cat P=1/2 R=1; dog P=1 R=1/2
    assert one(samples, "precision").value == pytest.approx((1 + 0.5 + 1) / 3)
    assert one(samples, "recall").value == pytest.approx((1 + 1 + 0.5) / 3)
    expected = -(math.log(0.7) + math.log(0.7) + math.log(0.3) + math.log(0.6)) / 4
    assert one(samples, "log_loss").value == pytest.approx(expected)


def test_multiclass_scores_need_every_class_name() -> None:
    # four scores per row, but the window only shows three classes: which is which is unknown
    meta = meta_table(
        30,
        prediction=["a", "b", "c"] * 10,
        scores=[[0.7, 0.1, 0.1, 0.1]] * 30,
        string_prediction=True,
    )
    labels = labels_table(ids(30), ["a", "b", "c"] * 10)
    model = config("multiclass_classification")
    loss = one(performance_samples(SCOPE, model, meta, labels, AFTER), "log_loss")
    assert loss.status is Status.INSUFFICIENT
    assert "4 entries but 3 classes" in loss.details["note"]
    # with the fourth class known (from the reference), the scores line up
    known = performance_samples(SCOPE, model, meta, labels, AFTER, classes=["a", "b", "c", "d"])
    assert one(known, "log_loss").value == pytest.approx(-(math.log(0.7) + 2 * math.log(0.1)) / 3)


def test_regression() -> None:
    truth = [str(i % 10) for i in range(50)]  # labels 0..9, five of them 0
    predicted = [i % 10 + (1.0 if i % 2 else -1.0) for i in range(50)]  # always 1 off
    meta = meta_table(50, prediction=predicted)
    samples = performance_samples(
        SCOPE, config("regression"), meta, labels_table(ids(50), truth), AFTER
    )
    assert one(samples, "mae").value == pytest.approx(1.0)
    assert one(samples, "rmse").value == pytest.approx(1.0)
    mape = one(samples, "mape")
    assert mape.details["note"] == "5 rows with label 0 left out"
    assert {s.name for s in samples} >= {"mae", "rmse", "mape", "r2"}


def test_breakdown_by_model_version() -> None:
    n = 400
    versions = ["v1" if i % 2 else "v2" for i in range(n)]
    scores = [0.9] * n
    # v1 is right on every row, v2 on every second one
    truth = ["1" if v == "v1" or i % 4 == 0 else "0" for i, v in enumerate(versions)]
    meta = meta_table(n, prediction=scores, versions=versions)
    groups = group_rows(meta.column("model_version"), "model_version")
    samples = performance_samples(SCOPE, config(), meta, labels_table(ids(n), truth), AFTER, groups)
    assert one(samples, "accuracy").value == pytest.approx(0.75)
    assert one(samples, "accuracy", model_version="v1").value == pytest.approx(1.0)
    assert one(samples, "accuracy", model_version="v2").value == pytest.approx(0.5)
    assert one(samples, "label_coverage", model_version="v2").details["predictions"] == 200
    keys = [s.series_key for s in samples]
    assert len(keys) == len(set(keys))  # every breakdown series is distinct


def test_ranking_without_query_ids_gets_coverage_and_delay_only() -> None:
    # ranking metrics need ranking.query (see test_ranking_metrics.py); without it they are
    # insufficient_data and say why
    meta = meta_table(30, prediction=[1.0] * 30)
    samples = performance_samples(
        SCOPE, config("ranking"), meta, labels_table(ids(30), ["1"] * 30), AFTER
    )
    judged = [s for s in samples if s.name not in ("label_coverage", "label_delay_seconds")]
    assert {s.name for s in judged} == {"ndcg", "precision_at_k", "recall_at_k", "mrr", "map"}
    assert all(s.status is Status.INSUFFICIENT for s in judged)
    assert "ranking.query" in judged[0].details["note"]


def test_empty_window() -> None:
    samples = performance_samples(SCOPE, config(), meta_table(0), no_labels(), AFTER)
    assert samples
    assert all(s.status is Status.INSUFFICIENT for s in samples)
