"""The evaluation scheduler and the /metrics renderer of a running service."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from watchkeeper.export.health import ServiceHealth
from watchkeeper.export.prometheus import render_prometheus
from watchkeeper.export.push import PushExporters
from watchkeeper.monitors.evaluator import Evaluator
from watchkeeper.settings import ServiceConfig, parse_duration

if TYPE_CHECKING:
    from watchkeeper.server.alerts import AlertService
    from watchkeeper.server.run import Service

Clock = Callable[[], datetime]


class Scheduler:
    """Evaluates closed, changed windows every ``interval`` on the service's clock, then applies
    each model's retention.

    Errors are kept (``last_error``) and the next tick tries again: an evaluation failure
    never stops intake.
    """

    def __init__(
        self,
        evaluator: Evaluator,
        interval: timedelta,
        clock: Clock,
        exporters: PushExporters | None = None,
        alerts: AlertService | None = None,
    ) -> None:
        self.evaluator = evaluator
        self.exporters = exporters or PushExporters()
        self.alerts = alerts
        self.interval = interval
        self.clock = clock
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="evaluation-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.interval.total_seconds()):
            try:
                now = self.clock()
                evaluate_and_push(self.evaluator, self.exporters, self.alerts)(now)
                self.evaluator.prune(now)
                if self.alerts is not None:
                    self.alerts.prune(now)
                self.last_error = None
            except Exception as exc:  # kept for /metrics and logs; retried next tick
                self.last_error = f"{type(exc).__name__}: {exc}"


def evaluate_and_push(
    evaluator: Evaluator, exporters: PushExporters, alerts: AlertService | None = None
) -> Callable[[datetime], dict[str, Any]]:
    """Evaluate, hand the new samples to the push exporters, then run the alert rules on the
    same clock (for the API and the ticks)."""

    def run(until: datetime) -> dict[str, Any]:
        result = evaluator(until)
        exporters.push(evaluator.last_samples)
        if alerts is not None:
            result["alerts"] = alerts.tick(until)
        return result

    return run


def rule_settles(config: ServiceConfig) -> list[tuple[str, str, timedelta]]:
    """(model, metric, settle) of every rule of every model that waits for late labels."""
    from watchkeeper.rules.defaults import model_rules

    out = []
    for name, model in config.models.items():
        for rule in model_rules(name, model, config.alerting):
            if rule.settle is not None:
                out.append((name, rule.metric, parse_duration(rule.settle, "settle")))
    return list(dict.fromkeys(out))


def metrics_renderer(
    service: Service,
    evaluator: Evaluator,
    started: datetime,
    alerts: AlertService | None = None,
    settles: Sequence[tuple[str, str, timedelta]] = (),
) -> Callable[[], bytes]:
    """``/metrics``: the newest window of every series plus the service's own health, each
    model's reference performance and, per ``(model, metric, settle)`` of ``settles`` (the
    rules with a ``settle``), the newest settled window of the metric's series."""

    def render() -> bytes:
        intake = service.intake.health()
        health = ServiceHealth(
            up_since=started,
            events_accepted_total=dict(intake.accepted),
            events_rejected_total=intake.rejected_events,
            drops_total={"intake_shed": intake.shed_events},
            ingest_queue_depth=intake.queue_events,
            wal_lag_frames=intake.lag_frames,
            wal_lag_seconds=intake.lag_seconds,
            apply_duration_seconds=intake.apply_seconds,
            evaluation_duration_seconds=evaluator.last_seconds,
            evaluations_total=evaluator.evaluations,
            store_bytes=service.store_bytes(),
            **(alerts.health() if alerts is not None else {}),
        )
        samples = service.store.latest_samples()
        if settles:
            samples += service.store.settled_samples(settles)
        references = {
            name: runtime.reference_performance for name, runtime in evaluator.runtimes.items()
        }
        return render_prometheus(samples, health, references=references)

    return render
