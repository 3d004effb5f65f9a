"""The alerting loop of the service on a real DuckDB store and a real loopback webhook:
rules -> pipeline -> outbox -> delivery, with an outage, a restart, silences, inhibition and
incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.server.alerts import AlertService
from watchkeeper.settings import parse_service_config
from watchkeeper.store.duckdb_store import DuckDBStore

T0 = datetime(2026, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def config(url: str, **alerting):
    return parse_service_config(
        {
            "models": {"credit": {"task": "binary_classification", "windows": ["1h"]}},
            "alerting": {
                "default_rules": False,
                "receivers": {"oncall": {"webhook": {"url": url}}},
                "route": {"receiver": "oncall", "group_by": ["model", "alertname"]},
                "rules": [
                    {
                        "name": "Errors",
                        "metric": "error_rate",
                        "above": 0.1,
                        "severity": "critical",
                    },
                    {"name": "Drift", "metric": "feature_drift", "status": "breach"},
                    {
                        "name": "Quality",
                        "metric": "data_quality_findings",
                        "status": "breach",
                        "severity": "critical",
                    },
                ],
                **alerting,
            },
        }
    )


def sample(hour: int, name: str, value: float, status: Status = Status.OK, **labels: str):
    monitor = {"error_rate": "operations", "feature_drift": "drift"}.get(name, "quality")
    return MetricSample(
        "credit",
        name,
        {"monitor": monitor, "window": "1h", **labels},
        T0 + hour * HOUR,
        T0 + (hour + 1) * HOUR,
        value,
        status,
        {"features": ["income"]} if monitor == "quality" else {},
    )


@pytest.fixture
def store(tmp_path: Path):
    opened = DuckDBStore(tmp_path / "wk.duckdb")
    yield opened
    opened.close()


def test_fire_deliver_through_an_outage_restart_and_resolve(store, webhook_sink, tmp_path):
    clock = Clock()
    service = AlertService(config(webhook_sink.url), store, wall_clock=clock)
    store.write_samples([sample(0, "error_rate", 0.0), sample(1, "error_rate", 0.5)])
    assert service.tick(T0 + 2 * HOUR)["firing"] == 1

    webhook_sink.fail(2)  # the receiver is down: the notification waits in the outbox
    assert service.courier.run_once() == 0
    clock.advance(0.5)
    assert service.courier.run_once() == 0  # not due yet (backoff 1 s)
    clock.advance(1)
    assert service.courier.run_once() == 0  # second failure, backoff 2 s
    clock.advance(2)
    assert service.courier.run_once() == 1
    assert webhook_sink.received() == [("firing", "Errors", "critical")]
    [item] = service.ledger.outbox()
    assert item.attempts == 3 and item.delivered_at is not None
    assert webhook_sink.bodies[0]["version"] == "4"

    # a restart: a new service over the same store re-evaluates and pages nobody again
    restarted = AlertService(config(webhook_sink.url), store, wall_clock=clock)
    store.write_samples([sample(2, "error_rate", 0.6)])
    restarted.tick(T0 + 3 * HOUR)
    assert restarted.courier.run_once() == 0
    assert webhook_sink.received() == [("firing", "Errors", "critical")]

    store.write_samples([sample(3, "error_rate", 0.01)])
    restarted.tick(T0 + 4 * HOUR)
    assert restarted.courier.run_once() == 1
    assert webhook_sink.received()[-1] == ("resolved", "Errors", "critical")

    [incident] = restarted.incident_book().incidents()
    assert incident.status.value == "resolved"
    kinds = [e.kind.value for e in incident.timeline]
    assert "alert_firing" in kinds and "notification" in kinds and "alert_resolved" in kinds
    postmortem = restarted.postmortem(incident.id)
    assert incident.id in postmortem and "Errors" in postmortem


def test_a_quality_break_mutes_the_drift_it_causes(store, webhook_sink):
    clock = Clock()
    service = AlertService(config(webhook_sink.url), store, wall_clock=clock)
    store.write_samples(
        [
            sample(0, "data_quality_findings", 2, Status.BREACH, severity="high"),
            sample(0, "feature_drift", 0.4, Status.BREACH, feature="income", test="psi"),
        ]
    )
    service.tick(T0 + HOUR)
    service.courier.run_once()
    assert webhook_sink.received() == [("firing", "Quality", "critical")]
    drift = [a for a in service.ledger.alerts() if a.name == "Drift"]
    assert [a.status.value for a in drift] == ["firing"]  # firing, visible, but not paged


def test_a_silence_holds_back_notifications(store, webhook_sink):
    clock = Clock()
    service = AlertService(config(webhook_sink.url), store, wall_clock=clock)
    service.tick(T0)
    silence = service.add_silence(["alertname=Errors"], T0 + 5 * HOUR, "test", "deploy")
    store.write_samples([sample(0, "error_rate", 0.9)])
    service.tick(T0 + HOUR)
    service.courier.run_once()
    assert webhook_sink.received() == []
    assert [s.id for s in service.silences()] == [silence.id]


def test_acknowledging_an_alert_acknowledges_its_incident(store, webhook_sink):
    clock = Clock()
    service = AlertService(config(webhook_sink.url), store, wall_clock=clock)
    store.write_samples([sample(0, "error_rate", 0.9)])
    service.tick(T0 + HOUR)
    [alert] = service.ledger.alerts()
    done = service.ack(alert.fingerprint, "ana", "looking")
    assert done["acknowledged"] == [alert.fingerprint]
    [incident] = service.incident_book().incidents()
    assert incident.status.value == "acknowledged"


def test_a_missing_secret_is_a_config_error(store):
    bad = parse_service_config(
        {
            "alerting": {
                "receivers": {"pd": {"pagerduty": {"routing_key_env": "WK_TEST_NO_SUCH_VAR"}}},
                "route": {"receiver": "pd"},
            }
        }
    )
    with pytest.raises(Exception, match="WK_TEST_NO_SUCH_VAR"):
        AlertService(bad, store, environ={})


def test_a_group_key_with_slashes_is_acknowledged_over_http(store, webhook_sink):
    import asyncio

    import httpx
    from starlette.applications import Starlette

    from watchkeeper.server.alert_routes import alert_routes

    child = {
        "receiver": "oncall",
        "routes": [{"match": ["severity=critical"], "receiver": "oncall"}],
    }
    service = AlertService(config(webhook_sink.url, route=child), store, wall_clock=Clock())
    store.write_samples([sample(0, "error_rate", 0.9)])
    service.tick(T0 + HOUR)
    [group] = [k for k in service.pipeline_state().groups if "/" in k]  # a child route's key
    app = Starlette(routes=alert_routes(service, lambda handler: handler))

    async def ack() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://wk") as client:
            path = "/v1/alerts/" + httpx.URL(group).raw_path.decode() + "/ack"
            return await client.post(path, json={"by": "ana"})

    answer = asyncio.run(ack())
    assert answer.status_code == 200, answer.text
    assert answer.json()["acknowledged"]
