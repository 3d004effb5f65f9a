"""The embedded store: one DuckDB file holding events, metric samples and the log checkpoint.

Exactly once: :meth:`DuckDBStore.apply` inserts a group of event batches and moves the log
checkpoint in one transaction, so after a crash the log is replayed from a checkpoint that
matches the rows present. A group whose offset is not past the checkpoint is skipped.

Prediction ids are unique per model: a re-sent id keeps the first prediction stored (later
ones are dropped, also within one batch). Labels and outcomes are kept as sent (every label of
an id, for annotator agreement); queries pick the latest label per id.

Threads: DuckDB connections are not thread-safe. Writes (apply, samples, dirty marks,
watermarks) go through one connection under a lock; reads use one cursor per thread (DuckDB
cursors are separate connections to the same database, reading committed data concurrently).

>>> import tempfile, pyarrow as pa
>>> from watchkeeper.ingest.payload import EventBatch, merge_batches
>>> from watchkeeper.ingest.layout import Kind
>>> with tempfile.TemporaryDirectory() as d:
...     store = DuckDBStore(Path(d) / "watchkeeper.duckdb")
...     labels = pa.table({"id": ["a", "a"], "label": ["0", "1"]})
...     store.apply([EventBatch("credit", Kind.LABELS, 2, labels)], through=120)
...     store.counts("credit"), store.applied_offset()
...     store.close()
2
({'predictions': 0, 'labels': 2, 'outcomes': 0}, 120)
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.ingest.layout import (
    META,
    SEGMENT_PREFIX,
    TIMESTAMP,
    Kind,
    feature_name,
    is_feature_column,
)
from watchkeeper.ingest.payload import EventBatch, merge_batches
from watchkeeper.monitors.base import MetricSample
from watchkeeper.monitors.windows import EPOCH, duration_label
from watchkeeper.store import samples as sample_sql
from watchkeeper.store.dirty import BUCKET, DirtyBuckets
from watchkeeper.store.schema import ensure_table, migrate, table_name

_names = count()
_EMPTY = {
    Kind.LABELS: pa.schema(
        [
            ("id", pa.string()),
            ("label", pa.string()),
            ("timestamp", TIMESTAMP),
            ("labels", pa.int64()),
            ("label_values", pa.int64()),
        ]
    ).empty_table(),
    Kind.OUTCOMES: pa.schema(
        [
            ("id", pa.string()),
            ("name", pa.string()),
            ("value", pa.float64()),
            ("timestamp", TIMESTAMP),
        ]
    ).empty_table(),
}


class DuckDBStore:
    def __init__(self, path: Path | str, clock: Callable[[], datetime] | None = None) -> None:
        """``clock`` stamps ``evaluated_at`` of samples written without one (default: UTC now)."""
        self.path = Path(path)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(str(self.path))
        self._con.execute("SET TimeZone = 'UTC'")
        self.version = migrate(self._con)
        self._write = threading.Lock()
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        # table -> (column, Arrow type) pairs known to exist, filled after each commit
        self._columns: dict[str, frozenset[tuple[str, pa.DataType]]] = {}

    def close(self) -> None:
        with self._write:
            for cursor in self._cursors:
                cursor.close()
            self._con.close()

    def _read(self) -> duckdb.DuckDBPyConnection:
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._con.cursor()
            cursor.execute("SET TimeZone = 'UTC'")
            self._local.cursor = cursor
            with self._write:
                self._cursors.append(cursor)
        return cursor

    def ping(self) -> bool:
        return self._read().execute("SELECT 1").fetchall() == [(1,)]

    def applied_offset(self) -> int:
        rows = self._read().execute("SELECT applied_offset FROM wal_checkpoint").fetchall()
        return int(rows[0][0]) if rows else 0

    # -- writes -------------------------------------------------------------------------------

    def apply(self, batches: Sequence[EventBatch], through: int) -> int:
        """Insert ``batches`` and set the checkpoint to ``through``, all or nothing.

        Returns the number of rows handed in (0 when ``through`` was already applied).
        """
        with self._write:
            con = self._con
            con.execute("BEGIN TRANSACTION")
            try:
                rows = con.execute("SELECT applied_offset FROM wal_checkpoint").fetchall()
                if rows and through <= int(rows[0][0]):
                    con.execute("ROLLBACK")
                    return 0
                created = [self._insert(con, b, through) for b in merge_batches(batches)]
                con.execute("UPDATE wal_checkpoint SET applied_offset = ?", [through]).fetchall()
                con.execute("COMMIT")
            except BaseException:
                _rollback(con)
                raise
            self._columns.update(created)
            return sum(b.rows for b in batches)

    def _insert(
        self, con: duckdb.DuckDBPyConnection, batch: EventBatch, version: int
    ) -> tuple[str, frozenset[tuple[str, pa.DataType]]]:
        table = table_name(batch.model, batch.kind.value)
        data = batch.table
        columns = frozenset((f.name, f.type) for f in data.schema)
        if not columns <= self._columns.get(table, frozenset()):
            key = "id" if batch.kind is Kind.PREDICTIONS else None
            ensure_table(con, table, data.schema, key)
        if batch.kind is Kind.PREDICTIONS:
            data = _first_per_id(data)
        view = f"_incoming_{next(_names)}"
        con.register(view, data)
        try:
            verb = "INSERT OR IGNORE" if batch.kind is Kind.PREDICTIONS else "INSERT"
            con.execute(f"{verb} INTO {table} BY NAME SELECT * FROM {view}").fetchall()
            self._mark_dirty(con, batch, view, version)
        finally:
            with contextlib.suppress(duckdb.Error):  # an aborted transaction refuses this too
                con.unregister(view)
        return table, columns | self._columns.get(table, frozenset())

    def _mark_dirty(
        self, con: duckdb.DuckDBPyConnection, batch: EventBatch, view: str, version: int
    ) -> None:
        """Remember the event-time buckets whose windows this batch changes.

        Labels and outcomes change the windows of the predictions they join to.
        """
        bucket = f"time_bucket(INTERVAL '{int(BUCKET.total_seconds())} seconds', t.timestamp)"
        if batch.kind is Kind.PREDICTIONS:
            source = f"{view} t"
        else:
            predictions = table_name(batch.model, Kind.PREDICTIONS.value)
            if predictions not in self._columns and not _exists(con, predictions):
                return
            source = f"{predictions} t SEMI JOIN {view} i ON t.id = i.id"
        con.execute(
            f"INSERT INTO dirty_buckets SELECT DISTINCT ?, {bucket}, ? FROM {source} "
            "ON CONFLICT (model, bucket_start) DO UPDATE SET version = excluded.version",
            [batch.model, version],
        ).fetchall()

    def mark_clean(self, model: str, as_of: int, before: datetime | None = None) -> None:
        """Forget dirty buckets not dirtied again after ``as_of`` (see :meth:`dirty`); with
        ``before``, only the buckets that start before it."""
        query = "DELETE FROM dirty_buckets WHERE model = ? AND version <= ?"
        params: list[Any] = [model, as_of]
        if before is not None:
            query += " AND bucket_start < ?"
            params.append(before)
        with self._write:
            self._con.execute(query, params).fetchall()

    def set_watermark(self, model: str, name: str, at: datetime) -> None:
        """Remember the moment ``name`` of ``model`` (see :meth:`watermark`)."""
        with self._write:
            self._con.execute(
                "INSERT OR REPLACE INTO watermarks VALUES (?, ?, ?)", [model, name, at]
            ).fetchall()

    def prune(self, model: str, before: datetime) -> dict[str, int]:
        """Retention: delete ``model``'s predictions with event time before ``before``, the
        labels and outcomes of predictions no longer stored (when older than ``before`` too),
        the labelling-queue entries of predictions no longer stored, and metric samples of
        windows that ended before it. Returns rows deleted per kind."""
        deleted: dict[str, int] = {}
        predictions = table_name(model, Kind.PREDICTIONS.value)
        with self._write:
            con = self._con
            con.execute("BEGIN TRANSACTION")
            try:
                for kind in Kind:
                    table = table_name(model, kind.value)
                    if not _exists(con, table):
                        deleted[kind.value] = 0
                        continue
                    query = f"DELETE FROM {table} WHERE timestamp < ?"
                    if kind is not Kind.PREDICTIONS and _exists(con, predictions):
                        query += f" AND id NOT IN (SELECT id FROM {predictions})"
                    deleted[kind.value] = _changed(con.execute(query, [before]))
                # queue entries exist only for stored predictions: drop those of pruned ones
                gone = f"id NOT IN (SELECT id FROM {predictions})"
                query = f"DELETE FROM label_queue WHERE model = ? AND {gone}"
                deleted["label_queue"] = (
                    _changed(con.execute(query, [model])) if _exists(con, predictions) else 0
                )
                deleted["samples"] = _changed(
                    con.execute(
                        "DELETE FROM metric_samples WHERE model = ? AND window_end < ?",
                        [model, before],
                    )
                )
                con.execute(
                    "DELETE FROM dirty_buckets WHERE model = ? AND bucket_start < ?",
                    [model, before],
                ).fetchall()
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return deleted

    def write_samples(
        self, samples: Sequence[MetricSample], evaluated_at: datetime | None = None
    ) -> None:
        """Upsert: a sample replaces the one of the same series and window."""
        if not samples:
            return
        table = sample_sql.to_arrow(samples, evaluated_at or self.clock())
        with self._write:
            self._con.register("_samples", table)
            try:
                self._con.execute(
                    "INSERT OR REPLACE INTO metric_samples BY NAME SELECT * FROM _samples"
                ).fetchall()
            finally:
                self._con.unregister("_samples")

    # -- reads --------------------------------------------------------------------------------

    def dirty(self, model: str) -> DirtyBuckets:
        rows = (
            self._read()
            .execute(
                "SELECT bucket_start, version FROM dirty_buckets WHERE model = ? ORDER BY 1",
                [model],
            )
            .fetchall()
        )
        return DirtyBuckets.from_rows(model, rows)

    def watermark(self, model: str, name: str) -> datetime | None:
        """The moment last set by :meth:`set_watermark`, or None."""
        rows = (
            self._read()
            .execute("SELECT moment FROM watermarks WHERE model = ? AND name = ?", [model, name])
            .fetchall()
        )
        return rows[0][0].astimezone(UTC) if rows else None

    def first_prediction(self, model: str) -> datetime | None:
        """The event time of the oldest stored prediction of ``model`` (None: none stored)."""
        table = table_name(model, Kind.PREDICTIONS.value)
        cursor = self._read()
        if not _exists(cursor, table):
            return None
        rows = cursor.execute(f"SELECT min(timestamp) FROM {table}").fetchall()
        first: datetime | None = rows[0][0]
        return first.astimezone(UTC) if first is not None else None

    def windows_with_events(
        self, model: str, length: timedelta, start: datetime, end: datetime
    ) -> set[datetime]:
        """Starts of the epoch-aligned windows of ``length`` in ``[start, end)`` that hold at
        least one prediction (one grouped scan, however many windows)."""
        table = table_name(model, Kind.PREDICTIONS.value)
        cursor = self._read()
        if not _exists(cursor, table):
            return set()
        step = int(length.total_seconds() * 1_000_000)
        rows = cursor.execute(
            f"SELECT DISTINCT epoch_us(timestamp) // $1 FROM {table} "
            "WHERE timestamp >= $2 AND timestamp < $3",
            [step, start, end],
        ).fetchall()
        return {EPOCH + timedelta(microseconds=int(index) * step) for (index,) in rows}

    def counts(self, model: str) -> dict[str, int]:
        cursor = self._read()
        result = {}
        for kind in Kind:
            table = table_name(model, kind.value)
            if not _exists(cursor, table):
                result[kind.value] = 0
                continue
            rows = cursor.execute(f"SELECT count(*) FROM {table}").fetchall()
            result[kind.value] = int(rows[0][0])
        return result

    def window(self, model: str, start: datetime, end: datetime) -> tuple[pa.Table, pa.Table]:
        """Predictions with ``start <= timestamp < end``: (features, meta), in the same order."""
        table = table_name(model, Kind.PREDICTIONS.value)
        cursor = self._read()
        if not _exists(cursor, table):
            return pa.table({}), pa.table({})
        rows = cursor.sql(
            f"SELECT * FROM {table} WHERE timestamp >= $1 AND timestamp < $2",
            params=[start, end],
        ).to_arrow_table()
        meta = [c for c in rows.column_names if c in META or c.startswith(SEGMENT_PREFIX)]
        features = [c for c in rows.column_names if is_feature_column(c) and c not in meta]
        feature_table = rows.select(features).rename_columns([feature_name(c) for c in features])
        return feature_table, rows.select(meta)

    def labels_for(self, model: str, ids: pa.Array) -> pa.Table:
        """Latest label per id (by timestamp, then arrival), how many labels each id has and how
        many distinct values they hold (``label_values``: 1 when every label agrees)."""
        return self._for_ids(
            Kind.LABELS,
            model,
            ids,
            "SELECT l.id, arg_max(l.label, (l.timestamp, l.received_at)) AS label, "
            "max(l.timestamp) AS timestamp, count(*) AS labels, "
            "count(DISTINCT l.label) AS label_values "
            "FROM {table} l SEMI JOIN {ids} i ON l.id = i.id GROUP BY l.id",
        )

    def outcomes_for(self, model: str, ids: pa.Array) -> pa.Table:
        """Every outcome event of the given prediction ids."""
        return self._for_ids(
            Kind.OUTCOMES,
            model,
            ids,
            "SELECT o.id, o.name, o.value, o.timestamp FROM {table} o SEMI JOIN {ids} i "
            "ON o.id = i.id",
        )

    def _for_ids(self, kind: Kind, model: str, ids: pa.Array, query: str) -> pa.Table:
        cursor = self._read()
        table = table_name(model, kind.value)
        if not _exists(cursor, table):
            return _EMPTY[kind]
        view = f"_ids_{next(_names)}"
        cursor.register(view, pa.table({"id": pa.array(ids).cast(pa.string())}))
        try:
            return cursor.sql(query.format(table=table, ids=view)).to_arrow_table()
        finally:
            cursor.unregister(view)

    def samples(
        self,
        model: str,
        name: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[MetricSample]:
        """Samples of ``model`` whose windows lie within [start, end], oldest first."""
        query, params = sample_sql.select(model, name, start, end)
        return sample_sql.from_rows(self._read().execute(query, params).fetchall())

    def latest_samples(self) -> list[MetricSample]:
        """The newest window of every series (what /metrics exposes)."""
        return sample_sql.from_rows(self._read().execute(sample_sql.LATEST).fetchall())

    def settled_samples(
        self, settles: Sequence[tuple[str, str, timedelta]]
    ) -> list[MetricSample]:
        """Per (model, sample name, settle): the newest window of each series that ended at
        least ``settle`` before the series' newest window, labelled ``settled=<settle>``."""
        out = []
        cursor = self._read()
        for model, name, settle in dict.fromkeys(settles):
            rows = cursor.execute(
                sample_sql.SETTLED, [model, name, settle.total_seconds()]
            ).fetchall()
            tag = duration_label(settle)
            out += [
                replace(s, labels={**s.labels, "settled": tag})
                for s in sample_sql.from_rows(rows)
            ]
        return out

    # -- for the stores of other parts (alerting) that share this database ------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The write connection inside one transaction: committed on exit, rolled back on error."""
        with self._write:
            self._con.execute("BEGIN TRANSACTION")
            try:
                yield self._con
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only query on this thread's cursor."""
        return self._read().execute(sql, list(params)).fetchall()

    def arrow(self, sql: str, params: Mapping[str, Any]) -> pa.Table:
        """A read-only query with ``$name`` parameters on this thread's cursor, as Arrow."""
        return self._read().sql(sql, params=dict(params)).to_arrow_table()


def _changed(result: duckdb.DuckDBPyConnection) -> int:
    """Rows a DELETE removed (DuckDB answers with one row holding the count)."""
    row = result.fetchone()
    return int(row[0]) if row else 0


def _exists(cursor: duckdb.DuckDBPyConnection, table: str) -> bool:
    rows = cursor.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name = ?",
        [table.strip('"').replace('""', '"')],
    ).fetchall()
    return bool(rows[0][0])


def _first_per_id(table: pa.Table) -> pa.Table:
    ids = table.column("id")
    if pc.count_distinct(ids).as_py() == len(ids):
        return table
    positions = pa.table({"id": ids, "pos": pa.array(np.arange(len(ids)))})
    first = positions.group_by("id", use_threads=False).aggregate([("pos", "min")])
    return table.take(np.sort(first.column("pos_min").to_numpy()))


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # the transaction may already be gone
        con.execute("ROLLBACK")
