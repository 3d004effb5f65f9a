"""Alertmanager-style label matchers: ``name=value``, ``name!=value``, ``name=~regex``,
``name!~regex``. Regexes are anchored (they match whole values); a missing label is the empty
string, so ``team!=ml`` matches alerts without a ``team`` label.

>>> m = parse_matchers(["severity=~critical|high", "model!=shadow"], "route.match")
>>> matches(m, {"severity": "high", "model": "credit"})
True
>>> matches(m, {"severity": "warning", "model": "credit"})
False
>>> parse_matchers(["severity"], "route.match")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
watchkeeper.errors.ConfigError: route.match.0: not a matcher like name=value, ... (got 'severity')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from watchkeeper.errors import ConfigError

_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str  # "=", "!=", "=~", "!~"
    value: str
    pattern: re.Pattern[str] | None = None

    def __call__(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        assert self.pattern is not None
        found = self.pattern.fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.value}"


def parse_matcher(text: str, key: str) -> Matcher:
    match = _MATCHER.match(text) if isinstance(text, str) else None
    if not match:
        raise ConfigError(
            key, text, "not a matcher like name=value, name!=value, name=~regex or name!~regex"
        )
    name, op, value = match.groups()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    pattern = None
    if op in ("=~", "!~"):
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ConfigError(key, text, f"bad regular expression: {exc}") from None
    return Matcher(name, op, value, pattern)


def parse_matchers(texts: Iterable[str], key: str) -> tuple[Matcher, ...]:
    return tuple(parse_matcher(t, f"{key}.{i}") for i, t in enumerate(texts))


def matches(matchers: Sequence[Matcher], labels: Mapping[str, str]) -> bool:
    """True when every matcher matches (no matchers: everything matches)."""
    return all(m(labels) for m in matchers)
