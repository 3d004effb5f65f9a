"""The sender batches per (model, kind) by size and by age, and flush/close deliver everything."""

from __future__ import annotations

import time
from collections.abc import Callable

from sdk_helpers import FakeClock
from sdk_loopback import LoopbackServer, wait_until

from watchkeeper.sdk import Client


def test_full_batches_are_sent_at_batch_size_without_waiting_for_the_interval(
    server: LoopbackServer, make_client: Callable[..., Client]
) -> None:
    client = make_client(server.url, batch_size=10, flush_interval=3600.0, clock=FakeClock())
    for i in range(25):
        client.log_prediction("credit", f"r{i}", {"age": i}, 0.5)
    wait_until(lambda: len(server.requests) == 2, 5.0, "two full batches")
    time.sleep(0.1)  # the 5 left over wait for the interval, which a frozen clock never ends
    assert [len(r.records) for r in server.requests] == [10, 10]
    assert client.stats.queued == 5
    assert client.flush(5.0)
    assert [len(r.records) for r in server.requests] == [10, 10, 5]
    assert [rec["id"] for rec in server.delivered()] == [f"r{i}" for i in range(25)]


def test_a_partial_batch_is_sent_once_the_flush_interval_has_passed(
    server: LoopbackServer, make_client: Callable[..., Client]
) -> None:
    clock = FakeClock()
    client = make_client(server.url, batch_size=100, flush_interval=1.0, clock=clock)
    client.log_label("credit", "r1", 1)
    client.log_label("credit", "r2", 0)
    time.sleep(0.2)  # the sender takes them (its batch starts now) ...
    clock.now += 0.5
    time.sleep(0.2)  # ... and polls many times: half the interval is not enough
    assert server.requests == []
    clock.now += 1.0
    wait_until(lambda: len(server.requests) == 1, 5.0, "the interval flush")
    assert server.requests[0].kind == "labels"
    assert [r["label"] for r in server.requests[0].records] == [1, 0]


def test_batches_are_per_model_and_kind(
    server: LoopbackServer, make_client: Callable[..., Client]
) -> None:
    client = make_client(server.url, batch_size=100, flush_interval=3600.0)
    client.log_prediction("credit", "a", {"x": 1.0}, 1)
    client.log_prediction("fraud", "b", {"y": 2.0}, 0)
    client.log_label("credit", "a", 1)
    client.log_outcome("credit", "a", "revenue", 12.5)
    client.log_prediction("credit", "c", {"x": 3.0}, 0)
    assert client.flush(5.0)
    seen = sorted((r.model, r.kind, len(r.records)) for r in server.requests)
    assert seen == [
        ("credit", "labels", 1),
        ("credit", "outcomes", 1),
        ("credit", "predictions", 2),
        ("fraud", "predictions", 1),
    ]


def test_records_have_the_api_shape_and_the_injected_clock_time(
    server: LoopbackServer, make_client: Callable[..., Client]
) -> None:
    client = make_client(server.url, clock=FakeClock(1_767_225_600.25))
    client.log_prediction(
        "credit", 7, {"age": 41, "plan": "gold"}, 0.82,
        scores={"yes": 0.82, "no": 0.18}, latency_ms=12.5, model_version="v3",
        segment={"region": "north"},
    )  # fmt: skip
    client.log_prediction("credit", "r2", {"age": 30}, "no", error="timeout", timestamp=0)
    client.log_outcome("credit", "r2", "converted", True)
    assert client.flush(5.0)
    first, second = server.delivered("predictions")
    assert first == {
        "id": "7",
        "features": {"age": 41, "plan": "gold"},
        "prediction": 0.82,
        "timestamp": 1_767_225_600.25,
        "scores": {"yes": 0.82, "no": 0.18},
        "latency_ms": 12.5,
        "model_version": "v3",
        "segment": {"region": "north"},
    }
    assert second["timestamp"] == 0.0 and second["error"] == "timeout"
    (outcome,) = server.delivered("outcomes")
    assert outcome == {
        "id": "r2",
        "name": "converted",
        "value": 1.0,
        "timestamp": 1_767_225_600.25,
    }


def test_the_features_dict_is_copied_when_logged(
    server: LoopbackServer, make_client: Callable[..., Client]
) -> None:
    client = make_client(server.url)
    features = {"age": 1}
    for i in range(3):
        features["age"] = i  # a caller reusing one dict must not send the last values three times
        client.log_prediction("m", f"r{i}", features, 0)
    assert client.flush(5.0)
    assert [r["features"]["age"] for r in server.delivered()] == [0, 1, 2]


def test_the_bearer_token_is_sent(
    server: LoopbackServer, make_client: Callable[..., Client]
) -> None:
    client = make_client(server.url, token="s3cret")
    client.log_label("m", "r", 1)
    assert client.flush(5.0)
    assert server.requests[0].headers["authorization"] == "Bearer s3cret"
    assert server.requests[0].headers["content-type"] == "application/json"


def test_close_delivers_everything_and_later_logs_are_dropped(
    server: LoopbackServer, make_client: Callable[..., Client]
) -> None:
    client = make_client(server.url, batch_size=64, flush_interval=3600.0)
    for i in range(1000):
        client.log_prediction("m", i, {"f": float(i)}, i % 2)
    assert client.close(timeout=10.0)
    assert sorted(int(r["id"]) for r in server.delivered()) == list(range(1000))
    client.log_prediction("m", "late", {"f": 0.0}, 0)
    stats = client.stats
    assert (stats.sent, stats.queued, stats.dropped_full, stats.dropped_rejected) == (1000, 0, 1, 0)
    assert client.close(timeout=1.0)  # closing twice is harmless


def test_flush_sends_a_partial_batch_at_once(
    server: LoopbackServer, make_client: Callable[..., Client]
) -> None:
    client = make_client(server.url, batch_size=100, flush_interval=3600.0)
    for i in range(3):
        client.log_outcome("m", f"r{i}", "revenue", float(i))
    started = time.monotonic()
    assert client.flush(10.0)
    assert time.monotonic() - started < 1.0  # woken when done, not at the timeout
    assert len(server.delivered("outcomes")) == 3


def test_flush_with_nothing_queued_returns_at_once(
    server: LoopbackServer, make_client: Callable[..., Client]
) -> None:
    client = make_client(server.url)
    started = time.monotonic()
    assert client.flush(5.0)
    assert time.monotonic() - started < 0.5
    assert server.requests == []


def test_many_threads_logging_at_once_lose_nothing(
    server: LoopbackServer, make_client: Callable[..., Client]
) -> None:
    import threading

    client = make_client(server.url, batch_size=50, flush_interval=0.01)

    def work(worker: int) -> None:
        for i in range(500):
            client.log_prediction("m", f"{worker}-{i}", {"i": i}, 0)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.flush(10.0)
    ids = [r["id"] for r in server.delivered()]
    assert len(ids) == len(set(ids)) == 4000
    assert client.stats.sent == 4000
