"""Vendor acknowledgements and retraining triggers through the service's outbox, on a real
DuckDB store and real loopback receivers."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper.ingest.layout import Kind
from watchkeeper.ingest.payload import EventBatch
from watchkeeper.ingest.records import BatchDecoder
from watchkeeper.monitors.base import MetricSample
from watchkeeper.schema import ColumnSchema, ColumnType, Schema
from watchkeeper.server.alerts import AlertService
from watchkeeper.settings import parse_service_config
from watchkeeper.store.duckdb_store import DuckDBStore

T0 = datetime(2026, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
SCHEMA = Schema((ColumnSchema("x", ColumnType.NUMERIC),))
RULE = {"name": "Errors", "metric": "error_rate", "above": 0.1, "severity": "critical"}


@pytest.fixture
def store(tmp_path: Path):
    opened = DuckDBStore(tmp_path / "wk.duckdb")
    yield opened
    opened.close()


def breach(store: DuckDBStore) -> None:
    store.write_samples(
        [
            MetricSample(
                "credit",
                "error_rate",
                {"monitor": "operations", "window": "1h"},
                T0 + h * HOUR,
                T0 + (h + 1) * HOUR,
                v,
            )
            for h, v in enumerate([0.0, 0.5])
        ]
    )


def test_acknowledging_an_alert_acknowledges_it_at_pagerduty(store, webhook_sink):
    config = parse_service_config(
        {
            "models": {"credit": {"task": "binary_classification"}},
            "alerting": {
                "default_rules": False,
                "receivers": {
                    "pd": {"pagerduty": {"routing_key_env": "PD", "url": webhook_sink.url}}
                },
                "route": {"receiver": "pd"},
                "rules": [RULE],
            },
        }
    )
    service = AlertService(config, store, environ={"PD": "routing-key"})
    breach(store)
    service.tick(T0 + 2 * HOUR)
    assert service.courier.run_once() == 1
    [alert] = service.ledger.alerts()
    service.ack(alert.fingerprint, "ana")
    assert service.courier.run_once() == 1
    trigger, ack = webhook_sink.bodies
    assert (trigger["event_action"], ack["event_action"]) == ("trigger", "acknowledge")
    assert ack["dedup_key"] == trigger["dedup_key"] and ack["routing_key"] == "routing-key"


def test_a_retraining_trigger_exports_the_labelled_window_and_calls_its_hooks(
    store, webhook_sink, tmp_path
):
    done = tmp_path / "command-input.json"
    config = parse_service_config(
        {
            "store": str(tmp_path / "wk"),
            "models": {"credit": {"task": "binary_classification", "label": "label"}},
            "alerting": {
                "default_rules": False,
                "rules": [RULE],
                "retraining": [
                    {
                        "name": "retrain",
                        "alerts": ["Errors"],
                        "webhook": webhook_sink.url,
                        "command": [
                            sys.executable,
                            "-c",
                            f"import sys; open({str(done)!r}, 'w').write(sys.stdin.read())",
                        ],
                        "export_window": "1d",
                        "cooldown": "1d",
                    }
                ],
            },
        }
    )
    records = [
        {
            "id": f"p{i}",
            "timestamp": (T0 + i * 10 * timedelta(minutes=1)).isoformat(),
            "features": {"x": float(i)},
            "prediction": 0.5,
        }
        for i in range(10)
    ]
    decoder = BatchDecoder(config.models["credit"], SCHEMA)
    decoded = decoder.decode(Kind.PREDICTIONS, json.dumps(records).encode(), ndjson=False, now=T0)
    table = pa.Table.from_batches([decoded.batch])
    sent = [{"id": f"p{i}", "label": i % 2, "timestamp": T0.isoformat()} for i in (1, 2, 3)]
    labels = pa.Table.from_batches(
        [decoder.decode(Kind.LABELS, json.dumps(sent).encode(), ndjson=False, now=T0).batch]
    )
    store.apply(
        [
            EventBatch("credit", Kind.PREDICTIONS, 10, table),
            EventBatch("credit", Kind.LABELS, 3, labels),
        ],
        store.applied_offset() + 1,
    )
    service = AlertService(config, store)
    breach(store)
    service.tick(T0 + 2 * HOUR)
    service.courier.run_once()
    [payload] = webhook_sink.bodies
    assert payload["trigger"] == "retrain" and payload["model"] == "credit"
    assert (
        payload["export"]["rows"] == 3 and payload["alerts"][0]["labels"]["alertname"] == "Errors"
    )
    exported = pq.read_table(payload["export"]["path"])
    assert sorted(exported.column("id").to_pylist()) == ["p1", "p2", "p3"]
    assert {"x", "prediction", "label"} <= set(exported.column_names)
    assert json.loads(done.read_text())["trigger"] == "retrain"

    # the cooldown holds the next firing back
    service.tick(T0 + 3 * HOUR)
    service.courier.run_once()
    assert len(webhook_sink.bodies) == 1
