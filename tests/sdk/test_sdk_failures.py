"""Failures are retried, rejected or dropped — counted every time, never raised into the caller."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sdk_helpers import QUICK_RETRY
from sdk_loopback import LoopbackServer, free_dead_url, wait_until

from watchkeeper.sdk import Client, RetryPolicy


def test_a_503_is_retried_until_it_succeeds(
    server: LoopbackServer, make_client: Callable[..., Client]
) -> None:
    server.fail_next(2, 503)
    client = make_client(server.url)
    for i in range(5):
        client.log_prediction("m", f"r{i}", {"x": i}, 0)
    assert client.flush(5.0)
    assert [r.status for r in server.requests] == [503, 503, 202]
    assert len({r.body for r in server.requests}) == 1  # the same batch, sent again
    stats = client.stats
    assert (stats.sent, stats.retries, stats.dropped_failed, stats.queued) == (5, 2, 0, 0)


@pytest.mark.parametrize(
    "status",
    [
        408,  # request timeout: the service never saw the whole batch
        429,  # too many requests: come back later
        500,
        502,
    ],
)
def test_retriable_statuses_are_retried(
    server: LoopbackServer, make_client: Callable[..., Client], status: int
) -> None:
    server.fail_next(1, status)
    client = make_client(server.url)
    client.log_label("m", "r", 1)
    assert client.flush(5.0)
    assert [r.status for r in server.requests] == [status, 202]
    assert client.stats.sent == 1


@pytest.mark.parametrize(
    "status",
    [
        400,  # the batch failed validation: sending it again cannot help
        401,  # bad token
        404,
        413,
        422,
    ],
)
def test_a_rejected_batch_is_dropped_counted_and_not_retried(
    server: LoopbackServer, make_client: Callable[..., Client], status: int
) -> None:
    server.fail_next(1, status)
    client = make_client(server.url)
    for i in range(3):
        client.log_prediction("m", f"r{i}", {"x": i}, 0)
    assert client.flush(5.0)
    client.log_prediction("m", "after", {"x": 9}, 1)
    assert client.flush(5.0)
    assert [r.status for r in server.requests] == [status, 202]
    stats = client.stats
    assert (stats.sent, stats.dropped_rejected, stats.retries) == (1, 3, 0)
    assert stats.last_error is not None
    assert stats.last_error.startswith(str(status)) and "scripted failure" in stats.last_error


def test_a_batch_still_failing_after_the_last_retry_is_given_up(
    server: LoopbackServer, make_client: Callable[..., Client]
) -> None:
    server.fail_next(1 + QUICK_RETRY.max_retries, 503)
    client = make_client(server.url)
    client.log_label("m", "lost", 1)
    assert client.flush(5.0)
    client.log_label("m", "kept", 0)
    assert client.flush(5.0)
    assert [r["id"] for r in server.delivered()] == ["kept"]
    stats = client.stats
    assert (stats.sent, stats.dropped_failed, stats.retries) == (1, 1, QUICK_RETRY.max_retries)
    assert "503" in (stats.last_error or "")


def test_when_the_queue_is_full_new_records_are_dropped_and_counted(
    server: LoopbackServer, make_client: Callable[..., Client]
) -> None:
    server.delay = 0.3  # the sender is busy with its first batch while the queue fills
    client = make_client(server.url, batch_size=1, max_queue=5)
    client.log_label("m", "first", 1)
    wait_until(lambda: server.arrived == 1, 5.0, "the first batch to be in flight")
    for i in range(20):
        client.log_label("m", f"r{i}", 1)
    client.log_prediction("m", "p", {"x": 1}, 0)  # every kind is dropped alike
    client.log_outcome("m", "o", "revenue", 1.0)
    stats = client.stats
    assert (stats.dropped_full, stats.queued) == (17, 6)  # 5 in the queue, 1 in flight
    server.delay = 0.0
    assert client.flush(10.0)
    assert [r["id"] for r in server.delivered()] == ["first"] + [f"r{i}" for i in range(5)]


class Unencodable:
    pass


GARBAGE: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    # (log method, positional arguments, keyword arguments): one row per kind of mistake
    ("log_prediction", ("m", None, {"x": 1}, 0), {}),  # no id
    ("log_prediction", ("m", "", {"x": 1}, 0), {}),  # empty id
    ("log_prediction", ("m", "r", [1, 2], 0), {}),  # features not a mapping
    ("log_prediction", ("m", "r", {1: "x"}, 0), {}),  # a feature name that is not a string
    ("log_prediction", ("m", "r", {"x": Unencodable()}, 0), {}),  # a value JSON cannot hold
    ("log_prediction", ("m", "r", {"x": 1}, None), {}),  # no prediction (and no error)
    ("log_prediction", ("m", "r", {"x": 1}, [0.2, 0.8]), {}),  # not a scalar: scores= is for that
    ("log_prediction", ("m", "r", {"x": 1}, math.inf), {}),
    ("log_prediction", ("m", "r", {"x": 1}, 0), {"latency_ms": -1}),
    ("log_prediction", ("m", "r", {"x": 1}, 0), {"latency_ms": math.nan}),
    ("log_prediction", ("m", "r", {"x": 1}, 0), {"timestamp": "yesterday"}),
    ("log_prediction", ("m", "r", {"x": 1}, 0), {"timestamp": 1e300}),
    ("log_prediction", ("m", "r", {"x": 1}, 0), {"timestamp": -5.0}),  # before 1970
    ("log_prediction", ("m", "r", {"x": 1}, 0), {"scores": 0.3}),
    ("log_prediction", ("m", "r", {"x": 1}, 0), {"scores": [0.5, math.nan]}),
    ("log_prediction", ("m", "r", {"x": 1}, 0), {"segment": {"tier": 2}}),  # values are text
    ("log_prediction", ("m", "r", {"x": 1}, 0), {"model_version": 3}),
    ("log_prediction", ("m", "r", {"x": 1}, 0), {"segment": "north"}),
    ("log_prediction", ("m", "r", {"x": 1}, 0), {"error": 500}),
    ("log_prediction", (None, "r", {"x": 1}, 0), {}),  # no model
    ("log_prediction", (["unhashable"], "r", {"x": 1}, 0), {}),  # a model that is not a string
    ("log_label", ("m", "r", None), {}),  # no label
    ("log_label", ("m", "r", {"class": 1}), {}),  # not a scalar
    ("log_label", ("m", 1.5, 1), {}),  # a float id
    ("log_outcome", ("m", "r", "", 1.0), {}),  # no outcome name
    ("log_outcome", ("m", "r", "revenue", "lots"), {}),  # a value that is not a number
    ("log_outcome", ("m", "r", "revenue", math.inf), {}),
]


def test_garbage_arguments_never_raise_and_are_counted_as_rejected(
    server: LoopbackServer, make_client: Callable[..., Client]
) -> None:
    client = make_client(server.url)
    for method, args, kwargs in GARBAGE:
        getattr(client, method)(*args, **kwargs)
    client.log_prediction("m", "good", {"x": 1, "when": datetime(2026, 1, 1)}, 0.5)
    assert client.flush(5.0)
    assert [r["id"] for r in server.delivered()] == ["good"]  # good records still go out
    assert server.delivered()[0]["features"]["when"] == "2026-01-01T00:00:00"
    stats = client.stats
    assert (stats.sent, stats.dropped_rejected) == (1, len(GARBAGE))
    assert all(r.status == 202 for r in server.requests)


def test_a_broken_clock_does_not_raise() -> None:
    def broken_clock() -> float:
        raise OSError("no clock")

    with Client(free_dead_url(), clock=broken_clock, retry=QUICK_RETRY) as client:
        client.log_label("m", "r", 1)
        client.log_outcome("m", "r", "n", 1.0)
        client.log_prediction("m", "r", {}, 0)
        client.log_label("m", "r", 1, timestamp=5.0)  # a given time does not need the clock
        assert client.stats.dropped_rejected == 3


def test_a_dead_server_never_blocks_or_raises_and_close_gives_up_in_time() -> None:
    patient = RetryPolicy(base=0.05, cap=0.2, max_retries=1000)
    client = Client(free_dead_url(), batch_size=10, flush_interval=0.0, retry=patient)
    started = time.perf_counter()
    for i in range(2000):
        client.log_prediction("m", f"r{i}", {"x": i}, 0)
    assert time.perf_counter() - started < 0.5  # 2000 calls, none waits on the network
    assert not client.flush(0.3)
    began = time.monotonic()
    assert not client.close(timeout=0.5)
    assert time.monotonic() - began < 1.5
    # given up, every remaining batch gets one last attempt and is counted as failed
    wait_until(lambda: client.stats.dropped_failed == 2000, 10.0, "all batches to be given up")
    stats = client.stats
    assert (stats.sent, stats.queued, stats.dropped_full, stats.dropped_rejected) == (0, 0, 0, 0)
    assert stats.retries > 0
    assert "ConnectError" in (stats.last_error or "")


def test_a_slow_server_does_not_slow_the_caller(
    server: LoopbackServer, make_client: Callable[..., Client]
) -> None:
    server.delay = 0.5
    client = make_client(server.url, batch_size=10, flush_interval=0.0)
    worst = 0
    for i in range(1000):
        before = time.perf_counter_ns()
        client.log_label("m", f"r{i}", i % 2)
        worst = max(worst, time.perf_counter_ns() - before)
    assert worst < 50_000_000  # far below one slow answer (500 ms), whatever the scheduler does
    server.delay = 0.0
    assert client.flush(10.0)
    assert client.stats.sent == 1000
