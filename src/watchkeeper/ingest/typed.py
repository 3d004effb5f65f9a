"""The fast path for prediction batches: features decoded straight into a per-model struct.

msgspec checks each feature value's type while it parses (numbers for numeric features,
strings / booleans / integers for categories, vectors of the schema's length for embeddings)
and refuses feature names the schema does not have. A batch that does not fit is decoded
again on the checked path (:mod:`watchkeeper.ingest.records`), which counts unknown features
and names every problem; both paths store the same columns.

>>> from watchkeeper.ingest.records import PredictionRecord
>>> from watchkeeper.schema import ColumnSchema, ColumnType, Schema
>>> fast = TypedFeatures(Schema((ColumnSchema("age", ColumnType.NUMERIC),
...                              ColumnSchema("plan", ColumnType.CATEGORICAL))), PredictionRecord)
>>> records = fast.many.decode(b'[{"id": "a", "features": {"age": 3, "plan": true}}]')
>>> {name: array.to_pylist() for name, array in fast.columns(records).items()}
{'age': [3.0], 'plan': ['true']}
"""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from typing import Annotated, Any

import msgspec
import pyarrow as pa

from watchkeeper.ingest.features import canonical_text, epoch_us
from watchkeeper.ingest.layout import TIMESTAMP, feature_type, storage_name
from watchkeeper.schema import ColumnSchema, ColumnType, Schema

_STRINGS = frozenset({str, type(None)})


def _value_type(column: ColumnSchema) -> Any:
    kind = column.type
    if kind is ColumnType.NUMERIC:
        return float | None
    if kind in (ColumnType.CATEGORICAL, ColumnType.BOOLEAN):
        return str | int | bool | None
    if kind is ColumnType.TEXT:
        return str | None
    if kind is ColumnType.EMBEDDING:
        if column.dim is None:
            return list[float] | None
        return Annotated[list[float], msgspec.Meta(min_length=column.dim,
                                                   max_length=column.dim)] | None
    return datetime | float | None


class TypedFeatures:
    """Decoders of one model's prediction batches with typed features, and their columns."""

    def __init__(self, schema: Schema, record: type[msgspec.Struct]) -> None:
        """``record``: the prediction struct whose ``features`` field gets the typed struct."""
        self.schema = schema
        fields = [(f"f{i}", _value_type(c), None) for i, c in enumerate(schema)]
        rename = {f"f{i}": c.name for i, c in enumerate(schema)}
        features = msgspec.defstruct(
            "Features", fields, rename=rename, forbid_unknown_fields=True
        )
        record_fields = [
            (f.name, features if f.name == "features" else f.type,
             msgspec.NODEFAULT if f.required else f.default)
            for f in msgspec.structs.fields(record)
        ]
        typed = msgspec.defstruct("TypedPrediction", record_fields)
        self.many = msgspec.json.Decoder(list[typed])  # type: ignore[valid-type]
        self.one = msgspec.json.Decoder(typed)
        self._getters = [attrgetter(f"f{i}") for i in range(len(schema))]

    def columns(self, records: list[Any]) -> dict[str, pa.Array] | None:
        """Feature columns in storage names; None when a value fits its type but not its
        column (a datetime out of range): the checked path then names it."""
        features = [r.features for r in records]
        out: dict[str, pa.Array] = {}
        for column, getter in zip(self.schema, self._getters, strict=True):
            values = list(map(getter, features))
            array = _array(column, values)
            if array is None:
                return None
            out[storage_name(column.name)] = array
        return out


def _array(column: ColumnSchema, values: list[Any]) -> pa.Array | None:
    kind = column.type
    if kind in (ColumnType.CATEGORICAL, ColumnType.BOOLEAN) and not set(map(type, values)) <= (
        _STRINGS
    ):
        values = [None if v is None else canonical_text(v) for v in values]
    elif kind is ColumnType.DATETIME:
        try:
            micros = [None if v is None else epoch_us(v) for v in values]
        except ValueError:
            return None
        return pa.array(micros, TIMESTAMP)
    return pa.array(values, feature_type(kind))
