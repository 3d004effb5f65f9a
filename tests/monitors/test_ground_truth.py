"""Ground-truth validation of one window's labels: invalid labels per task, duplicates and
annotator agreement, and the labels table as the store hands it over."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from monitor_helpers import END, START, config, one

from watchkeeper.ingest.layout import LABELS_SCHEMA, Kind
from watchkeeper.ingest.payload import EventBatch
from watchkeeper.monitors.base import Status
from watchkeeper.monitors.ground_truth import MIN_REPEATED, ground_truth_samples
from watchkeeper.monitors.scope import Scope
from watchkeeper.profiles.dataset import DatasetProfile, build_profile
from watchkeeper.store.duckdb_store import DuckDBStore

SCOPE = Scope("m", START, END, {"window": "1h"})
BINARY_REF = build_profile(pa.table({"label": [0, 1, 1, 0]}))  # categories "0" and "1"
CLASSES_REF = build_profile(pa.table({"label": ["cat", "dog", "eel"]}))
FLOAT_REF = build_profile(pa.table({"label": [0.0, 1.0, 0.5]}))  # numeric: no label set
NO_REF = build_profile(pa.table({"x": [1.0, 2.0]}))


def labels(
    values: list[Any], counts: list[int] | None = None, distinct: list[int] | None = None
) -> pa.Table:
    columns: dict[str, Any] = {
        "id": [f"r{i}" for i in range(len(values))],
        "label": pa.array([None if v is None else str(v) for v in values], pa.string()),
    }
    if counts is not None:
        columns["labels"] = pa.array(counts, pa.int64())
        columns["label_values"] = pa.array(distinct or [1] * len(values), pa.int64())
    return pa.table(columns)


@pytest.mark.parametrize(
    ("task", "keys", "reference", "values", "invalid", "examples"),
    [
        # classification: the reference's label categories are the label set
        ("binary_classification", {}, BINARY_REF, ["0", "1", "1", "yes"], 1, [("r3", "yes")]),
        ("multiclass_classification", {}, CLASSES_REF, ["cat", "Dog", "eel", "emu"], 2,
         [("r1", "Dog"), ("r3", "emu")]),
        # binary without a categorical label column: what performance can read as 0 or 1
        ("binary_classification", {}, FLOAT_REF, ["1", "No", " true", "maybe"], 1,
         [("r3", "maybe")]),
        # ... and with positive_label every other value is a negative: nothing is invalid
        ("binary_classification", {"performance": {"positive_label": "fraud"}}, NO_REF,
         ["fraud", "ok", "maybe"], 0, []),
        # regression and ranking: anything but a finite number
        ("regression", {}, FLOAT_REF, ["1.5", "nan", "inf", "n/a", "-3"], 3,
         [("r1", "nan"), ("r2", "inf"), ("r3", "n/a")]),
        ("ranking", {}, NO_REF, ["0", "2", "true"], 1, [("r2", "true")]),
    ],
)  # fmt: skip
def test_invalid_labels(
    task: str,
    keys: dict[str, Any],
    reference: DatasetProfile,
    values: list[str],
    invalid: int,
    examples: list[tuple[str, str]],
) -> None:
    samples = ground_truth_samples(SCOPE, config(task, **keys), reference, labels(values))
    count, ratio = one(samples, "label_invalid_count"), one(samples, "label_invalid_ratio")
    assert (count.value, count.status) == (invalid, Status.OK)
    assert ratio.value == pytest.approx(invalid / len(values))
    assert [(e["id"], e["label"]) for e in count.details["examples"]] == examples
    assert count.labels == {"window": "1h", "monitor": "ground_truth"}


def test_invalid_examples_are_capped_at_ten() -> None:
    samples = ground_truth_samples(SCOPE, config(), BINARY_REF, labels(["x"] * 25 + ["1"] * 75))
    count = one(samples, "label_invalid_count")
    assert count.value == 25 and len(count.details["examples"]) == 10
    assert one(samples, "label_invalid_ratio").value == 0.25


def test_multiclass_without_a_label_set_cannot_be_judged() -> None:
    samples = ground_truth_samples(
        SCOPE, config("multiclass_classification"), NO_REF, labels(["cat"])
    )
    for name in ("label_invalid_count", "label_invalid_ratio"):
        sample = one(samples, name)
        assert sample.status is Status.INSUFFICIENT and math.isnan(sample.value)
        assert "no categorical label column" in sample.details["reason"]


@pytest.mark.parametrize(
    ("counts", "distinct", "duplicates", "agreement", "status"),
    [
        ([1, 1, 1], [1, 1, 1], 0, math.nan, Status.INSUFFICIENT),  # nobody labelled twice
        ([2, 3, 1, 1], [1, 2, 1, 1], 2, 0.5, Status.PROVISIONAL),  # too few to judge
        ([2] * MIN_REPEATED, [1] * 8 + [2] * 2, MIN_REPEATED, 0.8, Status.OK),
        ([4] * 20 + [1] * 5, [1] * 20 + [1] * 5, 20, 1.0, Status.OK),  # all annotators agree
    ],
)  # fmt: skip
def test_duplicates_and_agreement(
    counts: list[int], distinct: list[int], duplicates: int, agreement: float, status: Status
) -> None:
    table = labels(["1"] * len(counts), counts, distinct)
    samples = ground_truth_samples(SCOPE, config(), BINARY_REF, table)
    dup = one(samples, "label_duplicate_count")
    assert (dup.value, dup.status) == (duplicates, Status.OK)
    rate = one(samples, "label_agreement_rate")
    assert rate.status is status
    assert math.isnan(rate.value) if math.isnan(agreement) else rate.value == agreement
    assert rate.details["repeated"] == duplicates
    disagreeing = [
        f"r{i}" for i, (c, d) in enumerate(zip(counts, distinct, strict=True)) if c > 1 and d > 1
    ]
    assert rate.details["examples"] == disagreeing[:10]


def test_a_window_without_labels_has_nothing_to_validate() -> None:
    samples = ground_truth_samples(SCOPE, config(), BINARY_REF, labels([], [], []))
    assert len(samples) == 4
    assert all(s.status is Status.INSUFFICIENT and math.isnan(s.value) for s in samples)


def test_labels_without_per_id_counts_leave_duplicates_unjudged() -> None:
    samples = ground_truth_samples(SCOPE, config(), BINARY_REF, labels(["1", "0"]))
    assert one(samples, "label_invalid_count").value == 0
    assert one(samples, "label_duplicate_count").status is Status.INSUFFICIENT
    assert one(samples, "label_agreement_rate").status is Status.INSUFFICIENT


def test_the_store_labels_table_feeds_the_monitor(tmp_path: Path) -> None:
    sent = [("a", "1"), ("a", "1"), ("b", "0"), ("b", "1"), ("c", "spam")]
    at = [START + timedelta(minutes=i) for i in range(len(sent))]
    table = pa.table(
        {"id": [i for i, _ in sent], "label": [v for _, v in sent], "timestamp": at,
         "received_at": at},
        schema=LABELS_SCHEMA,
    )  # fmt: skip
    store = DuckDBStore(tmp_path / "watchkeeper.duckdb")
    try:
        store.apply([EventBatch("m", Kind.LABELS, table.num_rows, table)], through=10)
        latest = store.labels_for("m", pa.array(["a", "b", "c"]))
    finally:
        store.close()
    samples = ground_truth_samples(SCOPE, config(), BINARY_REF, latest)
    assert one(samples, "label_invalid_count").value == 1
    assert one(samples, "label_duplicate_count").value == 2
    agreement = one(samples, "label_agreement_rate")
    assert (agreement.value, agreement.details["examples"]) == (0.5, ["b"])
