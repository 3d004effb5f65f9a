"""What is queued is delivered at interpreter exit, after garbage collection and across fork."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import threading
import weakref
from pathlib import Path

import pytest
from sdk_loopback import LoopbackServer, wait_until

from watchkeeper.errors import ConfigError
from watchkeeper.sdk import Client

SRC = Path(__file__).resolve().parents[2] / "src"


def run_child(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def sender_threads() -> int:
    return sum(t.name == "watchkeeper-sender" for t in threading.enumerate())


def test_records_queued_at_interpreter_exit_are_delivered(server: LoopbackServer) -> None:
    child = run_child(
        """
        import sys
        from watchkeeper.sdk import Client

        client = Client(sys.argv[1], batch_size=1000, flush_interval=3600)
        for i in range(250):
            client.log_prediction("credit", f"r{i}", {"x": i}, 0)
        client.log_label("credit", "r0", 1)
        # no flush, no close: the interpreter exits with everything still queued
        """,
        server.url,
    )
    assert (child.returncode, child.stderr) == (0, "")
    assert [r["id"] for r in server.delivered("predictions")] == [f"r{i}" for i in range(250)]
    assert [r["id"] for r in server.delivered("labels")] == ["r0"]


def test_a_client_made_and_dropped_in_a_function_still_delivers_at_exit(
    server: LoopbackServer,
) -> None:
    child = run_child(
        """
        import gc, sys
        from watchkeeper.sdk import Client

        def serve(url):
            client = Client(url, flush_interval=3600)
            client.log_label("m", "from-a-function", 1)

        serve(sys.argv[1])
        gc.collect()
        """,
        server.url,
    )
    assert (child.returncode, child.stderr) == (0, "")
    assert [r["id"] for r in server.delivered()] == ["from-a-function"]


def test_a_collected_client_delivers_its_queue_and_stops_its_thread(
    server: LoopbackServer,
) -> None:
    baseline = sender_threads()
    client = Client(server.url, flush_interval=3600.0)
    assert sender_threads() == baseline + 1
    for i in range(10):
        client.log_label("m", f"r{i}", 1)
    collected = weakref.ref(client)
    del client
    gc.collect()
    assert collected() is None  # nothing (thread, atexit, fork hook) keeps the client alive
    wait_until(lambda: len(server.delivered()) == 10, 5.0, "the collected client's records")
    wait_until(lambda: sender_threads() == baseline, 5.0, "its sender thread to end")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_sends_its_own_records_once(server: LoopbackServer) -> None:
    child = run_child(
        """
        import os, sys
        from watchkeeper.sdk import Client

        client = Client(sys.argv[1], flush_interval=3600)
        client.log_label("m", "before-fork", 1)
        pid = os.fork()
        if pid == 0:  # the worker: its own sender thread; the parent's queue is not its to send
            client.log_label("m", "in-child", 1)
            sys.exit(0)  # delivered at exit
        _, status = os.waitpid(pid, 0)
        client.log_label("m", "parent-after-fork", 1)
        client.close()
        sys.exit(os.waitstatus_to_exitcode(status))
        """,
        server.url,
    )
    assert child.returncode == 0, child.stderr
    ids = sorted(r["id"] for r in server.delivered())
    assert ids == ["before-fork", "in-child", "parent-after-fork"]


def test_the_context_manager_closes(server: LoopbackServer) -> None:
    baseline = sender_threads()
    with Client(server.url, flush_interval=3600.0) as client:
        client.log_outcome("m", "r", "revenue", 3.0)
    assert server.delivered("outcomes") == [
        {
            "id": "r",
            "name": "revenue",
            "value": 3.0,
            "timestamp": server.delivered()[0]["timestamp"],
        }
    ]
    assert sender_threads() == baseline


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"url": "127.0.0.1:8000"}, "url"),  # no scheme
        ({"batch_size": 0}, "batch_size"),
        ({"max_queue": 1.5}, "max_queue"),
        ({"flush_interval": -1}, "flush_interval"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": 0}, "timeout"),  # every request would time out
        ({"token": 123}, "token"),
    ],
)
def test_nonsensical_settings_fail_at_construction(options: dict[str, object], key: str) -> None:
    arguments: dict[str, object] = {"url": "http://127.0.0.1:1", **options}
    with pytest.raises(ConfigError, match=f"^{key}:"):
        Client(**arguments)  # type: ignore[arg-type]
