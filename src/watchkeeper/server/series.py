"""Compact metric series for charts: ``GET /v1/models/{model}/series``.

``/v1/models/{model}/metrics`` answers one JSON object per sample with all its details (about
350 bytes each), so 30 days of hourly windows of a 20-feature model is tens of megabytes. This
reads the same table and answers one object per series with columnar arrays — window starts
and ends (epoch seconds), values, statuses — plus only the numeric details asked for:

    {"model": "credit", "series": [{"name": "roc_auc", "labels": {...},
      "start": [...], "end": [...], "value": [...], "status": [...],
      "details": {"reference": [...]}}]}

Series are picked by metric ``name`` (repeatable or comma-separated; every metric when not
given), the ``window`` label and Alertmanager-style label matchers (``match=model_version=``
keeps the series without that label, i.e. the window-wide ones); ``details`` names numeric keys
of the samples' details (``threshold``, ``reference``, ``ci_low``, ...; null where a sample has
none). The range is ``start`` / ``end`` and, or instead, ``last`` (e.g. ``7d``): the windows
starting at most that long before the model's newest window ends (event time, so a dashboard
needs no round trip to find "now"). Two queries: the distinct series in the range (matched
here, in Python), then one ``GROUP BY`` in which DuckDB aggregates the wanted ones into lists
and writes the JSON.

>>> q = parse_series_query({"name": ["roc_auc"], "window": ["1h"], "match": ["segment="],
...                         "details": ["reference,ci_low"]})
>>> q.names, [str(m) for m in q.matchers], q.details, q.last
(('roc_auc',), ['window=1h', 'segment='], ('reference', 'ci_low'), None)
>>> parse_series_query({"last": ["7d"]}).last.days
7
>>> parse_series_query({"name": ["roc_auc"], "details": ["ref erence"]})
Traceback (most recent call last):
...
watchkeeper.ingest.body.BodyError: details: not a details key like ci_low (got 'ref erence')
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from watchkeeper.alerting.matchers import Matcher, matches, parse_matchers
from watchkeeper.errors import ConfigError
from watchkeeper.ingest.body import BodyError
from watchkeeper.server.responses import parse_time
from watchkeeper.settings import parse_duration
from watchkeeper.store.duckdb_store import DuckDBStore

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_NAMES = 50


@dataclass(frozen=True)
class SeriesQuery:
    names: tuple[str, ...]
    matchers: tuple[Matcher, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    details: tuple[str, ...] = ()
    last: timedelta | None = None  # windows starting this long before the newest window's end


def parse_series_query(params: Mapping[str, Sequence[str]]) -> SeriesQuery:
    """The query string (each parameter's list of values) as a query; BodyError 400 if bad."""
    names = tuple(dict.fromkeys(_split(params.get("name", ()))))
    if len(names) > MAX_NAMES:
        raise BodyError(400, f"name: at most {MAX_NAMES} metric names (got {len(names)})")
    texts = [f"window={w}" for w in params.get("window", ()) if w]
    texts += [m for m in params.get("match", ()) if m]
    try:
        matchers = parse_matchers(texts, "match")
    except ConfigError as exc:
        raise BodyError(400, str(exc)) from None
    details = tuple(dict.fromkeys(_split(params.get("details", ()))))
    for key in details:
        if not _KEY.match(key):
            raise BodyError(400, f"details: not a details key like ci_low (got {key!r})")
    start = parse_time(_last(params.get("start")), "start")
    end = parse_time(_last(params.get("end")), "end")
    span = _last(params.get("last"))
    try:
        last = parse_duration(span, "last") if span else None
    except ConfigError as exc:
        raise BodyError(400, str(exc)) from None
    return SeriesQuery(names, matchers, start, end, details, last)


def _split(values: Sequence[str]) -> list[str]:
    """Values given repeated (``name=a&name=b``) or comma-separated (``name=a,b``)."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _last(values: Sequence[str] | None) -> str | None:
    return values[-1] if values else None


def _where(model: str, query: SeriesQuery) -> tuple[str, list[Any]]:
    clauses = ["model = ?"]
    params: list[Any] = [model, *query.names]
    if query.names:
        clauses.append(f"name IN ({', '.join('?' for _ in query.names)})")
    if query.last is not None:
        clauses.append(
            "window_start >= (SELECT max(window_end) FROM metric_samples WHERE model = ?) "
            "- to_seconds(?)"
        )
        params += [model, query.last.total_seconds()]
    if query.start is not None:
        clauses.append("window_start >= ?")
        params.append(query.start)
    if query.end is not None:
        clauses.append("window_end <= ?")
        params.append(query.end)
    return " AND ".join(clauses), params


def series_json(store: DuckDBStore, model: str, query: SeriesQuery) -> bytes:
    """The matching series of ``model`` as a JSON array, ordered by name and labels, points
    oldest first. DuckDB writes the JSON (no Python object per point, and no GIL held)."""
    where, params = _where(model, query)
    keys = store.query(f"SELECT DISTINCT name, labels FROM metric_samples WHERE {where}", params)
    wanted = sorted(
        (name, labels)
        for name, labels in keys
        if matches(query.matchers, msgspec.json.decode(labels))
    )
    if not wanted:
        return b"[]"
    order = "ORDER BY window_start, window_end"
    finite = "CASE WHEN isfinite({0}) THEN {0} END"  # NaN (not computable) is null
    detail = "TRY_CAST(json_extract_string(details, ?) AS DOUBLE)"
    details = ", ".join(f"?, list({finite.format(detail)} {order})" for _ in query.details)
    details_object = f"json_object({details})" if details else "'{}'::JSON"
    fields = (
        "'name', name, 'labels', labels::JSON, "
        f"'start', list(epoch(window_start)::BIGINT {order}), "
        f"'end', list(epoch(window_end)::BIGINT {order}), "
        f"'value', list({finite.format('value')} {order}), "
        f"'status', list(status {order}), "
        f"'details', {details_object}"
    )
    pairs = ", ".join("(?, ?)" for _ in wanted)
    sql = (
        f"SELECT json_object({fields}) FROM metric_samples "
        f"WHERE {where} AND (name, labels) IN ({pairs}) GROUP BY name, labels "
        "ORDER BY name, labels"
    )
    arguments: list[Any] = []
    for key in query.details:  # the key, then its path in both halves of the CASE
        arguments += [key, f"$.{key}", f"$.{key}"]
    arguments += params + [part for pair in wanted for part in pair]
    rows = store.query(sql, arguments)
    return b"[" + b",".join(str(row[0]).encode() for row in rows) + b"]"
