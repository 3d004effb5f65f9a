"""What one write-ahead-log frame holds: one validated batch of one model.

``kind (u8) | rows (u32) | model name length (u16) | model name (UTF-8) | Arrow IPC stream``.
The IPC stream carries its own schema, so a frame written before a schema change still
replays; the row count is in the header so the intake can count events without parsing Arrow.

>>> import pyarrow as pa
>>> batch = pa.record_batch({"id": ["a", "b"]})
>>> frame = decode(FrameEncoder("credit", Kind.LABELS, batch.schema).encode(batch))
>>> frame.model, frame.kind, frame.rows, frame.table.column("id").to_pylist()
('credit', <Kind.LABELS: 'labels'>, 2, ['a', 'b'])
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from watchkeeper.ingest.layout import Kind
from watchkeeper.ingest.wal import WalCorruptedError

_HEADER = struct.Struct("<BIH")
_CODES = {Kind.PREDICTIONS: 1, Kind.LABELS: 2, Kind.OUTCOMES: 3}
_KINDS = {code: kind for kind, code in _CODES.items()}


@dataclass(frozen=True)
class EventBatch:
    """Validated events of one kind for one model, in the stored column layout."""

    model: str
    kind: Kind
    rows: int
    table: pa.Table


_END_OF_STREAM = b"\xff\xff\xff\xff\x00\x00\x00\x00"


class FrameEncoder:
    """Encodes the batches of one model, kind and schema; the schema message is built once.

    An Arrow IPC stream is the schema message, the record batch messages and an end marker,
    so the stream is put together from the cached schema and each batch's own message.
    """

    def __init__(self, model: str, kind: Kind, schema: pa.Schema) -> None:
        self.schema = schema
        self._code = _CODES[kind]
        self._name = model.encode()
        self._schema_message = schema.serialize().to_pybytes()

    def encode(self, batch: pa.RecordBatch) -> bytes:
        if not batch.schema.equals(self.schema):
            raise ValueError("the batch does not have the encoder's schema")
        header = _HEADER.pack(self._code, batch.num_rows, len(self._name))
        message = batch.serialize().to_pybytes()
        return b"".join((header, self._name, self._schema_message, message, _END_OF_STREAM))


def rows(payload: bytes) -> int:
    """The number of events in a frame, read from its header alone."""
    return int(_HEADER.unpack_from(payload)[1])


def decode(payload: bytes) -> EventBatch:
    try:
        code, count, length = _HEADER.unpack_from(payload)
        start = _HEADER.size + length
        model = payload[_HEADER.size : start].decode()
        table = pa.ipc.open_stream(pa.py_buffer(payload)[start:]).read_all()
        return EventBatch(model, _KINDS[code], count, table)
    except (struct.error, KeyError, UnicodeDecodeError, pa.ArrowInvalid) as exc:
        raise WalCorruptedError(f"a log frame does not hold an event batch: {exc}") from None


def merge_batches(batches: Sequence[EventBatch]) -> list[EventBatch]:
    """One batch per (model, kind), in first-seen order: DuckDB inserts fast in bulk only."""
    groups: dict[tuple[str, Kind], list[EventBatch]] = {}
    for batch in batches:
        groups.setdefault((batch.model, batch.kind), []).append(batch)
    return [
        EventBatch(model, kind, sum(b.rows for b in group),
                   pa.concat_tables([b.table for b in group], promote_options="default"))
        for (model, kind), group in groups.items()
    ]
