"""Alert builders and a loopback HTTP sink that answers like the vendor APIs and records requests.

The sink is a real threaded ``http.server`` on 127.0.0.1 (port 0). Its default answers follow
each vendor: PagerDuty Events v2 ``202 {"status": "success", "dedup_key": ...}`` (``400
invalid event`` when a required field is missing), Opsgenie ``202 {"result": "Request will be
processed", "requestId": ...}`` (``401`` without a ``GenieKey``), Slack ``200 ok`` (``400
no_text`` without text or blocks), Alertmanager and plain webhooks ``200``. Scripted replies
(status, body, headers, delay) take precedence, one per request, in order.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from watchkeeper.alerting.model import Alert, AlertStatus, Notification

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
EXTERNAL_URL = "http://127.0.0.1:8000"
RUNBOOK = "https://runbooks.example.com/feature-drift"


def alert(
    name: str = "FeatureDrift",
    *,
    severity: str = "warning",
    model: str = "credit",
    resolved: bool = False,
    summary: str | None = None,
    **labels: str,
) -> Alert:
    """A firing (or resolved, ended an hour after T0) alert with a summary and a runbook."""
    all_labels = {"alertname": name, "severity": severity, "model": model, **labels}
    feature = labels.get("feature", "age")
    annotations = {
        "summary": summary if summary is not None else f"{feature} drifted on {model}",
        "description": f"PSI of {feature} is 0.31 (threshold 0.2)",
        "runbook_url": RUNBOOK,
    }
    status = AlertStatus.RESOLVED if resolved else AlertStatus.FIRING
    ends = T0 + timedelta(hours=1) if resolved else None
    return Alert(all_labels, annotations, status, T0, T0, ends_at=ends, value=0.31)


def notification(*alerts: Alert, receiver: str = "oncall", folded: int = 0) -> Notification:
    """One group of ``alerts`` (default: one firing FeatureDrift on credit)."""
    group = alerts or (alert(feature="age"),)
    return Notification(
        receiver,
        '{}:{model="credit"}',
        {"model": "credit"},
        tuple(group),
        external_url=EXTERNAL_URL,
        folded=folded,
    )


def resolved(n: Notification) -> Notification:
    """The same group with every alert resolved."""
    ended = tuple(
        Alert(
            a.labels,
            a.annotations,
            AlertStatus.RESOLVED,
            a.starts_at,
            a.updated_at,
            ends_at=a.starts_at + timedelta(hours=1),
        )
        for a in n.alerts
    )
    return Notification(n.receiver, n.group_key, n.group_labels, ended, n.external_url)


def free_port() -> int:
    """A port nothing listens on (yet): connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def require_binary(name: str) -> str:
    """Path of a system binary: skipped when absent outside CI, a failure in CI."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} not found (Debian package; install with scripts/install-system-deps.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # with the query string
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (for client timeouts)


def _json(status: int, body: Any) -> Reply:
    return Reply(status, json.dumps(body).encode(), {"Content-Type": "application/json"})


def pagerduty_reply(request: Recorded) -> Reply:
    event = request.json()
    errors = [f"'{k}' is missing" for k in ("routing_key", "event_action") if not event.get(k)]
    if event.get("event_action") not in ("trigger", "acknowledge", "resolve"):
        errors.append("'event_action' is invalid")
    if event.get("event_action") == "trigger":
        payload = event.get("payload", {})
        errors += [
            f"'payload.{k}' is missing"
            for k in ("summary", "source", "severity")
            if not payload.get(k)
        ]
        if len(payload.get("summary", "")) > 1024:
            errors.append("'payload.summary' is too long")
    elif not event.get("dedup_key"):
        errors.append("'dedup_key' is missing")
    if errors:
        return _json(
            400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
        )
    dedup = event.get("dedup_key") or uuid.uuid4().hex
    return _json(202, {"status": "success", "message": "Event processed", "dedup_key": dedup})


def opsgenie_reply(request: Recorded) -> Reply:
    request_id = str(uuid.uuid4())
    if not request.headers.get("authorization", "").startswith("GenieKey "):
        return _json(
            401, {"message": "Could not authenticate", "took": 0.0, "requestId": request_id}
        )
    body = request.json()
    if request.path == "/v2/alerts" and not body.get("message"):
        return _json(422, {"message": "Request body is not processable", "requestId": request_id})
    return _json(
        202, {"result": "Request will be processed", "took": 0.01, "requestId": request_id}
    )


def slack_reply(request: Recorded) -> Reply:
    body = request.json()
    if not body.get("text") and not body.get("blocks"):
        return Reply(400, b"no_text")
    return Reply(200, b"ok", {"Content-Type": "text/html"})


def ok_reply(request: Recorded) -> Reply:
    return Reply(200, b"")


VENDORS = {
    "pagerduty": pagerduty_reply,
    "opsgenie": opsgenie_reply,
    "slack": slack_reply,
    "webhook": ok_reply,
    "alertmanager": ok_reply,
}


class Sink:
    """A loopback HTTP server that answers like ``vendor`` and records every request."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.requests: list[Recorded] = []
        self._scripted: deque[Reply] = deque()
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = Recorded("POST", self.path, headers, self.rfile.read(length))
                reply = sink._record(request)
                time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout tests)

            def log_message(self, format: str, *args: Any) -> None:
                """Keep the test output quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order, then as the vendor again."""
        with self._lock:
            self._scripted.extend(replies)

    def _record(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._scripted:
                return self._scripted.popleft()
        return VENDORS[self.vendor](request)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
