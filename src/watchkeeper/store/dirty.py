"""Which windows received events since they were last evaluated.

The store records, per model, the one-minute event-time buckets that applied batches touched
(labels and outcomes touch the buckets of the predictions they join to), each with the log
offset of the batch that touched it last. An evaluator reads :class:`DirtyBuckets`, evaluates
the windows they overlap, then calls ``store.mark_clean(model, dirty.as_of)``; a bucket touched
again meanwhile has a newer offset and stays dirty. Windows are aligned to the Unix epoch.

>>> from datetime import UTC, datetime
>>> d = DirtyBuckets("credit", (datetime(2026, 1, 1, 0, 59, tzinfo=UTC),), as_of=7)
>>> [w.isoformat() for w in d.windows(timedelta(minutes=30))]
['2026-01-01T00:30:00+00:00']
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

BUCKET = timedelta(minutes=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DirtyBuckets:
    model: str
    starts: tuple[datetime, ...]  # bucket starts, each BUCKET long, oldest first
    as_of: int  # the newest offset that dirtied any of them

    @classmethod
    def from_rows(cls, model: str, rows: list[tuple[Any, ...]]) -> DirtyBuckets:
        starts = tuple(start.astimezone(UTC) for start, _ in rows)
        return cls(model, starts, max((int(version) for _, version in rows), default=0))

    def __bool__(self) -> bool:
        return bool(self.starts)

    def windows(self, length: timedelta) -> list[datetime]:
        """Starts of the epoch-aligned windows of ``length`` overlapping a dirty bucket."""
        found: set[datetime] = set()
        for start in self.starts:
            first = _floor(start, length)
            last = _floor(start + BUCKET - timedelta(microseconds=1), length)
            window = first
            while window <= last:
                found.add(window)
                window += length
        return sorted(found)


def _floor(moment: datetime, length: timedelta) -> datetime:
    return _EPOCH + ((moment - _EPOCH) // length) * length
