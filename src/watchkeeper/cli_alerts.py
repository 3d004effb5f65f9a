"""``watchkeeper alerts`` and ``watchkeeper incidents``: alerts, silences and incidents of a
running service, over its HTTP API (``/v1/alerts``, ``/v1/silences``, ``/v1/incidents``).

Each command is a function of the parsed arguments that returns the exit code. Every failure
becomes an :class:`InputError` with one line, which the CLI prints and turns into exit 2: an
unreachable service ("cannot reach the service at URL: ..."), or the service's own ``error``
message for a refused request (unknown id, bad matcher, missing token).

Tables are rendered with rich; ``--json`` prints the service's answer unchanged.

>>> _when("2026-03-01T11:00:00+00:00"), _when(None)
('2026-03-01 11:00Z', '–')
>>> _marks({"acknowledged": {"by": "ana"}, "silenced_by": ["s-1"]})
'acked by ana, silenced'
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from watchkeeper.errors import ConfigError, InputError

if TYPE_CHECKING:
    import httpx
    from rich.console import Console
    from rich.table import Table

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_TOKEN_ENV = "WATCHKEEPER_TOKEN"
WIDE = 200  # columns of the tables when stdout is not a terminal (pipes, files)
MARKDOWN_WIDTH = 100  # the playbook's text wraps here at most
_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "warning": "yellow", "info": "dim"}
_STATUS_STYLE = {
    "firing": "bold red",
    "pending": "yellow",
    "resolved": "green",
    "open": "bold red",
    "acknowledged": "yellow",
    "active": "bold",
    "expired": "dim",
}


class ServiceClient:
    """The service's HTTP API as the CLI uses it: JSON in and out, one-line errors.

    ``token`` is sent as ``Authorization: Bearer`` on every request; ``token_env`` only names
    where it came from, for the message when the service refuses it.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        token_env: str = DEFAULT_TOKEN_ENV,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        import httpx

        if not url.startswith(("http://", "https://")):
            raise ConfigError("--url", url, "must be an http:// or https:// URL of the service")
        self.url = url.rstrip("/")
        self.token_env = token_env
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, params: Mapping[str, str | None] | None = None) -> Any:
        wanted = {k: v for k, v in (params or {}).items() if v}
        return self._json(self._send("GET", path, params=wanted))

    def text(self, path: str) -> str:
        return self._send("GET", path).text

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._json(self._send("POST", path, json=dict(body)))

    def delete(self, path: str) -> Any:
        return self._json(self._send("DELETE", path))

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        import httpx

        try:
            response = self._http.request(method, path, **options)
        except httpx.HTTPError as exc:
            raise InputError(f"cannot reach the service at {self.url}: {_reason(exc)}") from None
        if response.status_code >= 400:
            raise InputError(self._refusal(method, path, response))
        return response

    def _refusal(self, method: str, path: str, response: httpx.Response) -> str:
        try:
            message = str(response.json()["error"])
        except (ValueError, KeyError, TypeError):
            message = " ".join(response.text.split())[:200] or response.reason_phrase
        text = f"{message} (HTTP {response.status_code} from {method} {path})"
        if response.status_code == 401:
            text += f"; put a token of the service in ${self.token_env}"
        return text

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise InputError(
                f"the service at {self.url} answered {response.request.url.path} with "
                "something that is not JSON; is --url a watchkeeper service?"
            ) from None



def service_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``--url`` and ``--token-env`` of the commands that talk to a running service."""
    parser.add_argument("--url", default=DEFAULT_URL, help="service URL")
    parser.add_argument(
        "--token-env",
        default=DEFAULT_TOKEN_ENV,
        help="environment variable holding the token",
    )
    return parser


def add_alert_parser(commands: Any) -> None:
    """Register ``alerts`` (list, ack, silence, silences, unsilence)."""
    alerts = commands.add_parser(
        "alerts",
        help="list, acknowledge and silence the alerts of a running service",
        description="Alerts and silences of a running service (exit 2 when it cannot be "
        "reached or refuses the request).",
    )
    action = alerts.add_subparsers(dest="action", metavar="ACTION", required=True)
    listed = service_options(action.add_parser("list", help="alerts with their marks"))
    listed.add_argument("--status", choices=("pending", "firing", "resolved"), help="only these")
    listed.add_argument("--model", help="only this model")
    listed.add_argument("--json", action="store_true", help="print the service's JSON answer")
    listed.set_defaults(run=alerts_list)
    ack = service_options(action.add_parser("ack", help="acknowledge an alert or alert group"))
    ack.add_argument("id", metavar="ID", help="alert fingerprint or alert group key")
    ack.add_argument("--by", help="who acknowledges (default: $USER, else 'cli')")
    ack.add_argument("--comment", help="why, or what is being done")
    ack.set_defaults(run=alerts_ack)
    silence = service_options(
        action.add_parser(
            "silence",
            help="mute the alerts matching every MATCHER for a while; prints the silence id",
            description="Create a silence: alerts whose labels match every MATCHER "
            "(name=value, name!=value, name=~regex, name!~regex) send no notifications.",
        )
    )
    silence.add_argument("matchers", metavar="MATCHER", nargs="+", help="e.g. model=credit")
    until = silence.add_mutually_exclusive_group(required=True)
    until.add_argument("--duration", help="how long, e.g. 2h or 30m")
    until.add_argument("--until", metavar="ISO", help="end time, ISO 8601 (no zone: UTC)")
    silence.add_argument("--by", help="who silences (default: $USER, else 'cli')")
    silence.add_argument("--comment", help="why")
    silence.set_defaults(run=alerts_silence)
    silences = service_options(action.add_parser("silences", help="list the silences"))
    silences.add_argument("--json", action="store_true", help="print the service's JSON answer")
    silences.set_defaults(run=alerts_silences)
    unsilence = service_options(action.add_parser("unsilence", help="expire a silence now"))
    unsilence.add_argument("id", metavar="ID", help="silence id")
    unsilence.set_defaults(run=alerts_unsilence)


def add_incident_parser(commands: Any) -> None:
    """Register ``incidents`` (list, show, ack, resolve, note, postmortem)."""
    incidents = commands.add_parser(
        "incidents",
        help="list, show, acknowledge, annotate and resolve the incidents of a running service",
        description="Incidents of a running service and their postmortems (exit 2 when it "
        "cannot be reached or refuses the request).",
    )
    action = incidents.add_subparsers(dest="action", metavar="ACTION", required=True)
    listed = service_options(action.add_parser("list", help="incidents, newest first"))
    listed.add_argument("--status", choices=("open", "acknowledged", "resolved"), help="only these")
    listed.add_argument("--model", help="only this model")
    listed.add_argument("--json", action="store_true", help="print the service's JSON answer")
    listed.set_defaults(run=incidents_list)
    show = service_options(
        action.add_parser("show", help="an incident: its alerts, timeline and playbook")
    )
    show.add_argument("id", metavar="ID", help="incident id")
    show.add_argument("--json", action="store_true", help="print the service's JSON answer")
    show.set_defaults(run=incidents_show)
    for name, option, help_text, run in (
        ("ack", "--comment", "acknowledge an incident", incidents_ack),
        ("resolve", "--note", "resolve an incident", incidents_resolve),
    ):
        command = service_options(action.add_parser(name, help=help_text))
        command.add_argument("id", metavar="ID", help="incident id")
        command.add_argument("--by", help="who (default: $USER, else 'cli')")
        command.add_argument(option, help="a note for the timeline")
        command.set_defaults(run=run)
    note = service_options(action.add_parser("note", help="add a note to the timeline"))
    note.add_argument("id", metavar="ID", help="incident id")
    note.add_argument("text", metavar="TEXT", help="the note")
    note.add_argument("--by", help="who (default: $USER, else 'cli')")
    note.set_defaults(run=incidents_note)
    postmortem = service_options(
        action.add_parser("postmortem", help="the incident's postmortem draft (Markdown)")
    )
    postmortem.add_argument("id", metavar="ID", help="incident id")
    postmortem.add_argument(
        "-o", "--output", metavar="FILE", help="write it here (default: stdout)"
    )
    postmortem.set_defaults(run=incidents_postmortem)


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def client(args: argparse.Namespace) -> ServiceClient:
    """The client for ``--url`` with the token from the variable ``--token-env`` names."""
    return ServiceClient(args.url, os.environ.get(args.token_env) or None, token_env=args.token_env)


def who(args: argparse.Namespace) -> str:
    """``--by``, else the ``USER`` environment variable, else "cli"."""
    return str(args.by or os.environ.get("USER") or "cli")


def _id(text: str) -> str:
    """An alert, group, silence or incident id as one path segment."""
    return quote(text, safe="")


# -- alerts and silences ----------------------------------------------------------------------


def alerts_list(args: argparse.Namespace) -> int:
    with client(args) as service:
        answer = service.get("/v1/alerts", {"status": args.status, "model": args.model})
    if args.json:
        return _print_json(answer)
    alerts = answer["alerts"]
    if not alerts:
        _console().print("no alerts" + _filtered(args))
        return 0
    table = _table("fingerprint", "alertname", "severity", "model", "status", "since", "summary")
    table.add_column("marks")
    for alert in alerts:
        labels = alert.get("labels", {})
        table.add_row(
            alert["fingerprint"],
            labels.get("alertname", ""),
            _styled(labels.get("severity", ""), _SEVERITY_STYLE),
            labels.get("model", ""),
            _styled(alert["status"], _STATUS_STYLE),
            _when(alert.get("starts_at")),
            alert.get("annotations", {}).get("summary", ""),
            _marks(alert),
        )
    _console().print(table)
    return 0


def alerts_ack(args: argparse.Namespace) -> int:
    body = {"by": who(args), "comment": args.comment or ""}
    with client(args) as service:
        answer = service.post(f"/v1/alerts/{_id(args.id)}/ack", body)
    done = answer.get("acknowledged", [])
    print(f"acknowledged {len(done)} alert(s) as {answer.get('by', body['by'])}: {', '.join(done)}")
    return 0


def alerts_silence(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {
        "matchers": list(args.matchers),
        "created_by": who(args),
        "comment": args.comment or "",
    }
    if args.until is not None:
        body["ends_at"] = _parse_time(args.until, "--until").isoformat()
    else:
        body["duration"] = args.duration
    with client(args) as service:
        silence = service.post("/v1/silences", body)
    print(silence["id"])
    return 0


def alerts_silences(args: argparse.Namespace) -> int:
    with client(args) as service:
        answer = service.get("/v1/silences")
    if args.json:
        return _print_json(answer)
    silences = answer["silences"]
    if not silences:
        _console().print("no silences")
        return 0
    table = _table("id", "status", "matchers", "starts", "ends", "by", "comment")
    for silence in silences:
        table.add_row(
            silence["id"],
            _styled(silence.get("status", ""), _STATUS_STYLE),
            ", ".join(silence.get("matchers", [])),
            _when(silence.get("starts_at")),
            _when(silence.get("ends_at")),
            silence.get("created_by", ""),
            silence.get("comment", ""),
        )
    _console().print(table)
    return 0


def alerts_unsilence(args: argparse.Namespace) -> int:
    with client(args) as service:
        answer = service.delete(f"/v1/silences/{_id(args.id)}")
    print(f"expired silence {answer.get('expired', args.id)}")
    return 0


# -- incidents --------------------------------------------------------------------------------


def incidents_list(args: argparse.Namespace) -> int:
    with client(args) as service:
        answer = service.get("/v1/incidents", {"status": args.status, "model": args.model})
    if args.json:
        return _print_json(answer)
    incidents = answer["incidents"]
    if not incidents:
        _console().print("no incidents" + _filtered(args))
        return 0
    table = _table("id", "status", "severity", "model", "title", "opened", "owner", "alerts")
    for incident in incidents:
        table.add_row(
            incident["id"],
            _styled(incident["status"], _STATUS_STYLE),
            _styled(incident.get("severity", ""), _SEVERITY_STYLE),
            incident.get("model", ""),
            incident.get("title", ""),
            _when(incident.get("opened_at")),
            incident.get("owner", ""),
            _alert_count(incident.get("alerts", [])),
        )
    _console().print(table)
    return 0


def incidents_show(args: argparse.Namespace) -> int:
    from rich.markdown import Markdown

    with client(args) as service:
        incident = service.get(f"/v1/incidents/{_id(args.id)}")
    if args.json:
        return _print_json(incident)
    console = _console()
    console.print(f"[bold]{incident['id']}[/]: {incident.get('title', '')}")
    for name, value in _header(incident):
        console.print(f"  {name:<13} {value}")
    alerts = incident.get("alerts", [])
    if alerts:
        table = _table("fingerprint", "alertname", "severity", "status", "since", "value")
        for alert in alerts:
            labels = alert.get("labels", {})
            table.add_row(
                alert["fingerprint"],
                labels.get("alertname", ""),
                _styled(labels.get("severity", ""), _SEVERITY_STYLE),
                _styled(alert.get("status", ""), _STATUS_STYLE),
                _when(alert.get("starts_at")),
                _value(alert.get("value")),
            )
        console.print(table)
    timeline = _table("time", "kind", "by", "what", title="timeline")
    for entry in incident.get("timeline", []):
        timeline.add_row(
            _when(entry.get("at")), entry.get("kind", ""), entry.get("by", ""), entry.get("text")
        )
    console.print(timeline)
    if incident.get("playbook"):
        console.print(Markdown(incident["playbook"]), width=min(console.width, MARKDOWN_WIDTH))
    return 0


def incidents_ack(args: argparse.Namespace) -> int:
    return _incident_action(args, "ack", args.comment)


def incidents_resolve(args: argparse.Namespace) -> int:
    return _incident_action(args, "resolve", args.note)


def incidents_note(args: argparse.Namespace) -> int:
    return _incident_action(args, "notes", args.text)


def incidents_postmortem(args: argparse.Namespace) -> int:
    with client(args) as service:
        text = service.text(f"/v1/incidents/{_id(args.id)}/postmortem")
    if args.output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the postmortem to {args.output}: {exc}") from None
    print(f"postmortem of {args.id} -> {args.output}")
    return 0


def _incident_action(args: argparse.Namespace, action: str, text: str | None) -> int:
    body = {"by": who(args), "text": text or ""}
    with client(args) as service:
        incident = service.post(f"/v1/incidents/{_id(args.id)}/{action}", body)
    done = {"ack": "acknowledged", "resolve": "resolved", "notes": "noted"}[action]
    print(f"{incident['id']}: {done} by {body['by']}; status {incident['status']}")
    return 0


def _header(incident: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = [
        ("status", _styled(incident.get("status", ""), _STATUS_STYLE)),
        ("severity", _styled(incident.get("severity", ""), _SEVERITY_STYLE)),
        ("model", incident.get("model", "")),
        ("owner", incident.get("owner") or "–"),
        ("opened", _when(incident.get("opened_at"))),
        ("last active", _when(incident.get("last_active_at"))),
    ]
    if incident.get("acknowledged_at"):
        at = _when(incident["acknowledged_at"])
        rows.append(("acknowledged", f"{at} by {incident.get('acknowledged_by', '')}"))
    if incident.get("resolved_at"):
        at = _when(incident["resolved_at"])
        rows.append(("resolved", f"{at} by {incident.get('resolved_by', '')}"))
    rows.append(("alerts", _alert_count(incident.get("alerts", []))))
    return rows


# -- rendering helpers ------------------------------------------------------------------------


def _console() -> Console:
    """A console on the current stdout; wide when it is not a terminal, so ids never fold."""
    from rich.console import Console

    wide = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    return Console(file=sys.stdout, width=WIDE if wide else None, highlight=False)


def _table(*columns: str, title: str | None = None) -> Table:
    from rich.table import Table

    table = Table(header_style="bold", title=title, title_justify="left")
    for name in columns:
        is_id = name in ("fingerprint", "id")
        table.add_column(name, no_wrap=is_id, overflow="fold")
    return table


def _print_json(data: Any) -> int:
    print(json.dumps(data, indent=2, ensure_ascii=False))
    return 0


def _styled(text: str, styles: Mapping[str, str]) -> str:
    style = styles.get(text)
    return f"[{style}]{text}[/]" if style else text


def _when(iso: str | None) -> str:
    """An ISO 8601 time from the service, shortened to the minute in UTC."""
    if not iso:
        return "–"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%MZ")


def _value(value: float | None) -> str:
    return "–" if value is None else f"{value:.4g}"


def _marks(alert: Mapping[str, Any]) -> str:
    marks = []
    ack = alert.get("acknowledged")
    if ack:
        marks.append(f"acked by {ack.get('by', '?')}")
    if alert.get("silenced_by"):
        marks.append("silenced")
    return ", ".join(marks)


def _alert_count(alerts: Sequence[Mapping[str, Any]]) -> str:
    firing = sum(a.get("status") == "firing" for a in alerts)
    return f"{len(alerts)} ({firing} firing)"


def _filtered(args: argparse.Namespace) -> str:
    given = [f"{name} {value}" for name in ("status", "model") if (value := getattr(args, name))]
    return f" ({', '.join(given)})" if given else ""


def _parse_time(text: str, option: str) -> datetime:
    """An ISO 8601 time; without a zone it is UTC (as the service reads it)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{option} must be an ISO 8601 time, e.g. 2026-03-01T18:00Z (got {text!r})"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
