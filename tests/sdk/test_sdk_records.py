"""Raw logged tuples become API records: accepted forms are normalised, anything else is counted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchkeeper.sdk.records import Kind, encode_batch

P, L, OUT = Kind.PREDICTIONS, Kind.LABELS, Kind.OUTCOMES


def prediction(**fields: Any) -> tuple[Any, ...]:
    base: dict[str, Any] = {
        "timestamp": 0.0, "id": "r", "features": {"x": 1}, "prediction": 1, "scores": None,
        "latency_ms": None, "model_version": None, "segment": None, "error": None,
    }  # fmt: skip
    base.update(fields)
    return (P, "m", *base.values())


def encoded(raw: tuple[Any, ...]) -> dict[str, Any]:
    batch = encode_batch([raw])
    assert batch.rejected == 0, batch.first_error
    (record,) = json.loads(batch.body)
    return dict(record)


@pytest.mark.parametrize(
    ("timestamp", "wire"),
    [
        (1_767_225_600, 1_767_225_600.0),  # epoch seconds, int
        (1_767_225_600.5, 1_767_225_600.5),  # epoch seconds, float
        (np.float64(1_767_225_600.0), 1_767_225_600.0),  # a numpy float
        (datetime(2026, 1, 1, 1), 1_767_229_200.0),  # naive datetimes are UTC
        (datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))), 1_767_225_600.0),
        (datetime(2026, 1, 1, tzinfo=UTC), 1_767_225_600.0),
        ("2026-01-01T02:00:00+02:00", 1_767_225_600.0),  # ISO 8601 text
        ("2026-01-01T00:00:00Z", 1_767_225_600.0),
        (0, 0.0),  # the first instant the API takes
    ],
)
def test_timestamps_are_sent_as_epoch_seconds(timestamp: Any, wire: float) -> None:
    assert encoded(prediction(timestamp=timestamp))["timestamp"] == wire


@pytest.mark.parametrize(
    "timestamp",
    [
        -1.0,  # before 1970: the API refuses it, and with it the whole batch
        253_402_300_800,  # the year 10000
        float("nan"),
        "yesterday",
        True,
        [2026, 1, 1],
    ],
)
def test_times_the_api_would_refuse_reject_only_their_record(timestamp: Any) -> None:
    batch = encode_batch([prediction(timestamp=timestamp), prediction(id="fine")])
    assert (batch.count, batch.rejected) == (1, 1)
    assert batch.first_error is not None and "timestamp" in batch.first_error


def test_a_prediction_may_be_missing_when_the_call_failed() -> None:
    record = encoded(prediction(prediction=None, error="model timed out"))
    assert record["prediction"] is None and record["error"] == "model timed out"


def test_numpy_and_decimal_values_become_plain_json() -> None:
    record = encoded(
        prediction(
            features={
                "a": np.int64(3),
                "b": np.float32(0.5),
                "c": Decimal("2.5"),
                "d": np.bool_(1),
            },
            prediction=np.float64(0.25),
            segment={"region": np.str_("north")},
            scores=np.array([0.25, 0.75]),
            latency_ms=np.float32(4.0),
        )
    )
    assert record["features"] == {"a": 3, "b": 0.5, "c": 2.5, "d": True}
    assert record["prediction"] == 0.25 and record["scores"] == [0.25, 0.75]
    assert record["latency_ms"] == 4.0 and record["segment"] == {"region": "north"}


def test_non_finite_feature_values_are_sent_as_null() -> None:
    assert encoded(prediction(features={"x": float("nan")}))["features"] == {"x": None}


def test_the_first_bad_record_is_named_in_the_reason() -> None:
    batch = encode_batch(
        [
            prediction(id="ok"),
            prediction(id="bad-1", latency_ms="slow"),
            (L, "m", 0.0, "bad-2", None),
        ]
    )
    assert (batch.count, batch.rejected) == (1, 2)
    assert batch.first_error == (
        "predictions record id 'bad-1': latency_ms: must be a finite number >= 0 (got 'slow')"
    )


def test_outcome_values_are_numbers() -> None:
    raws = [(OUT, "m", 0.0, "r", "churned", True), (OUT, "m", 0.0, "r", "revenue", 7)]
    batch = encode_batch(raws)
    assert [r["value"] for r in json.loads(batch.body)] == [1.0, 7.0]  # the API takes numbers


anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.binary(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.one_of(st.text(max_size=3), st.integers()), st.integers(), max_size=3),
    st.datetimes(),
    st.just(object()),
)


@given(st.lists(st.tuples(st.sampled_from([P, L, OUT]), anything, anything, anything,
                          anything, anything, anything), max_size=8))  # fmt: skip
def test_any_arguments_are_either_encoded_or_counted_never_raised(
    raws: list[tuple[Any, ...]],
) -> None:
    padded = [raw + (None,) * 4 if raw[0] is P else raw[: 5 if raw[0] is L else 6] for raw in raws]
    batch = encode_batch(padded)
    assert batch.count + batch.rejected == len(padded)
    assert len(json.loads(batch.body)) == batch.count
