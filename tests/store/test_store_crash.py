"""Exactly once across crashes: rows and the log checkpoint are committed together.

A child process applies event groups to a real store file and is killed with SIGKILL; the
parent reopens the file and checks that the rows present are exactly those of the groups up
to the checkpoint, then replays from the checkpoint as the intake does.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"
GROUP = 20_000  # rows per group; group k is checkpointed at offset (k + 1) * 1000


def child(code: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(HERE)])}
    prelude = textwrap.dedent(
        """
        import sys, time
        import pyarrow as pa
        from watchkeeper.ingest.layout import Kind
        from watchkeeper.ingest.payload import EventBatch
        from watchkeeper.store.duckdb_store import DuckDBStore
        from store_helpers import predictions

        def group(k, rows):
            ids = pa.array([f"{k}-{i}" for i in range(rows)])
            return EventBatch("credit", Kind.LABELS, rows,
                              pa.table({"id": ids, "label": pa.nulls(rows, pa.string())}))
        """
    )
    return subprocess.Popen([sys.executable, "-c", prelude + textwrap.dedent(code)], env=env,
                            stdout=subprocess.PIPE, text=True)


def rows_and_checkpoint(path: Path, table: str) -> tuple[int, int, int]:
    con = duckdb.connect(str(path))
    try:
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchall()[0][0]
        rows, distinct = (0, 0)
        if exists:
            rows, distinct = con.execute(
                f'SELECT count(*), count(DISTINCT id) FROM "{table}"'
            ).fetchall()[0]
        checkpoint = con.execute("SELECT applied_offset FROM wal_checkpoint").fetchall()[0][0]
        return int(rows), int(distinct), int(checkpoint)
    finally:
        con.close()


def test_a_kill_between_insert_and_checkpoint_inserts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "watchkeeper.duckdb"
    process = child(
        f"""
        store = DuckDBStore({str(path)!r})
        store.apply([predictions(["a", "b"])], through=100)
        original = DuckDBStore._mark_dirty

        def pause(self, *args):  # runs right after the INSERT, before the checkpoint moves
            original(self, *args)
            print("inserted", flush=True)
            time.sleep(60)

        DuckDBStore._mark_dirty = pause
        store.apply([predictions(["c", "d", "e"])], through=200)
        """
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "inserted"
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)
    assert rows_and_checkpoint(path, "predictions__credit") == (2, 2, 100)
    # replaying from the checkpoint applies the lost group exactly once
    replay = child(
        f"""
        store = DuckDBStore({str(path)!r})
        print(store.apply([predictions(["c", "d", "e"])], through=200))
        print(store.apply([predictions(["c", "d", "e"])], through=200))
        store.close()
        """
    )
    out, _ = replay.communicate(timeout=60)
    assert out.split() == ["3", "0"]
    assert rows_and_checkpoint(path, "predictions__credit") == (5, 5, 200)


@pytest.mark.slow
def test_random_kills_never_leave_rows_without_their_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "watchkeeper.duckdb"
    rng = random.Random(7)
    code = f"""
        store = DuckDBStore({str(path)!r})
        start = store.applied_offset() // 1000
        print("open", flush=True)
        for k in range(start, start + {{groups}}):
            store.apply([group(k, {GROUP})], through=(k + 1) * 1000)
        store.close()
        """
    kills = 0
    for _ in range(4):
        process = child(code.format(groups=100))
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "open"
        time.sleep(rng.uniform(0.2, 0.8))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=10)
        kills += process.returncode == -signal.SIGKILL
        rows, distinct, checkpoint = rows_and_checkpoint(path, "labels__credit")
        assert rows == distinct == checkpoint // 1000 * GROUP
    assert kills == 4
    finish = child(code.format(groups=2))
    finish.communicate(timeout=60)
    rows, distinct, checkpoint = rows_and_checkpoint(path, "labels__credit")
    assert rows == distinct == checkpoint // 1000 * GROUP > 0
