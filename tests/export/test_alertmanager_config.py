"""The generated Alertmanager configuration: ``amtool check-config`` accepts it for several
configs, ``amtool config routes test`` routes like watchkeeper's routing tree, no secret ever
enters the file, and a real Alertmanager inhibits the same alerts as watchkeeper does."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from export_helpers import system_binary

from watchkeeper.alerting.inhibit import Inhibitor, compile_inhibitions
from watchkeeper.alerting.model import Alert, AlertStatus
from watchkeeper.alerting.routing import compile_route
from watchkeeper.export.alertmanager_config import alertmanager_config, render_alertmanager
from watchkeeper.settings import ServiceConfig, parse_service_config

HOOK = {"webhook": {"url": "http://127.0.0.1:9/hook"}}
MINIMAL = {"alerting": {"receivers": {"oncall": HOOK}, "route": {"receiver": "oncall"}}}
FULL = {"alerting": {
    "receivers": {
        "oncall": {**HOOK, "pagerduty": {"routing_key_env": "PD_ROUTING_KEY"}},
        "ml-team": {
            "slack": {"url_env": "SLACK_WEBHOOK_URL", "channel": "#ml"},
            "email": {"to": ["ml@example.com", "ops@example.com"],
                      "from": "watchkeeper@example.com", "host": "smtp.example.com",
                      "port": 587, "tls": "starttls", "username": "wk",
                      "password_env": "SMTP_PASSWORD"},
        },
        "existing-am": {"alertmanager": {"url": "http://127.0.0.1:9093"}},
        "ops": {"opsgenie": {"api_key_env": "OPSGENIE_API_KEY", "responders": ["ml-oncall"],
                             "tags": ["ml", "wk"], "url": "https://api.eu.opsgenie.com"}},
        "hook-env": {"webhook": {"url_env": "HOOK_URL", "headers_env": {"X-Token": "HOOK_TOKEN"}}},
        "smtps": {"email": {"to": ["a@example.com"], "from": "wk@example.com",
                            "host": "smtp.example.com", "port": 2465, "tls": "ssl"}},
        "slack-literal": {"slack": {"url": "https://hooks.slack.example.com/T0/B0/x"}},
    },
    "route": {
        "receiver": "ml-team", "group_by": ["model", "alertname"], "group_wait": "0s",
        "group_interval": "5m", "repeat_interval": "4h", "max_per_hour": 20,
        "routes": [
            {"match": ["severity=~critical|high"], "receiver": "oncall", "escalation": "pager",
             "continue": True},
            {"match": ['team="a b"', "model!=shadow"], "receiver": "existing-am",
             "group_by": ["..."], "repeat_interval": "1d", "routes": [
                 {"match": ["monitor=drift"], "receiver": "hook-env", "group_wait": "30s"}]},
            {"match": ["model=~credit|fraud"], "receiver": "smtps", "continue": True},
            {"match": ["model=credit"], "receiver": "slack-literal"},
        ],
    },
    "inhibit_rules": [
        {"source": ["alertname=PipelineDown"], "target": ["monitor=~drift|performance"],
         "equal": ["model"]},
        {"source": ['team="a \\"b\\""'], "target": ["severity!=critical"]},
    ],
    "escalation": {"pager": {
        "levels": [{"receiver": "oncall", "after": "0m"}, {"receiver": "ops", "after": "30m"}],
        "start": {"critical": 1, "high": 0},
    }},
}}  # fmt: skip
NO_RECEIVERS: dict[str, Any] = {"alerting": {"builtin_inhibitions": False}}
CONFIGS = {"minimal": MINIMAL, "full": FULL, "no-receivers": NO_RECEIVERS}


def section(data: dict[str, Any]) -> ServiceConfig:
    return parse_service_config(data)


def generate(data: dict[str, Any], tmp_path: Path) -> Path:
    am = alertmanager_config(section(data).alerting, "/run/secrets/am")
    path = tmp_path / "alertmanager.yml"
    path.write_text(render_alertmanager(am, secrets_dir="/run/secrets/am"))
    return path


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [system_binary("amtool"), *args], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_amtool_accepts_the_config(name: str, tmp_path: Path) -> None:
    result = amtool("check-config", str(generate(CONFIGS[name], tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_receivers_are_translated_and_secrets_stay_in_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for env in ("PD_ROUTING_KEY", "SLACK_WEBHOOK_URL", "SMTP_PASSWORD", "OPSGENIE_API_KEY",
                "HOOK_URL", "HOOK_TOKEN"):  # fmt: skip
        monkeypatch.setenv(env, f"secret-value-of-{env}")
    text = generate(FULL, tmp_path).read_text()
    assert "secret-value-of" not in text
    receivers = {r["name"]: r for r in yaml.safe_load(text)["receivers"]}
    assert receivers["oncall"]["pagerduty_configs"][0]["routing_key_file"] == (
        "/run/secrets/am/PD_ROUTING_KEY"
    )
    assert receivers["ml-team"]["slack_configs"] == [{
        "api_url_file": "/run/secrets/am/SLACK_WEBHOOK_URL", "channel": "#ml",
        "send_resolved": True}]  # fmt: skip
    email = receivers["ml-team"]["email_configs"][0]
    assert (email["to"], email["smarthost"], email["auth_password_file"], email["require_tls"]) == (
        "ml@example.com, ops@example.com", "smtp.example.com:587",
        "/run/secrets/am/SMTP_PASSWORD", True)  # fmt: skip
    opsgenie = receivers["ops"]["opsgenie_configs"][0]
    assert (opsgenie["api_url"], opsgenie["responders"], opsgenie["tags"]) == (
        "https://api.eu.opsgenie.com/",
        [{"name": "ml-oncall", "type": "team"}],
        "ml,wk",
    )
    assert receivers["existing-am"] == {"name": "existing-am"}  # it already gets the alerts
    assert receivers["hook-env"] == {"name": "hook-env"}  # no webhook URL from a file in 0.25
    assert receivers["smtps"]["email_configs"][0]["require_tls"] is False
    assert receivers["slack-literal"]["slack_configs"][0]["api_url"].startswith("https://")
    notes = [line for line in text.splitlines() if line.startswith("# note:")]
    assert any("$HOOK_URL" in n for n in notes)
    assert any("X-Token from $HOOK_TOKEN" in n for n in notes)
    assert any("max_per_hour 20" in n for n in notes)
    assert any("ops after 30m is left to your pager" in n for n in notes)
    assert any("tls ssl on port 2465" in n for n in notes)


def test_routes_keep_watchkeeper_defaults_and_settings() -> None:
    route = alertmanager_config(section(MINIMAL).alerting).config["route"]
    assert route == {
        "receiver": "oncall",
        "group_by": ["model", "alertname"],
        "group_wait": "0s",
        "group_interval": "5m",
        "repeat_interval": "4h",
    }
    full = alertmanager_config(section(FULL).alerting).config["route"]
    team = full["routes"][1]
    assert (team["matchers"], team["group_by"], team["repeat_interval"]) == (
        ['team="a b"', 'model!="shadow"'],
        ["..."],
        "1d",
    )
    assert team["routes"][0]["group_wait"] == "30s"
    assert full["routes"][0]["routes"] == [
        {"receiver": "ops", "matchers": ['severity="critical"']}
    ]  # escalation starts at ops
    none = alertmanager_config(section(NO_RECEIVERS).alerting).config
    assert none["route"]["receiver"] == "watchkeeper-null"
    assert none["receivers"] == [{"name": "watchkeeper-null"}]
    assert none["inhibit_rules"] == []


LABEL_SETS = [
    {"severity": "critical", "model": "credit"},  # escalation starts at level 1, continue
    {"severity": "high", "model": "fraud"},  # level 0, then model=~credit|fraud (continue)
    {"severity": "warning", "model": "credit"},  # smtps continues, then slack-literal
    {"severity": "warning", "model": "churn"},  # the root
    {"severity": "high", "team": "a b", "model": "x"},  # oncall, then the team route
    {"severity": "info", "team": "a b", "model": "x", "monitor": "drift"},  # a nested route
    {"severity": "info", "team": "a b", "model": "shadow"},  # model!=shadow fails: the root
]


def test_alertmanager_routes_like_watchkeeper(tmp_path: Path) -> None:
    path = generate(FULL, tmp_path)
    alerting = section(FULL).alerting
    root = compile_route(alerting.route)
    for labels in LABEL_SETS:
        expected = []
        for route in root.match(labels):
            if route.escalation is not None:
                policy = alerting.escalation[route.escalation]
                expected.append(policy.levels[policy.start.get(labels["severity"], 0)].receiver)
            else:
                expected.append(route.receiver)
        pairs = [f"{k}={v}" for k, v in labels.items()]
        result = amtool("config", "routes", "test", f"--config.file={path}", *pairs)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().split(",") == expected, labels


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    binary = system_binary("prometheus-alertmanager")
    hooks_only = dict.fromkeys(FULL["alerting"]["receivers"], HOOK)  # every receiver: a webhook
    config = generate({"alerting": {**FULL["alerting"], "receivers": hooks_only}}, tmp_path)
    address = f"127.0.0.1:{_free_port()}"
    log = (tmp_path / "alertmanager.log").open("w")
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address={address}", "--cluster.listen-address="],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://{address}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError((tmp_path / "alertmanager.log").read_text()[-2000:])
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


ALERTS = [
    # a data-quality alert on one feature mutes that feature's drift only
    {"alertname": "MissingValues", "monitor": "quality", "model": "credit", "feature": "age",
     "severity": "warning"},
    {"alertname": "FeatureDrift", "monitor": "drift", "model": "credit", "feature": "age",
     "severity": "warning"},
    {"alertname": "FeatureDrift", "monitor": "drift", "model": "credit", "feature": "income",
     "severity": "warning"},
    {"alertname": "PredictionDrift", "monitor": "drift", "model": "credit", "severity": "warning"},
    # an outage mutes all of its model's drift and performance alerts
    {"alertname": "NoTraffic", "monitor": "operations", "model": "fraud", "severity": "high"},
    {"alertname": "FeatureDrift", "monitor": "drift", "model": "fraud", "feature": "age",
     "severity": "warning"},
    {"alertname": "PerformanceDrop", "monitor": "performance", "model": "fraud",
     "severity": "high"},
    # a data-quality alert on one model version mutes that version's drift only
    {"alertname": "DataQualityBreak", "monitor": "quality", "model": "churn",
     "model_version": "v2", "severity": "high"},
    {"alertname": "FeatureDrift", "monitor": "drift", "model": "churn", "model_version": "v2",
     "feature": "age", "severity": "warning"},
    {"alertname": "FeatureDrift", "monitor": "drift", "model": "churn", "model_version": "v1",
     "feature": "age", "severity": "warning"},
    {"alertname": "FeatureDrift", "monitor": "drift", "model": "churn", "feature": "age",
     "severity": "warning"},
    # critical mutes its own warning echo, not another alert
    {"alertname": "LatencySpike", "monitor": "operations", "model": "ops", "severity": "critical"},
    {"alertname": "LatencySpike", "monitor": "operations", "model": "ops", "severity": "warning"},
    {"alertname": "ErrorRateSpike", "monitor": "operations", "model": "ops",
     "severity": "warning"},
    # a configured rule
    {"alertname": "PipelineDown", "monitor": "pipeline", "model": "eta", "severity": "high"},
    {"alertname": "Custom", "monitor": "performance", "model": "eta", "severity": "warning"},
]  # fmt: skip


@pytest.mark.slow
def test_a_real_alertmanager_inhibits_what_watchkeeper_inhibits(alertmanager: str) -> None:
    now = datetime.now(UTC)
    posted = httpx.post(f"{alertmanager}/api/v2/alerts", timeout=5, json=[
        {"labels": labels, "annotations": {}, "startsAt": now.isoformat()} for labels in ALERTS
    ])  # fmt: skip
    assert posted.status_code == 200, posted.text
    alerts = [Alert(dict(labels), {}, AlertStatus.FIRING, now, now) for labels in ALERTS]
    mutes = Inhibitor(compile_inhibitions(section(FULL).alerting), alerts)
    expected = sorted(_key(a.labels) for a in alerts if mutes(a) is not None)
    assert len(expected) == 6
    deadline = time.monotonic() + 10
    while True:
        got = httpx.get(f"{alertmanager}/api/v2/alerts", timeout=5).json()
        inhibited = sorted(_key(a["labels"]) for a in got if a["status"]["inhibitedBy"])
        if (len(got) == len(ALERTS) and inhibited == expected) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert inhibited == expected


def _key(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
