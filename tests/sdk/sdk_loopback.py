"""A real HTTP server on 127.0.0.1 that answers like the ingest API and records every request.

It runs a Starlette app under uvicorn in a background thread on a free port. Tell it to answer
the next requests with a given status (``fail_next(2, 503)``, ``fail_next(1, 400)``) or to take
its time (``delay``); everything else gets ``202 {"accepted": n}``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

KINDS = ("predictions", "labels", "outcomes")


@dataclass(frozen=True)
class Received:
    model: str
    kind: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the server answered
    at: float  # time.monotonic() on arrival

    @property
    def records(self) -> list[dict[str, Any]]:
        decoded: list[dict[str, Any]] = json.loads(self.body)
        return decoded


class LoopbackServer:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.delay = 0.0
        self.arrived = 0  # requests that reached the handler, answered or not yet
        self._script: deque[int] = deque()
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted connections inherit it: without, every response waits ~40 ms for delayed ACKs
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        app = Starlette(routes=[Route("/v1/models/{model}/{kind}", self._ingest, methods=["POST"])])
        config = uvicorn.Config(
            app, log_level="critical", access_log=False, lifespan="off", ws="none"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self) -> LoopbackServer:
        self._thread.start()
        wait_until(lambda: self._server.started, 10.0, "the loopback server to start")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10.0)
        self._sock.close()

    def fail_next(self, count: int, status: int) -> None:
        """Answer the next ``count`` requests with ``status`` (and an API error body)."""
        with self._lock:
            self._script.extend([status] * count)

    def delivered(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Records of every request answered 202, in arrival order."""
        return [
            record
            for r in list(self.requests)
            if r.status == 202 and kind in (None, r.kind)
            for record in r.records
        ]

    async def _ingest(self, request: Request) -> JSONResponse:
        body = await request.body()
        with self._lock:
            status = self._script.popleft() if self._script else 202
            self.arrived += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        model, kind = request.path_params["model"], request.path_params["kind"]
        self.requests.append(
            Received(model, kind, dict(request.headers), body, status, time.monotonic())
        )
        if kind not in KINDS:
            return JSONResponse({"error": "unknown kind", "details": [kind]}, status_code=404)
        if status == 202:
            return JSONResponse({"accepted": len(json.loads(body))}, status_code=202)
        details = [{"record": 0, "field": "features", "problem": "scripted failure"}]
        return JSONResponse({"error": f"scripted {status}", "details": details}, status)


def free_dead_url() -> str:
    """A loopback URL nothing listens on (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.005)
