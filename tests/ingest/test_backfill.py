"""Backfilling a file posts every row once to a real loopback ingest server."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper.errors import InputError
from watchkeeper.ingest.backfill import ingest_file
from watchkeeper.sdk import DeliveryError, RetryPolicy


def _loopback() -> ModuleType:
    """The SDK tests' loopback ingest server (tests/sdk/sdk_loopback.py)."""
    if "sdk_loopback" in sys.modules:
        return sys.modules["sdk_loopback"]
    path = Path(__file__).resolve().parents[1] / "sdk" / "sdk_loopback.py"
    spec = importlib.util.spec_from_file_location("sdk_loopback", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sdk_loopback"] = module
    spec.loader.exec_module(module)
    return module


loopback = _loopback()
START = datetime(2026, 1, 1, tzinfo=UTC)
QUICK = RetryPolicy(base=0.0, cap=0.0, max_retries=3)


@pytest.fixture
def server() -> Iterator[Any]:
    started = loopback.LoopbackServer().start()
    yield started
    started.stop()


def history(rows: int) -> pa.Table:
    """A scored history: id, timestamp, three features, prediction, and a label on 2 rows in 3."""
    plan = pa.array([("basic", "gold", "pro")[i % 3] for i in range(rows)]).dictionary_encode()
    return pa.table(
        {
            "id": [f"h{i}" for i in range(rows)],
            "timestamp": pa.array([START + timedelta(seconds=i) for i in range(rows)]),
            "age": [20 + i % 50 for i in range(rows)],
            "income": [1000.0 * (i % 7) for i in range(rows)],
            "plan": plan,
            "prediction": [round((i % 100) / 100, 2) for i in range(rows)],
            "label": [None if i % 3 == 2 else i % 2 for i in range(rows)],
        }
    )


def test_a_parquet_file_is_posted_once_row_by_row(server: Any, tmp_path: Path) -> None:
    rows = 12_345
    path = tmp_path / "history.parquet"
    pq.write_table(history(rows), path)
    result = ingest_file(
        path, "credit", server.url, "tok", label_column="label", batch_size=5000, progress=False
    )
    predictions = server.delivered("predictions")
    assert [r["id"] for r in predictions] == [f"h{i}" for i in range(rows)]  # each once, in order
    assert [len(r.records) for r in server.requests if r.kind == "predictions"] == [
        5000,
        5000,
        2345,
    ]
    assert predictions[7] == {
        "id": "h7",
        "features": {"age": 27, "income": 0.0, "plan": "gold"},
        "prediction": 0.07,
        "timestamp": START.timestamp() + 7,
    }
    labels = server.delivered("labels")
    assert [r["id"] for r in labels] == [f"h{i}" for i in range(rows) if i % 3 != 2]
    assert labels[1] == {"id": "h1", "label": 1, "timestamp": START.timestamp() + 1}
    assert {r.headers["authorization"] for r in server.requests} == {"Bearer tok"}
    assert (result.rows, result.predictions, result.labels) == (rows, rows, len(labels))
    assert (result.rejected, result.retries, result.errors, result.ok) == (0, 0, (), True)


def test_csv_with_named_columns(server: Any, tmp_path: Path) -> None:
    path = tmp_path / "scored.csv"
    path.write_text("key,at,a,b,c,score\nk1,2026-01-01T00:00:00Z,1,x,9,0.5\nk2,,2,y,9,0.25\n")
    result = ingest_file(
        path,
        "m",
        server.url,
        id_column="key",
        timestamp_column="at",
        prediction_column="score",
        feature_columns=["a", "b"],
        progress=False,
    )
    first, second = server.delivered("predictions")
    assert first == {
        "id": "k1",
        "features": {"a": 1, "b": "x"},
        "prediction": 0.5,
        "timestamp": START.timestamp(),
    }
    assert "timestamp" not in second  # an empty time: the service stamps it on arrival
    assert server.delivered("labels") == []
    assert (result.predictions, result.labels, result.rejected) == (2, 0, 0)


def test_json_lines_without_a_timestamp_column(server: Any, tmp_path: Path) -> None:
    path = tmp_path / "scored.jsonl"
    lines = [{"id": i, "prediction": "yes", "x": i * 1.5} for i in range(3)]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    result = ingest_file(path, "m", server.url, progress=False)
    assert server.delivered() == [
        {"id": str(i), "features": {"x": i * 1.5}, "prediction": "yes"} for i in range(3)
    ]
    assert result.predictions == 3


def test_failed_batches_are_retried_with_the_injected_sleep(server: Any, tmp_path: Path) -> None:
    path = tmp_path / "h.parquet"
    pq.write_table(history(10), path)
    server.fail_next(2, 503)
    waits: list[float] = []
    policy = RetryPolicy(base=0.5, cap=1.0, max_retries=5)
    result = ingest_file(path, "m", server.url, retry=policy, sleep=waits.append, progress=False)
    assert len(waits) == 2 and 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0
    assert [r.status for r in server.requests] == [503, 503, 202]
    assert (result.predictions, result.retries) == (10, 2)


def test_a_batch_refused_as_invalid_is_counted_and_the_rest_still_sent(
    server: Any, tmp_path: Path
) -> None:
    path = tmp_path / "h.parquet"
    table = history(30).set_column(5, "prediction", pa.array([None] + [0.5] * 29, pa.float64()))
    pq.write_table(table, path)
    server.fail_next(1, 400)
    result = ingest_file(path, "m", server.url, batch_size=10, progress=False, retry=QUICK)
    # row 0 has no prediction (never sent); rows 1-9 were in the refused batch
    assert [r["id"] for r in server.delivered()] == [f"h{i}" for i in range(10, 30)]
    assert (result.predictions, result.rejected, result.ok) == (20, 10, False)
    assert result.errors[0].startswith("rows 0+: predictions record id 'h0': prediction:")
    assert result.errors[1].startswith("predictions rows 0+: 400 Bad Request: scripted 400")


@pytest.mark.parametrize(
    ("fail", "message"),
    [
        ([401], "401 Unauthorized"),  # a bad token would fail every batch: stop at once
        ([503] * 4, "after 4 attempt(s): 503"),  # still down after the last retry
    ],
)
def test_a_refusal_or_an_outage_stops_the_backfill(
    server: Any, tmp_path: Path, fail: list[int], message: str
) -> None:
    path = tmp_path / "h.parquet"
    pq.write_table(history(20), path)
    server.fail_next(len(fail), fail[0])
    with pytest.raises(DeliveryError, match=r"stopped at row 0: predictions .*") as caught:
        ingest_file(path, "m", server.url, batch_size=10, retry=QUICK, progress=False)
    assert message in str(caught.value)
    assert server.delivered() == []


def test_an_unreachable_service_is_a_delivery_error(tmp_path: Path) -> None:
    path = tmp_path / "h.parquet"
    pq.write_table(history(5), path)
    with pytest.raises(DeliveryError, match="ConnectError"):
        ingest_file(path, "m", loopback.free_dead_url(), retry=QUICK, progress=False)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"id_column": "key"}, "no id column 'key'; its columns are id, timestamp"),
        ({"label_column": "truth"}, "no label column 'truth'"),
        ({"feature_columns": ["age", "zip"]}, "no feature column 'zip'"),
        ({"prediction_column": "score"}, "no prediction column 'score'"),
    ],
)
def test_missing_columns_are_input_errors(
    tmp_path: Path, options: dict[str, Any], match: str
) -> None:
    path = tmp_path / "h.parquet"
    pq.write_table(history(3), path)
    with pytest.raises(InputError, match=match):
        ingest_file(path, "m", "http://127.0.0.1:1", progress=False, **options)


def test_empty_ids_are_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "h.parquet"
    pq.write_table(pa.table({"id": ["a", None], "prediction": [1, 0]}), path)
    with pytest.raises(InputError, match="id column 'id' has 1 empty values"):
        ingest_file(path, "m", "http://127.0.0.1:1", progress=False)


def test_no_progress_bar_when_stderr_is_not_a_terminal(
    server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "h.parquet"
    pq.write_table(history(3), path)
    ingest_file(path, "m", server.url)
    assert capsys.readouterr() == ("", "")
