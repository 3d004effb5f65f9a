"""The intake end to end on real files: validate -> log -> store, replay, drain, health."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from intake_helpers import SCHEMA, FakeClock, body, prediction, service_config

from watchkeeper.errors import ConfigError
from watchkeeper.ingest.layout import Kind
from watchkeeper.ingest.pipeline import (
    LARGE_BODY_BYTES,
    Intake,
    UnavailableError,
    UnknownModelError,
)
from watchkeeper.ingest.records import ValidationFailed
from watchkeeper.ingest.wal import WriteAheadLog
from watchkeeper.store.duckdb_store import DuckDBStore


class World:
    """A store directory with its log, store and intake, reopenable like a restarted process."""

    def __init__(self, root: Path, **options: float) -> None:
        self.root = root
        self.clock = FakeClock()
        self.options = options
        self.open()

    def open(self, start: bool = True) -> None:
        self.store = DuckDBStore(self.root / "watchkeeper.duckdb")
        self.wal = WriteAheadLog(self.root / "wal")
        self.intake = Intake(service_config(str(self.root)), self.store, self.wal, self.clock,
                             schemas={"credit": SCHEMA}, **self.options)
        if start:
            self.intake.start()

    def close(self) -> None:
        self.intake.drain()
        self.store.close()

    def crash(self) -> None:
        """Stop without applying what the log holds (as if killed after the fsync). A closing
        applier applies what is pending, so its store writes nothing from here on: otherwise
        an applier woken just before the flag is set could still apply (a race under load);
        a failed apply keeps the frames in the log, as a killed process would."""

        def gone(*args: object, **kwargs: object) -> int:
            raise RuntimeError("the process was killed")

        self.store.apply = gone  # type: ignore[method-assign]
        self.intake._closing = True
        self.wal.close()
        self.store.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    opened = World(tmp_path)
    yield opened
    opened.close()


def test_accepted_events_reach_the_store(world: World) -> None:
    accepted = world.intake.submit_sync("credit", Kind.PREDICTIONS,
                                        body([prediction("a"), prediction("b")]), ndjson=False)
    assert accepted == 2
    world.intake.submit_sync("credit", Kind.LABELS, b'{"id": "a", "label": 1}', ndjson=True)
    world.intake.drain()
    assert world.store.counts("credit") == {"predictions": 2, "labels": 1, "outcomes": 0}
    health = world.intake.health()
    assert health.accepted == {"predictions": 2, "labels": 1, "outcomes": 0}
    assert health.applied_events == 3 and health.queue_events == 0 and health.lag_bytes == 0
    assert health.applied_offset == health.log_end == world.store.applied_offset()


def test_a_rejected_batch_writes_nothing(world: World) -> None:
    records = [prediction("good"), prediction("bad", features={"age": "x"})]
    with pytest.raises(ValidationFailed):
        world.intake.submit_sync("credit", Kind.PREDICTIONS, body(records), ndjson=False)
    assert world.wal.end == 0
    world.intake.drain()
    assert world.store.counts("credit")["predictions"] == 0
    health = world.intake.health()
    assert (health.rejected_batches, health.rejected_events) == (1, 1)


def test_async_submit_answers_once_durable(world: World) -> None:
    async def send() -> list[int]:
        batches = [body([prediction(f"p{i}")]) for i in range(10)]
        return list(await asyncio.gather(
            *(world.intake.submit("credit", Kind.PREDICTIONS, b, ndjson=False) for b in batches)))

    assert asyncio.run(send()) == [1] * 10
    assert len(list(world.wal.replay())) == 10  # every acknowledged batch is in the log


@pytest.mark.parametrize(
    ("model", "error"),
    [
        ("nope", UnknownModelError),  # not configured
    ],
)
def test_unknown_models_are_refused(world: World, model: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        world.intake.submit_sync(model, Kind.LABELS, b"[]", ndjson=False)


def test_nothing_is_accepted_before_replay_or_after_drain(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.intake.drain()
    with pytest.raises(UnavailableError):
        world.intake.submit_sync("credit", Kind.LABELS, b'[{"id": "a", "label": 1}]',
                                 ndjson=False)
    world.store.close()
    world.open(start=False)
    with pytest.raises(UnavailableError, match="not ready"):
        world.intake.submit_sync("credit", Kind.LABELS, b'[{"id": "a", "label": 1}]',
                                 ndjson=False)
    world.intake.start()
    world.close()


def test_a_restart_replays_what_the_store_had_not_applied(tmp_path: Path) -> None:
    # a long apply interval keeps the events in the log only, then the process "dies"
    world = World(tmp_path, apply_interval=60.0)
    for i in range(3):
        world.intake.submit_sync("credit", Kind.PREDICTIONS, body([prediction(f"p{i}")]),
                                 ndjson=False)
    assert world.intake.health().queue_events == 3
    world.crash()
    world.open(start=False)
    assert world.store.counts("credit")["predictions"] == 0
    world.intake.start()  # replay
    assert world.store.counts("credit")["predictions"] == 3
    assert world.store.applied_offset() == world.wal.end
    world.close()
    world.open()  # nothing left to replay: nothing applied twice
    assert world.store.counts("credit")["predictions"] == 3
    world.close()


def test_health_reports_the_lag_on_the_injected_clock(tmp_path: Path) -> None:
    world = World(tmp_path, apply_interval=60.0)
    world.intake.submit_sync("credit", Kind.PREDICTIONS, body([prediction("a")]), ndjson=False)
    world.clock.advance(seconds=12)
    health = world.intake.health()
    assert (health.lag_frames, health.queue_events, health.lag_seconds) == (1, 1, 12.0)
    assert health.lag_bytes == world.wal.end > 0
    world.close()
    assert world.intake.health().lag_seconds == 0.0


def test_the_intake_sheds_load_when_the_store_falls_behind(tmp_path: Path) -> None:
    world = World(tmp_path, apply_interval=60.0, max_lag_bytes=1)
    world.intake.submit_sync("credit", Kind.PREDICTIONS, body([prediction("a")]), ndjson=False)
    with pytest.raises(UnavailableError, match="behind"):
        world.intake.submit_sync("credit", Kind.PREDICTIONS, body([prediction("b")]),
                                 ndjson=False)
    assert world.intake.health().shed_events == 1
    world.intake.drain()
    assert world.store.counts("credit")["predictions"] == 1
    world.store.close()


def test_unknown_features_are_counted(world: World) -> None:
    record = prediction("a", features={"age": 3, "zip": "12345"})
    world.intake.submit_sync("credit", Kind.PREDICTIONS, body([record]), ndjson=False)
    assert world.intake.health().extra_features == 1


@pytest.mark.parametrize(
    ("size", "off_loop"),
    [
        (10, False),  # small bodies are decoded on the event loop
        (1200, True),  # bodies over LARGE_BODY_BYTES in a worker thread
    ],
)
def test_large_bodies_are_decoded_in_a_worker_thread(
    world: World, monkeypatch: pytest.MonkeyPatch, size: int, off_loop: bool
) -> None:
    decoder = world.intake.decoders["credit"]
    threads: list[threading.Thread] = []
    original = decoder.decode

    def recording(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return original(*args, **kwargs)

    monkeypatch.setattr(decoder, "decode", recording)
    data = body([prediction(f"p{i}", features={"note": "x" * 1000}) for i in range(size)])
    assert (len(data) > LARGE_BODY_BYTES) is off_loop
    accepted = asyncio.run(world.intake.submit("credit", Kind.PREDICTIONS, data, ndjson=False))
    assert accepted == size
    assert (threads[0] is not threading.main_thread()) is off_loop


def test_every_configured_model_needs_a_schema(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path / "wal")
    store = DuckDBStore(tmp_path / "watchkeeper.duckdb")
    with pytest.raises(ConfigError, match=r"models\.credit"):
        Intake(service_config(str(tmp_path)), store, wal, FakeClock(), schemas={})
    wal.close()
    store.close()


@pytest.mark.parametrize(
    ("setting", "accepted"),
    [
        ("ignore", True),  # the default: the unknown feature is dropped and counted
        ("reject", False),  # the model's config asks for the whole batch to be refused
    ],
)
def test_unknown_features_follow_the_model_config(
    tmp_path: Path, setting: str, accepted: bool
) -> None:
    store = DuckDBStore(tmp_path / "watchkeeper.duckdb")
    wal = WriteAheadLog(tmp_path / "wal")
    config = service_config(str(tmp_path), unknown_features=setting)
    intake = Intake(config, store, wal, FakeClock(), schemas={"credit": SCHEMA})
    intake.start()
    record = prediction("a")
    record["features"] = {**record["features"], "shoe_size": 44}
    try:
        if accepted:
            assert intake.submit_sync("credit", Kind.PREDICTIONS, body([record]), ndjson=False) == 1
            assert intake.health().extra_features == 1
        else:
            with pytest.raises(ValidationFailed, match="shoe_size"):
                intake.submit_sync("credit", Kind.PREDICTIONS, body([record]), ndjson=False)
    finally:
        intake.drain()
        store.close()
