"""Alerting end to end, as a user runs it: `watchkeeper serve` in a subprocess, five simulated
days over HTTP — a data-quality break on day 2 (it must mute the drift it causes), a gradual
performance decay over days 3-4, a latency spike on day 5, labels arriving late — evaluated
every six simulated hours. A loopback webhook receives exactly the expected alerts with the
expected severities and resolves; it is down when the day-5 alerts fire (nothing is lost) and
the service restarts with those notifications still undelivered and an alert firing (they go
out once, in order, and nobody is paged twice)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from service_process import ServeProcess
from watchkeeper.simulate import CreditSimulation

START = datetime(2026, 3, 2, tzinfo=UTC)
DAY = timedelta(days=1)
STEP = timedelta(hours=6)
PER_HOUR = 120

pytestmark = pytest.mark.slow

SIM = CreditSimulation(
    seed=5,
    quality_break=(START + DAY + STEP, START + DAY + 3 * STEP),
    decay_start=START + 2 * DAY,
    decay_ramp=2 * DAY,
    latency_spike=(START + 4 * DAY + STEP, START + 4 * DAY + 2 * STEP),
)
EXPECTED = [
    ("firing", "DataQualityBreak", "critical"),
    ("resolved", "DataQualityBreak", "critical"),
    ("firing", "PerformanceDrop", "high"),
    ("firing", "LatencySpike", "critical"),
    ("resolved", "LatencySpike", "critical"),
]


def _traffic() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    predictions, labels = [], []
    for hour in range(5 * 24):
        begin = START + timedelta(hours=hour)
        p, lab = SIM.generate(begin, begin + timedelta(hours=1), PER_HOUR)
        predictions += p
        labels += lab
    labels.sort(key=lambda r: r["timestamp"])
    return predictions, labels


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, module_webhook_sink: Any) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("alerting")
    sink = module_webhook_sink
    pq.write_table(pa.table(SIM.reference_table(20_000)), root / "reference.parquet")
    (root / "watchkeeper.yaml").write_text(
        "store: wk-data\n"
        "server: {evaluate_every: 1d}\n"  # the test drives evaluation through the API
        "models:\n"
        "  credit:\n"
        "    task: binary_classification\n"
        "    reference: reference.parquet\n"
        "    prediction: score\n"
        "    label: label\n"
        "    windows: [6h]\n"
        "    performance: {min_label_coverage: 0.8}\n"
        "alerting:\n"
        "  max_retry_delay: 1s\n"
        "  receivers:\n"
        f"    oncall: {{webhook: {{url: '{sink.url}'}}}}\n"
        "  route: {receiver: oncall, group_interval: 1m, repeat_interval: 30d}\n"
    )
    server = ServeProcess(root / "watchkeeper.yaml")
    server.start()
    predictions, labels = _traffic()
    steps: list[dict[str, Any]] = []
    posted_labels = 0
    try:
        for step in range(5 * 4):
            end = START + (step + 1) * STEP
            if step == 18:  # day 5, 18:00: restart with undelivered notifications
                server.stop()
                server.start()
            sink.down = step == 17  # the receiver is down when the day-5 alerts fire
            batch = [p for p in predictions if START + step * STEP <= _time(p) < end]
            arrived = [lab for lab in labels[posted_labels:] if _time(lab) < end]
            posted_labels += len(arrived)
            with httpx.Client(base_url=server.url, timeout=60) as client:
                for path, body in (("predictions", batch), ("labels", arrived)):
                    if body:
                        response = client.post(f"/v1/models/credit/{path}", json=body)
                        assert response.status_code == 202, response.text
                result = client.post("/v1/evaluate", params={"until": end.isoformat()})
                assert result.status_code == 200, result.text
                steps.append(result.json())
        sink.down = False
        _wait_delivered(server.url)
        with httpx.Client(base_url=server.url, timeout=60) as client:
            alerts = client.get("/v1/alerts").json()["alerts"]
            incidents = client.get("/v1/incidents").json()["incidents"]
            details = [client.get(f"/v1/incidents/{i['id']}").json() for i in incidents]
            postmortems = [
                client.get(f"/v1/incidents/{i['id']}/postmortem").text for i in incidents
            ]
            outbox = client.get("/v1/notifications").json()["notifications"]
        yield {
            "sink": sink,
            "alerts": alerts,
            "incidents": details,
            "postmortems": postmortems,
            "outbox": outbox,
            "steps": steps,
        }
    finally:
        server.stop()


def _time(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["timestamp"])


def _wait_delivered(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        items = httpx.get(url + "/v1/notifications", timeout=10).json()["notifications"]
        if all(i["delivered_at"] or i["failed_at"] for i in items):
            return
        time.sleep(0.2)
    raise AssertionError("the outbox did not drain")


def test_the_webhook_receives_exactly_the_expected_alerts(run: dict) -> None:
    received = run["sink"].received()
    assert sorted(received) == sorted(EXPECTED), received
    for name in ("DataQualityBreak", "LatencySpike"):  # each resolve after its trigger
        statuses = [status for status, alertname, _ in received if alertname == name]
        assert statuses == ["firing", "resolved"], (name, received)


def test_alerts_fire_in_the_windows_of_their_incidents(run: dict) -> None:
    started = {a["labels"]["alertname"]: a["starts_at"] for a in run["alerts"]}
    assert started["DataQualityBreak"] == (START + DAY + 2 * STEP).isoformat()
    assert started["LatencySpike"] == (START + 4 * DAY + 2 * STEP).isoformat()
    # the decay starts on day 3; it is judged once labels cover the windows
    assert START + 3 * DAY <= datetime.fromisoformat(started["PerformanceDrop"]) <= START + 5 * DAY
    assert not [a for a in run["alerts"] if datetime.fromisoformat(a["starts_at"]) < START + DAY]


def test_the_quality_break_muted_the_drift_it_caused(run: dict) -> None:
    drift = [a for a in run["alerts"] if a["labels"]["alertname"] == "FeatureDrift"]
    assert drift, "the broken features drifted"
    assert {a["labels"]["feature"] for a in drift} <= {"income", "utilisation"}
    assert not any(alertname == "FeatureDrift" for _, alertname, _ in run["sink"].received())


def test_the_outage_delayed_but_lost_nothing(run: dict) -> None:
    retried = [n for n in run["outbox"] if n["attempts"] > 1]
    assert retried, "some notification met the outage"
    assert all(n["delivered_at"] for n in run["outbox"])


def test_incidents_carry_the_evidence(run: dict) -> None:
    by_title = {i["title"]: i for i in run["incidents"]}
    assert len(run["incidents"]) >= 2, by_title.keys()
    quality = next(i for i in run["incidents"] if "DataQualityBreak" in str(i["alerts"]))
    assert quality["severity"] == "critical"
    assert "income" in quality["playbook"] or "utilisation" in quality["playbook"]
    postmortem = next(p for p in run["postmortems"] if quality["id"] in p)
    assert "utilisation" in postmortem and "missing" in postmortem.lower()
