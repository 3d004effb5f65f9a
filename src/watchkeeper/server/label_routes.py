"""HTTP routes of the labelling queue: which predictions to send to annotators next.

``GET /v1/models/{model}/label-queue`` is a dry run: it shows what a reservation with the same
parameters would pick and changes nothing (a GET must be safe to repeat, prefetch and cache).
``POST /v1/models/{model}/label-queue`` (the same parameters as a JSON object; a write, so it
needs the token when tokens are configured) picks and reserves: the ids are recorded in the
store's ``label_queue`` and no later request returns them again. With the default seed a POST
reserves what the GET just showed, unless predictions or labels arrived in between.

Parameters: ``n`` (1 to :data:`MAX_ITEMS`, default 100), ``strategy`` (``uncertainty``,
``random``, ``drifted`` or ``stratified``, default ``random``; see
:mod:`watchkeeper.store.label_strategies`), ``start`` / ``end`` (ISO 8601 event-time window of
the candidates, default the 7 days before now), ``seed`` (an integer, default 0).

The answer: ``{"model", "strategy", "reserved", "window": {"start", "end"}, "seed", "items":
[{"id", "timestamp", "prediction", "scores"?, "features", "model_version"?, "segment"?,
"reason"}], "excluded": {"labelled", "queued"}, "queue": {"size", "answered"}}``: items best
first, ``excluded`` counts the window's predictions left out, ``queue`` the model's queue after
the request (queued ids, and those answered by a label since). A reservation that raced
another one for an id returns only the ids it got.

Errors: 404 for an unknown model; 400 ``{"error", "details": [{"field", "value", "error"}]}``
naming the bad parameter, a strategy the task does not support (``uncertainty`` for
regression) or a ``drifted`` request for a model without a reference profile.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from watchkeeper.errors import ConfigError
from watchkeeper.ingest.body import BodyError
from watchkeeper.ingest.layout import SEGMENT_PREFIX, feature_name, is_feature_column
from watchkeeper.profiles.dataset import DatasetProfile
from watchkeeper.server.responses import error, json_response, parse_time
from watchkeeper.settings import ServiceConfig
from watchkeeper.store import label_queue
from watchkeeper.store.duckdb_store import DuckDBStore
from watchkeeper.store.label_strategies import PREFIX, QueueParameterError, Strategy, ranking

Handler = Callable[[Request], Awaitable[Response]]
References = Callable[[str], DatasetProfile | None]
MAX_ITEMS = 10_000
DEFAULT_ITEMS = 100
DEFAULT_SPAN = timedelta(days=7)
MAX_BODY = 64 * 1024
PARAMETERS = ("n", "strategy", "start", "end", "seed")


def label_routes(
    config: ServiceConfig,
    store: DuckDBStore,
    guarded: Callable[[Handler], Handler],
    clock: Callable[[], datetime],
    references: References | None = None,
) -> list[Route]:
    """The two routes; ``references`` gives a model's feature reference (default: read from
    its configured reference on first use, see :func:`reference_loader`)."""
    lookup = references or reference_loader(config)

    def answer(model: str, values: Mapping[str, Any], reserve: bool) -> dict[str, Any]:
        now = clock()
        request = queue_request(model, values, now)
        stored = label_queue.stored_columns(store, model)
        reference = lookup(model) if request.strategy is Strategy.DRIFTED else None
        order = ranking(request.strategy, config.models[model], stored, reference)
        picked = label_queue.pick(store, request, order)
        rows = picked.rows.to_pylist()
        if reserve:
            got = label_queue.reserve(
                store, model, [r["id"] for r in rows], request.strategy.value, now
            )
            rows = [r for r in rows if r["id"] in got]
        size = label_queue.queue_size(store, model)
        return {
            "model": model,
            "strategy": request.strategy.value,
            "reserved": reserve,
            "window": {"start": request.start.isoformat(), "end": request.end.isoformat()},
            "seed": request.seed,
            "items": [{**item(row), "reason": order.explain(row)} for row in rows],
            "excluded": {"labelled": picked.labelled, "queued": picked.queued},
            "queue": {"size": size.size, "answered": size.answered},
        }

    def route(reserve: bool) -> Handler:
        async def handle(request: Request) -> Response:
            model = request.path_params["model"]
            if model not in config.models:
                return error(404, f"model {model!r} is not configured")
            try:
                values = await _body(request) if reserve else dict(request.query_params)
                found = await run_in_threadpool(answer, model, values, reserve)
            except QueueParameterError as exc:
                return error(400, str(exc), exc.details())
            except BodyError as exc:
                return error(exc.status, str(exc))
            return json_response(found)

        return handle

    path = "/v1/models/{model}/label-queue"
    return [
        Route(path, route(False), methods=["GET"]),
        Route(path, guarded(route(True)), methods=["POST"]),
    ]


def queue_request(model: str, values: Mapping[str, Any], now: datetime) -> label_queue.QueueRequest:
    """Validate the parameters (query strings or JSON values); each error names its own."""
    unknown = sorted(set(values) - set(PARAMETERS))
    if unknown:
        raise QueueParameterError(
            unknown[0], values[unknown[0]], f"not one of {', '.join(PARAMETERS)}"
        )
    n = _integer(values, "n", DEFAULT_ITEMS)
    if not 1 <= n <= MAX_ITEMS:
        raise QueueParameterError("n", values["n"], f"must be from 1 to {MAX_ITEMS}")
    seed = _integer(values, "seed", 0)
    if not 0 <= seed < 2**63:
        raise QueueParameterError("seed", values["seed"], "must be a non-negative integer")
    name = values.get("strategy") or Strategy.RANDOM.value
    try:
        strategy = Strategy(name)
    except ValueError:
        choices = ", ".join(s.value for s in Strategy)
        raise QueueParameterError("strategy", name, f"must be one of {choices}") from None
    end = _time(values, "end") or now
    start = _time(values, "start") or end - DEFAULT_SPAN
    if end <= start:
        raise QueueParameterError(
            "end", values.get("end"), f"must be after start {start.isoformat()}"
        )
    return label_queue.QueueRequest(model, strategy, n, start, end, seed)


def item(row: Mapping[str, Any]) -> dict[str, Any]:
    """One picked prediction as the API shows it: the stored layout, features and segment
    keys folded into objects, absent optional fields left out."""
    found: dict[str, Any] = {
        "id": row["id"],
        "timestamp": row["timestamp"].isoformat() if row.get("timestamp") else None,
        "prediction": row.get("prediction"),
    }
    for key in ("scores", "model_version"):
        if row.get(key) is not None:
            found[key] = row[key]
    segment = {
        name[len(SEGMENT_PREFIX) :]: value
        for name, value in row.items()
        if name.startswith(SEGMENT_PREFIX) and value is not None
    }
    if segment:
        found["segment"] = segment
    found["features"] = {
        feature_name(name): _plain(value)
        for name, value in row.items()
        if is_feature_column(name) and not name.startswith(PREFIX)
    }
    return found


def reference_loader(config: ServiceConfig) -> References:
    """Each model's feature reference as the evaluator builds it (``runtime.load_runtimes``),
    read on first use and kept; a production reference is kept once it has been learned."""
    from watchkeeper.runtime import load_runtimes

    kept: dict[str, DatasetProfile] = {}
    lock = threading.Lock()

    def lookup(model: str) -> DatasetProfile | None:
        with lock:
            if model not in kept:
                one = msgspec.structs.replace(config, models={model: config.models[model]})
                try:
                    reference = load_runtimes(one)[model].reference
                except ConfigError as exc:
                    raise QueueParameterError(
                        "strategy", "drifted", f"needs a reference: {exc}"
                    ) from None
                if reference is None:
                    return None
                kept[model] = reference
            return kept[model]

    return lookup


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BodyError(413, f"body is larger than {MAX_BODY} bytes")
    try:
        body = msgspec.json.decode(raw or b"{}")
    except msgspec.DecodeError as exc:
        raise BodyError(400, f"body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BodyError(400, "body must be a JSON object of the queue's parameters")
    return {k: v for k, v in body.items() if v is not None}


def _integer(values: Mapping[str, Any], name: str, default: int) -> int:
    value = values.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise QueueParameterError(name, value, "must be an integer")
    try:
        return int(value)
    except ValueError:
        raise QueueParameterError(name, value, "must be an integer") from None


def _time(values: Mapping[str, Any], name: str) -> datetime | None:
    value = values.get(name)
    if value is not None and not isinstance(value, str):
        raise QueueParameterError(name, value, "must be an ISO 8601 timestamp")
    try:
        return parse_time(value, name)
    except BodyError:
        raise QueueParameterError(name, value, "must be an ISO 8601 timestamp") from None


def _plain(value: Any) -> Any:
    """A feature value as JSON (datetimes as ISO 8601)."""
    return value.isoformat() if isinstance(value, datetime) else value
