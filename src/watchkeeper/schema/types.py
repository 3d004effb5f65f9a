"""Schema value objects: what kind of data each column holds, and why we think so."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum


class ColumnType(StrEnum):
    """The kinds of column watchkeeper profiles and tests differently."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    TEXT = "text"
    EMBEDDING = "embedding"


@dataclass(frozen=True)
class ColumnSchema:
    """One column: its name, its type, and the reason the type was chosen."""

    name: str
    type: ColumnType
    reason: str = ""
    dim: int | None = None  # vector length of an embedding column


@dataclass(frozen=True)
class Schema:
    """An ordered set of columns.

    >>> s = Schema((ColumnSchema("age", ColumnType.NUMERIC),))
    >>> s["age"].type
    <ColumnType.NUMERIC: 'numeric'>
    >>> "income" in s
    False
    """

    columns: tuple[ColumnSchema, ...]
    ignored: tuple[tuple[str, str], ...] = ()  # (column, why it is not monitored)

    def __iter__(self) -> Iterator[ColumnSchema]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.columns)

    def __getitem__(self, name: str) -> ColumnSchema:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def to_dict(self) -> dict[str, dict[str, object]]:
        return {
            c.name: {"type": c.type.value, "reason": c.reason, **({"dim": c.dim} if c.dim else {})}
            for c in self.columns
        }

    @classmethod
    def from_dict(cls, data: dict[str, dict[str, object]]) -> Schema:
        columns = []
        for name, spec in data.items():
            dim = spec.get("dim")
            columns.append(
                ColumnSchema(
                    name,
                    ColumnType(str(spec["type"])),
                    str(spec.get("reason", "")),
                    int(dim) if isinstance(dim, int) else None,
                )
            )
        return cls(tuple(columns))
