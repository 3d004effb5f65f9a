"""Event-time tumbling windows, aligned to the Unix epoch (so every process agrees on them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def window_start(moment: datetime, length: timedelta) -> datetime:
    """The start of the window of ``length`` that contains ``moment``.

    >>> window_start(datetime(2026, 3, 1, 10, 42, tzinfo=UTC), timedelta(hours=1))
    datetime.datetime(2026, 3, 1, 10, 0, tzinfo=datetime.timezone.utc)
    """
    offset = (moment - EPOCH) // length
    return EPOCH + offset * length


def closed_windows(
    first: datetime, last: datetime, until: datetime, length: timedelta
) -> Iterator[tuple[datetime, datetime]]:
    """Windows holding events between ``first`` and ``last`` that have ended by ``until``.

    >>> t = lambda h: datetime(2026, 3, 1, h, 30, tzinfo=UTC)
    >>> [(s.hour, e.hour) for s, e in closed_windows(t(1), t(5), t(4), timedelta(hours=1))]
    [(1, 2), (2, 3), (3, 4)]
    """
    start = window_start(first, length)
    while start <= last and start + length <= until:
        yield start, start + length
        start += length


def duration_label(length: timedelta) -> str:
    """``timedelta(hours=1)`` -> ``"1h"``, the form the config uses.

    >>> duration_label(timedelta(days=1)), duration_label(timedelta(minutes=90))
    ('1d', '90m')
    """
    seconds = int(length.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
