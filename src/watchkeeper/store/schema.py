"""The store's SQL: fixed tables, numbered migrations, and per-model event tables from Arrow.

Fixed tables (created by migration 1):

- ``wal_checkpoint``: one row, the log offset up to which every frame is in the store;
- ``metric_samples``: one row per (model, name, labels, window_start, window_end); labels and
  details are canonical JSON text;
- ``dirty_buckets``: one-minute event-time buckets per model that received events since the
  windows covering them were last evaluated, with the checkpoint offset that last dirtied them.

Added by migration 2:

- ``watermarks``: moments the evaluator must remember across restarts, per model and name
  (``evaluated/1h``: every 1h window ending by then is accounted for, with or without events;
  ``reference_end``: the end of the traffic a production reference was learned from).

Added by migration 3 (alerting, see ``store/alert_ledger.py``):

- ``alerts``: the latest state of every alert by fingerprint; ``alert_history``: each change;
- ``alerting_state``: JSON documents (the notification pipeline's state, the incident book);
- ``outbox``: notifications per receiver integration until delivered (or failed for good).

Added by migration 4 (the labelling queue, see ``store/label_queue.py``):

- ``label_queue``: prediction ids reserved for annotators, per model, with when and by which
  strategy; whether one is answered is read from the labels table (a join), never stored.

Event tables are named ``predictions__<model>``, ``labels__<model>`` and
``outcomes__<model>`` and take their columns from the Arrow layout of the intake; a batch with
a column the table lacks adds it (``ALTER TABLE ... ADD COLUMN``), older rows read ``NULL``.

>>> import pyarrow as pa
>>> column_type(pa.list_(pa.float64())), table_name("credit", "labels")
('DOUBLE[]', '"labels__credit"')
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from watchkeeper.errors import WatchkeeperError


class StoreError(WatchkeeperError):
    """The store cannot hold what it was given (e.g. a column changed its type)."""


MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE wal_checkpoint (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            applied_offset BIGINT NOT NULL)""",
        "INSERT INTO wal_checkpoint VALUES (1, 0)",
        """CREATE TABLE metric_samples (
            model VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            labels VARCHAR NOT NULL,
            window_start TIMESTAMPTZ NOT NULL,
            window_end TIMESTAMPTZ NOT NULL,
            value DOUBLE,
            status VARCHAR NOT NULL,
            details VARCHAR NOT NULL,
            evaluated_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (model, name, labels, window_start, window_end))""",
        """CREATE TABLE dirty_buckets (
            model VARCHAR NOT NULL,
            bucket_start TIMESTAMPTZ NOT NULL,
            version BIGINT NOT NULL,
            PRIMARY KEY (model, bucket_start))""",
    ),
    (
        """CREATE TABLE watermarks (
            model VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            moment TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (model, name))""",
    ),
    (
        """CREATE TABLE alerts (
            fingerprint VARCHAR PRIMARY KEY,
            model VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            severity VARCHAR NOT NULL,
            starts_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL,
            doc VARCHAR NOT NULL)""",
        """CREATE TABLE alert_history (
            seq BIGINT PRIMARY KEY,
            recorded_at TIMESTAMPTZ NOT NULL,
            fingerprint VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            doc VARCHAR NOT NULL)""",
        """CREATE TABLE alerting_state (
            key VARCHAR PRIMARY KEY,
            doc VARCHAR NOT NULL)""",
        """CREATE TABLE outbox (
            id BIGINT PRIMARY KEY,
            receiver VARCHAR NOT NULL,
            integration VARCHAR NOT NULL,
            group_key VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            due_at TIMESTAMPTZ NOT NULL,
            attempts INTEGER NOT NULL,
            delivered_at TIMESTAMPTZ,
            failed_at TIMESTAMPTZ,
            detail VARCHAR NOT NULL,
            doc VARCHAR NOT NULL)""",
    ),
    (
        """CREATE TABLE label_queue (
            model VARCHAR NOT NULL,
            id VARCHAR NOT NULL,
            queued_at TIMESTAMPTZ NOT NULL,
            strategy VARCHAR NOT NULL,
            PRIMARY KEY (model, id))""",
    ),
)

_TYPES = {
    pa.string(): "VARCHAR",
    pa.large_string(): "VARCHAR",
    pa.float64(): "DOUBLE",
    pa.int64(): "BIGINT",
    pa.bool_(): "BOOLEAN",
    pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
    pa.list_(pa.float64()): "DOUBLE[]",
}


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the migrations this database has not seen; returns its schema version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ DEFAULT current_timestamp)"
    )
    rows = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()
    version = int(rows[0][0])
    for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in statements:
                con.execute(statement)
            con.execute("INSERT INTO schema_migrations (version) VALUES (?)", [number])
            con.execute("COMMIT")
        except duckdb.Error:
            con.execute("ROLLBACK")
            raise
        version = number
    return version


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def table_name(model: str, kind: str) -> str:
    return quote(f"{kind}__{model}")


def column_type(arrow_type: pa.DataType) -> str:
    try:
        return _TYPES[arrow_type]
    except KeyError:
        raise StoreError(f"no column type for Arrow {arrow_type}") from None


def ensure_table(
    con: duckdb.DuckDBPyConnection, table: str, schema: pa.Schema, primary_key: str | None
) -> None:
    """Create ``table`` for ``schema``, or add the columns it lacks; a changed type is an error."""
    existing = dict(con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ?",
            [table.strip('"').replace('""', '"')],
        ).fetchall())
    if not existing:
        columns = [
            f"{quote(f.name)} {column_type(f.type)}"
            + (" PRIMARY KEY" if f.name == primary_key else "")
            for f in schema
        ]
        con.execute(f"CREATE TABLE {table} ({', '.join(columns)})").fetchall()
        return
    for field in schema:
        wanted = column_type(field.type)
        have = existing.get(field.name)
        if have is None:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {quote(field.name)} {wanted}").fetchall()
        elif have.replace("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ") != wanted:
            raise StoreError(
                f"column {field.name!r} of {table} holds {have}; new events bring {wanted}. "
                "Rename the feature or move the old table away"
            )
