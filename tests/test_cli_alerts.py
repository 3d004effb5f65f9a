"""`watchkeeper alerts` and `watchkeeper incidents` against a real service: the Starlette app
under uvicorn on a loopback port, a DuckDB store and an alert service that has evaluated an
error-rate series breaching its rule, so one alert fires and one incident is open."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service_process import Loopback
from watchkeeper.cli import main
from watchkeeper.monitors.base import MetricSample
from watchkeeper.schema import ColumnSchema, ColumnType, Schema
from watchkeeper.server.alerts import AlertService
from watchkeeper.server.app import create_app
from watchkeeper.server.run import open_service
from watchkeeper.settings import parse_service_config

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
TOKEN = "s3cret"
SCHEMA = Schema((ColumnSchema("age", ColumnType.NUMERIC),))


@dataclass
class World:
    url: str
    alerts: AlertService
    fingerprint: str  # of the firing alert
    incident: str  # id of the open incident


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("WK_CLI_TEST_TOKEN", TOKEN)
    monkeypatch.setenv("WATCHKEEPER_TOKEN", TOKEN)  # what the CLI sends by default
    monkeypatch.setenv("USER", "ana")
    config = parse_service_config(
        {
            "store": str(tmp_path / "store"),
            "server": {"token_env": ["WK_CLI_TEST_TOKEN"]},
            "models": {"credit": {"task": "binary_classification", "windows": ["1h"]}},
            "alerting": {
                "default_rules": False,
                "receivers": {"oncall": {"webhook": {"url": "http://127.0.0.1:9/hook"}}},
                "route": {"receiver": "oncall"},
                "rules": [
                    {
                        "name": "ErrorRateHigh",
                        "metric": "error_rate",
                        "above": 0.1,
                        "severity": "critical",
                        "annotations": {"summary": "error rate {value:.0%} on {model}"},
                    }
                ],
            },
        }
    )
    service = open_service(config, {"credit": SCHEMA}, lambda: NOW)
    alerts = AlertService(config, service.store)  # its courier is not started: nothing is sent
    labels = {"monitor": "operations", "window": "1h"}
    samples = [
        MetricSample("credit", "error_rate", labels, NOW - (3 - i) * HOUR, NOW - (2 - i) * HOUR, v)
        for i, v in enumerate([0.0, 0.3, 0.4])
    ]
    service.store.write_samples(samples, NOW)
    assert alerts.tick(NOW)["firing"] == 1
    [alert] = alerts.ledger.alerts()
    [incident] = alerts.incident_book().incidents()
    app = create_app(config, service.intake, service.store, clock=lambda: NOW, alerts=alerts)
    loop = Loopback(app)
    try:
        yield World(loop.url, alerts, alert.fingerprint, incident.id)
    finally:
        loop.stop()
        service.close()


def run(world: World, *argv: str) -> int:
    return main([*argv, "--url", world.url])


def test_alerts_list_shows_the_firing_alert(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(world, "alerts", "list") == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if world.fingerprint in line)
    for cell in ("ErrorRateHigh", "critical", "credit", "firing", "2026-03-01 11:00Z"):
        assert cell in row
    assert "error rate 40% on credit" in out

    assert run(world, "alerts", "list", "--status", "resolved") == 0
    assert "no alerts (status resolved)" in capsys.readouterr().out

    assert run(world, "alerts", "list", "--model", "credit", "--json") == 0
    [alert] = json.loads(capsys.readouterr().out)["alerts"]
    assert alert["fingerprint"] == world.fingerprint and alert["status"] == "firing"
    assert alert["acknowledged"] is None and alert["silenced_by"] == []


def test_ack_marks_the_alert_and_acknowledges_its_incident(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(world, "alerts", "ack", world.fingerprint, "--comment", "on it") == 0
    assert f"acknowledged 1 alert(s) as ana: {world.fingerprint}" in capsys.readouterr().out

    assert run(world, "alerts", "list") == 0
    assert "acked by ana" in capsys.readouterr().out
    [incident] = world.alerts.incident_book().incidents()
    assert incident.status.value == "acknowledged" and incident.acknowledged_by == "ana"

    # nothing left firing unacknowledged is fine to ask again, an unknown id is not
    assert run(world, "alerts", "ack", "0000000000000000") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("watchkeeper: error: ack '0000000000000000': no such alert")
    assert "HTTP 404" in err and len(err.splitlines()) == 1


def test_silence_list_and_unsilence(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["alerts", "silence", "alertname=ErrorRateHigh", "model=credit", "--duration", "2h"]
    assert run(world, *argv, "--by", "bo", "--comment", "deploying a fix") == 0
    silence_id = capsys.readouterr().out.strip()
    assert silence_id and " " not in silence_id  # only the id: usable in scripts

    assert run(world, "alerts", "list") == 0
    assert "silenced" in capsys.readouterr().out

    assert run(world, "alerts", "silences") == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if silence_id in line)
    for cell in ("active", "alertname=ErrorRateHigh, model=credit", "14:00Z", "bo", "deploying"):
        assert cell in row

    assert run(world, "alerts", "unsilence", silence_id) == 0
    assert f"expired silence {silence_id}" in capsys.readouterr().out
    assert run(world, "alerts", "silences", "--json") == 0
    [listed] = json.loads(capsys.readouterr().out)["silences"]
    assert listed["id"] == silence_id and listed["status"] == "expired"
    assert listed["created_by"] == "bo"

    assert run(world, "alerts", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out)["alerts"][0]["silenced_by"] == []


def test_silence_until_a_time_and_bad_silences(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(world, "alerts", "silence", "model=credit", "--until", "2026-03-01T18:30") == 0
    silence_id = capsys.readouterr().out.strip()
    [silence] = world.alerts.silences()
    assert silence.id == silence_id and silence.created_by == "ana"  # --by defaults to $USER
    assert silence.ends_at == datetime(2026, 3, 1, 18, 30, tzinfo=UTC)  # no zone: UTC

    # (extra arguments, fragment of the one-line error)
    cases = [
        (["model=~(", "--duration", "1h"], "model=~("),  # a matcher that does not parse
        (["model=credit", "--duration", "soon"], "duration"),  # not a duration
        (["model=credit", "--until", "tomorrow"], "--until must be an ISO 8601 time"),
        (["model=credit", "--until", "2026-03-01T06:00Z"], "must be after starts_at"),
    ]
    for extra, fragment in cases:
        assert run(world, "alerts", "silence", *extra) == 2, extra
        err = capsys.readouterr().err.strip()
        assert fragment in err and len(err.splitlines()) == 1, (extra, err)

    assert run(world, "alerts", "unsilence", "no-such-silence") == 2
    assert "no such silence" in capsys.readouterr().err


def test_incidents_list_show_and_actions(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(world, "incidents", "list") == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if world.incident in line)
    for cell in ("open", "critical", "credit", "error rate 40% on credit", "1 (1 firing)"):
        assert cell in row

    assert run(world, "incidents", "show", world.incident) == 0
    out = capsys.readouterr().out
    assert world.incident in out and world.fingerprint in out
    assert "timeline" in out and "alert_firing" in out
    assert "Playbook" in out and "Investigate" in out  # the Markdown, rendered
    assert "# Playbook" not in out  # ... not printed raw

    assert run(world, "incidents", "ack", world.incident, "--comment", "looking") == 0
    assert "acknowledged by ana; status acknowledged" in capsys.readouterr().out
    assert run(world, "incidents", "note", world.incident, "rolled back v7", "--by", "bo") == 0
    assert "noted by bo" in capsys.readouterr().out
    assert run(world, "incidents", "resolve", world.incident, "--note", "fixed") == 0
    assert "resolved by ana; status resolved" in capsys.readouterr().out

    assert run(world, "incidents", "list", "--status", "open") == 0
    assert "no incidents (status open)" in capsys.readouterr().out
    assert run(world, "incidents", "show", world.incident, "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "resolved" and shown["resolved_by"] == "ana"
    timeline = [(e["kind"], e["by"], e["text"]) for e in shown["timeline"]]
    assert ("note", "bo", "rolled back v7") in timeline
    assert [k for k, _, _ in timeline][-3:] == ["ack", "note", "resolve"]
    assert shown["playbook"].startswith("# Playbook")

    assert run(world, "incidents", "list", "--model", "credit", "--json") == 0
    [listed] = json.loads(capsys.readouterr().out)["incidents"]
    assert listed["id"] == world.incident and "timeline" not in listed


def test_postmortem_to_a_file_and_to_stdout(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "postmortem.md"
    assert run(world, "incidents", "postmortem", world.incident, "-o", str(path)) == 0
    assert str(path) in capsys.readouterr().out
    text = path.read_text()
    assert world.incident in text and "## Evidence" in text
    assert "ErrorRateHigh" in text and "2026-03-01 11:00 UTC" in text

    assert run(world, "incidents", "postmortem", world.incident) == 0
    assert capsys.readouterr().out.rstrip("\n") == text.rstrip("\n")


@pytest.mark.parametrize(
    "argv",
    [
        ["incidents", "show", "INC-nope"],
        ["incidents", "ack", "INC-nope"],
        ["incidents", "note", "INC-nope", "text"],
        ["incidents", "postmortem", "INC-nope"],
    ],
)
def test_an_unknown_incident_is_a_one_line_error(
    world: World, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(world, *argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        "watchkeeper: error: unknown incident id 'INC-nope' (HTTP 404 from "
    )
    assert len(captured.err.splitlines()) == 1


def test_writes_need_the_token(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("WATCHKEEPER_TOKEN")
    assert run(world, "alerts", "list") == 0  # reads stay open
    capsys.readouterr()
    assert run(world, "alerts", "ack", world.fingerprint) == 2
    err = capsys.readouterr().err
    assert "missing or wrong bearer token (HTTP 401" in err and "$WATCHKEEPER_TOKEN" in err

    monkeypatch.setenv("OTHER_TOKEN", TOKEN)
    assert run(world, "alerts", "ack", world.fingerprint, "--token-env", "OTHER_TOKEN") == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["alerts", "list"],
        ["alerts", "silence", "model=credit", "--duration", "1h"],
        ["incidents", "show", "INC-1"],
        ["incidents", "postmortem", "INC-1"],
    ],
)
def test_an_unreachable_service_is_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    assert main([*argv, "--url", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"watchkeeper: error: cannot reach the service at {url}: ")
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_url_that_is_not_http_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "list", "--url", "127.0.0.1:8000"]) == 2
    assert "--url: must be an http:// or https:// URL" in capsys.readouterr().err


def test_a_service_without_alerting_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = parse_service_config(
        {
            "store": str(tmp_path / "store"),
            "models": {"credit": {"task": "binary_classification", "windows": ["1h"]}},
        }
    )
    service = open_service(config, {"credit": SCHEMA}, lambda: NOW)
    loop = Loopback(create_app(config, service.intake, service.store, clock=lambda: NOW))
    try:
        assert main(["incidents", "list", "--url", loop.url]) == 2
    finally:
        loop.stop()
        service.close()
    assert "alerting is not configured in this service (HTTP 501" in capsys.readouterr().err
