"""Run the service: open the store and the log, replay, serve HTTP, drain on shutdown.

Files under the configured ``store`` directory: ``watchkeeper.duckdb`` (the store) and
``wal/`` (the event log). SIGTERM and Ctrl-C stop accepting requests, let the ones in flight
finish, write and apply everything queued, then close the store.
"""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette

from watchkeeper.ingest.pipeline import Clock, Intake
from watchkeeper.ingest.wal import WriteAheadLog
from watchkeeper.schema import Schema
from watchkeeper.server.app import create_app
from watchkeeper.settings import ServiceConfig, load_service_config, parse_duration
from watchkeeper.store.duckdb_store import DuckDBStore

if TYPE_CHECKING:
    from watchkeeper.server.alerts import AlertService

STORE_FILE = "watchkeeper.duckdb"
WAL_DIR = "wal"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Service:
    """The open store, log and intake of one service process."""

    config: ServiceConfig
    store: DuckDBStore
    wal: WriteAheadLog
    intake: Intake

    def close(self) -> None:
        self.intake.drain()
        self.store.close()

    def store_bytes(self) -> int:
        """Bytes on disk under the store directory (DuckDB file and log)."""
        directory = self.config.path(self.config.store)
        return sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())


def open_service(
    config: ServiceConfig, schemas: Mapping[str, Schema], clock: Clock = utc_now
) -> Service:
    """Open (or create) the store and the log, and replay what the store has not applied."""
    directory = config.path(config.store)
    store = DuckDBStore(directory / STORE_FILE, clock)
    wal = WriteAheadLog(directory / WAL_DIR)
    intake = Intake(config, store, wal, clock, schemas=schemas)
    intake.start()
    return Service(config, store, wal, intake)


def model_schemas(config: ServiceConfig) -> dict[str, Schema]:
    """Each model's feature schema, inferred from its reference."""
    from watchkeeper.runtime import load_runtimes

    return {name: runtime.schema for name, runtime in load_runtimes(config).items()}


def run_app(app: Starlette, host: str, port: int, sock: socket.socket | None = None) -> None:
    """Serve ``app`` until SIGTERM / SIGINT, then return (so the caller can drain).

    uvicorn handles both signals while serving and raises them again once it has stopped;
    the handlers installed here take that second delivery, so the process does not end
    before the intake has applied what it acknowledged.
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
    )
    server = uvicorn.Server(config)
    sockets = [sock] if sock is not None else None
    if threading.current_thread() is not threading.main_thread():
        server.run(sockets=sockets)
        return
    previous = {sig: signal.signal(sig, _stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=sockets)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stopped(sig: int, frame: FrameType | None) -> None:
    """The signal uvicorn raises again after its graceful shutdown: already handled."""


@dataclass
class Running:
    """The assembled service: its ASGI app, the store and log, the alerting loop."""

    app: Starlette
    service: Service
    alerts: AlertService


@contextmanager
def assembled(config: ServiceConfig, clock: Clock = utc_now) -> Iterator[Running]:
    """Everything ``watchkeeper serve`` runs besides the HTTP server: store, log and intake,
    evaluator, push exporters, alerting (with its courier) and the scheduler, all started;
    on exit they stop in reverse order and the log is drained into the store."""
    from watchkeeper.export.push import push_exporters
    from watchkeeper.monitors.evaluator import Evaluator
    from watchkeeper.runtime import load_runtimes
    from watchkeeper.server.alerts import AlertService
    from watchkeeper.server.scheduler import (
        Scheduler,
        evaluate_and_push,
        metrics_renderer,
        rule_settles,
    )

    runtimes = load_runtimes(config)
    with ExitStack() as stack:
        service = open_service(config, {name: r.schema for name, r in runtimes.items()}, clock)
        stack.callback(service.close)
        exporters = push_exporters(config)
        stack.callback(exporters.close)
        alerts = AlertService(config, service.store)  # e.g. a receiver's secret is not set
        stack.callback(alerts.stop)
        evaluator = Evaluator(runtimes, service.store, before=service.intake.wait_applied)
        interval = parse_duration(config.server.evaluate_every)
        scheduler = Scheduler(evaluator, interval, clock, exporters, alerts)
        stack.callback(scheduler.stop)
        app = create_app(
            config,
            service.intake,
            service.store,
            evaluate=evaluate_and_push(evaluator, exporters, alerts),
            metrics_text=metrics_renderer(
                service, evaluator, clock(), alerts, rule_settles(config)
            ),
            alerts=alerts,
            references=lambda model: evaluator.runtimes[model].reference,
            clock=clock,
        )
        alerts.start()
        scheduler.start()
        yield Running(app, service, alerts)


def serve(config_path: str | Path, host: str | None = None, port: int | None = None) -> None:
    """``watchkeeper serve``: host and port default to the config's ``server`` section.

    One process: the HTTP API, the intake, the evaluation scheduler, alerting and /metrics.
    """
    config = load_service_config(config_path)
    with assembled(config) as running:
        run_app(running.app, host or config.server.host, port or config.server.port)
