"""The DuckDB store on a real file: exactly-once apply, queries, samples, dirty windows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from store_helpers import SCHEMA, T0, batch, labels, outcomes, predictions

from watchkeeper.ingest.layout import Kind
from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.schema import ColumnSchema, ColumnType, Schema
from watchkeeper.store.duckdb_store import DuckDBStore
from watchkeeper.store.schema import MIGRATIONS, StoreError


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    opened = DuckDBStore(tmp_path / "watchkeeper.duckdb")
    yield opened
    opened.close()


def test_apply_inserts_and_moves_the_checkpoint(store: DuckDBStore) -> None:
    assert store.applied_offset() == 0
    applied = store.apply([predictions(["a", "b"]), labels([("a", 1)])], through=500)
    assert applied == 3
    assert store.applied_offset() == 500
    assert store.counts("credit") == {"predictions": 2, "labels": 1, "outcomes": 0}


def test_a_group_already_applied_is_skipped(store: DuckDBStore) -> None:
    store.apply([labels([("a", 1)])], through=100)
    assert store.apply([labels([("a", 1)])], through=100) == 0  # replayed after a crash
    assert store.apply([labels([("b", 1)])], through=50) == 0
    assert store.counts("credit")["labels"] == 1


def test_a_failed_apply_leaves_nothing_behind(store: DuckDBStore) -> None:
    store.apply([predictions(["a"])], through=10)
    wrong = Schema((ColumnSchema("age", ColumnType.CATEGORICAL),))  # age changes its type
    bad = batch(Kind.PREDICTIONS, [{"id": "z", "features": {"age": "x"}, "prediction": 1}],
                schema=wrong)
    with pytest.raises(StoreError, match="column 'age'"):
        store.apply([labels([("a", 1)]), bad], through=20)
    assert store.applied_offset() == 10
    assert store.counts("credit") == {"predictions": 1, "labels": 0, "outcomes": 0}


def test_a_resent_prediction_id_keeps_the_first(store: DuckDBStore) -> None:
    store.apply([predictions(["a", "b", "a"], prediction=0.1)], through=10)  # within a batch
    store.apply([predictions(["b", "c"], prediction=0.9)], through=20)  # across batches
    _, meta = store.window("credit", T0, T0 + timedelta(hours=1))
    got = dict(zip(meta.column("id").to_pylist(), meta.column("prediction").to_pylist(),
                   strict=True))
    assert got == {"a": 0.1, "b": 0.1, "c": 0.9}


def test_window_is_start_inclusive_end_exclusive(store: DuckDBStore) -> None:
    store.apply([predictions(["early", "first", "last", "out"], minutes=[-1, 0, 59.99, 60])],
                through=10)
    features, meta = store.window("credit", T0, T0 + timedelta(hours=1))
    assert sorted(meta.column("id").to_pylist()) == ["first", "last"]
    assert meta.column_names == ["id", "timestamp", "model_version", "segment.region",
                                 "prediction", "scores", "latency_ms", "error"]
    # features come back under their own names, the reserved-name one included
    assert features.column_names == ["age", "plan", "error"]
    assert features.column("error").to_pylist() == [0.5, 0.5]
    assert store.window("other", T0, T0 + timedelta(hours=1))[1].num_rows == 0


def test_new_feature_columns_are_added_and_old_rows_read_null(store: DuckDBStore) -> None:
    store.apply([predictions(["a"])], through=10)
    wider = Schema((*SCHEMA.columns, ColumnSchema("income", ColumnType.NUMERIC)))
    record = {"id": "b", "timestamp": T0.isoformat(), "prediction": 1,
              "features": {"age": 1, "income": 5000}}
    store.apply([batch(Kind.PREDICTIONS, [record], schema=wider)], through=20)
    features, meta = store.window("credit", T0, T0 + timedelta(minutes=1))
    incomes = dict(zip(meta.column("id").to_pylist(), features.column("income").to_pylist(),
                       strict=True))
    assert incomes == {"a": None, "b": 5000.0}


def test_labels_for_gives_the_latest_label_and_the_count(store: DuckDBStore) -> None:
    store.apply([labels([("a", 0), ("a", 1), ("b", True)], minutes=[60, 90, 60])], through=10)
    store.apply([labels([("a", "late-but-older")], minutes=[30])], through=20)
    table = store.labels_for("credit", pa.array(["a", "b", "missing"])).sort_by("id")
    assert table.column("id").to_pylist() == ["a", "b"]
    assert table.column("label").to_pylist() == ["1", "true"]
    assert table.column("labels").to_pylist() == [3, 1]
    assert table.column("timestamp").to_pylist()[0] == T0 + timedelta(minutes=90)
    assert store.labels_for("other", pa.array(["a"])).num_rows == 0


def test_outcomes_for_gives_every_outcome_of_the_ids(store: DuckDBStore) -> None:
    store.apply([outcomes([("a", "revenue", 10), ("a", "revenue", 5), ("b", "click", 1)])],
                through=10)
    table = store.outcomes_for("credit", pa.array(["a"]))
    assert sorted(table.column("value").to_pylist()) == [5.0, 10.0]
    assert table.column_names == ["id", "name", "value", "timestamp"]


def sample(value: float, start_hour: int = 0, **labels: str) -> MetricSample:
    start = T0 + timedelta(hours=start_hour)
    return MetricSample("credit", "feature_drift", {"monitor": "drift", **labels}, start,
                        start + timedelta(hours=1), value, Status.OK, {"p_value": 0.5})


def test_samples_upsert_by_series_and_window(store: DuckDBStore) -> None:
    store.write_samples([sample(0.1, feature="age"), sample(0.2, feature="plan")], T0)
    store.write_samples([sample(0.3, feature="age")], T0 + timedelta(minutes=5))  # re-evaluated
    got = {s.labels["feature"]: s.value for s in store.samples("credit")}
    assert got == {"age": 0.3, "plan": 0.2}
    back = store.samples("credit", name="feature_drift")[0]
    assert back.window_start == T0 and back.details == {"p_value": 0.5}
    assert back.status is Status.OK


def test_sample_queries_filter_by_name_and_time(store: DuckDBStore) -> None:
    store.write_samples([sample(float(h), h, feature="age") for h in range(4)], T0)
    inside = store.samples("credit", "feature_drift", T0 + timedelta(hours=1),
                           T0 + timedelta(hours=3))
    assert [s.value for s in inside] == [1.0, 2.0]
    assert store.samples("credit", name="other") == []


def test_latest_samples_give_the_newest_window_per_series(store: DuckDBStore) -> None:
    store.write_samples([sample(float(h), h, feature="age") for h in range(3)]
                        + [sample(9.0, 0, feature="plan")], T0)
    latest = {s.labels["feature"]: s.value for s in store.latest_samples()}
    assert latest == {"age": 2.0, "plan": 9.0}


def test_dirty_windows_follow_late_events_and_joined_labels(store: DuckDBStore) -> None:
    store.apply([predictions(["a", "b"], minutes=[5, 125])], through=10)
    dirty = store.dirty("credit")
    assert dirty.as_of == 10
    assert dirty.windows(timedelta(hours=1)) == [T0, T0 + timedelta(hours=2)]
    store.mark_clean("credit", dirty.as_of)
    assert not store.dirty("credit")
    # a label for "a" arriving three hours later dirties the window of prediction "a"
    store.apply([labels([("a", 1)], minutes=[180])], through=20)
    assert store.dirty("credit").windows(timedelta(hours=1)) == [T0]


def test_marking_clean_keeps_buckets_dirtied_again_meanwhile(store: DuckDBStore) -> None:
    store.apply([predictions(["a"], minutes=[5])], through=10)
    seen = store.dirty("credit")
    store.apply([predictions(["b"], minutes=[6])], through=20)  # while evaluating
    store.mark_clean("credit", seen.as_of)
    assert store.dirty("credit").windows(timedelta(hours=1)) == [T0]


def test_everything_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "watchkeeper.duckdb"
    first = DuckDBStore(path)
    first.apply([predictions(["a"]), outcomes([("a", "revenue", 3)])], through=42)
    first.write_samples([sample(0.5, feature="age")], T0)
    first.close()
    again = DuckDBStore(path)
    assert again.applied_offset() == 42
    assert again.counts("credit") == {"predictions": 1, "labels": 0, "outcomes": 1}
    assert [s.value for s in again.latest_samples()] == [0.5]
    assert again.version == len(MIGRATIONS)  # every migration applied, none twice
    again.close()


def test_prune_applies_retention(store: DuckDBStore) -> None:
    # "old" and "kept" predictions an hour apart; "old" is labelled, "kept" has an outcome
    store.apply(
        [
            predictions(["old", "kept"], minutes=[0.0, 60.0]),
            labels([("old", 1), ("kept", 0)], minutes=[5.0, 65.0]),
            outcomes([("kept", "converted", 1.0)]),
        ],
        through=100,
    )
    deleted = store.prune("credit", T0 + timedelta(minutes=30))
    assert deleted["predictions"] == 1 and deleted["labels"] == 1
    assert store.counts("credit") == {"predictions": 1, "labels": 1, "outcomes": 1}
    _, meta = store.window("credit", T0, T0 + timedelta(hours=2))
    assert meta.column("id").to_pylist() == ["kept"]
    # nothing older is left: pruning again deletes nothing
    assert set(store.prune("credit", T0 + timedelta(minutes=30)).values()) == {0}


def test_prune_on_an_unknown_model_deletes_nothing(store: DuckDBStore) -> None:
    assert set(store.prune("nobody", T0).values()) == {0}
