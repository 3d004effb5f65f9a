"""``watchkeeper labels queue``: reserve the next predictions to label and write them out.

The command asks a running service (``POST /v1/models/{model}/label-queue``; with
``--dry-run`` the ``GET`` preview, which reserves nothing) and writes the picked predictions to
``-o``: CSV (``.csv``: ``id, timestamp, prediction``, one ``score_<i>`` column per class
score, ``model_version`` and ``segment.<key>`` when any item has them, one column per feature,
then ``reason``) or JSON lines (``.jsonl``, ``.ndjson``, ``.json``: the items as the API
returns them). The file is created before the request, so a path that cannot be written fails
before anything is reserved. Annotators' answers go back through ``POST
/v1/models/{model}/labels`` with the same ids.

>>> rows = csv_rows([{"id": "a", "timestamp": "t", "prediction": 0.4, "scores": [0.6, 0.4],
...                   "features": {"age": 31, "id": "x"}, "reason": "r"}])
>>> rows[0]
['id', 'timestamp', 'prediction', 'score_0', 'score_1', 'age', 'feature.id', 'reason']
>>> rows[1]
['a', 't', '0.4', '0.6', '0.4', '31', 'x', 'r']
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from watchkeeper import cli_alerts
from watchkeeper.errors import InputError

STRATEGIES = ("uncertainty", "random", "drifted", "stratified")
JSON_LINES = (".jsonl", ".ndjson", ".json")
_FIXED = ("id", "timestamp", "prediction")


def add_parser(commands: Any) -> None:
    """Register ``labels`` (action ``queue``) on the CLI's subcommands."""
    labels = commands.add_parser(
        "labels",
        help="pick the predictions to send to annotators next (a running service's queue)",
        description="Labelling: reserve predictions for annotators through the service's "
        "label queue; their labels come back through POST /v1/models/MODEL/labels.",
    )
    action = labels.add_subparsers(dest="action", metavar="ACTION", required=True)
    queue = action.add_parser(
        "queue",
        help="reserve the next predictions to label and write them to a file",
        description="Pick unlabelled, not yet queued predictions of a time window by a "
        "strategy, reserve them (later requests skip them) and write them to -o.",
    )
    queue.add_argument("--model", metavar="NAME", required=True, help="the model's name")
    queue.add_argument("-n", type=int, default=100, help="how many predictions (default 100)")
    queue.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="random",
        help="uncertainty: closest to the decision threshold / smallest top-2 margin; random; "
        "drifted: most unusual against the reference; stratified: equal share per predicted "
        "class or prediction decile (default random)",
    )
    queue.add_argument("--start", help="candidates from this event time (ISO 8601)")
    queue.add_argument(
        "--end",
        help="candidates before this event time (ISO 8601; default now, start 7 days before)",
    )
    queue.add_argument("--seed", type=int, default=0, help="for random choices (default 0)")
    queue.add_argument(
        "--dry-run", action="store_true", help="only show what would be queued; reserve nothing"
    )
    queue.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        required=True,
        help="file to write: .csv, or .jsonl / .ndjson / .json for JSON lines",
    )
    cli_alerts.service_options(queue)
    queue.set_defaults(run=labels_queue)


def labels_queue(args: argparse.Namespace) -> int:
    output = Path(args.output)
    suffix = output.suffix.lower()
    if suffix != ".csv" and suffix not in JSON_LINES:
        raise InputError(f"-o must end in .csv or {', '.join(JSON_LINES)} (got '{output}')")
    partial = output.with_name(output.name + ".partial")
    try:
        handle = partial.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc}") from None
    try:
        with handle:
            answer = _ask(args)
            items = answer["items"]
            if suffix == ".csv":
                csv.writer(handle).writerows(csv_rows(items))
            else:
                handle.writelines(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    print(_summary(args, answer, output))
    return 0


def _ask(args: argparse.Namespace) -> Any:
    path = f"/v1/models/{quote(args.model, safe='')}/label-queue"
    params = {"n": args.n, "strategy": args.strategy, "seed": args.seed}
    params.update({k: v for k, v in (("start", args.start), ("end", args.end)) if v})
    with cli_alerts.client(args) as service:
        if args.dry_run:
            return service.get(path, {k: str(v) for k, v in params.items()})
        return service.post(path, params)


def csv_rows(items: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """The header and one row per item (see the module docstring for the columns)."""
    scores = max((len(i.get("scores") or ()) for i in items), default=0)
    segments = list(dict.fromkeys(k for i in items for k in i.get("segment") or {}))
    features = list(dict.fromkeys(k for i in items for k in i.get("features") or {}))
    versions = any(i.get("model_version") is not None for i in items)
    fixed = {*_FIXED, "model_version", "reason", *(f"score_{k}" for k in range(scores))}
    header = [*_FIXED, *(f"score_{k}" for k in range(scores))]
    header += ["model_version"] * versions + [f"segment.{k}" for k in segments]
    header += [f"feature.{f}" if f in fixed else f for f in features] + ["reason"]
    rows = [header]
    for item in items:
        row = [item.get(k) for k in _FIXED]
        given = list(item.get("scores") or ())
        row += given + [None] * (scores - len(given))
        row += [item.get("model_version")] * versions
        row += [(item.get("segment") or {}).get(k) for k in segments]
        row += [(item.get("features") or {}).get(f) for f in features]
        rows.append([_cell(v) for v in [*row, item.get("reason")]])
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def _summary(args: argparse.Namespace, answer: Mapping[str, Any], output: Path) -> str:
    done = "would queue" if args.dry_run else "queued"
    window = answer.get("window", {})
    excluded = answer.get("excluded", {})
    queue = answer.get("queue", {})
    return (
        f"{done} {len(answer['items'])} predictions of {args.model} ({answer['strategy']}, "
        f"{window.get('start')} .. {window.get('end')}) -> {output}; left out: "
        f"{excluded.get('labelled', 0)} labelled, {excluded.get('queued', 0)} already queued; "
        f"queue: {queue.get('size', 0)} queued, {queue.get('answered', 0)} answered"
    )
