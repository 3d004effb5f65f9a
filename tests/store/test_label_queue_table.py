"""Label storage and the labelling queue on a real DuckDB file: every label of an id is kept,
the queue table is migrated in, reservations are exactly-once, retention cleans up."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from store_helpers import T0, labels, predictions

from watchkeeper.settings import parse_service_config
from watchkeeper.store.duckdb_store import DuckDBStore
from watchkeeper.store.label_queue import QueueRequest, QueueSize, pick, queue_size, reserve
from watchkeeper.store.label_strategies import Strategy, ranking
from watchkeeper.store.schema import MIGRATIONS

MODEL = parse_service_config({"models": {"credit": {"task": "binary_classification"}}})
CREDIT = MODEL.models["credit"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    opened = DuckDBStore(tmp_path / "watchkeeper.duckdb")
    yield opened
    opened.close()


def request(n: int = 10, strategy: Strategy = Strategy.RANDOM) -> QueueRequest:
    return QueueRequest("credit", strategy, n, T0 - timedelta(hours=1), T0 + timedelta(hours=2))


def test_every_label_of_an_id_is_kept_and_the_latest_is_read(store: DuckDBStore) -> None:
    store.apply([labels([("a", 1), ("a", 0), ("b", 1)], minutes=[60, 61, 60])], through=10)
    store.apply([labels([("a", 1), ("c", 0)], minutes=[62, 60])], through=20)
    # a replayed group is not applied twice: re-sent log frames do not make duplicates
    assert store.apply([labels([("a", 1)], minutes=[63])], through=20) == 0
    assert store.counts("credit")["labels"] == 5
    table = store.labels_for("credit", pa.array(["a", "b", "c"])).sort_by("id")
    assert table.column("label").to_pylist() == ["1", "1", "0"]
    assert table.column("labels").to_pylist() == [3, 1, 1]
    assert table.column("label_values").to_pylist() == [2, 1, 1]  # a: 1, 0 and 1 again
    empty = store.labels_for("other", pa.array(["a"]))
    assert empty.column_names == ["id", "label", "timestamp", "labels", "label_values"]


def test_the_queue_table_is_added_to_an_older_database(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    DuckDBStore(path).close()
    with duckdb.connect(str(path)) as con:  # as a database from before the queue existed
        con.execute("DROP TABLE label_queue")
        con.execute("DELETE FROM schema_migrations WHERE version = ?", [len(MIGRATIONS)])
    reopened = DuckDBStore(path)
    try:
        assert reopened.version == len(MIGRATIONS)
        assert queue_size(reopened, "credit") == QueueSize(0, 0)
    finally:
        reopened.close()


def test_concurrent_reservations_get_each_id_once(store: DuckDBStore) -> None:
    wanted = [f"p{i}" for i in range(200)]
    got: list[set[str]] = []

    def take() -> None:
        got.append(reserve(store, "credit", wanted, "random", T0))

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(len(g) for g in got) == 200 and set().union(*got) == set(wanted)
    assert reserve(store, "credit", [], "random", T0) == set()
    assert reserve(store, "other", ["p1"], "random", T0) == {"p1"}  # queues are per model


def test_pick_leaves_out_labelled_and_queued_predictions(store: DuckDBStore) -> None:
    order = ranking(Strategy.RANDOM, CREDIT, {}, None)
    assert pick(store, request(), order).rows.num_rows == 0  # no predictions stored yet
    store.apply([predictions([f"p{i}" for i in range(6)])], through=10)
    store.apply([labels([("p0", 1), ("p0", 0)])], through=20)
    reserve(store, "credit", ["p1", "p2"], "random", T0)
    picked = pick(store, request(), order)
    assert sorted(picked.rows.column("id").to_pylist()) == ["p3", "p4", "p5"]
    assert (picked.labelled, picked.queued) == (1, 2)
    store.apply([labels([("p1", 1)])], through=30)  # a queued id is answered
    assert queue_size(store, "credit") == QueueSize(2, 1)
    again = pick(store, request(), order)
    assert (again.labelled, again.queued) == (2, 1)


def test_retention_drops_the_queue_entries_of_pruned_predictions(store: DuckDBStore) -> None:
    store.apply([predictions(["old", "kept"], minutes=[0.0, 60.0])], through=10)
    reserve(store, "credit", ["old", "kept"], "random", T0)
    deleted = store.prune("credit", T0 + timedelta(minutes=30))
    assert deleted["predictions"] == 1 and deleted["label_queue"] == 1
    assert queue_size(store, "credit") == QueueSize(1, 0)
    assert store.prune("nobody", T0)["label_queue"] == 0
