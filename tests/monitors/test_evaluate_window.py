"""One window through every monitor: known answers, breakdowns, empty windows, bad input."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import msgspec
import numpy as np
import pyarrow as pa
import pytest
from monitor_helpers import (
    AFTER,
    END,
    START,
    config,
    find,
    ids,
    labels_table,
    meta_table,
    no_labels,
    one,
    outcomes_table,
)

from watchkeeper.errors import InputError
from watchkeeper.monitors.base import Status
from watchkeeper.monitors.window import WindowResult, evaluate_window
from watchkeeper.profiles.dataset import DatasetProfile, build_profile

ROWS = 2_000
MODEL = config(
    segments=["country"],
    kpis={
        "conversion": {"outcome": "purchase", "aggregate": "rate"},
        "revenue": {"outcome": "purchase", "aggregate": "sum"},
    },
)


def reference() -> DatasetProfile:
    rng = np.random.default_rng(0)
    return build_profile(
        pa.table(
            {
                "age": rng.normal(40.0, 10.0, 4_000),
                "balance": rng.gamma(2.0, 500.0, 4_000),
                "channel": rng.choice(["web", "app", "store"], 4_000),
                "prediction": rng.beta(2.0, 2.0, 4_000),
            }
        )
    )


def evaluate(rows: int = ROWS, now: datetime = AFTER, **kwargs: object) -> WindowResult:
    rng = np.random.default_rng(1)
    features = pa.table(
        {
            "age": rng.normal(40.0, 10.0, rows),
            "balance": rng.gamma(2.0, 500.0, rows) * 2.0,  # doubled: drifted
            "channel": rng.choice(["web", "app", "store"], rows),
        }
    )
    score = rng.beta(2.0, 2.0, rows)
    versions = rng.choice(["v1", "v2"], rows).tolist()
    meta = meta_table(
        rows,
        prediction=score,
        versions=versions,
        segments={"country": rng.choice(["US", "DE"], rows).tolist()},
        latency=rng.lognormal(3.0, 0.5, rows),
        seconds_apart=3600 / max(rows, 1),
    )
    labelled = [i for i in range(rows) if i % 5 < 3]  # 60%
    truth = ["1" if rng.random() < score[i] else "0" for i in labelled]
    labels = labels_table([f"r{i}" for i in labelled], truth, 120.0, 3600 / max(rows, 1))
    # v2 converts far less often than v1
    events = [
        (f"r{i}", "purchase", 30.0)
        for i, v in enumerate(versions)
        if i % (5 if v == "v1" else 50) == 0
    ]
    return evaluate_window(
        "credit",
        MODEL,
        reference(),
        (START, END),
        features,
        meta,
        labels,
        outcomes_table(events),
        now,
        **kwargs,  # type: ignore[arg-type]
    )


def test_known_answers() -> None:
    result = evaluate()
    samples = result.samples
    drift = {s.labels["feature"]: s.status for s in find(samples, "feature_drift")}
    assert drift == {"age": Status.OK, "balance": Status.BREACH, "channel": Status.OK}
    assert one(samples, "prediction_drift", test="wasserstein").status is Status.OK
    assert one(samples, "prediction_count").value == ROWS
    assert one(samples, "label_coverage").value == pytest.approx(0.6)
    assert one(samples, "label_delay_seconds", quantile="0.5").value == pytest.approx(120.0)
    assert one(samples, "accuracy").status is Status.OK
    v1 = one(samples, "kpi", kpi="conversion", model_version="v1").value
    v2 = one(samples, "kpi", kpi="conversion", model_version="v2").value
    assert v1 > 5 * v2
    assert result.profile.rows == ROWS
    assert result.latency.count == ROWS


def test_every_sample_is_labelled_and_distinct() -> None:
    samples = evaluate().samples
    assert all(s.model == "credit" and s.labels["window"] == "1h" for s in samples)
    assert all((s.window_start, s.window_end) == (START, END) for s in samples)
    keys = [s.series_key for s in samples]
    assert len(keys) == len(set(keys))
    monitors = {s.labels["monitor"] for s in samples}
    assert monitors == {"drift", "quality", "operations", "performance", "ground_truth",
                        "business"}
    # breakdowns by version for operations, performance and business; never for data
    by_version = {s.labels["monitor"] for s in samples if "model_version" in s.labels}
    assert by_version == {"operations", "performance", "business"}
    by_segment = {s.labels["monitor"] for s in samples if "segment" in s.labels}
    assert by_segment == {"business"}


def test_samples_are_plain_json() -> None:
    # no numpy scalar or array may leak into values or details: stores and exporters write JSON
    samples = evaluate().samples
    decoded = msgspec.json.decode(msgspec.json.encode([s.to_dict() for s in samples]))
    assert len(decoded) == len(samples)
    assert all(type(s.value) is float for s in samples)


def test_duration_label_is_passed_in_or_derived() -> None:
    assert evaluate(duration="60m").samples[0].labels["window"] == "60m"


def test_open_window_throughput_counts_elapsed_time() -> None:
    half = START + timedelta(minutes=30)
    rate = one(evaluate(rows=900, now=half).samples, "throughput_per_second")
    assert rate.value == pytest.approx(900 / 1800)
    assert rate.details["window_open"] is True


def test_empty_window_gives_insufficient_samples() -> None:
    features = pa.table(
        {
            "age": pa.array([], pa.float64()),
            "balance": pa.array([], pa.float64()),
            "channel": pa.array([], pa.string()),
        }
    )
    result = evaluate_window(
        "credit",
        MODEL,
        reference(),
        (START, END),
        features,
        meta_table(0),
        no_labels(),
        outcomes_table([]),
        AFTER,
    )
    defined = {"prediction_count", "throughput_per_second"}  # counts of nothing are 0
    for sample in result.samples:
        if sample.name in defined or sample.details.get("aggregate") == "sum":
            assert (sample.value, sample.status) == (0.0, Status.OK), sample
        else:
            assert sample.status is Status.INSUFFICIENT, sample
            assert math.isnan(sample.value), sample
    names = {s.name for s in result.samples}
    assert {"feature_drift", "accuracy", "latency_seconds", "kpi", "error_rate"} <= names
    assert result.latency.count == 0


def test_windows_merge() -> None:
    first, second = evaluate(rows=500), evaluate(rows=700)
    assert (first.profile + second.profile).rows == 1_200
    assert (first.latency + second.latency).count == 1_200


@pytest.mark.parametrize(
    ("window", "now", "rows", "message"),
    [
        ((START, START), AFTER, (3, 3), "after its start"),  # an empty interval
        ((START.replace(tzinfo=None), END), AFTER, (3, 3), "timezone-aware"),
        ((START, END), AFTER.replace(tzinfo=None), (3, 3), "now must be"),
        ((START, END), AFTER, (2, 3), "same predictions"),  # features and meta disagree
    ],
)
def test_bad_input_is_named(
    window: tuple[datetime, datetime], now: datetime, rows: tuple[int, int], message: str
) -> None:
    features = pa.table({"age": [1.0] * rows[0]})
    with pytest.raises(InputError, match=message):
        evaluate_window(
            "credit",
            MODEL,
            reference(),
            window,
            features,
            meta_table(rows[1]),
            labels_table(ids(1), ["1"]),
            outcomes_table([]),
            now,
        )
