"""The service's alerting loop: rules -> alerts -> pipeline -> outbox -> incidents.

:meth:`AlertService.tick` runs after every evaluation (the scheduler's and ``POST
/v1/evaluate``'s) with that evaluation's ``now``: it evaluates every model's rules over its
recent metric series, keeps each alert's first firing time and the evidence gathered when it
fired, runs the notification pipeline, updates the incident book and the retraining triggers,
and writes all of it — alerts, pipeline state, incidents, new outbox rows — in one transaction.
The courier thread then delivers the outbox. People's actions (acks, silences, incident
notes) go through the same lock and transaction.

Time: alert logic runs on the evaluation clock (the ``until`` of an evaluation, so a backfill
or a replay alerts in event time); actions taken between ticks use the latest tick's time.
Deliveries and retries use the wall clock.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import httpx

from watchkeeper.alerting.evidence import gather_evidence
from watchkeeper.alerting.incidents import IncidentBook
from watchkeeper.alerting.incidents_postmortem import render_postmortem
from watchkeeper.alerting.model import Alert, AlertStatus, Delivery, Notification, Notifier
from watchkeeper.alerting.pipeline import AlertPipeline
from watchkeeper.alerting.playbooks import render_playbook
from watchkeeper.alerting.silences import ack as ack_alert
from watchkeeper.alerting.silences import add_silence, expire_silence, list_silences, new_silence
from watchkeeper.alerting.state import PipelineState, Silence
from watchkeeper.errors import InputError
from watchkeeper.monitors.base import MetricSample
from watchkeeper.notify.common import post_json
from watchkeeper.notify.registry import build_notifiers
from watchkeeper.rules.defaults import model_rules, raise_drift_severity
from watchkeeper.rules.engine import evaluate_rules, rule_lookback
from watchkeeper.rules.impact import lower_low_impact_drift
from watchkeeper.rules.retraining import Trigger, due_triggers, export_labelled_window
from watchkeeper.server.outbox import Courier
from watchkeeper.settings import ServiceConfig, parse_duration
from watchkeeper.store.alert_ledger import AlertLedger, OutboxItem, Outgoing
from watchkeeper.store.duckdb_store import DuckDBStore

Clock = Callable[[], datetime]
PIPELINE, INCIDENTS, RETRAINING = "pipeline", "incidents", "retraining"
RETRAIN_PREFIX = "retraining:"  # outbox receiver of a retraining trigger
EVIDENCE_WINDOWS = 13  # windows of samples read for an alert's evidence (12 of history)
ACK_SUFFIX = "-ack"  # outbox integration of a vendor acknowledgement


def utc_now() -> datetime:
    return datetime.now(UTC)


class AlertService:
    def __init__(
        self,
        config: ServiceConfig,
        store: DuckDBStore,
        *,
        environ: Mapping[str, str] | None = None,
        http_transport: httpx.BaseTransport | None = None,
        smtp_factory: Any = None,
        wall_clock: Clock = utc_now,
    ) -> None:
        self.config = config
        self.store = store
        self.ledger = AlertLedger(store)
        self.section = config.alerting
        self.rules = {
            name: model_rules(name, model, self.section) for name, model in config.models.items()
        }
        # per model: metric -> how far back its rules read (one store query per metric)
        self.lookbacks: dict[str, dict[str, timedelta]] = {}
        self.evidence_span: dict[str, timedelta] = {}
        for name, model in config.models.items():
            longest = max(model.window_lengths(f"models.{name}"))
            spans: dict[str, timedelta] = {}
            for rule in self.rules[name]:
                span = rule_lookback(rule, longest)
                spans[rule.metric] = max(spans.get(rule.metric, span), span)
            self.lookbacks[name] = spans
            self.evidence_span[name] = longest * EVIDENCE_WINDOWS
        self.pipeline = AlertPipeline(self.section)
        environ = os.environ if environ is None else environ
        notifiers: dict[str, dict[str, Notifier]] = {}
        for name, receiver in self.section.receivers.items():
            built = build_notifiers(
                name, receiver, environ, http_transport=http_transport, smtp_factory=smtp_factory
            )
            notifiers[name] = {n.kind: n for n in built}
            for n in built:  # vendors with their own acknowledgement (PagerDuty, Opsgenie)
                if callable(getattr(n, "acknowledge", None)):
                    notifiers[name][n.kind + ACK_SUFFIX] = VendorAck(n)
        for spec in self.section.retraining:
            notifiers[RETRAIN_PREFIX + spec.name] = {
                "retraining": RetrainingNotifier(spec.webhook, spec.command, http_transport)
            }
        self.notifiers = notifiers
        self.courier = Courier(
            self.ledger,
            notifiers,
            wall_clock,
            listener=self._delivered,
            max_backoff=parse_duration(self.section.max_retry_delay),
        )
        self.wall_clock = wall_clock
        self._lock = threading.RLock()
        self.last_now: datetime | None = None
        self.ticks = 0
        self.last_seconds = 0.0

    def start(self) -> None:
        self.courier.start()

    def stop(self) -> None:
        self.courier.stop()

    def health(self) -> dict[str, Any]:
        """Readings for /metrics (the ServiceHealth alerting fields)."""
        firing: dict[str, int] = {}
        for alert in self.ledger.alerts(statuses=[AlertStatus.FIRING]):
            firing[alert.severity.value] = firing.get(alert.severity.value, 0) + 1
        counts = self.courier.counts
        return {
            "alerts_firing": firing,
            "notifications_total": {
                "delivered": counts.delivered,
                "retried": counts.retried,
                "failed": counts.failed,
            },
            "outbox_pending": len(self.ledger.outbox(pending_only=True)),
            "alerting_duration_seconds": self.last_seconds,
        }

    def now(self) -> datetime:
        """The alerting clock between ticks: the latest tick's time, else the wall clock."""
        return self.last_now or self.wall_clock()

    # -- the tick -----------------------------------------------------------------------------

    def tick(self, now: datetime) -> dict[str, Any]:
        """Evaluate rules, run the pipeline, update incidents; returns counts."""
        started = time.perf_counter()
        with self._lock:
            if self.last_now is not None and now < self.last_now:
                now = self.last_now  # the alert clock never runs backwards
            state = self._pipeline_state()
            book = self._incident_book()
            known = {a.fingerprint: a for a in self.ledger.alerts(statuses=_OPEN)}
            firing = {f for f, a in known.items() if a.status is AlertStatus.FIRING}
            changed: list[Alert] = []
            for model in self.config.models:
                samples = [
                    s
                    for metric, span in sorted(self.lookbacks[model].items())
                    for s in self.store.samples(model, metric, now - span, now)
                ]
                found = evaluate_rules(model, self.rules[model], samples, now)
                if self.section.default_rules:
                    found = raise_drift_severity(found, firing)
                    if any(a.name == "FeatureDrift" for a in found):
                        back = now - self.evidence_span[model]
                        drivers = self.store.samples(model, "drift_drivers", back, now)
                        found = lower_low_impact_drift(found, drivers, firing)
                span = self.evidence_span[model]
                context = _Lazy(partial(self.store.samples, model, None, now - span, now))
                for alert in found:
                    merged = _merge(alert, known.pop(alert.fingerprint, None), context)
                    if merged is not None:
                        changed.append(merged)
            for gone in known.values():  # open alerts whose series left the rules' view
                changed.append(_vanished(gone, now))
            result = self.pipeline.run(changed, state, now)
            book.observe(changed, now, owner_for=self._owner)
            for decision in result.decisions:
                book.record_decision(decision, now)
            outgoing = [
                Outgoing(kind, n)
                for n in result.notifications
                for kind in sorted(self.notifiers.get(n.receiver, {}))
                if not kind.endswith(ACK_SUFFIX)
            ]
            retraining = self._retraining_state()
            outgoing += self._triggers(changed, retraining, now)
            self.ledger.commit(
                now,
                changed,
                {
                    PIPELINE: result.state.to_dict(),
                    INCIDENTS: book.to_dict(),
                    RETRAINING: retraining,
                },
                outgoing,
            )
            self.last_now = now
            self.ticks += 1
        self.courier.wake()
        self.last_seconds = time.perf_counter() - started
        now_firing = sum(a.status is AlertStatus.FIRING for a in changed)
        return {"alerts_changed": len(changed), "firing": now_firing, "queued": len(outgoing)}

    def _owner(self, alert: Alert) -> str:
        routes = self.pipeline.plan.root.match(alert.labels)
        return next((r.receiver for r in routes if r.receiver), "")

    def _triggers(
        self, changed: Sequence[Alert], state: dict[str, Any], now: datetime
    ) -> list[Outgoing]:
        if not self.section.retraining:
            return []
        firing = self.ledger.alerts(statuses=[AlertStatus.FIRING])
        current = {a.fingerprint: a for a in firing}
        current.update({a.fingerprint: a for a in changed})
        out = []
        specs = {s.name: s for s in self.section.retraining}
        for trigger in due_triggers(list(specs.values()), list(current.values()), state, now):
            spec = specs[trigger.name]
            path = self._export(trigger, parse_duration(spec.export_window), now)
            state[trigger.key] = now.isoformat()
            causes = tuple(current[f] for f in trigger.fingerprints)
            notification = Notification(
                RETRAIN_PREFIX + trigger.name,
                f"retraining/{trigger.key}/{now.isoformat()}",
                {
                    "trigger": trigger.name,
                    "model": trigger.model,
                    "reason": trigger.reason,
                    "export": str(path[0]),
                    "export_rows": str(path[1]),
                },
                causes,
                self.section.external_url,
            )
            out.append(Outgoing("retraining", notification))
        return out

    def _export(self, trigger: Trigger, span: timedelta, now: datetime) -> tuple[Path, int]:
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        path = (
            self.config.path(self.config.store)
            / "retraining"
            / f"{trigger.name}-{trigger.model}-{stamp}.parquet"
        )
        rows = export_labelled_window(self.store, trigger.model, now - span, now, path)
        return path, rows

    # -- deliveries ---------------------------------------------------------------------------

    def _delivered(self, item: OutboxItem, delivery: Delivery, at: datetime) -> None:
        if item.integration == "retraining":
            return
        with self._lock:
            book = self._incident_book()
            detail = f"{item.integration}: {delivery.detail}"
            changes = book.record_notification(item.notification, delivery.ok, detail, self.now())
            if changes:
                self.ledger.commit(self.now(), states={INCIDENTS: book.to_dict()})

    # -- people -------------------------------------------------------------------------------

    def ack(self, target: str, by: str, comment: str = "") -> dict[str, Any]:
        """Acknowledge an alert (fingerprint) or alert group: stops escalation and repeats,
        and acknowledges the incidents holding it."""
        with self._lock:
            now = self.now()
            before = self._pipeline_state()
            state = ack_alert(before, target, by, now, comment)
            book = self._incident_book()
            acked = set(state.acks) - set(before.acks)
            for incident in book.incidents():
                if incident.status.value == "open" and any(fp in incident.alerts for fp in acked):
                    book.ack(incident.id, by, now, comment)
            self.ledger.commit(
                now,
                states={PIPELINE: state.to_dict(), INCIDENTS: book.to_dict()},
                outgoing=self._vendor_acks(acked),
            )
        self.courier.wake()
        return {"acknowledged": sorted(acked), "by": by, "at": now.isoformat()}

    def _vendor_acks(self, acked: set[str]) -> list[Outgoing]:
        """Acknowledge at the vendors that were paged about these alerts (the latest
        notification of each group, so the vendor's dedup key matches its incident)."""
        out, seen = [], set()
        for item in self.ledger.outbox():  # newest first
            key = (item.receiver, item.integration, item.group_key)
            ack_kind = item.integration + ACK_SUFFIX
            if key in seen or ack_kind not in self.notifiers.get(item.receiver, {}):
                continue
            seen.add(key)
            if any(a.fingerprint in acked for a in item.notification.alerts):
                out.append(Outgoing(ack_kind, item.notification))
        return out

    def add_silence(
        self,
        matchers: Sequence[str],
        ends_at: datetime,
        created_by: str,
        comment: str = "",
        starts_at: datetime | None = None,
    ) -> Silence:
        with self._lock:
            now = self.now()
            silence = new_silence(matchers, starts_at or now, ends_at, created_by, comment)
            state = add_silence(self._pipeline_state(), silence)
            self.ledger.commit(now, states={PIPELINE: state.to_dict()})
            return silence

    def expire_silence(self, silence_id: str) -> None:
        with self._lock:
            now = self.now()
            state = expire_silence(self._pipeline_state(), silence_id, now)
            self.ledger.commit(now, states={PIPELINE: state.to_dict()})

    def pipeline_state(self) -> PipelineState:
        return self._pipeline_state()

    def silences(self) -> tuple[Silence, ...]:
        return list_silences(self._pipeline_state())

    def incident_book(self) -> IncidentBook:
        return self._incident_book()

    def incident_action(self, incident_id: str, action: str, by: str, text: str = "") -> None:
        with self._lock:
            now = self.now()
            book = self._incident_book()
            if action == "ack":
                book.ack(incident_id, by, now, text)
            elif action == "resolve":
                book.resolve(incident_id, by, now, text)
            elif action == "note":
                if not text:
                    raise InputError("note: give the note's text")
                book.note(incident_id, by, now, text)
            else:
                raise InputError(f"unknown incident action {action!r}")
            self.ledger.commit(now, states={INCIDENTS: book.to_dict()})

    def playbook(self, incident_id: str) -> str:
        incident = self._incident_book().get(incident_id)
        return render_playbook(incident, self._playbooks(), base_url=self._base_url())

    def postmortem(self, incident_id: str) -> str:
        incident = self._incident_book().get(incident_id)
        return render_postmortem(
            incident, now=self.now(), overrides_dir=self._playbooks(), base_url=self._base_url()
        )

    def _playbooks(self) -> Path | None:
        return self.config.path(self.section.playbooks) if self.section.playbooks else None

    def _base_url(self) -> str:
        server = self.config.server
        return self.section.external_url or f"http://{server.host}:{server.port}"

    # -- state --------------------------------------------------------------------------------

    def _pipeline_state(self) -> PipelineState:
        saved = self.ledger.state(PIPELINE)
        return PipelineState.from_dict(saved) if saved else PipelineState()

    def _incident_book(self) -> IncidentBook:
        saved = self.ledger.state(INCIDENTS)
        return IncidentBook.from_dict(saved) if saved else IncidentBook()

    def _retraining_state(self) -> dict[str, Any]:
        return dict(self.ledger.state(RETRAINING) or {})

    def prune(self, now: datetime) -> None:
        """Forget resolved alerts, incidents and delivered notifications older than the longest
        model retention."""
        retention = max(
            (parse_duration(m.retention) for m in self.config.models.values()),
            default=timedelta(days=90),
        )
        before = now - retention
        with self._lock:
            book = self._incident_book()
            if book.forget(before):
                self.ledger.commit(self.now(), states={INCIDENTS: book.to_dict()})
            self.ledger.prune(before)


_OPEN = [AlertStatus.PENDING, AlertStatus.FIRING]


class _Lazy:
    """The recent samples for evidence, read from the store only if some alert starts firing."""

    def __init__(self, read: Callable[[], list[MetricSample]]) -> None:
        self.read = read
        self.value: list[MetricSample] | None = None

    def get(self) -> list[MetricSample]:
        if self.value is None:
            self.value = self.read()
        return self.value


def _merge(alert: Alert, before: Alert | None, samples: _Lazy) -> Alert | None:
    """The alert to record, given what was recorded before; None: nothing to record.

    A firing alert keeps its first firing time and the evidence gathered then; evidence is
    gathered when it starts firing. A resolve counts only for an alert seen firing; an
    alert resolved before this service knew it is history, not news.
    """
    if alert.status is AlertStatus.FIRING:
        if before is not None and before.status is AlertStatus.FIRING:
            return replace(alert, starts_at=before.starts_at, evidence=before.evidence)
        context = gather_evidence(alert, samples.get())
        return replace(alert, evidence={**alert.evidence, **context})
    if alert.status is AlertStatus.PENDING:
        if before is not None and before.status is AlertStatus.FIRING:
            # the replayed history no longer reaches back to where the episode started: it
            # has not resolved, so it keeps firing
            return replace(
                alert,
                status=AlertStatus.FIRING,
                starts_at=before.starts_at,
                evidence=before.evidence,
                reason=before.reason,
            )
        return alert
    if before is None:
        return None
    if before.status is AlertStatus.FIRING:
        return replace(alert, starts_at=before.starts_at, evidence=before.evidence)
    return replace(alert, status=AlertStatus.RESOLVED, reason="no longer pending")


def _vanished(alert: Alert, now: datetime) -> Alert:
    return replace(
        alert,
        status=AlertStatus.RESOLVED,
        ends_at=now,
        updated_at=now,
        reason="its series is no longer evaluated by the rule (no recent samples or rule removed)",
    )


class VendorAck:
    """Sends a vendor acknowledgement (PagerDuty ``acknowledge``, Opsgenie acknowledge) through
    the outbox, like any notification."""

    kind: ClassVar[str] = "acknowledge"

    def __init__(self, notifier: Any) -> None:
        self.notifier = notifier

    def send(self, notification: Notification) -> Delivery:
        result: Delivery = self.notifier.acknowledge(notification)
        return result


class RetrainingNotifier:
    """Hands a retraining trigger to its webhook (JSON POST) and/or command (JSON on stdin)."""

    kind: ClassVar[str] = "retraining"

    def __init__(
        self,
        webhook: str | None,
        command: Sequence[str],
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.webhook = webhook
        self.command = list(command)
        self.transport = transport
        self.timeout = timeout

    @staticmethod
    def payload(notification: Notification) -> dict[str, Any]:
        info = dict(notification.group_labels)
        return {
            "trigger": info.get("trigger"),
            "model": info.get("model"),
            "reason": info.get("reason"),
            "export": {"path": info.get("export"), "rows": int(info.get("export_rows", "0"))},
            "alerts": [a.to_dict() for a in notification.alerts],
        }

    def send(self, notification: Notification) -> Delivery:
        import json
        import subprocess

        payload = self.payload(notification)
        body = json.dumps(payload)
        details = []
        if self.webhook:
            sent = post_json(self.webhook, payload, timeout=self.timeout, transport=self.transport)
            if not sent.ok:
                return Delivery(False, f"webhook: {sent.detail}", sent.retryable)
            details.append(f"webhook {sent.detail}")
        if self.command:
            try:
                done = subprocess.run(
                    self.command,
                    input=body,
                    text=True,
                    capture_output=True,
                    timeout=self.timeout,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                return Delivery(False, f"command: {type(exc).__name__}: {exc}")
            if done.returncode != 0:
                return Delivery(False, f"command exited {done.returncode}", retryable=False)
            details.append("command exit 0")
        return Delivery(True, ", ".join(details) or "nothing to do")
