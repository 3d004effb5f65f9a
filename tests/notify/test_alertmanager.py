"""Forwarding to a real Alertmanager (Debian's ``prometheus-alertmanager``) on 127.0.0.1."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from notify_helpers import EXTERNAL_URL, free_port, require_binary

from watchkeeper.alerting.config import AlertmanagerReceiver, Receiver
from watchkeeper.alerting.model import Alert, AlertStatus, Notification
from watchkeeper.notify.alertmanager import HORIZON
from watchkeeper.notify.registry import build_notifiers

pytestmark = pytest.mark.slow

BINARY = "/usr/bin/prometheus-alertmanager"
DEADLINE_SECONDS = 20
CONFIG = """\
route:
  receiver: "null"
  group_wait: 1s
receivers:
  - name: "null"
"""


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    """The base URL of a fresh Alertmanager with one receiver that sends nothing."""
    binary = require_binary(BINARY)
    (tmp_path / "am.yml").write_text(CONFIG)
    url = f"http://127.0.0.1:{free_port()}"
    log = (tmp_path / "alertmanager.log").open("w")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'am.yml'}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address={url.removeprefix('http://')}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_ready(url, process, tmp_path / "alertmanager.log")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"alertmanager exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"alertmanager not ready after {DEADLINE_SECONDS}s:\n{log.read_text()}")


def _alerts(url: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/api/v2/alerts", params={"filter": "alertname=FeatureDrift"})
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()
    return found


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_forward_firing_then_resolved(alertmanager: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0)  # Alertmanager judges against its own clock
    labels = {"alertname": "FeatureDrift", "severity": "warning", "model": "credit",
              "feature.name": "age"}  # fmt: skip
    annotations = {"summary": "age drifted", "runbook_url": "https://runbooks.example.com/drift"}
    started = now - timedelta(minutes=5)
    firing = Alert(labels, annotations, AlertStatus.FIRING, started, now)
    group = Notification("existing-am", "g", {"model": "credit"}, (firing,), EXTERNAL_URL)
    receiver = Receiver(alertmanager=AlertmanagerReceiver(url=alertmanager))
    [notifier] = build_notifiers("existing-am", receiver, {}, clock=lambda: now)

    delivery = notifier.send(group)

    assert (delivery.ok, delivery.detail) == (True, "HTTP 200")
    [got] = _alerts(alertmanager)
    assert got["labels"] == {
        "alertname": "FeatureDrift",
        "severity": "warning",
        "model": "credit",
        "feature_name": "age",  # "." is not allowed in an Alertmanager label name
    }
    assert got["annotations"] == annotations
    assert got["status"]["state"] == "active"
    assert got["generatorURL"] == EXTERNAL_URL
    assert _parse(got["startsAt"]) == started
    assert _parse(got["endsAt"]) == now + HORIZON  # stays active between re-sends

    ended = Alert(labels, annotations, AlertStatus.RESOLVED, started, now, ends_at=now)
    resolved = Notification("existing-am", "g", {"model": "credit"}, (ended,), EXTERNAL_URL)
    assert notifier.send(resolved).ok

    assert _alerts(alertmanager) == []  # the API lists only alerts that have not ended


def test_rejected_alert_is_not_retried(alertmanager: str) -> None:
    now = datetime.now(UTC)
    # an alert without labels is invalid for Alertmanager ("at least one label pair required")
    bare = Alert({"severity": ""}, {}, AlertStatus.FIRING, now, now)
    receiver = Receiver(alertmanager=AlertmanagerReceiver(url=alertmanager))
    [notifier] = build_notifiers("existing-am", receiver, {})

    delivery = notifier.send(Notification("existing-am", "g", {}, (bare,)))

    assert (delivery.ok, delivery.retryable) == (False, False)
    assert delivery.detail.startswith("HTTP 400: ")
