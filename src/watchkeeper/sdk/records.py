"""The three record kinds of the HTTP API: checking and encoding, done off the caller's thread.

``Client.log_*`` only queues a raw tuple; the sender turns tuples into API records here. A bad
argument makes its record rejected (counted, with the reason), never an exception for the caller.
The checks are the API's own, so one bad record is dropped here instead of the service refusing
its whole batch. Times are sent as epoch seconds. Layout of a raw tuple:
``(kind, model, timestamp, id, *fields of the kind)``.

>>> batch = encode_batch([(Kind.LABELS, "m", 0.0, 7, 1), (Kind.LABELS, "m", 0.0, 8, None)])
>>> batch.body
b'[{"id":"7","label":1,"timestamp":0.0}]'
>>> batch.count, batch.rejected, batch.first_error
(1, 1, 'labels record id 8: label: must be a string, a bool or a finite number (got None)')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from numbers import Integral, Real
from typing import Any

import msgspec

from watchkeeper.errors import InputError


class Kind(StrEnum):
    """A record kind; its value is the last segment of its endpoint's path."""

    PREDICTIONS = "predictions"
    LABELS = "labels"
    OUTCOMES = "outcomes"


class RecordError(InputError):
    """One argument of one logged record cannot be sent; says which and why."""

    def __init__(self, field: str, value: object, problem: str) -> None:
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        super().__init__(f"{field}: {problem} (got {shown})")


class Prediction(msgspec.Struct, omit_defaults=True):
    id: str
    features: dict[str, Any]
    prediction: str | bool | float | int | None  # None only with an error
    timestamp: float | None = None  # epoch seconds
    scores: list[float] | dict[str, float] | None = None
    latency_ms: float | None = None
    model_version: str | None = None
    segment: dict[str, str] | None = None
    error: str | None = None


class Label(msgspec.Struct, omit_defaults=True):
    id: str
    label: str | bool | float | int
    timestamp: float | None = None


class Outcome(msgspec.Struct, omit_defaults=True):
    id: str
    name: str
    value: float
    timestamp: float | None = None


@dataclass(frozen=True)
class EncodedBatch:
    """A JSON array of the good records of a batch, and what was left out."""

    body: bytes
    count: int
    rejected: int
    first_error: str | None


def _enc_hook(value: Any) -> Any:
    # numpy scalars and arrays (and anything else offering tolist) become plain JSON values
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return tolist()
    raise NotImplementedError(f"cannot encode a {type(value).__name__} as JSON")


_ENCODER = msgspec.json.Encoder(enc_hook=_enc_hook, decimal_format="number")


def encode_batch(raw: Sequence[tuple[Any, ...]]) -> EncodedBatch:
    """Check and encode raw tuples of one kind; bad ones are skipped and counted."""
    parts: list[bytes] = []
    first_error: str | None = None
    for item in raw:
        try:
            parts.append(_ENCODER.encode(_BUILDERS[item[0]](item)))
        except Exception as exc:  # any bad argument rejects its record, nothing else
            if first_error is None:
                first_error = _describe(item, exc)
    body = b"[" + b",".join(parts) + b"]"
    return EncodedBatch(body, len(parts), len(raw) - len(parts), first_error)


def _describe(item: tuple[Any, ...], exc: Exception) -> str:
    kind = item[0] if item and isinstance(item[0], Kind) else "unknown"
    shown = repr(item[3]) if len(item) > 3 else "?"
    problem = str(exc) if isinstance(exc, RecordError) else f"{type(exc).__name__}: {exc}"
    return f"{kind} record id {shown[:40]}: {problem}"


def _prediction(item: tuple[Any, ...]) -> Prediction:
    _, _, timestamp, id_, features, prediction, scores, latency, version, segment, error = item
    error = _optional_str("error", error)
    return Prediction(
        id=_id(id_),
        features=_str_keys("features", features),
        # with an error, the prediction may be missing
        prediction=None if prediction is None and error else _scalar("prediction", prediction),
        timestamp=_timestamp(timestamp),
        scores=_scores(scores),
        latency_ms=None if latency is None else _number("latency_ms", latency, minimum=0.0),
        model_version=_optional_str("model_version", version),
        segment=None if segment is None else _segment(segment),
        error=error,
    )


def _label(item: tuple[Any, ...]) -> Label:
    _, _, timestamp, id_, label = item
    return Label(id=_id(id_), label=_scalar("label", label), timestamp=_timestamp(timestamp))


def _outcome(item: tuple[Any, ...]) -> Outcome:
    _, _, timestamp, id_, name, value = item
    if not isinstance(name, str) or not name:
        raise RecordError("name", name, "must be a non-empty string")
    value = float(value) if isinstance(value, bool) else _number("value", value)
    return Outcome(id=_id(id_), name=name, value=value, timestamp=_timestamp(timestamp))


_BUILDERS: dict[Kind, Any] = {
    Kind.PREDICTIONS: _prediction,
    Kind.LABELS: _label,
    Kind.OUTCOMES: _outcome,
}

MAX_EPOCH_SECONDS = 253_402_300_800.0  # 10000-01-01: the API takes times from 1970 until then


def _id(value: Any) -> str:
    # ids are strings on the wire, so an int id logged for a prediction joins its label either way
    if type(value) is str and value:
        return value
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise RecordError("id", value, "must be a non-empty string or an integer")


def _timestamp(value: Any) -> float | None:
    """Epoch seconds from epoch seconds, an ISO 8601 string or a datetime (naive means UTC)."""
    if type(value) is float and 0.0 <= value < MAX_EPOCH_SECONDS:
        return value  # the common case: the client's clock
    if value is None:
        return None  # the service stamps it on arrival (the SDK always gives one)
    seconds: float | None = None
    try:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime):
            seconds = (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
        elif isinstance(value, Real) and not isinstance(value, bool):
            seconds = float(value)
    except (ValueError, OverflowError, OSError) as exc:
        raise RecordError("timestamp", value, f"is not a valid time ({exc})") from None
    if seconds is None:
        raise RecordError("timestamp", value, "must be epoch seconds, ISO 8601 text or a datetime")
    if not 0.0 <= seconds < MAX_EPOCH_SECONDS:  # also false for NaN
        raise RecordError("timestamp", value, "must be between 1970 and the year 10000")
    return seconds


def _scalar(field: str, value: Any) -> str | bool | float | int:
    """A prediction or label: text, a bool or a finite number (numpy scalars included)."""
    kind = type(value)
    if kind is str or kind is bool or kind is int or (kind is float and math.isfinite(value)):
        return value  # type: ignore[no-any-return]
    if isinstance(value, str | bool):
        return value
    if isinstance(value, Real):
        if isinstance(value, Integral):
            return int(value)
        number = float(value)
        if math.isfinite(number):
            return number
    elif callable(getattr(value, "item", None)) and getattr(value, "shape", None) == ():
        return _scalar(field, value.item())  # numpy bool_, str_ and 0-d arrays
    raise RecordError(field, value, "must be a string, a bool or a finite number")


def _str_keys(field: str, value: Any) -> dict[str, Any]:
    if type(value) is dict:
        out: dict[str, Any] = value  # a dict the client copied when it was logged, or built here
    elif isinstance(value, Mapping):
        out = dict(value)
    else:
        raise RecordError(field, value, "must be a mapping of names to values")
    for key in out:
        if type(key) is not str and not isinstance(key, str):
            raise RecordError(field, key, "has a key that is not a string")
    return out


def _segment(value: Any) -> dict[str, str]:
    out = _str_keys("segment", value)
    for key, item in out.items():
        if not isinstance(item, str):
            raise RecordError(f"segment.{key}", item, "must be a string")
    return out


def _scores(value: Any) -> list[float] | dict[str, float] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return {str(k): _number(f"scores.{k}", v) for k, v in value.items()}
    if callable(getattr(value, "tolist", None)):  # a numpy array of class scores
        value = value.tolist()
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_number(f"scores[{i}]", v) for i, v in enumerate(value)]
    raise RecordError("scores", value, "must be a mapping of class to score or a list of scores")


def _number(field: str, value: Any, minimum: float = -math.inf) -> float:
    if type(value) is float and math.isfinite(value) and value >= minimum:
        return value
    if isinstance(value, Real) and not isinstance(value, bool):
        number = float(value)
        if math.isfinite(number) and number >= minimum:
            return number
    bound = f" >= {minimum:g}" if minimum > -math.inf else ""
    raise RecordError(field, value, f"must be a finite number{bound}")


def _optional_str(field: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise RecordError(field, value, "must be a string")
