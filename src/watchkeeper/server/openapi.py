"""The OpenAPI 3.1 document served at ``/openapi.json``, written by hand.

A test compares its paths and methods with the app's routes, so it cannot drift silently.

>>> doc = openapi_document()
>>> doc["openapi"], sorted(doc["paths"]["/v1/models/{model}/labels"])
('3.1.0', ['post'])
"""

from __future__ import annotations

from typing import Any

_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERROR = _json(_ref("Error"), "error, with details naming each bad record and field")
_MODEL = {"name": "model", "in": "path", "required": True, "schema": {"type": "string"}}
_TIME = {"type": "string", "format": "date-time"}
_WHEN = {"oneOf": [_TIME, {"type": "number", "description": "epoch seconds"}]}
_NUMBER_OR_TEXT = {"type": ["number", "string"]}


def _intake(kind: str, record: str, max_body_bytes: int) -> dict[str, Any]:
    batch = {"type": "array", "items": _ref(record)}
    return {
        "post": {
            "summary": f"Send a batch of {kind}",
            "description": (
                "A JSON array, or NDJSON (Content-Type application/x-ndjson or a body not "
                "starting with '['), optionally gzip-compressed (Content-Encoding: gzip). "
                "Answered once the batch is durable; a bad record rejects the whole batch. "
                f"Bodies over {max_body_bytes} bytes (also once unpacked) are refused."
            ),
            "security": [{"bearer": []}, {}],
            "parameters": [_MODEL],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": batch},
                    "application/x-ndjson": {"schema": _ref(record)},
                },
            },
            "responses": {
                "202": _json(_ref("Accepted"), "the batch is durable"),
                "400": _ERROR,
                "401": _ERROR,
                "404": _ERROR,
                "413": _ERROR,
                "415": _ERROR,
                "503": _ERROR,
            },
        }
    }


def _get(summary: str, response: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"get": {"summary": summary, "responses": {"200": response, **extra}}}


def _schemas() -> dict[str, Any]:
    return {
        "Prediction": {
            "type": "object",
            "required": ["id", "features"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "timestamp": _WHEN,
                "features": {"type": "object", "description": "feature name -> value"},
                "prediction": {
                    "type": ["number", "string", "boolean"],
                    "description": "required unless error is set; a string for multiclass",
                },
                "scores": {
                    "oneOf": [
                        {"type": "array", "items": {"type": "number"}},
                        {"type": "object", "additionalProperties": {"type": "number"}},
                    ]
                },
                "latency_ms": {"type": "number", "minimum": 0},
                "model_version": {"type": "string"},
                "segment": {"type": "object", "additionalProperties": {"type": "string"}},
                "error": {"type": "string"},
            },
        },
        "Label": {
            "type": "object",
            "required": ["id", "label"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "label": {"type": ["number", "string", "boolean"]},
                "timestamp": _WHEN,
            },
        },
        "Outcome": {
            "type": "object",
            "required": ["id", "name", "value"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "name": {"type": "string", "minLength": 1},
                "value": {"type": "number"},
                "timestamp": _WHEN,
            },
        },
        "Accepted": {
            "type": "object",
            "required": ["accepted"],
            "properties": {"accepted": {"type": "integer"}},
        },
        "Error": {
            "type": "object",
            "required": ["error", "details"],
            "properties": {
                "error": {"type": "string"},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "index": {"type": "integer"},
                            "field": {"type": "string"},
                            "error": {"type": "string"},
                        },
                    },
                },
            },
        },
        "ModelSummary": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "task": {"type": "string"},
                "windows": {"type": "array", "items": {"type": "string"}},
                "segments": {"type": "array", "items": {"type": "string"}},
                "prediction": {"type": "string"},
                "label": {"type": ["string", "null"]},
            },
        },
        "ModelDetail": {
            "allOf": [
                _ref("ModelSummary"),
                {
                    "type": "object",
                    "properties": {
                        "predictions": {"type": "integer"},
                        "labels": {"type": "integer"},
                        "outcomes": {"type": "integer"},
                        "features": {"type": "object"},
                    },
                },
            ]
        },
        "SeriesList": {
            "type": "object",
            "properties": {
                "model": {"type": "string"},
                "series": {"type": "array", "items": _ref("Series")},
            },
        },
        "Series": {
            "type": "object",
            "description": "One series; the arrays are parallel, oldest window first",
            "properties": {
                "name": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "start": {
                    "type": "array",
                    "items": {"type": "integer"},
                    "description": "window starts, epoch seconds",
                },
                "end": {
                    "type": "array",
                    "items": {"type": "integer"},
                    "description": "window ends, epoch seconds",
                },
                "value": {"type": "array", "items": {"type": ["number", "null"]}},
                "status": {"type": "array", "items": {"type": "string"}},
                "details": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "array",
                        "items": {"type": ["number", "null"]},
                    },
                    "description": "the requested details keys, null where absent",
                },
            },
        },
        "MetricSample": {
            "type": "object",
            "properties": {
                "model": {"type": "string"},
                "name": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "window_start": _TIME,
                "window_end": _TIME,
                "value": {"type": ["number", "null"]},
                "status": {
                    "enum": ["ok", "provisional", "insufficient_data", "breach"],
                },
                "details": {"type": "object"},
            },
        },
    }


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def openapi_document(max_body_bytes: int = 32 * 1024 * 1024) -> dict[str, Any]:
    models = {
        "type": "object",
        "properties": {"models": {"type": "array", "items": _ref("ModelSummary")}},
    }
    samples = {
        "type": "object",
        "properties": {
            "model": {"type": "string"},
            "samples": {"type": "array", "items": _ref("MetricSample")},
        },
    }
    ready = {
        "type": "object",
        "properties": {"ready": {"type": "boolean"}, "checks": {"type": "object"}},
    }
    paths: dict[str, Any] = {
        f"/v1/models/{{model}}/{kind}": _intake(kind, record, max_body_bytes)
        for kind, record in (
            ("predictions", "Prediction"),
            ("labels", "Label"),
            ("outcomes", "Outcome"),
        )
    }
    paths["/v1/models"] = _get("Configured models", _json(models, "the models"))
    paths["/v1/models/{model}"] = _get(
        "One model with counts of stored records",
        _json(_ref("ModelDetail"), "the model"),
        **{"404": _ERROR},
    )
    paths["/v1/models/{model}"]["get"]["parameters"] = [_MODEL]
    paths["/v1/models/{model}/metrics"] = _get(
        "Metric samples of a model",
        _json(samples, "samples, oldest window first"),
        **{"400": _ERROR, "404": _ERROR},
    )
    paths["/v1/models/{model}/metrics"]["get"]["parameters"] = [
        _MODEL,
        _query("name", "only this metric", {"type": "string"}),
        _query("start", "windows starting at or after (ISO 8601)", _TIME),
        _query("end", "windows ending at or before (ISO 8601)", _TIME),
    ]
    paths["/v1/models/{model}/series"] = _get(
        "Metric series in columns, for charts",
        _json(_ref("SeriesList"), "one entry per series, by name and labels"),
        **{"400": _ERROR, "404": _ERROR},
    )
    paths["/v1/models/{model}/series"]["get"]["parameters"] = [
        _MODEL,
        _query(
            "name", "metric names, repeated or comma-separated (default: all)", {"type": "string"}
        ),
        _query("window", "only series with this window label, e.g. 1h", {"type": "string"}),
        _query(
            "match",
            "label matchers (repeatable): name=value, !=, =~, !~; `model_version=` keeps the "
            "series without that label",
            {"type": "string"},
        ),
        _query("start", "windows starting at or after (ISO 8601)", _TIME),
        _query("end", "windows ending at or before (ISO 8601)", _TIME),
        _query(
            "last",
            "windows starting at most this long (e.g. 7d) before the model's newest window ends",
            {"type": "string"},
        ),
        _query(
            "details",
            "numeric details keys to include, e.g. threshold,reference",
            {"type": "string"},
        ),
    ]
    paths["/v1/evaluate"] = {
        "post": {
            "summary": "Evaluate every window that ends at or before `until` (default: now)",
            "security": [{"bearer": []}, {}],
            "parameters": [_query("until", "ISO 8601", _TIME)],
            "responses": {
                "200": _json({"type": "object"}, "what was evaluated"),
                "400": _ERROR,
                "401": _ERROR,
                "501": _ERROR,
            },
        }
    }
    paths["/healthz"] = _get("The process is alive", _json({"type": "object"}, "alive"))
    paths["/readyz"] = _get(
        "Log open, replay done, store reachable",
        _json(ready, "ready"),
        **{"503": _json(ready, "not ready")},
    )
    paths["/metrics"] = _get(
        "Prometheus metrics",
        {
            "description": "text format 0.0.4",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        **{"404": _ERROR},
    )
    paths["/openapi.json"] = _get("This document", _json({"type": "object"}, "OpenAPI 3.1"))
    paths["/"] = _get(
        "The web dashboard (its assets are served under /static/)",
        {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}},
    )
    paths.update(_alerting_paths())
    paths.update(_label_queue_paths())
    return {
        "openapi": "3.1.0",
        "info": {"title": "watchkeeper", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _action(summary: str, body: dict[str, Any], *, created: bool = False) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": [{"bearer": []}, {}],
        "requestBody": {"required": False, "content": {"application/json": {"schema": body}}},
        "responses": {
            "201" if created else "200": _json({"type": "object"}, "done"),
            "400": _ERROR,
            "401": _ERROR,
            "404": _ERROR,
            "501": _ERROR,
        },
    }


def _alerting_paths() -> dict[str, Any]:
    """Alerts, silences, incidents and the notification outbox."""
    item_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    text = {"type": "string"}
    listing = _json({"type": "object"}, "the list")
    by = {"type": "object", "properties": {"by": text, "comment": text}}
    note = {"type": "object", "properties": {"by": text, "text": text}}
    silence = {
        "type": "object",
        "required": ["matchers"],
        "properties": {
            "matchers": {"type": "array", "items": text, "description": "e.g. model=credit"},
            "created_by": text,
            "comment": text,
            "starts_at": _TIME,
            "ends_at": _TIME,
            "duration": {"type": "string", "description": "instead of ends_at, e.g. 2h"},
        },
    }
    status = {"type": "string"}
    paths: dict[str, Any] = {
        "/v1/alerts": _get("Alerts (pending, firing, resolved)", listing, **{"400": _ERROR}),
        "/v1/alerts/{id}/ack": {"post": _action("Acknowledge an alert or alert group", by)},
        "/v1/silences": {
            **_get("Silences", listing),
            "post": _action("Create a silence", silence, created=True),
        },
        "/v1/silences/{id}": {"delete": _action("Expire a silence", {"type": "object"})},
        "/v1/incidents": _get("Incidents, newest first", listing, **{"400": _ERROR}),
        "/v1/incidents/{id}": _get(
            "One incident with its timeline, evidence and playbook",
            _json({"type": "object"}, "the incident"),
            **{"404": _ERROR},
        ),
        "/v1/incidents/{id}/postmortem": _get(
            "A Markdown postmortem of the incident",
            {"description": "Markdown", "content": {"text/markdown": {"schema": text}}},
            **{"404": _ERROR},
        ),
        "/v1/incidents/{id}/ack": {"post": _action("Acknowledge an incident", note)},
        "/v1/incidents/{id}/resolve": {"post": _action("Resolve an incident", note)},
        "/v1/incidents/{id}/notes": {"post": _action("Add a note to the timeline", note)},
        "/v1/notifications": _get("The notification outbox, newest first", listing),
    }
    paths["/v1/alerts"]["get"]["parameters"] = [
        _query("status", "pending, firing or resolved", status),
        _query("model", "only this model", text),
    ]
    paths["/v1/incidents"]["get"]["parameters"] = [
        _query("status", "open, acknowledged or resolved", status),
        _query("model", "only this model", text),
    ]
    for path, operations in paths.items():
        if "{id}" in path:
            for operation in operations.values():
                operation["parameters"] = [item_id]
    return paths


def _label_queue_paths() -> dict[str, Any]:
    """The labelling queue: GET previews (changes nothing), POST reserves (a write)."""
    text, count = {"type": "string"}, {"type": "integer"}
    strategy = {"enum": ["uncertainty", "random", "drifted", "stratified"], "default": "random"}
    n = {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}
    seed = {"type": "integer", "minimum": 0, "default": 0}
    item = {
        "type": "object",
        "required": ["id", "timestamp", "prediction", "features", "reason"],
        "properties": {
            "id": text,
            "timestamp": _TIME,
            "prediction": {"type": ["number", "string"]},
            "scores": {"type": "array", "items": {"type": "number"}},
            "features": {"type": "object"},
            "model_version": text,
            "segment": {"type": "object", "additionalProperties": text},
            "reason": {"type": "string", "description": "why the strategy picked it"},
        },
    }
    answer = {
        "type": "object",
        "properties": {
            "model": text,
            "strategy": text,
            "reserved": {"type": "boolean", "description": "false for the GET preview"},
            "window": {"type": "object", "properties": {"start": _TIME, "end": _TIME}},
            "seed": count,
            "items": {"type": "array", "items": item, "description": "best first"},
            "excluded": {
                "type": "object",
                "description": "predictions of the window left out",
                "properties": {"labelled": count, "queued": count},
            },
            "queue": {
                "type": "object",
                "description": "the model's queue: ids queued, and those labelled since",
                "properties": {"size": count, "answered": count},
            },
        },
    }
    body = {
        "type": "object",
        "properties": {"n": n, "strategy": strategy, "start": _TIME, "end": _TIME, "seed": seed},
    }
    responses = {
        "200": _json(answer, "the picked predictions"),
        "400": _ERROR,
        "404": _ERROR,
    }
    description = (
        "Candidates: predictions with event time in [start, end) (default: the 7 days before "
        "now) that have no label and are not queued. uncertainty: binary scores closest to "
        "performance.threshold, multiclass smallest top-2 score margin (not for regression or "
        "ranking); random: seeded sample; drifted: largest summed |z| against the reference "
        "plus unseen categories; stratified: equal share per predicted class (regression: per "
        "prediction decile), random within."
    )
    return {
        "/v1/models/{model}/label-queue": {
            "get": {
                "summary": "Preview the next predictions to label (a dry run: nothing is queued)",
                "description": description,
                "parameters": [
                    _MODEL,
                    _query("n", "how many", n),
                    _query("strategy", "how to pick", strategy),
                    _query("start", "candidates from this event time (ISO 8601)", _TIME),
                    _query("end", "candidates before this event time (ISO 8601)", _TIME),
                    _query("seed", "for random choices and ties", seed),
                ],
                "responses": responses,
            },
            "post": {
                "summary": "Reserve the next predictions to label: later requests skip them",
                "description": description + " The same parameters as the GET, as JSON.",
                "security": [{"bearer": []}, {}],
                "parameters": [_MODEL],
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": body}},
                },
                "responses": {**responses, "401": _ERROR, "413": _ERROR},
            },
        }
    }
