"""What is wrong with a rejected batch: one :class:`Problem` per bad record and field.

msgspec's messages (``Expected `float`, got `str` - at `$.latency_ms```) are turned into the
API's wording, with the offending value looked up in the record:

>>> Record = msgspec.defstruct("Record", [("latency_ms", float)])
>>> raw = b'{"latency_ms": "fast"}'
>>> try:
...     msgspec.json.decode(raw, type=Record)
... except msgspec.ValidationError as exc:
...     problem_from(3, exc, raw).to_dict()
{'index': 3, 'field': 'latency_ms', 'error': "expected a number, got 'fast'"}
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

from watchkeeper.errors import InputError
from watchkeeper.ingest.features import show

MAX_PROBLEMS = 100  # problems listed in one error; the total count is always given

_EXPECTED = re.compile(r"^Expected `([^`]+)`, got `([^`]+)`")
_MISSING = re.compile(r"^Object missing required field `([^`]+)`")
_PATH = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_NAMES = {
    "str": "a string",
    "float": "a number",
    "int": "an integer",
    "bool": "a boolean",
    "null": "null",
    "object": "an object",
    "array": "an array",
    "datetime": "an ISO 8601 timestamp",
}


@dataclass(frozen=True)
class Problem:
    """One bad field of one record; ``field`` is empty when the record as a whole is bad."""

    index: int
    field: str
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "error": self.error}

    def __str__(self) -> str:
        where = f"#{self.index} {self.field}" if self.field else f"#{self.index}"
        return f"{where}: {self.error}"


class ValidationFailed(InputError):  # noqa: N818 (the API calls it this)
    """A batch was rejected: every bad record is listed (the first :data:`MAX_PROBLEMS`)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        ordered = sorted(problems, key=lambda p: p.index)
        self.total = len(ordered)
        self.records = len({p.index for p in ordered})
        self.problems = tuple(ordered[:MAX_PROBLEMS])
        noun = "record" if self.records == 1 else "records"
        listed = "; ".join(str(p) for p in self.problems[:5])
        more = f"; and {self.total - 5} more" if self.total > 5 else ""
        super().__init__(f"{self.records} bad {noun}: {listed}{more}")

    def details(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.problems]


def problem_from(index: int, exc: msgspec.ValidationError, raw: bytes) -> Problem:
    """The :class:`Problem` a msgspec validation error of one record stands for."""
    message, _, where = str(exc).partition(" - at `$")
    where, mapping, _ = where.rstrip("`").partition("[...]")  # a value of a mapping
    parts = [name or int(position) for name, position in _PATH.findall(where)]
    if missing := _MISSING.match(message):
        return Problem(index, _field([*parts, missing.group(1)]), "required")
    value = _lookup(raw, parts)
    if (expected := _EXPECTED.match(message)) and mapping:
        error = f"expected {_describe(expected.group(1))} as every value"
    elif expected:
        error = f"expected {_describe(expected.group(1))}, got {show(value)}"
    elif message.startswith("Expected `str` of length >= 1"):
        error = "must not be empty"
    elif message.startswith("Invalid RFC3339"):
        error = f"expected an ISO 8601 timestamp or epoch seconds, got {show(value)}"
    elif m := re.match(r"^Expected `\w+` >= (\S+)", message):
        error = f"must be at least {m.group(1).removesuffix('.0')}, got {show(value)}"
    else:
        error = message[:1].lower() + message[1:]
    return Problem(index, _field(parts), error)


def _field(parts: list[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _describe(types: str) -> str:
    names = [_NAMES.get(t.strip(), t.strip()) for t in types.split("|")]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _lookup(raw: bytes, parts: list[str | int]) -> Any:
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return None
    for part in parts:
        found = isinstance(value, list) and isinstance(part, int) and part < len(value)
        if not (found or (isinstance(value, dict) and part in value)):
            return None
        value = value[part]
    return value
