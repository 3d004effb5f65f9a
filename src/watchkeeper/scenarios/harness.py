"""Run a service config over a stream of records on simulated time, in process.

The same parts as ``watchkeeper serve``, without the network: each step's records are checked
and decoded as the HTTP intake does (:class:`~watchkeeper.ingest.records.BatchDecoder`) and
applied to a DuckDB store in a temporary directory; at the step's end the
:class:`~watchkeeper.monitors.evaluator.Evaluator` evaluates the closed windows and the
:class:`~watchkeeper.server.alerts.AlertService` ticks (rules, inhibition, silences, routing,
grouping, incidents, the outbox) with that time as ``now``. Its receivers are replaced by
recording ones, so nothing leaves the process — unless ``send=True``: then the configured
receivers deliver (their secrets must be in the environment). The run is deterministic: no
clock is read, records and times come from the traffic.

The result (:class:`~watchkeeper.scenarios.results.RunResult`) holds every alert transition
with its evaluation time, every notification queued, and the pipeline's refusals (inhibited,
silenced, ...) with their reasons.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import msgspec
import pyarrow as pa

from watchkeeper.alerting.model import Decision, Delivery, Notification
from watchkeeper.alerting.pipeline import AlertPipeline, PipelineResult
from watchkeeper.alerting.state import PipelineState
from watchkeeper.errors import ConfigError
from watchkeeper.ingest.layout import Kind
from watchkeeper.ingest.payload import EventBatch
from watchkeeper.ingest.records import BatchDecoder, ValidationFailed
from watchkeeper.monitors.evaluator import Evaluator
from watchkeeper.runtime import load_runtimes
from watchkeeper.scenarios.results import Refusal, RunResult, Sent, Transition
from watchkeeper.scenarios.traffic import MAX_ERRORS, Arrivals, Traffic
from watchkeeper.server.alerts import AlertService
from watchkeeper.settings import ServiceConfig
from watchkeeper.store.duckdb_store import DuckDBStore

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PLACEHOLDER_SECRET = "http://127.0.0.1:9/watchkeeper-harness"  # never used: nothing is sent
Progress = Callable[[int, int], None]  # (steps done, steps in all)


@dataclass(frozen=True)
class SilenceSpec:
    """A silence created before the run (matchers as in ``watchkeeper alerts silence``)."""

    matchers: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    comment: str = ""


def step_ticks(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """The evaluation times: every multiple of ``step`` (from the epoch, like windows) after
    ``start`` up to the first one at or after ``end``.

    >>> t = datetime(2026, 3, 2, 1, tzinfo=UTC)
    >>> [x.hour for x in step_ticks(t, t + timedelta(hours=11), timedelta(hours=6))]
    [6, 12]
    """
    if step <= timedelta(0):
        raise ConfigError("step", step, "must be positive")
    first = EPOCH + ((start - EPOCH) // step) * step + step
    ticks = []
    tick = first
    while tick - step < end:
        ticks.append(tick)
        tick += step
    return ticks


def run_harness(
    config: ServiceConfig,
    traffic: Traffic,
    step: timedelta,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    silences: Sequence[SilenceSpec] = (),
    send: bool = False,
    environ: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run ``config`` over ``traffic`` from ``start`` to ``end`` (default: the traffic's span),
    evaluating every ``step``."""
    first, last = traffic.span()
    start = start or first
    end = end or last
    if end <= start:
        raise ConfigError("end", end.isoformat(), f"must be after the start ({start.isoformat()})")
    ticks = step_ticks(start, end, step)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="watchkeeper-harness-") as directory:
        run = _Run(config, Path(directory), traffic.model, start, send, environ)
        try:
            for silence in silences:
                run.service.add_silence(
                    list(silence.matchers),
                    silence.ends_at,
                    "scenario",
                    silence.comment,
                    starts_at=silence.starts_at,
                )
            steps = zip(ticks, traffic.arrivals(start, ticks), strict=True)
            for done, (tick, arrivals) in enumerate(steps):
                run.step(tick, arrivals)
                if progress is not None:
                    progress(done + 1, len(ticks))
            if send:
                run.drain()
            return run.result(start, ticks[-1], len(ticks), time.perf_counter() - began)
        finally:
            run.close()


class _Clock:
    """The simulated time: the end of the current step."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class _Placeholders(Mapping[str, str]):
    """An environment in which every variable is set (receivers are built, never used)."""

    def __getitem__(self, key: str) -> str:
        return PLACEHOLDER_SECRET

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class RecordingNotifier:
    """Delivers nothing; the outbox row is marked delivered (the harness reads the outbox)."""

    kind: ClassVar[str] = "recording"

    def send(self, notification: Notification) -> Delivery:
        return Delivery(True, "recorded by the harness, not sent")


class RecordingPipeline(AlertPipeline):
    """The alert pipeline, keeping every refusal (a stage that stopped an alert or group)."""

    def __init__(self, pipeline: AlertPipeline) -> None:
        self.plan = pipeline.plan
        self.stages = pipeline.stages
        self.refusals: list[tuple[datetime, Decision]] = []

    def run(self, alerts: Any, state: PipelineState, now: datetime) -> PipelineResult:
        result = super().run(alerts, state, now)
        self.refusals += [(now, d) for d in result.decisions if not d.passed]
        return result


class _Run:
    """The open parts of one harness run."""

    def __init__(
        self,
        config: ServiceConfig,
        directory: Path,
        model: str | None,
        start: datetime,
        send: bool,
        environ: Mapping[str, str] | None,
    ) -> None:
        self.config = msgspec.structs.replace(config, store=str(directory))
        self.model = _model(self.config, model)
        self.clock = _Clock(start)
        runtimes = load_runtimes(self.config)
        runtime = runtimes[self.model]
        self.decoder = BatchDecoder(
            runtime.config,
            runtime.schema,
            forbid_unknown_features=runtime.config.unknown_features == "reject",
        )
        self.store = DuckDBStore(directory / "watchkeeper.duckdb", self.clock)
        try:
            self.evaluator = Evaluator(runtimes, self.store)
            self.service = AlertService(
                self.config,
                self.store,
                environ=environ if send else _Placeholders(),
                wall_clock=self.clock,
            )
        except BaseException:
            self.store.close()
            raise
        if not send:  # the courier's notifiers, changed in place
            for kinds in self.service.notifiers.values():
                for kind in kinds:
                    kinds[kind] = RecordingNotifier()
        self.pipeline = RecordingPipeline(self.service.pipeline)
        self.service.pipeline = self.pipeline
        self.known: dict[str, str] = {}  # fingerprint -> last status
        self.transitions: list[Transition] = []
        self.counts = {"predictions": 0, "labels": 0, "rejected": 0}
        self.errors: list[str] = []

    def close(self) -> None:
        self.store.close()

    def step(self, tick: datetime, arrivals: Arrivals) -> None:
        self.clock.now = tick
        self._reject(arrivals.rejected, arrivals.errors)
        self._apply(Kind.PREDICTIONS, arrivals.prediction_body, arrivals.predictions, tick)
        self._apply(Kind.LABELS, arrivals.label_body, arrivals.labels, tick)
        self.evaluator.evaluate(tick)
        self.service.tick(tick)
        self.service.courier.run_once()
        self._observe(tick)

    def drain(self, attempts: int = 5, pause: float = 1.0) -> None:
        """Retry undelivered notifications a few times (``send`` only)."""
        for _ in range(attempts):
            if not self.service.ledger.outbox(pending_only=True):
                return
            time.sleep(pause)
            self.clock.now += self.service.courier.max_backoff
            self.service.courier.run_once()

    def _apply(self, kind: Kind, body: bytes, count: int, now: datetime) -> None:
        if not count:
            return
        table = self._decode(kind, body, now)
        if table is None or not table.num_rows:
            return
        batch = EventBatch(self.model, kind, table.num_rows, table)
        self.store.apply([batch], self.store.applied_offset() + 1)
        self.counts[kind.value] += table.num_rows

    def _decode(self, kind: Kind, body: bytes, now: datetime) -> pa.Table | None:
        """The batch as the intake stores it; bad records are left out and counted (the
        intake would refuse their whole request)."""
        try:
            decoded = self.decoder.decode(kind, body, ndjson=False, now=now)
            return pa.Table.from_batches([decoded.batch])
        except ValidationFailed:
            pass
        good: list[bytes] = []
        for raw in msgspec.json.decode(body, type=list[msgspec.Raw]):
            try:
                self.decoder.decode(kind, b"[" + bytes(raw) + b"]", ndjson=False, now=now)
            except ValidationFailed as exc:
                self._reject(1, (f"{kind.value}: {exc}",))
                continue
            good.append(bytes(raw))
        if not good:
            return None
        decoded = self.decoder.decode(kind, b"[" + b",".join(good) + b"]", ndjson=False, now=now)
        return pa.Table.from_batches([decoded.batch])

    def _reject(self, count: int, errors: Sequence[str]) -> None:
        self.counts["rejected"] += count
        for error in errors:
            if len(self.errors) < MAX_ERRORS:
                self.errors.append(error)

    def _observe(self, tick: datetime) -> None:
        for alert in self.service.ledger.alerts():
            status = alert.status.value
            if self.known.get(alert.fingerprint) == status:
                continue
            if alert.fingerprint not in self.known and status == "resolved":
                continue  # resolved before it was ever seen: history, not news
            self.known[alert.fingerprint] = status
            self.transitions.append(
                Transition(
                    tick,
                    alert.fingerprint,
                    dict(alert.labels),
                    status,
                    alert.reason,
                    alert.annotations.get("summary", ""),
                )
            )

    def result(self, start: datetime, end: datetime, steps: int, seconds: float) -> RunResult:
        sent = [
            Sent(
                item.created_at.astimezone(UTC),
                item.receiver,
                item.integration,
                item.notification.status,
                item.group_key,
                tuple((a.fingerprint, a.name, a.status.value) for a in item.notification.alerts),
                item.delivered_at is not None,
                item.detail,
            )
            for item in reversed(self.service.ledger.outbox(limit=10_000_000))
        ]
        refusals = [Refusal(at, d.subject, d.stage, d.reason) for at, d in self.pipeline.refusals]
        return RunResult(
            start,
            end,
            steps,
            self.counts["predictions"],
            self.counts["labels"],
            self.counts["rejected"],
            tuple(self.errors),
            tuple(self.transitions),
            tuple(sent),
            tuple(refusals),
            seconds,
        )


def _model(config: ServiceConfig, model: str | None) -> str:
    names = sorted(config.models)
    if model is None:
        if len(names) != 1:
            raise ConfigError(
                "model", None, f"the config has {len(names)} models; name one of {names}"
            )
        return names[0]
    if model not in config.models:
        raise ConfigError("model", model, f"not a model of the config (it has {names})")
    return model
