"""A commented YAML document: mappings in block style, small values in flow style.

PyYAML cannot write comments, so ``init`` describes its file as :class:`Block` trees: an
:class:`Entry` is a key with a value, an optional comment above it and a note after it; a
:class:`Comment` is a comment line on its own. :func:`render` writes the text and
:func:`to_data` the plain data it must load back as (the tests check both agree).

>>> doc = Block([Comment("where data lives"), Entry("store", "./wk-data"),
...              Entry("server", Block([Entry("port", 8000, note="the HTTP API")])),
...              Entry("routes", Items([{"match": ["severity=~high"], "receiver": "pager"}]))])
>>> print(render(doc))
# where data lives
store: ./wk-data
server:
  port: 8000  # the HTTP API
routes:
  - {match: ["severity=~high"], receiver: pager}
<BLANKLINE>
>>> yaml.safe_load(render(doc)) == to_data(doc)
True
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

_PLAIN = re.compile(r"[A-Za-z0-9_./@+-]+")
INDENT = "  "
WIDTH = 100  # mappings wider than this are written in block style, comments wrap


@dataclass(frozen=True)
class Comment:
    text: str  # may span lines; each becomes a "# " line


@dataclass(frozen=True)
class Items:
    """A block sequence; each item is written in flow style on its own line."""

    values: Sequence[Any]
    notes: Sequence[str] = ()  # a note after each item (same order; "" for none)


@dataclass(frozen=True)
class Entry:
    key: str
    value: Any  # a scalar, list or dict (flow style), a Block or Items
    comment: str = ""  # lines above the key
    note: str = ""  # after the value on the same line (or after the key of a block)


@dataclass(frozen=True)
class Block:
    entries: Sequence[Entry | Comment] = field(default_factory=list)


def scalar(value: Any) -> str:
    """One value in flow style: plain when YAML reads it back as the same string.

    >>> [scalar(v) for v in ("1h", "http://x:1/y", "true", True, None, 0.5, "a b")]
    ['1h', '"http://x:1/y"', '"true"', 'true', 'null', '0.5', '"a b"']
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return value if _reads_back(value) else json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{scalar(str(k))}: {scalar(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _reads_back(text: str) -> bool:
    if not _PLAIN.fullmatch(text):
        return False
    try:
        return bool(yaml.safe_load(text) == text)
    except yaml.YAMLError:
        return False


def _comment_lines(text: str, pad: str) -> list[str]:
    """``# `` lines; long ones wrap (continuations indented), short ones stay as written."""
    lines: list[str] = []
    width = WIDTH - len(pad) - 2
    for line in text.splitlines():
        wrapped = textwrap.wrap(
            line, width, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False
        )
        lines += [f"{pad}# {part}".rstrip() for part in wrapped or [""]]
    return lines


def _note(text: str) -> str:
    return f"  # {text}" if text else ""


def _lines(block: Block, depth: int) -> list[str]:
    pad = INDENT * depth
    lines: list[str] = []
    for item in block.entries:
        if isinstance(item, Comment):
            lines += _comment_lines(item.text, pad)
            continue
        lines += _comment_lines(item.comment, pad)
        key = scalar(item.key)
        if isinstance(item.value, Block):
            lines.append(f"{pad}{key}:{_note(item.note)}")
            lines += _lines(item.value, depth + 1)
        elif isinstance(item.value, Items):
            lines.append(f"{pad}{key}:{_note(item.note)}")
            notes = list(item.value.notes) + [""] * len(item.value.values)
            for value, note in zip(item.value.values, notes, strict=False):
                lines.append(f"{pad}{INDENT}- {scalar(value)}{_note(note)}")
        elif isinstance(item.value, Mapping) and item.value and _too_wide(pad, key, item.value):
            lines.append(f"{pad}{key}:{_note(item.note)}")
            lines += _lines(Block([Entry(str(k), v) for k, v in item.value.items()]), depth + 1)
        else:
            lines.append(f"{pad}{key}: {scalar(item.value)}{_note(item.note)}")
    return lines


def _too_wide(pad: str, key: str, value: Mapping[str, Any]) -> bool:
    return len(pad) + len(key) + 2 + len(scalar(value)) > WIDTH


def render(block: Block) -> str:
    """The document's text; a blank line before each commented top-level item."""
    lines: list[str] = []
    for item in block.entries:
        commented = isinstance(item, Comment) or bool(item.comment)
        if commented and lines:
            lines.append("")
        lines += _lines(Block([item]), 0)
    return "\n".join(lines) + "\n"


def to_data(block: Block) -> dict[str, Any]:
    """The plain data the rendered text loads back as."""
    data: dict[str, Any] = {}
    for item in block.entries:
        if isinstance(item, Entry):
            value = item.value
            if isinstance(value, Block):
                value = to_data(value)
            elif isinstance(value, Items):
                value = list(value.values)
            data[item.key] = value
    return data
