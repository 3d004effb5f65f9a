"""Shared fixtures: the shared synthetic benchmark data and small table builders."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_SYNTH = Path(os.environ.get("WK_SHARED", REPO.parent / "shared")) / "bench" / "synth.py"


def load_synth() -> ModuleType:
    """The shared synthetic drift dataset generator (../shared/bench/synth.py)."""
    if not SHARED_SYNTH.exists():
        if os.environ.get("CI"):
            raise FileNotFoundError(f"shared benchmark data generator missing: {SHARED_SYNTH}")
        pytest.skip(f"shared benchmark data generator not found at {SHARED_SYNTH}")
    spec = importlib.util.spec_from_file_location("wk_synth", SHARED_SYNTH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["wk_synth"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def synth() -> ModuleType:
    return load_synth()


class WebhookSink:
    """A real loopback HTTP server recording JSON bodies; ``fail(n, status)`` makes the next
    ``n`` requests fail (an outage), ``down = True`` fails every request until cleared."""

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.bodies: list[dict] = []
        self.failures = 0
        self.down = False
        self.status = 503
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                with sink._lock:
                    failing = sink.down or sink.failures > 0
                    if sink.failures > 0:
                        sink.failures -= 1
                    if not failing:
                        sink.bodies.append(json.loads(raw))
                self.send_response(sink.status if failing else 200)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def fail(self, n: int, status: int = 503) -> None:
        with self._lock:
            self.failures, self.status = n, status

    def received(self) -> list[tuple[str, str, str]]:
        """(status, alertname, severity) of every alert in every body received, in order."""
        with self._lock:
            return [
                (a["status"], a["labels"]["alertname"], a["labels"]["severity"])
                for body in self.bodies
                for a in body["alerts"]
            ]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_sink():
    sink = WebhookSink()
    yield sink
    sink.close()


@pytest.fixture(scope="module")
def module_webhook_sink():
    sink = WebhookSink()
    yield sink
    sink.close()
