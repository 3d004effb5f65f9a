"""The labelling queue: which stored predictions go to annotators next, and which are out.

Candidates are one model's predictions with event time in ``[start, end)`` that carry a
prediction (no ``error``), have no label and no entry in ``label_queue`` (two anti-joins in
DuckDB). A :class:`~watchkeeper.store.label_strategies.Ranking` orders them inside DuckDB and
only the first ``n`` rows come back (:func:`pick`): millions of stored predictions never leave
the database, and bounding the window bounds the scan.

:func:`reserve` records picked ids in ``label_queue`` (model, id, queued_at, strategy) with
``INSERT OR IGNORE ... RETURNING``: when two reservations race for an id, exactly one gets it,
and each learns which ids are its own. A queued id counts as answered once any label for it is
stored; that is read from the labels table when asked (:func:`queue_size`), never written, so
the intake's exactly-once apply stays as it is.

>>> import tempfile
>>> from datetime import UTC, datetime
>>> from pathlib import Path
>>> from watchkeeper.store.duckdb_store import DuckDBStore
>>> with tempfile.TemporaryDirectory() as d:
...     store = DuckDBStore(Path(d) / "watchkeeper.duckdb")
...     at = datetime(2026, 3, 1, tzinfo=UTC)
...     sorted(reserve(store, "credit", ["a", "b"], "random", at))
...     sorted(reserve(store, "credit", ["b", "c"], "random", at))  # b is taken
...     queue_size(store, "credit")
...     store.close()
['a', 'b']
['c']
QueueSize(size=3, answered=0)
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from itertools import count
from typing import Any

import pyarrow as pa

from watchkeeper.ingest.layout import Kind
from watchkeeper.store.duckdb_store import DuckDBStore
from watchkeeper.store.label_strategies import Ranking, Strategy
from watchkeeper.store.schema import table_name

_views = count()


@dataclass(frozen=True)
class QueueRequest:
    model: str
    strategy: Strategy
    n: int
    start: datetime
    end: datetime
    seed: int = 0


@dataclass(frozen=True)
class Picked:
    """The chosen predictions (stored columns plus the ranking's, best first) and how many of
    the window's predictions were left out because they are labelled or already queued."""

    rows: pa.Table
    labelled: int
    queued: int


@dataclass(frozen=True)
class QueueSize:
    size: int  # ids ever queued for the model (and still stored)
    answered: int  # of those, the ids with a label


def stored_columns(store: DuckDBStore, model: str) -> dict[str, str]:
    """The predictions table's columns and their DuckDB types (empty: no table yet)."""
    rows = store.query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = ?",
        [table_name(model, Kind.PREDICTIONS.value).strip('"').replace('""', '"')],
    )
    return {str(name): str(kind) for name, kind in rows}


def pick(store: DuckDBStore, request: QueueRequest, ranking: Ranking) -> Picked:
    """The first ``request.n`` candidates in ``ranking``'s order."""
    predictions = table_name(request.model, Kind.PREDICTIONS.value)
    if not stored_columns(store, request.model):
        return Picked(pa.table({"id": pa.array([], pa.string())}), 0, 0)
    labels = _labels(store, request.model)
    window = (
        "p.timestamp >= $start AND p.timestamp < $end "
        "AND p.error IS NULL AND p.prediction IS NOT NULL"
    )
    queued = "(SELECT id FROM label_queue WHERE model = $model)"
    params: dict[str, Any] = {"model": request.model, "start": request.start, "end": request.end}
    labelled = f"p.id IN (SELECT id FROM {labels})" if labels else "false"
    counts = store.arrow(
        f"SELECT count(*) FILTER (WHERE labelled) AS labelled, "
        "count(*) FILTER (WHERE queued AND NOT labelled) AS queued "
        f"FROM (SELECT {labelled} AS labelled, p.id IN {queued} AS queued "
        f"FROM {predictions} p WHERE {window})",
        params,
    ).to_pylist()[0]
    unlabelled = f"ANTI JOIN {labels} l ON p.id = l.id " if labels else ""
    extra = "".join(f", {sql} AS {name}" for name, sql in ranking.columns.items())
    kept = "".join(f", {name}" for name in ranking.columns)
    # the ranking reads only the columns it needs; the picked rows are read whole afterwards
    rows = store.arrow(
        f"WITH candidate AS (SELECT p.*, p.rowid AS __wk_row FROM {predictions} p "
        f"{unlabelled}ANTI JOIN {queued} q ON p.id = q.id WHERE {window}), "
        f"scored AS (SELECT c.*{extra} FROM candidate c), "
        f"ranked AS (SELECT *, {ranking.stratum} AS __wk_stratum FROM scored "
        f"WHERE {ranking.where}), "
        f"ordered AS (SELECT *, {ranking.order} AS __wk_order FROM ranked), "
        f"top AS (SELECT __wk_row{kept}, __wk_stratum, __wk_order, hash(id, $seed) AS __wk_hash "
        "FROM ordered ORDER BY __wk_order, __wk_hash, id LIMIT $n) "
        f"SELECT p.*, top.* EXCLUDE (__wk_row) FROM top JOIN {predictions} p "
        "ON p.rowid = top.__wk_row ORDER BY top.__wk_order, top.__wk_hash, p.id",
        {**params, **ranking.params, "seed": request.seed, "n": request.n},
    )
    return Picked(rows, int(counts["labelled"] or 0), int(counts["queued"] or 0))


def reserve(
    store: DuckDBStore, model: str, ids: Collection[str], strategy: str, at: datetime
) -> set[str]:
    """Queue ``ids`` for ``model``; returns those this call queued (not queued before)."""
    if not ids:
        return set()
    view = f"_queue_{next(_views)}"
    with store.transaction() as con:
        con.register(view, pa.table({"id": pa.array(list(ids), pa.string())}))
        try:
            rows = con.execute(
                f"INSERT OR IGNORE INTO label_queue SELECT ?, id, ?, ? FROM {view} RETURNING id",
                [model, at, strategy],
            ).fetchall()
        finally:
            con.unregister(view)
    return {str(ident) for (ident,) in rows}


def queue_size(store: DuckDBStore, model: str) -> QueueSize:
    labels = _labels(store, model)
    answered = f"id IN (SELECT id FROM {labels})" if labels else "false"
    [(size, done)] = store.query(
        f"SELECT count(*), count(*) FILTER (WHERE {answered}) FROM label_queue WHERE model = ?",
        [model],
    )
    return QueueSize(int(size), int(done or 0))


def _labels(store: DuckDBStore, model: str) -> str | None:
    """The model's labels table, or None before its first label."""
    table = table_name(model, Kind.LABELS.value)
    rows = store.query(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name = ?",
        [table.strip('"').replace('""', '"')],
    )
    return table if rows[0][0] else None
