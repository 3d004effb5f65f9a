"""JSON responses, errors and query-time parsing shared by the HTTP routes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from starlette.responses import Response

from watchkeeper.ingest.body import BodyError

ENCODER = msgspec.json.Encoder()


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(ENCODER.encode(data), status, headers, "application/json")


def error(status: int, message: str, details: list[Any] | None = None) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": "1"}
    return json_response({"error": message, "details": details or []}, status, headers)


def parse_time(text: str | None, name: str) -> datetime | None:
    """An ISO 8601 query parameter as an aware UTC datetime (naive means UTC)."""
    if text is None or text == "":
        return None
    try:
        moment = msgspec.convert(text, datetime)
    except msgspec.ValidationError:
        raise BodyError(400, f"{name} must be an ISO 8601 timestamp (got {text!r})") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
