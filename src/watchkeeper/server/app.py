"""The HTTP API: intake, model and metric reads, evaluation, health and Prometheus metrics.

Intake answers ``202 {"accepted": n}`` once the batch is durable; ``400 {"error", "details"}``
names every bad record and field; ``401`` when tokens are configured and the bearer token is
missing or wrong (writes only); ``404`` for an unknown model; ``413`` for bodies over
``max_body_bytes`` (also once gzip is undone); ``503`` while the intake cannot take events.
The labelling queue's routes are in :mod:`.label_routes` (``references``: the models' feature
references, for its ``drifted`` strategy; default: read from the config on first use).
Store reads and evaluation run in worker threads so the event loop never waits on them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from watchkeeper.ingest.body import BodyError, is_ndjson, unpack_body
from watchkeeper.ingest.layout import Kind
from watchkeeper.ingest.pipeline import Clock, Intake, UnavailableError, UnknownModelError
from watchkeeper.ingest.records import ValidationFailed
from watchkeeper.server.alert_routes import alert_routes
from watchkeeper.server.auth import BearerAuth
from watchkeeper.server.dashboard_routes import dashboard_routes
from watchkeeper.server.label_routes import References, label_routes
from watchkeeper.server.openapi import openapi_document
from watchkeeper.server.responses import ENCODER, error, json_response, parse_time
from watchkeeper.settings import ServiceConfig
from watchkeeper.store.duckdb_store import DuckDBStore

if TYPE_CHECKING:
    from watchkeeper.server.alerts import AlertService

MAX_BODY_BYTES = 32 * 1024 * 1024
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
Handler = Callable[[Request], Awaitable[Response]]


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyError(413, f"body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyError(413, f"body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    config: ServiceConfig,
    intake: Intake,
    store: DuckDBStore,
    *,
    evaluate: Callable[[datetime], dict[str, Any]] | None = None,
    metrics_text: Callable[[], bytes] | None = None,
    alerts: AlertService | None = None,
    references: References | None = None,
    clock: Clock,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Starlette:
    auth = BearerAuth(config.tokens())
    document = ENCODER.encode(openapi_document(max_body_bytes))

    def guarded(handler: Handler) -> Handler:
        """Writes need a token when tokens are configured; BodyError becomes its status."""

        async def wrapped(request: Request) -> Response:
            if not auth.allows(request.headers.get("authorization")):
                return error(401, "missing or wrong bearer token")
            try:
                return await handler(request)
            except BodyError as exc:
                return error(exc.status, str(exc))

        return wrapped

    def intake_route(kind: Kind) -> Handler:
        async def handle(request: Request) -> Response:
            model = request.path_params["model"]
            if model not in config.models:
                return error(404, f"model {model!r} is not configured")
            body = await read_body(request, max_body_bytes)
            body = unpack_body(body, request.headers.get("content-encoding"), max_body_bytes)
            ndjson = is_ndjson(request.headers.get("content-type"), body)
            try:
                accepted = await intake.submit(model, kind, body, ndjson=ndjson)
            except ValidationFailed as exc:
                return error(400, str(exc), exc.details())
            except UnknownModelError as exc:
                return error(404, str(exc))
            except UnavailableError as exc:
                return error(503, str(exc))
            return json_response({"accepted": accepted}, 202)

        return guarded(handle)

    async def list_models(request: Request) -> Response:
        return json_response({"models": [_model_summary(n, config) for n in config.models]})

    async def get_model(request: Request) -> Response:
        name = request.path_params["model"]
        if name not in config.models:
            return error(404, f"model {name!r} is not configured")
        counts = await run_in_threadpool(store.counts, name)
        decoder = intake.decoders[name]
        return json_response(
            {**_model_summary(name, config), **counts, "features": decoder.schema.to_dict()}
        )

    async def get_metrics(request: Request) -> Response:
        name = request.path_params["model"]
        if name not in config.models:
            return error(404, f"model {name!r} is not configured")
        try:
            start = parse_time(request.query_params.get("start"), "start")
            end = parse_time(request.query_params.get("end"), "end")
        except BodyError as exc:
            return error(exc.status, str(exc))
        metric = request.query_params.get("name") or None
        samples = await run_in_threadpool(store.samples, name, metric, start, end)
        return json_response({"model": name, "samples": [s.to_dict() for s in samples]})

    async def run_evaluation(request: Request) -> Response:
        if evaluate is None:
            return error(501, "evaluation is not configured in this service")
        until = parse_time(request.query_params.get("until"), "until") or clock()
        result = await run_in_threadpool(evaluate, until)
        return json_response({"until": until.isoformat(), **result})

    async def healthz(request: Request) -> Response:
        return json_response({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks = {"log": intake.wal.failure is None, "replay": intake.ready}
        try:
            checks["store"] = await run_in_threadpool(store.ping)
        except Exception:  # any store failure means not ready
            checks["store"] = False
        ready = all(checks.values())
        return json_response({"ready": ready, "checks": checks}, 200 if ready else 503)

    async def prometheus(request: Request) -> Response:
        if metrics_text is None:
            return error(404, "metrics are not configured in this service")
        text = await run_in_threadpool(metrics_text)
        return Response(text, 200, media_type=PROMETHEUS_TEXT)

    async def openapi(request: Request) -> Response:
        return Response(document, 200, media_type="application/json")

    routes = [
        Route(f"/v1/models/{{model}}/{kind.value}", intake_route(kind), methods=["POST"])
        for kind in Kind
    ]
    routes += [
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/models/{model}", get_model, methods=["GET"]),
        Route("/v1/models/{model}/metrics", get_metrics, methods=["GET"]),
        Route("/v1/evaluate", guarded(run_evaluation), methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", prometheus, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
    routes += alert_routes(alerts, guarded)
    routes += label_routes(config, store, guarded, clock, references)
    summaries = [_model_summary(name, config) for name in config.models]
    dashboard = dashboard_routes(config, store, auth_required=auth.enabled, models=summaries)
    return Starlette(routes=[*routes, *dashboard], exception_handlers={Exception: _internal_error})


async def _internal_error(request: Request, exc: Exception) -> Response:
    return error(500, f"internal error: {type(exc).__name__}")


def _model_summary(name: str, config: ServiceConfig) -> dict[str, Any]:
    model = config.models[name]
    return {
        "name": name,
        "task": model.task,
        "windows": list(model.windows),
        "segments": list(model.segments),
        "prediction": model.prediction,
        "label": model.label,
    }
