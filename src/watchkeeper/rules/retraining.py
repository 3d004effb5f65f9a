"""Retraining triggers: the feedback loop's second half.

A trigger (``alerting.retraining``) fires for a model when any of its named alerts is firing
for that model (the alert rule's ``for`` already asks for the condition to be sustained), at
most once per ``cooldown``. Firing exports the recent labelled window — every prediction of
the last ``export_window`` that has a label, with its features, prediction, scores, label,
model version and segments — to a Parquet file ready for training, and hands the evidence to
the trigger's webhook and/or command (through the outbox, so an outage delays it).

>>> from datetime import UTC, datetime
>>> from watchkeeper.alerting.config import RetrainingSpec
>>> from watchkeeper.alerting.model import Alert, AlertStatus
>>> now = datetime(2026, 3, 5, tzinfo=UTC)
>>> drift = Alert({"alertname": "FeatureDrift", "model": "credit", "severity": "warning"}, {},
...               AlertStatus.FIRING, starts_at=now, updated_at=now)
>>> spec = RetrainingSpec(name="retrain", alerts=["FeatureDrift"], webhook="http://127.0.0.1:1")
>>> [(t.name, t.model, t.alerts) for t in due_triggers([spec], [drift], {}, now)]
[('retrain', 'credit', ('FeatureDrift',))]
>>> due_triggers([spec], [drift], {"retrain/credit": now.isoformat()}, now)  # cooling down
[]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from watchkeeper.alerting.config import RetrainingSpec
from watchkeeper.alerting.model import Alert, AlertStatus
from watchkeeper.monitors.scope import row_index
from watchkeeper.settings import parse_duration
from watchkeeper.store.duckdb_store import DuckDBStore


@dataclass(frozen=True)
class Trigger:
    name: str
    model: str
    alerts: tuple[str, ...]  # the alert names behind it
    fingerprints: tuple[str, ...]
    reason: str

    @property
    def key(self) -> str:
        return f"{self.name}/{self.model}"


def due_triggers(
    specs: Sequence[RetrainingSpec],
    alerts: Sequence[Alert],
    last_fired: Mapping[str, str],
    now: datetime,
) -> list[Trigger]:
    """The triggers to fire now; ``last_fired`` maps ``name/model`` to an ISO time."""
    out = []
    firing = [a for a in alerts if a.status is AlertStatus.FIRING]
    for spec in specs:
        cooldown = parse_duration(spec.cooldown)
        for model in sorted({a.model for a in firing}):
            if spec.models and model not in spec.models:
                continue
            causes = [
                a for a in firing if a.model == model and (not spec.alerts or a.name in spec.alerts)
            ]
            last = last_fired.get(f"{spec.name}/{model}")
            if not causes or (last and now - datetime.fromisoformat(last) < cooldown):
                continue
            names = tuple(sorted({a.name for a in causes}))
            out.append(
                Trigger(
                    spec.name,
                    model,
                    names,
                    tuple(sorted(a.fingerprint for a in causes)),
                    f"{', '.join(names)} firing for {model}",
                )
            )
    return out


def export_labelled_window(
    store: DuckDBStore, model: str, start: datetime, end: datetime, path: Path
) -> int:
    """Write the labelled predictions of [start, end) to ``path`` (Parquet); returns rows.

    Columns: the stored prediction columns (id, timestamp, model_version, segments,
    prediction, scores, ...), the features, and ``label`` / ``label_timestamp``.
    """
    features, meta = store.window(model, start, end)
    if meta.num_rows == 0:
        table = pa.table({"id": pa.array([], pa.string()), "label": pa.array([], pa.string())})
    else:
        ids = meta.column("id").combine_chunks()
        labels = store.labels_for(model, ids)
        found = row_index(ids, labels.column("id"))
        keep = np.flatnonzero(found >= 0)
        picked = pa.array(found[keep])
        table = meta.take(pa.array(keep))
        for name in features.column_names:
            if name not in table.column_names:
                table = table.append_column(name, features.column(name).take(pa.array(keep)))
        table = table.append_column("label", labels.column("label").take(picked))
        table = table.append_column("label_timestamp", labels.column("timestamp").take(picked))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    pq.write_table(table, partial)
    partial.replace(path)  # never a half-written export under the final name
    return int(table.num_rows)
