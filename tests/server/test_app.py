"""The HTTP API on a real loopback server (uvicorn in a thread) driven with httpx."""

from __future__ import annotations

import gzip
import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from service_process import Loopback
from watchkeeper.monitors.base import MetricSample
from watchkeeper.schema import ColumnSchema, ColumnType, Schema
from watchkeeper.server.app import create_app
from watchkeeper.server.openapi import openapi_document
from watchkeeper.server.run import Service, open_service
from watchkeeper.settings import parse_service_config

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
SCHEMA = Schema((ColumnSchema("age", ColumnType.NUMERIC), ColumnSchema("plan",
                                                                        ColumnType.CATEGORICAL)))


def record(ident: str, **fields: Any) -> dict[str, Any]:
    return {"id": ident, "features": {"age": 30, "plan": "a"}, "prediction": 0.5, **fields}


class Evaluations:
    def __init__(self) -> None:
        self.calls: list[datetime] = []

    def __call__(self, until: datetime) -> dict[str, Any]:
        self.calls.append(until)
        return {"windows": 2}


MakeClient = Callable[..., tuple[httpx.Client, Service, Evaluations]]


@pytest.fixture
def make_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeClient]:
    running: list[tuple[Loopback, Service, httpx.Client]] = []

    def make(token: str | None = None, **options: Any) -> tuple[httpx.Client, Service,
                                                                Evaluations]:
        server: dict[str, Any] = {}
        if token:
            monkeypatch.setenv("WK_TEST_TOKEN", token)
            server = {"token_env": ["WK_TEST_TOKEN"]}
        config = parse_service_config({
            "store": str(tmp_path / f"store{len(running)}"),
            "server": server,
            "models": {"credit": {"task": "binary_classification", "windows": ["1h"]}},
        })
        service = open_service(config, {"credit": SCHEMA}, lambda: NOW)
        evaluations = Evaluations()
        app = create_app(config, service.intake, service.store, clock=lambda: NOW,
                         evaluate=evaluations, metrics_text=lambda: b"watchkeeper_up 1\n",
                         **options)
        loop = Loopback(app)
        client = httpx.Client(base_url=loop.url, timeout=10)
        running.append((loop, service, client))
        return client, service, evaluations

    yield make
    for loop, service, client in running:
        client.close()
        loop.stop()
        service.close()


def stored(client: httpx.Client, kind: str, expected: int) -> int:
    deadline = time.monotonic() + 10
    count = -1
    while time.monotonic() < deadline:
        count = client.get("/v1/models/credit").json()[kind]
        if count >= expected:
            break
        time.sleep(0.02)
    return int(count)


def test_a_batch_is_accepted_and_stored(make_client: MakeClient) -> None:
    client, _, _ = make_client()
    response = client.post("/v1/models/credit/predictions",
                           json=[record("a"), record("b", latency_ms=3)])
    assert (response.status_code, response.json()) == (202, {"accepted": 2})
    assert stored(client, "predictions", 2) == 2
    model = client.get("/v1/models/credit").json()
    assert model["name"] == "credit" and model["task"] == "binary_classification"
    assert model["windows"] == ["1h"] and model["labels"] == 0
    assert model["features"]["age"]["type"] == "numeric"


@pytest.mark.parametrize(
    ("path", "content", "headers"),
    [
        # NDJSON by content type
        ("labels", b'{"id": "a", "label": 1}\n{"id": "b", "label": 0}\n',
         {"content-type": "application/x-ndjson"}),
        # NDJSON because the body does not start with '['
        ("outcomes", b'{"id": "a", "name": "revenue", "value": 3}\n'
                     b'{"id": "b", "name": "revenue", "value": 4}', {}),
        # a gzip-compressed JSON array
        ("predictions", gzip.compress(json.dumps([record("a"), record("b")]).encode()),
         {"content-encoding": "gzip", "content-type": "application/json"}),
    ],
)
def test_accepted_body_forms(make_client: MakeClient, path: str, content: bytes,
                             headers: dict[str, str]) -> None:
    client, _, _ = make_client()
    response = client.post(f"/v1/models/credit/{path}", content=content, headers=headers)
    assert (response.status_code, response.json()) == (202, {"accepted": 2})
    assert stored(client, path, 2) == 2


def test_bad_records_are_named_and_nothing_is_written(make_client: MakeClient) -> None:
    client, service, _ = make_client()
    response = client.post("/v1/models/credit/predictions",
                           json=[record("a"), record("b", features={"age": "abc"}), {"id": ""}])
    assert response.status_code == 400
    assert response.json()["details"] == [
        {"index": 1, "field": "features.age", "error": "expected a number, got 'abc'"},
        {"index": 2, "field": "id", "error": "must not be empty"},
    ]
    assert response.json()["error"].startswith("2 bad records")
    assert service.wal.end == 0
    assert client.get("/v1/models/credit").json()["predictions"] == 0


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/v1/models/nope/predictions", 404),  # unknown model
        ("GET", "/v1/models/nope", 404),
        ("GET", "/v1/models/nope/metrics", 404),
        ("GET", "/v1/models/credit/metrics?start=yesterday", 400),  # bad time
        ("POST", "/v1/evaluate?until=soon", 400),
        ("GET", "/v1/models/credit/predictions", 405),  # intake is POST only
    ],
)
def test_client_errors(make_client: MakeClient, method: str, path: str, status: int) -> None:
    client, _, _ = make_client()
    response = client.request(method, path, json=[] if method == "POST" else None)
    assert response.status_code == status
    if status != 405:
        assert "error" in response.json()


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"[" + b" " * 3000 + b"]", {}),  # over the limit as sent
        (gzip.compress(b"[" + b" " * 3000 + b"]"), {"content-encoding": "gzip"}),  # once unpacked
    ],
)
def test_bodies_over_the_limit_are_refused(make_client: MakeClient, content: bytes,
                                           headers: dict[str, str]) -> None:
    client, _, _ = make_client(max_body_bytes=2000)
    response = client.post("/v1/models/credit/labels", content=content, headers=headers)
    assert response.status_code == 413


def test_writes_need_the_token_when_one_is_configured(make_client: MakeClient) -> None:
    client, _, _ = make_client(token="s3cret")
    labels = [{"id": "a", "label": 1}]
    missing = client.post("/v1/models/credit/labels", json=labels)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    wrong = client.post("/v1/models/credit/labels", json=labels,
                        headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert client.post("/v1/evaluate", headers={"authorization": "Bearer nope"}).status_code == 401
    right = client.post("/v1/models/credit/labels", json=labels,
                        headers={"authorization": "Bearer s3cret"})
    assert right.status_code == 202
    assert client.get("/v1/models").status_code == 200  # reads stay open


def test_models_and_metrics_are_listed(make_client: MakeClient) -> None:
    client, service, _ = make_client()
    assert [m["name"] for m in client.get("/v1/models").json()["models"]] == ["credit"]
    start = NOW - timedelta(hours=2)
    service.store.write_samples([
        MetricSample("credit", "feature_drift", {"monitor": "drift", "feature": "age"},
                     start + timedelta(hours=h), start + timedelta(hours=h + 1), 0.1 * h)
        for h in range(2)
    ], NOW)
    all_samples = client.get("/v1/models/credit/metrics").json()["samples"]
    assert [s["value"] for s in all_samples] == [0.0, 0.1]
    later = client.get("/v1/models/credit/metrics", params={
        "name": "feature_drift", "start": (start + timedelta(hours=1)).isoformat()}).json()
    assert [s["window_start"] for s in later["samples"]] == ["2026-03-01T11:00:00+00:00"]
    assert client.get("/v1/models/credit/metrics?name=other").json()["samples"] == []


def test_evaluate_calls_the_evaluator_with_until(make_client: MakeClient) -> None:
    client, _, evaluations = make_client()
    response = client.post("/v1/evaluate", params={"until": "2026-03-01T13:00:00+01:00"})
    assert response.json() == {"until": "2026-03-01T12:00:00+00:00", "windows": 2}
    assert client.post("/v1/evaluate").json()["until"] == NOW.isoformat()  # default: now
    assert evaluations.calls == [NOW, NOW]


def test_health_readiness_and_prometheus(make_client: MakeClient) -> None:
    client, service, _ = make_client()
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()["ready"]) == (200, True)
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert metrics.text == "watchkeeper_up 1\n"
    service.intake.drain()  # shutting down: not ready, and intake says so
    assert client.get("/readyz").status_code == 503
    refused = client.post("/v1/models/credit/labels", json=[{"id": "a", "label": 1}])
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"


def test_the_openapi_document_describes_every_route(make_client: MakeClient) -> None:
    client, _, _ = make_client()
    served = client.get("/openapi.json").json()
    assert served == json.loads(json.dumps(openapi_document()))
    _, service, _ = make_client()
    app = create_app(parse_service_config({}), service.intake, service.store, clock=lambda: NOW)
    # a path convertor ("{id:path}", for ids holding "/") is documented as a plain parameter
    routes = {(re.sub(r":\w+}", "}", r.path), m.lower()) for r in app.routes
              if isinstance(r, Route) for m in (r.methods or ()) if m != "HEAD"}
    documented = {(path, method) for path, ops in served["paths"].items() for method in ops}
    assert routes == documented
