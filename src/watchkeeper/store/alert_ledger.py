"""Alert state in the store: alerts, their history, pipeline and incident state, the outbox.

One evaluation tick's outcome — changed alerts, the notification pipeline's new state, the
incident book and the notifications to deliver — is written in one transaction
(:meth:`AlertLedger.commit`), so a crash leaves either the tick before or the tick after: a
restart neither forgets a firing alert nor queues its notification twice. The outbox keeps a
row per notification and receiver integration until delivered; failures move its due time
back (retries with backoff) and never delete it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from watchkeeper.alerting.model import Alert, AlertStatus, Notification
from watchkeeper.store.duckdb_store import DuckDBStore

_ENCODE = msgspec.json.Encoder(order="sorted")


def _json(data: Any) -> str:
    return _ENCODE.encode(data).decode()


@dataclass(frozen=True)
class OutboxItem:
    id: int
    receiver: str
    integration: str  # the receiver's integration kind: webhook, slack, pagerduty, ...
    group_key: str
    created_at: datetime
    due_at: datetime
    attempts: int
    delivered_at: datetime | None
    failed_at: datetime | None
    detail: str
    notification: Notification

    @property
    def pending(self) -> bool:
        return self.delivered_at is None and self.failed_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "receiver": self.receiver,
            "integration": self.integration,
            "group_key": self.group_key,
            "created_at": self.created_at.isoformat(),
            "due_at": self.due_at.isoformat(),
            "attempts": self.attempts,
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
            "failed_at": self.failed_at.isoformat() if self.failed_at else None,
            "detail": self.detail,
            "status": self.notification.status,
            "alerts": [a.fingerprint for a in self.notification.alerts],
        }


@dataclass(frozen=True)
class Outgoing:
    """A notification to queue for one integration of its receiver."""

    integration: str
    notification: Notification


class AlertLedger:
    def __init__(self, store: DuckDBStore) -> None:
        self.store = store

    # -- reads --------------------------------------------------------------------------------

    def alerts(
        self, model: str | None = None, statuses: Sequence[AlertStatus] | None = None
    ) -> list[Alert]:
        sql, params = "SELECT doc FROM alerts WHERE 1=1", list[str]()
        if model is not None:
            sql, params = sql + " AND model = ?", [*params, model]
        if statuses:
            marks = ", ".join("?" for _ in statuses)
            sql, params = sql + f" AND status IN ({marks})", [*params, *(s.value for s in statuses)]
        rows = self.store.query(sql + " ORDER BY starts_at, fingerprint", params)
        return [Alert.from_dict(msgspec.json.decode(r[0])) for r in rows]

    def alert(self, fingerprint: str) -> Alert | None:
        rows = self.store.query("SELECT doc FROM alerts WHERE fingerprint = ?", [fingerprint])
        return Alert.from_dict(msgspec.json.decode(rows[0][0])) if rows else None

    def history(self, fingerprint: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        where = "WHERE fingerprint = ?" if fingerprint else ""
        rows = self.store.query(
            f"SELECT seq, recorded_at, fingerprint, status FROM alert_history {where} "
            f"ORDER BY seq DESC LIMIT {int(limit)}",
            [fingerprint] if fingerprint else [],
        )
        return [
            {"seq": r[0], "at": r[1].isoformat(), "fingerprint": r[2], "status": r[3]} for r in rows
        ]

    def state(self, key: str) -> dict[str, Any] | None:
        rows = self.store.query("SELECT doc FROM alerting_state WHERE key = ?", [key])
        return dict(msgspec.json.decode(rows[0][0])) if rows else None

    def outbox(self, pending_only: bool = False, limit: int = 1000) -> list[OutboxItem]:
        where = "WHERE delivered_at IS NULL AND failed_at IS NULL" if pending_only else ""
        order = "id" if pending_only else "id DESC"
        rows = self.store.query(
            "SELECT id, receiver, integration, group_key, created_at, due_at, attempts, "
            f"delivered_at, failed_at, detail, doc FROM outbox {where} ORDER BY {order} "
            f"LIMIT {int(limit)}"
        )
        return [_outbox_item(r) for r in rows]

    # -- writes -------------------------------------------------------------------------------

    def commit(
        self,
        now: datetime,
        alerts: Sequence[Alert] = (),
        states: Mapping[str, Mapping[str, Any]] | None = None,
        outgoing: Sequence[Outgoing] = (),
    ) -> None:
        """Write one tick's outcome in one transaction."""
        with self.store.transaction() as con:
            seq = int(
                con.execute("SELECT coalesce(max(seq), 0) FROM alert_history").fetchall()[0][0]
            )
            for alert in alerts:
                doc = _json(alert.to_dict())
                con.execute(
                    "INSERT OR REPLACE INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        alert.fingerprint,
                        alert.model,
                        alert.name,
                        alert.status.value,
                        alert.severity.value,
                        alert.starts_at,
                        alert.updated_at,
                        doc,
                    ],
                )
                seq += 1
                con.execute(
                    "INSERT INTO alert_history VALUES (?, ?, ?, ?, ?)",
                    [seq, now, alert.fingerprint, alert.status.value, doc],
                )
            for key, state in (states or {}).items():
                con.execute(
                    "INSERT OR REPLACE INTO alerting_state VALUES (?, ?)", [key, _json(state)]
                )
            next_id = int(con.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchall()[0][0])
            for item in outgoing:
                next_id += 1
                n = item.notification
                con.execute(
                    "INSERT INTO outbox VALUES (?, ?, ?, ?, ?, ?, 0, NULL, NULL, '', ?)",
                    [
                        next_id,
                        n.receiver,
                        item.integration,
                        n.group_key,
                        now,
                        now,
                        _json(n.to_dict()),
                    ],
                )

    def delivered(self, item_id: int, at: datetime, detail: str) -> None:
        with self.store.transaction() as con:
            con.execute(
                "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, detail = ? "
                "WHERE id = ?",
                [at, detail, item_id],
            )

    def retry(self, item_id: int, due_at: datetime, detail: str) -> None:
        with self.store.transaction() as con:
            con.execute(
                "UPDATE outbox SET due_at = ?, attempts = attempts + 1, detail = ? WHERE id = ?",
                [due_at, detail, item_id],
            )

    def failed(self, item_id: int, at: datetime, detail: str) -> None:
        """Retrying cannot help (e.g. the vendor rejected the request): kept, not deleted."""
        with self.store.transaction() as con:
            con.execute(
                "UPDATE outbox SET failed_at = ?, attempts = attempts + 1, detail = ? WHERE id = ?",
                [at, detail, item_id],
            )

    def prune(self, before: datetime) -> None:
        """Forget resolved alerts, history and settled outbox rows older than ``before``."""
        with self.store.transaction() as con:
            con.execute("DELETE FROM alerts WHERE status = 'resolved' AND updated_at < ?", [before])
            con.execute("DELETE FROM alert_history WHERE recorded_at < ?", [before])
            con.execute(
                "DELETE FROM outbox WHERE created_at < ? AND "
                "(delivered_at IS NOT NULL OR failed_at IS NOT NULL)",
                [before],
            )


def _outbox_item(row: tuple[Any, ...]) -> OutboxItem:
    return OutboxItem(
        id=row[0],
        receiver=row[1],
        integration=row[2],
        group_key=row[3],
        created_at=row[4],
        due_at=row[5],
        attempts=row[6],
        delivered_at=row[7],
        failed_at=row[8],
        detail=row[9],
        notification=Notification.from_dict(msgspec.json.decode(row[10])),
    )
