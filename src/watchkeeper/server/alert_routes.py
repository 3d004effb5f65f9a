"""HTTP routes for alerts, silences, incidents and notifications (``/v1``).

Reads are open like the other reads; actions (ack, silence, incident changes) are writes and
need a token when tokens are configured. Without an alerting service the routes answer 501.
Bad input — an unknown alert or incident, a matcher that does not parse, a silence ending
before it starts — is a 400 naming the field and value; an unknown id a 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from watchkeeper.alerting.incidents_model import IncidentStatus
from watchkeeper.alerting.model import AlertStatus
from watchkeeper.alerting.silences import silencing
from watchkeeper.errors import InputError
from watchkeeper.ingest.body import BodyError
from watchkeeper.server.responses import error, json_response, parse_time
from watchkeeper.settings import parse_duration

if TYPE_CHECKING:
    from watchkeeper.server.alerts import AlertService

Handler = Callable[[Request], Awaitable[Response]]
MAX_BODY = 1024 * 1024


class AckBody(msgspec.Struct, forbid_unknown_fields=True):
    by: str = "api"
    comment: str = ""


class SilenceBody(msgspec.Struct, forbid_unknown_fields=True):
    matchers: list[str]
    created_by: str = "api"
    comment: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    duration: str | None = None  # instead of ends_at, e.g. "2h"


class IncidentBody(msgspec.Struct, forbid_unknown_fields=True):
    by: str = "api"
    text: str = ""


async def _body(request: Request, kind: type[Any]) -> Any:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BodyError(413, f"body is larger than {MAX_BODY} bytes")
    try:
        return msgspec.json.decode(raw or b"{}", type=kind)
    except msgspec.ValidationError as exc:
        raise BodyError(400, f"invalid body: {exc}") from None
    except msgspec.DecodeError as exc:
        raise BodyError(400, f"body is not JSON: {exc}") from None


def alert_routes(alerts: AlertService | None, guarded: Callable[[Handler], Handler]) -> list[Route]:
    def needs_service(handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            if alerts is None:
                return error(501, "alerting is not configured in this service")
            try:
                return await handler(request)
            except InputError as exc:
                status = 404 if "unknown" in str(exc) or "no such" in str(exc) else 400
                return error(status, str(exc))
            except BodyError as exc:
                return error(exc.status, str(exc))

        return wrapped

    async def list_alerts(request: Request) -> Response:
        assert alerts is not None
        status = request.query_params.get("status") or None
        model = request.query_params.get("model") or None
        try:
            statuses = [AlertStatus(status)] if status else None
        except ValueError:
            return error(400, f"status must be pending, firing or resolved (got {status!r})")
        found = await run_in_threadpool(alerts.ledger.alerts, model, statuses)
        state = await run_in_threadpool(alerts.pipeline_state)
        now = alerts.now()
        active = silencing(list(state.silences.values()), now)
        out = []
        for alert in found:
            doc = alert.to_dict()
            ack = state.acks.get(alert.fingerprint)
            doc["acknowledged"] = ack.to_dict() if ack else None
            doc["silenced_by"] = [
                s.id for s, matchers in active if all(m(alert.labels) for m in matchers)
            ]
            out.append(doc)
        return json_response({"alerts": out})

    async def ack_alert(request: Request) -> Response:
        assert alerts is not None
        body = await _body(request, AckBody)
        done = await run_in_threadpool(alerts.ack, request.path_params["id"], body.by, body.comment)
        return json_response(done)

    async def list_silences(request: Request) -> Response:
        assert alerts is not None
        now = alerts.now()
        found = await run_in_threadpool(alerts.silences)
        return json_response(
            {"silences": [{**s.to_dict(), "status": s.status(now)} for s in found]}
        )

    async def create_silence(request: Request) -> Response:
        assert alerts is not None
        body = await _body(request, SilenceBody)
        starts = body.starts_at and parse_time(body.starts_at.isoformat(), "starts_at")
        if body.ends_at is not None:
            ends = parse_time(body.ends_at.isoformat(), "ends_at")
        elif body.duration is not None:
            try:
                span = parse_duration(body.duration, "duration")
            except Exception as exc:
                return error(400, str(exc))
            ends = (starts or alerts.now()) + span
        else:
            return error(400, "give ends_at or duration")
        assert ends is not None
        silence = await run_in_threadpool(
            alerts.add_silence, body.matchers, ends, body.created_by, body.comment, starts
        )
        return json_response(silence.to_dict(), 201)

    async def delete_silence(request: Request) -> Response:
        assert alerts is not None
        await run_in_threadpool(alerts.expire_silence, request.path_params["id"])
        return json_response({"expired": request.path_params["id"]})

    async def list_incidents(request: Request) -> Response:
        assert alerts is not None
        model = request.query_params.get("model") or None
        status = request.query_params.get("status") or None
        try:
            wanted = IncidentStatus(status) if status else None
        except ValueError:
            return error(400, f"status must be open, acknowledged or resolved (got {status!r})")
        book = await run_in_threadpool(alerts.incident_book)
        found = book.incidents(model=model, status=wanted)
        return json_response({"incidents": [_summary(i.to_dict()) for i in found]})

    async def get_incident(request: Request) -> Response:
        assert alerts is not None
        incident_id = request.path_params["id"]
        book = await run_in_threadpool(alerts.incident_book)
        incident = book.get(incident_id)
        playbook = await run_in_threadpool(alerts.playbook, incident_id)
        return json_response({**incident.to_dict(), "playbook": playbook})

    async def postmortem(request: Request) -> Response:
        assert alerts is not None
        text = await run_in_threadpool(alerts.postmortem, request.path_params["id"])
        return Response(text, 200, media_type="text/markdown; charset=utf-8")

    def incident_action(action: str) -> Handler:
        async def handle(request: Request) -> Response:
            assert alerts is not None
            body = await _body(request, IncidentBody)
            incident_id = request.path_params["id"]
            await run_in_threadpool(alerts.incident_action, incident_id, action, body.by, body.text)
            book = await run_in_threadpool(alerts.incident_book)
            return json_response(_summary(book.get(incident_id).to_dict()))

        return handle

    async def notifications(request: Request) -> Response:
        assert alerts is not None
        items = await run_in_threadpool(alerts.ledger.outbox, False, 500)
        return json_response({"notifications": [i.to_dict() for i in items]})

    def read(handler: Handler) -> Handler:
        return needs_service(handler)

    def write(handler: Handler) -> Handler:
        return guarded(needs_service(handler))

    return [
        Route("/v1/alerts", read(list_alerts), methods=["GET"]),
        Route("/v1/alerts/{id:path}/ack", write(ack_alert), methods=["POST"]),
        Route("/v1/silences", read(list_silences), methods=["GET"]),
        Route("/v1/silences", write(create_silence), methods=["POST"]),
        Route("/v1/silences/{id}", write(delete_silence), methods=["DELETE"]),
        Route("/v1/incidents", read(list_incidents), methods=["GET"]),
        Route("/v1/incidents/{id}", read(get_incident), methods=["GET"]),
        Route("/v1/incidents/{id}/postmortem", read(postmortem), methods=["GET"]),
        Route("/v1/incidents/{id}/ack", write(incident_action("ack")), methods=["POST"]),
        Route("/v1/incidents/{id}/resolve", write(incident_action("resolve")), methods=["POST"]),
        Route("/v1/incidents/{id}/notes", write(incident_action("note")), methods=["POST"]),
        Route("/v1/notifications", read(notifications), methods=["GET"]),
    ]


def _summary(incident: dict[str, Any]) -> dict[str, Any]:
    """An incident without its bulky parts (timeline and evidence stay on the detail view)."""
    return {k: v for k, v in incident.items() if k not in ("timeline", "evidence")}
