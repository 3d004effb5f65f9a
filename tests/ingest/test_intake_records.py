"""Decoding and validation of intake bodies: every accepted form, every bad field named."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pyarrow as pa
import pytest
from intake_helpers import SCHEMA, START, body, ndjson, prediction, service_config

from watchkeeper.ingest import records
from watchkeeper.ingest.body import BodyError, is_ndjson, unpack_body
from watchkeeper.ingest.layout import Kind
from watchkeeper.ingest.records import MAX_PROBLEMS, BatchDecoder, ValidationFailed
from watchkeeper.schema import ColumnSchema, ColumnType, Schema

US = 1_000_000


def decoder(**model: Any) -> BatchDecoder:
    return BatchDecoder(service_config(**model).models["credit"], SCHEMA)


def decode(records: list[Any], kind: Kind = Kind.PREDICTIONS, **model: Any) -> pa.RecordBatch:
    return decoder(**model).decode(kind, body(records), ndjson=False, now=START).batch


def problems(records: list[Any], kind: Kind = Kind.PREDICTIONS, **model: Any) -> list[dict]:
    with pytest.raises(ValidationFailed) as caught:
        decode(records, kind, **model)
    return caught.value.details()


def test_a_valid_prediction_is_stored_in_the_fixed_layout() -> None:
    record = prediction(segment={"region": "eu", "ignored": "x"}, latency_ms=12,
                        model_version="v2", scores=[0.25, 0.75])
    batch = decode([record])
    assert batch.schema.names == [
        "id", "timestamp", "received_at", "model_version", "segment.region", "prediction",
        "scores", "latency_ms", "error", "age", "plan", "member", "note", "vec", "signup",
    ]
    row = batch.to_pylist()[0]
    assert row["timestamp"].isoformat() == "2026-03-01T11:00:00+00:00"
    assert row["received_at"] == START
    assert (row["segment.region"], row["prediction"], row["scores"]) == ("eu", 0.75, [0.25, 0.75])
    features = (row["age"], row["plan"], row["member"], row["vec"])
    assert features == (41.0, "gold", "true", [0.5, 1.5])
    assert row["signup"].isoformat() == "2025-01-02T03:04:05+00:00"


@pytest.mark.parametrize(
    ("fields", "column", "expected"),
    [
        # no timestamp: the clock's now
        ({"timestamp": None}, "timestamp", START),
        # epoch seconds, fractional
        ({"timestamp": 1772366400.5}, "timestamp", START.replace(microsecond=500_000)),
        # naive ISO timestamps are UTC
        ({"timestamp": "2026-03-01T12:00:00"}, "timestamp", START),
        # offsets are converted to UTC
        ({"timestamp": "2026-03-01T14:00:00+02:00"}, "timestamp", START),
        # integers and booleans in categorical columns are stored by their text
        ({"features": {"plan": 7, "member": False}}, "plan", "7"),
        ({"features": {"plan": 7, "member": False}}, "member", "false"),
        # a missing feature is null
        ({"features": {}}, "age", None),
        # a failed prediction needs no prediction value
        ({"prediction": None, "error": "timeout"}, "prediction", None),
        # booleans are 0/1 predictions for a binary model
        ({"prediction": True}, "prediction", 1.0),
        # a {class: score} mapping is stored in sorted class order
        ({"scores": {"b": 0.2, "a": 0.8}}, "scores", [0.8, 0.2]),
    ],
)
def test_accepted_values(fields: dict[str, Any], column: str, expected: Any) -> None:
    assert decode([prediction(**fields)]).column(column).to_pylist() == [expected]


def test_multiclass_predictions_are_class_names() -> None:
    batch = decode([prediction(prediction="cat"), prediction("p2", prediction=2)],
                   task="multiclass_classification")
    assert batch.schema.field("prediction").type == pa.string()
    assert batch.column("prediction").to_pylist() == ["cat", "2"]


def test_a_feature_named_like_a_reserved_column_is_stored_with_a_prefix() -> None:
    schema = Schema((ColumnSchema("timestamp", ColumnType.NUMERIC),
                     ColumnSchema("segment.x", ColumnType.CATEGORICAL)))
    model = service_config().models["credit"]
    record = prediction(features={"timestamp": 3, "segment.x": "a"})
    batch = BatchDecoder(model, schema).decode(Kind.PREDICTIONS, body([record]), ndjson=False,
                                               now=START).batch
    assert batch.column("feature.timestamp").to_pylist() == [3.0]
    assert batch.column("feature.segment.x").to_pylist() == ["a"]
    assert batch.column("timestamp").to_pylist()[0].year == 2026


def test_unknown_features_are_counted_and_dropped_unless_forbidden() -> None:
    record = prediction(features={"age": 1, "zip": "x", "colour": "red"})
    decoded = decoder().decode(Kind.PREDICTIONS, body([record]), ndjson=False, now=START)
    assert decoded.extra_features == 2
    assert "zip" not in decoded.batch.schema.names
    strict = BatchDecoder(service_config().models["credit"], SCHEMA, forbid_unknown_features=True)
    with pytest.raises(ValidationFailed) as caught:
        strict.decode(Kind.PREDICTIONS, body([record]), ndjson=False, now=START)
    assert [p["field"] for p in caught.value.details()] == ["features.colour", "features.zip"]


def test_labels_are_text_and_outcomes_are_numbers() -> None:
    labels = decode([{"id": "a", "label": 1}, {"id": "b", "label": True},
                     {"id": "c", "label": 1.5}, {"id": "d", "label": "spam"}], Kind.LABELS)
    assert labels.column("label").to_pylist() == ["1", "true", "1.5", "spam"]
    assert labels.schema.names == ["id", "label", "timestamp", "received_at"]
    outcomes = decode([{"id": "a", "name": "revenue", "value": 12}], Kind.OUTCOMES)
    assert outcomes.to_pylist()[0] | {"timestamp": None, "received_at": None} == {
        "id": "a", "name": "revenue", "value": 12.0, "timestamp": None, "received_at": None}


@pytest.mark.parametrize(
    ("records", "kind", "expected"),
    [
        # id is required
        ([{"features": {}}], Kind.PREDICTIONS, [(0, "id", "required")]),
        # an empty id is refused
        ([prediction("")], Kind.PREDICTIONS, [(0, "id", "must not be empty")]),
        # ids are strings
        ([prediction(5)], Kind.PREDICTIONS, [(0, "id", "expected a string, got 5")]),
        # a numeric feature with text in it
        ([prediction(features={"age": "abc"})], Kind.PREDICTIONS,
         [(0, "features.age", "expected a number, got 'abc'")]),
        # categories may not be floats
        ([prediction(features={"plan": 1.5})], Kind.PREDICTIONS,
         [(0, "features.plan", "expected a string, boolean or integer, got 1.5")]),
        # text must be text
        ([prediction(features={"note": 3})], Kind.PREDICTIONS,
         [(0, "features.note", "expected a string, got 3")]),
        # embeddings have the schema's length
        ([prediction(features={"vec": [1, 2, 3]})], Kind.PREDICTIONS,
         [(0, "features.vec", "expected 2 numbers, got 3")]),
        ([prediction(features={"vec": ["a", 1]})], Kind.PREDICTIONS,
         [(0, "features.vec", 'expected an array of numbers, got ["a",1]')]),
        # datetime features take ISO 8601 or epoch seconds
        ([prediction(features={"signup": "yesterday"})], Kind.PREDICTIONS,
         [(0, "features.signup",
           "expected an ISO 8601 timestamp or epoch seconds, got 'yesterday'")]),
        # latency is never negative
        ([prediction(latency_ms=-1)], Kind.PREDICTIONS,
         [(0, "latency_ms", "must be at least 0, got -1")]),
        # milliseconds sent as seconds
        ([prediction(timestamp=1772366400000)], Kind.PREDICTIONS,
         [(0, "timestamp",
           "epoch seconds out of range (milliseconds sent as seconds?), got 1772366400000.0")]),
        ([prediction(timestamp="March 1st")], Kind.PREDICTIONS,
         [(0, "timestamp", "expected an ISO 8601 timestamp or epoch seconds, got 'March 1st'")]),
        # a prediction is required unless the record reports an error
        ([prediction(prediction=None)], Kind.PREDICTIONS,
         [(0, "prediction", "required unless error is set")]),
        # a regression or binary model predicts numbers
        ([prediction(prediction="yes")], Kind.PREDICTIONS,
         [(0, "prediction", "expected a number, got 'yes'")]),
        # segment values are strings
        ([prediction(segment={"region": 3})], Kind.PREDICTIONS,
         [(0, "segment", "expected a string as every value")]),
        # a record that is not an object
        ([prediction(), 7], Kind.PREDICTIONS, [(1, "", "expected an object, got 7")]),
        # labels: a list is no label
        ([{"id": "a", "label": [1]}], Kind.LABELS,
         [(0, "label", "expected a boolean, an integer, a number or a string, got [1]")]),
        # outcomes: the value is a number and the name is required
        ([{"id": "a", "name": "x", "value": "12"}], Kind.OUTCOMES,
         [(0, "value", "expected a number, got '12'")]),
        ([{"id": "a", "value": 1}], Kind.OUTCOMES, [(0, "name", "required")]),
    ],
)
def test_each_bad_record_is_named_by_index_and_field(
    records: list[Any], kind: Kind, expected: list[tuple[int, str, str]]
) -> None:
    found = [(p["index"], p["field"], p["error"]) for p in problems(records, kind)]
    assert found == expected


def test_every_bad_record_is_listed_not_just_the_first() -> None:
    records = [prediction("a"), prediction("b", latency_ms="slow"), prediction("c"),
               prediction("d", features={"age": "x"}), prediction(7)]
    assert [(p["index"], p["field"]) for p in problems(records)] == [
        (1, "latency_ms"), (3, "features.age"), (4, "id")]


def test_the_list_is_capped_but_the_count_is_kept() -> None:
    records = [prediction(str(i), features={"age": "x"}) for i in range(MAX_PROBLEMS + 20)]
    with pytest.raises(ValidationFailed) as caught:
        decode(records)
    assert len(caught.value.details()) == MAX_PROBLEMS
    assert caught.value.total == MAX_PROBLEMS + 20
    assert str(caught.value).startswith(f"{MAX_PROBLEMS + 20} bad records: #0 features.age")


def test_ndjson_lines_are_checked_one_by_one() -> None:
    data = ndjson([prediction("a")]) + b"{not json}\n\n" + ndjson([prediction("c", latency_ms=-2)])
    with pytest.raises(ValidationFailed) as caught:
        decoder().decode(Kind.PREDICTIONS, data, ndjson=True, now=START)
    details = caught.value.details()
    assert [(p["index"], p["field"]) for p in details] == [(1, ""), (2, "latency_ms")]
    assert details[0]["error"].startswith("not valid JSON")


def test_a_body_that_is_not_json_at_all_is_a_body_error() -> None:
    with pytest.raises(BodyError) as caught:
        decoder().decode(Kind.PREDICTIONS, b"[{", ndjson=False, now=START)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("content_type", "data", "expected"),
    [
        ("application/json", b"[{}]", False),  # an array
        ("application/json", b"  \n[{}]", False),  # leading whitespace
        ("application/x-ndjson; charset=utf-8", b"[1]\n", True),  # the content type decides
        (None, b'{"id": "a"}\n{"id": "b"}', True),  # not starting with '['
    ],
)
def test_ndjson_detection(content_type: str | None, data: bytes, expected: bool) -> None:
    assert is_ndjson(content_type, data) is expected


def test_gzip_is_unpacked_within_the_limit() -> None:
    data = body([prediction()])
    assert unpack_body(gzip.compress(data), "gzip", 10_000) == data
    assert unpack_body(data, None, 10) == data  # the limit applies to the raw body elsewhere


@pytest.mark.parametrize(
    ("data", "encoding", "status"),
    [
        (gzip.compress(b"[" + b" " * 100_000 + b"]"), "gzip", 413),  # a gzip bomb
        (b"not gzip", "gzip", 400),
        (gzip.compress(b"[1, 2, 3]")[:-12], "gzip", 400),  # cut short
        (b"[]", "br", 415),
    ],
)
def test_bad_encodings(data: bytes, encoding: str, status: int) -> None:
    with pytest.raises(BodyError) as caught:
        unpack_body(data, encoding, 10_000)
    assert caught.value.status == status


def test_an_empty_batch_is_valid_and_empty() -> None:
    assert decode([]).num_rows == 0
    assert json.loads(json.dumps([])) == []


VARIED = [
    prediction("a"),
    prediction("b", timestamp=1772366400, features={
        "age": 1.5, "plan": 7, "member": False, "note": None, "vec": None,
        "signup": 1772366400}),
    prediction("c", features={}),
    prediction("d", prediction=None, error="timeout", features={"plan": True, "age": None}),
]


def test_typed_and_checked_paths_store_the_same_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    # an unknown feature sends a batch down the checked path (which drops it)
    with_unknown = [r | {"features": {**r["features"], "unknown": 1}} for r in VARIED]
    checked = decode(with_unknown)

    def no_checked_path(*args: Any) -> Any:
        raise AssertionError("a valid batch without unknown features takes the typed path")

    monkeypatch.setattr(records, "_decode_records", no_checked_path)
    typed = decode(VARIED)
    assert typed.equals(checked)
    assert typed.num_rows == 4
    lines = decoder().decode(Kind.PREDICTIONS, ndjson(VARIED), ndjson=True, now=START).batch
    assert lines.equals(typed)
