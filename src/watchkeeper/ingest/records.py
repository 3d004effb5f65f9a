"""Decode intake request bodies into validated Arrow record batches.

A body is a JSON array of records, or NDJSON (one record per line) when the Content-Type is
``application/x-ndjson`` or the body does not start with ``[``; ``Content-Encoding: gzip`` is
unpacked first (:mod:`watchkeeper.ingest.body`). Prediction batches first try the typed path
(:mod:`watchkeeper.ingest.typed`: features decoded into a per-model struct); a batch that does
not fit it is decoded into msgspec structs with features as a mapping, and feature values are
checked column by column against the model's schema. Any bad record rejects the whole batch with a
:class:`ValidationFailed` naming every bad record (index and field), up to
:data:`MAX_PROBLEMS` of them. Feature names the schema does not have are counted and dropped,
or rejected when the decoder is built with ``forbid_unknown_features``.

>>> from datetime import UTC, datetime
>>> from watchkeeper.schema import ColumnSchema, ColumnType, Schema
>>> from watchkeeper.settings import parse_service_config
>>> model = parse_service_config({"models": {"m": {"task": "regression"}}}).models["m"]
>>> decoder = BatchDecoder(model, Schema((ColumnSchema("age", ColumnType.NUMERIC),)))
>>> now = datetime(2026, 1, 1, tzinfo=UTC)
>>> body = b'[{"id": "a", "features": {"age": 31, "zip": "x"}, "prediction": 0.5}]'
>>> decoded = decoder.decode(Kind.PREDICTIONS, body, ndjson=False, now=now)
>>> decoded.batch.num_rows, decoded.extra_features, decoded.batch.column("age").to_pylist()
(1, 1, [31.0])
>>> bad = b'{"id": "a", "features": {"age": "abc"}}'
>>> decoder.decode(Kind.PREDICTIONS, bad, ndjson=True, now=now)
Traceback (most recent call last):
...
watchkeeper.ingest.problems.ValidationFailed: 1 bad record: #0 prediction: required unless
error is set; #0 features.age: expected a number, got 'abc'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
import pyarrow as pa

from watchkeeper.ingest.body import BodyError
from watchkeeper.ingest.features import (
    Problems,
    build_column,
    canonical_text,
    constant_time,
    epoch_us,
    show,
    timestamp_column,
)
from watchkeeper.ingest.layout import (
    LABELS_SCHEMA,
    OUTCOMES_SCHEMA,
    SEGMENT_PREFIX,
    Kind,
    prediction_schema,
    storage_name,
)
from watchkeeper.ingest.problems import MAX_PROBLEMS, Problem, ValidationFailed, problem_from
from watchkeeper.ingest.typed import TypedFeatures
from watchkeeper.schema import Schema
from watchkeeper.settings import ModelConfig

__all__ = ["MAX_PROBLEMS", "BatchDecoder", "Decoded", "Problem", "ValidationFailed"]

NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
When = datetime | float | None


class PredictionRecord(msgspec.Struct):
    id: NonEmpty
    features: dict[str, Any]
    prediction: float | str | bool | None = None
    timestamp: When = None
    scores: list[float] | dict[str, float] | None = None
    latency_ms: Annotated[float, msgspec.Meta(ge=0)] | None = None
    model_version: str | None = None
    segment: dict[str, str] | None = None
    error: str | None = None


class LabelRecord(msgspec.Struct):
    id: NonEmpty
    label: int | float | str | bool
    timestamp: When = None


class OutcomeRecord(msgspec.Struct):
    id: NonEmpty
    name: NonEmpty
    value: float
    timestamp: When = None


_STRUCTS: dict[Kind, type[msgspec.Struct]] = {
    Kind.PREDICTIONS: PredictionRecord,
    Kind.LABELS: LabelRecord,
    Kind.OUTCOMES: OutcomeRecord,
}
_MANY = {kind: msgspec.json.Decoder(list[t]) for kind, t in _STRUCTS.items()}  # type: ignore[valid-type]
_ONE = {kind: msgspec.json.Decoder(t) for kind, t in _STRUCTS.items()}
_RAWS = msgspec.json.Decoder(list[msgspec.Raw])


@dataclass(frozen=True)
class Decoded:
    """A valid batch in the stored layout, and how many unknown feature values it dropped."""

    kind: Kind
    batch: pa.RecordBatch
    extra_features: int = 0


class BatchDecoder:
    """Decodes the batches of one model (its layout is computed once)."""

    def __init__(
        self, model: ModelConfig, schema: Schema, *, forbid_unknown_features: bool = False
    ) -> None:
        self.model = model
        self.schema = schema
        self.layout = prediction_schema(model, schema)
        self.forbid_unknown_features = forbid_unknown_features
        self._names = frozenset(schema.names)
        self._numeric_prediction = model.task != "multiclass_classification"
        self._typed = TypedFeatures(schema, PredictionRecord)

    def schema_for(self, kind: Kind) -> pa.Schema:
        """The Arrow schema of this model's batches of ``kind``."""
        return {Kind.PREDICTIONS: self.layout, Kind.LABELS: LABELS_SCHEMA}.get(
            kind, OUTCOMES_SCHEMA
        )

    def decode(self, kind: Kind, body: bytes, *, ndjson: bool, now: datetime) -> Decoded:
        now_us = epoch_us(now)
        if kind is Kind.PREDICTIONS:
            fast = self._fast_predictions(body, ndjson, now_us)
            if fast is not None:
                return fast
        records, problems = _decode_records(kind, body, ndjson)
        extra = 0
        if kind is Kind.PREDICTIONS:
            columns, extra = self._predictions(records, problems, now_us)
            schema = self.layout
        elif kind is Kind.LABELS:
            columns, schema = _labels(records, problems, now_us), LABELS_SCHEMA
        else:
            columns, schema = _outcomes(records, problems, now_us), OUTCOMES_SCHEMA
        if problems:
            raise ValidationFailed(problems)
        batch = pa.RecordBatch.from_arrays([columns[name] for name in schema.names], schema=schema)
        return Decoded(kind, batch, extra)

    def _fast_predictions(self, body: bytes, ndjson: bool, now_us: int) -> Decoded | None:
        """The typed path (see :mod:`watchkeeper.ingest.typed`); None when the batch does not
        fit it, and the checked path must look at every record."""
        try:
            if ndjson:
                records = [self._typed.one.decode(line) for line in _lines(body)]
            else:
                records = self._typed.many.decode(body)
        except msgspec.DecodeError:  # validation errors included
            return None
        problems: list[Problem] = []
        columns = self._meta_columns(records, problems, now_us)
        features = self._typed.columns(records)
        if problems or features is None:
            return None
        columns.update(features)
        arrays = [columns[name] for name in self.layout.names]
        batch = pa.RecordBatch.from_arrays(arrays, schema=self.layout)
        return Decoded(Kind.PREDICTIONS, batch)

    def _predictions(
        self, records: list[Any], problems: list[Problem], now_us: int
    ) -> tuple[dict[str, pa.Array], int]:
        columns = self._meta_columns(records, problems, now_us)
        features = [r.features for r in records]
        extra = self._unknown_features(features, problems)
        for column in self.schema:
            array, bad = build_column(column, [f.get(column.name) for f in features])
            _add(problems, bad, f"features.{column.name}")
            columns[storage_name(column.name)] = array if array is not None else pa.nulls(1)
        return columns, extra

    def _meta_columns(
        self, records: list[Any], problems: list[Problem], now_us: int
    ) -> dict[str, pa.Array]:
        """Every prediction column but the features."""
        n = len(records)
        columns: dict[str, pa.Array] = {
            "id": pa.array([r.id for r in records], pa.string()),
            "timestamp": _times(records, now_us, problems),
            "received_at": constant_time(now_us, n),
            "model_version": pa.array([r.model_version for r in records], pa.string()),
        }
        segments = [r.segment for r in records]
        for key in self.model.segments:
            values = [s.get(key) if s else None for s in segments]
            columns[SEGMENT_PREFIX + key] = pa.array(values, pa.string())
        columns["prediction"] = self._prediction_column(records, problems)
        columns["scores"] = pa.array([_scores(r.scores) for r in records], pa.list_(pa.float64()))
        columns["latency_ms"] = pa.array([r.latency_ms for r in records], pa.float64())
        columns["error"] = pa.array([r.error for r in records], pa.string())
        return columns

    def _prediction_column(self, records: list[Any], problems: list[Problem]) -> pa.Array:
        values = [r.prediction for r in records]
        if self._numeric_prediction and set(map(type, values)) == {float}:
            return pa.array(values, pa.float64())
        out: list[Any] = []
        for i, (value, record) in enumerate(zip(values, records, strict=True)):
            if value is None:
                if record.error is None:
                    problems.append(Problem(i, "prediction", "required unless error is set"))
                out.append(None)
            elif not self._numeric_prediction:
                out.append(canonical_text(value))
            elif isinstance(value, str):
                problems.append(Problem(i, "prediction", f"expected a number, got {show(value)}"))
                out.append(None)
            else:
                out.append(float(value))
        return pa.array(out, pa.string() if not self._numeric_prediction else pa.float64())

    def _unknown_features(self, features: list[dict[str, Any]], problems: list[Problem]) -> int:
        names = self._names
        if all(map(names.issuperset, features)):
            return 0
        extra = 0
        for i, values in enumerate(features):
            if values.keys() <= names:
                continue
            unknown = values.keys() - names
            extra += len(unknown)
            if self.forbid_unknown_features:
                for name in sorted(unknown):
                    problems.append(Problem(i, f"features.{name}", "not a feature of this model"))
        return extra


def _labels(records: list[Any], problems: list[Problem], now_us: int) -> dict[str, pa.Array]:
    return {
            "id": pa.array([r.id for r in records], pa.string()),
            "label": pa.array([canonical_text(r.label) for r in records], pa.string()),
            "timestamp": _times(records, now_us, problems),
            "received_at": constant_time(now_us, len(records)),
    }


def _outcomes(records: list[Any], problems: list[Problem], now_us: int) -> dict[str, pa.Array]:
    return {
            "id": pa.array([r.id for r in records], pa.string()),
            "name": pa.array([r.name for r in records], pa.string()),
            "value": pa.array([r.value for r in records], pa.float64()),
            "timestamp": _times(records, now_us, problems),
            "received_at": constant_time(now_us, len(records)),
    }


def _decode_records(kind: Kind, body: bytes, ndjson: bool) -> tuple[list[Any], list[Problem]]:
    """Records that decoded (a placeholder where one did not) and the problems found."""
    if ndjson:
        return _decode_each(kind, _lines(body))
    try:
        return _MANY[kind].decode(body), []
    except msgspec.ValidationError:
        pass  # some record is bad: decode one by one to name every bad record
    except msgspec.DecodeError as exc:
        raise BodyError(400, f"body is not valid JSON: {exc}") from None
    try:
        raws = _RAWS.decode(body)
    except msgspec.ValidationError:
        raise BodyError(400, "body must be a JSON array of records or NDJSON") from None
    return _decode_each(kind, [bytes(raw) for raw in raws])


def _lines(body: bytes) -> list[bytes]:
    return [line for line in body.split(b"\n") if line.strip()]


def _decode_each(kind: Kind, chunks: list[bytes]) -> tuple[list[Any], list[Problem]]:
    decoder = _ONE[kind]
    records: list[Any] = []
    problems: list[Problem] = []
    for i, chunk in enumerate(chunks):
        try:
            records.append(decoder.decode(chunk))
        except msgspec.ValidationError as exc:
            problems.append(problem_from(i, exc, chunk))
            records.append(_PLACEHOLDERS[kind])
        except msgspec.DecodeError as exc:
            problems.append(Problem(i, "", f"not valid JSON: {exc}"))
            records.append(_PLACEHOLDERS[kind])
    return records, problems


# stand-ins for records that failed to decode, so the other records are still checked
_PLACEHOLDERS: dict[Kind, Any] = {
    Kind.PREDICTIONS: PredictionRecord(id="-", features={}, prediction=0.0, error="-"),
    Kind.LABELS: LabelRecord(id="-", label=""),
    Kind.OUTCOMES: OutcomeRecord(id="-", name="-", value=0.0),
}


def _times(records: list[Any], now_us: int, problems: list[Problem]) -> pa.Array:
    array, bad = timestamp_column([r.timestamp for r in records], now_us)
    _add(problems, bad, "timestamp")
    return array


def _scores(scores: list[float] | dict[str, float] | None) -> list[float] | None:
    """A ``{class: score}`` mapping is stored as its scores in sorted class order."""
    if scores is None or isinstance(scores, list):
        return scores
    return [scores[key] for key in sorted(scores)]


def _add(problems: list[Problem], bad: Problems, field: str) -> None:
    problems.extend(Problem(i, field, error) for i, error in bad)

