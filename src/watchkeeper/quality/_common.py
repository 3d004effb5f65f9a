"""Small helpers the checks share: pairing column profiles and writing numbers for people."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TypeVar

from watchkeeper.profiles.categorical import CategoricalProfile
from watchkeeper.profiles.dataset import DatasetProfile
from watchkeeper.profiles.embedding import EmbeddingProfile
from watchkeeper.profiles.numeric import NumericProfile
from watchkeeper.profiles.text import TextProfile
from watchkeeper.schema import ColumnType

P = TypeVar("P", NumericProfile, CategoricalProfile, TextProfile, EmbeddingProfile)


def column_pairs(
    reference: DatasetProfile, current: DatasetProfile, kind: type[P]
) -> Iterator[tuple[str, P, P | None]]:
    """``(name, current profile, reference profile or None)`` for current columns of ``kind``.

    Columns come in schema order; the reference profile is None when the reference lacks the
    column or profiled it as another kind.
    """
    for name in current.schema.names:
        cur = current.columns.get(name)
        if isinstance(cur, kind):
            ref = reference.columns.get(name)
            yield name, cur, ref if isinstance(ref, kind) else None


def share(part: int, whole: int) -> float:
    """``part / whole``, 0.0 for an empty whole.

    >>> share(3, 4), share(0, 0)
    (0.75, 0.0)
    """
    return part / whole if whole else 0.0


def percent(fraction: float) -> str:
    """A share as a percentage people read: one decimal, two significant digits when tiny.

    >>> percent(0.12), percent(0.0004), percent(0.0), percent(1.0)
    ('12.0%', '0.04%', '0%', '100.0%')
    """
    if fraction == 0:
        return "0%"
    if abs(fraction) < 0.001:
        return f"{fraction * 100:.2g}%"
    return f"{fraction * 100:.1f}%"


def number(value: float, kind: ColumnType = ColumnType.NUMERIC) -> str:
    """A column value as text: short for numbers, ISO 8601 (UTC) for datetimes.

    Datetime columns are profiled as seconds since the epoch.

    >>> number(3.0), number(0.000123456), number(86400.0, ColumnType.DATETIME)
    ('3', '0.000123456', '1970-01-02T00:00:00+00:00')
    """
    if kind is ColumnType.DATETIME:
        try:
            return datetime.fromtimestamp(value, tz=UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            pass
    return f"{value:.6g}"
