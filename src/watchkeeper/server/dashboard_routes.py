"""Routes of the web dashboard: the page at ``/``, its assets under ``/static/`` and the compact
series the charts draw (``GET /v1/models/{model}/series``, see :mod:`watchkeeper.server.series`).

The page is a static shell; everything it shows comes from the ``/v1`` API, and writes (ack,
silence, incident actions) send the bearer token the user pasted into the page. The Content
Security Policy allows only this origin's scripts and styles, so text from the data (feature
names, alert summaries, playbooks) can never run as code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from watchkeeper.alerting.evidence import HIGHER_IS_BETTER
from watchkeeper.ingest.body import BodyError
from watchkeeper.rules.defaults import MAIN_METRIC
from watchkeeper.server.dashboard import STATIC, index_html
from watchkeeper.server.responses import ENCODER, error
from watchkeeper.server.series import parse_series_query, series_json
from watchkeeper.settings import ServiceConfig
from watchkeeper.store.duckdb_store import DuckDBStore

PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def dashboard_routes(
    config: ServiceConfig,
    store: DuckDBStore,
    *,
    auth_required: bool,
    models: Sequence[Mapping[str, Any]] = (),
) -> list[BaseRoute]:
    """``models``: what ``GET /v1/models`` lists, written into the page (the configuration does
    not change while the service runs), so the page fetches data right away."""
    settings = {
        "auth": auth_required,
        "models": list(models),
        "main_metric": {task: metric for task, (metric, _) in MAIN_METRIC.items()},
        "higher_is_better": sorted(
            HIGHER_IS_BETTER | {m for m, worse in MAIN_METRIC.values() if worse == "down"}
        ),
    }
    page = index_html(settings)

    async def index(request: Request) -> Response:
        return Response(page, 200, PAGE_HEADERS, "text/html; charset=utf-8")

    async def series(request: Request) -> Response:
        model = request.path_params["model"]
        if model not in config.models:
            return error(404, f"model {model!r} is not configured")
        params = {key: request.query_params.getlist(key) for key in request.query_params}
        try:
            query = parse_series_query(params)
        except BodyError as exc:
            return error(exc.status, str(exc))
        found = await run_in_threadpool(series_json, store, model, query)
        body = b'{"model":' + ENCODER.encode(model) + b',"series":' + found + b"}"
        return Response(body, 200, media_type="application/json")

    return [
        Route("/", index, methods=["GET"]),
        Route("/v1/models/{model}/series", series, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
