"""Check and build one feature column of a batch at a time.

A column's values are checked by their Python types in one pass (``set(map(type, values))``)
and handed to Arrow as one list; only a column that fails is scanned value by value to name
every bad record. What each schema type accepts:

========================  ===============================================  ================
schema type               JSON values accepted (``null`` always)           stored as
========================  ===============================================  ================
numeric                   numbers                                          float64
categorical, boolean      strings, booleans, integers                      string
text                      strings                                          string
embedding                 arrays of numbers of the schema's length         list<float64>
datetime                  ISO 8601 strings or epoch seconds                timestamp[us]
========================  ===============================================  ================

Booleans and integers in categorical columns are stored by their text: ``true``, ``"7"``.

>>> from watchkeeper.schema import ColumnSchema, ColumnType
>>> array, bad = build_column(ColumnSchema("age", ColumnType.NUMERIC), [31, None, "abc"])
>>> array, bad
(None, [(2, "expected a number, got 'abc'")])
>>> build_column(ColumnSchema("plan", ColumnType.CATEGORICAL), ["a", True, 7])[0].to_pylist()
['a', 'true', '7']
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.ingest.layout import TIMESTAMP, feature_type
from watchkeeper.schema import ColumnSchema, ColumnType

Problems = list[tuple[int, str]]  # (record index, what is wrong)

_NONE = type(None)
_NUMBERS = frozenset({int, float, _NONE})
_STRINGS = frozenset({str, _NONE})
_CATEGORIES = frozenset({str, bool, int, _NONE})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
MAX_EPOCH_SECONDS = 253_402_300_800  # 10000-01-01


def show(value: Any, limit: int = 40) -> str:
    """A short rendering of a bad value for an error message."""
    text = repr(value) if isinstance(value, str) else msgspec.json.encode(value).decode()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def epoch_us(value: datetime | float | int) -> int:
    """Microseconds since the epoch; naive datetimes are UTC. Raises ValueError when out of range.

    >>> epoch_us(1.5), epoch_us(datetime(1970, 1, 1, 0, 0, 2))
    (1500000, 2000000)
    """
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return (aware - _EPOCH) // _MICRO
    if not (math.isfinite(value) and 0 <= value < MAX_EPOCH_SECONDS):
        hint = " (milliseconds sent as seconds?)" if math.isfinite(value) and value > 0 else ""
        raise ValueError(f"epoch seconds out of range{hint}, got {show(value)}")
    return round(value * 1_000_000)


def timestamp_column(
    values: list[datetime | float | None], now_us: int
) -> tuple[pa.Array, Problems]:
    """Event times: ``None`` is ``now_us``; bad values are named, their slot holds 0."""
    kinds = set(map(type, values))
    if kinds == {_NONE}:
        return constant_time(now_us, len(values)), []
    if kinds == {float}:
        seconds = np.asarray(values, dtype=np.float64)
        if bool(np.all((seconds >= 0) & (seconds < MAX_EPOCH_SECONDS))):
            return pa.array(np.rint(seconds * 1e6).astype(np.int64), TIMESTAMP), []
    micros: list[int] = []
    bad: Problems = []
    for i, value in enumerate(values):
        try:
            micros.append(now_us if value is None else epoch_us(value))
        except ValueError as exc:
            bad.append((i, str(exc)))
            micros.append(0)
    return pa.array(micros, TIMESTAMP), bad


def constant_time(now_us: int, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(now_us, TIMESTAMP), n)


def canonical_text(value: str | bool | int | float) -> str:
    """Categories compare by text: ``True`` -> ``"true"``, ``1.0`` -> ``"1"``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, int) else repr(value)


def build_column(column: ColumnSchema, values: list[Any]) -> tuple[pa.Array | None, Problems]:
    """The Arrow column for ``values``, or ``None`` and every bad value's index and problem."""
    kinds = set(map(type, values))
    kind = column.type
    if kind is ColumnType.NUMERIC and kinds <= _NUMBERS:
        try:
            return pa.array(values, pa.float64()), []
        except (OverflowError, pa.ArrowInvalid):
            pass  # an integer beyond float range: found and named below
    elif kind in (ColumnType.CATEGORICAL, ColumnType.BOOLEAN) and kinds <= _CATEGORIES:
        texts = values if kinds <= _STRINGS else [_text_or_none(v) for v in values]
        return pa.array(texts, pa.string()), []
    elif kind is ColumnType.TEXT and kinds <= _STRINGS:
        return pa.array(values, pa.string()), []
    elif kind is ColumnType.EMBEDDING and kinds <= {list, _NONE}:
        array = _embedding(values, column.dim)
        if array is not None:
            return array, []
    check = _CHECKS[kind]
    bad = [
        (i, problem)
        for i, v in enumerate(values)
        if v is not None and (problem := check(v, column))
    ]
    if bad:
        return None, bad
    return _convert(column, values), []


def _text_or_none(value: Any) -> str | None:
    return None if value is None else canonical_text(value)


def _embedding(values: list[Any], dim: int | None) -> pa.Array | None:
    try:
        array = pa.array(values, pa.list_(pa.float64()))
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return None
    if dim is not None and array.null_count < len(array):
        lengths = pc.min_max(pc.list_value_length(array))
        if lengths["min"].as_py() != dim or lengths["max"].as_py() != dim:
            return None
    return array


def _convert(column: ColumnSchema, values: list[Any]) -> pa.Array:
    if column.type is ColumnType.NUMERIC:
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    if column.type is ColumnType.DATETIME:
        micros = [None if v is None else epoch_us(_as_datetime(v)) for v in values]
        return pa.array(micros, TIMESTAMP)
    return pa.array(values, feature_type(column.type))


def _as_datetime(value: Any) -> datetime | float:
    if isinstance(value, str):
        return msgspec.convert(value, datetime)
    return float(value)


def _check_number(value: Any, column: ColumnSchema) -> str:
    if type(value) is int:
        try:
            float(value)
        except OverflowError:
            return f"number too large, got {show(value)}"
        return ""
    return "" if type(value) is float else f"expected a number, got {show(value)}"


def _check_category(value: Any, column: ColumnSchema) -> str:
    if isinstance(value, str | bool | int):
        return ""
    return f"expected a string, boolean or integer, got {show(value)}"


def _check_text(value: Any, column: ColumnSchema) -> str:
    return "" if isinstance(value, str) else f"expected a string, got {show(value)}"


def _check_embedding(value: Any, column: ColumnSchema) -> str:
    if not isinstance(value, list) or not all(isinstance(x, int | float) for x in value):
        return f"expected an array of numbers, got {show(value)}"
    if column.dim is not None and len(value) != column.dim:
        return f"expected {column.dim} numbers, got {len(value)}"
    return ""


def _check_datetime(value: Any, column: ColumnSchema) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return f"expected an ISO 8601 timestamp or epoch seconds, got {show(value)}"
    try:
        epoch_us(_as_datetime(value))
    except msgspec.ValidationError:
        return f"expected an ISO 8601 timestamp or epoch seconds, got {show(value)}"
    except ValueError as exc:
        return str(exc)
    return ""


_CHECKS: dict[ColumnType, Callable[[Any, ColumnSchema], str]] = {
    ColumnType.NUMERIC: _check_number,
    ColumnType.CATEGORICAL: _check_category,
    ColumnType.BOOLEAN: _check_category,
    ColumnType.TEXT: _check_text,
    ColumnType.EMBEDDING: _check_embedding,
    ColumnType.DATETIME: _check_datetime,
}
