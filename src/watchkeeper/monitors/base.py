"""What every monitor produces: metric samples for one window of one model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """How far a sample can be trusted or acted on."""

    OK = "ok"  # computed on enough data
    PROVISIONAL = "provisional"  # computed, but on too few labels to judge the window yet
    INSUFFICIENT = "insufficient_data"  # not computable (no rows, no labels, one class only)
    BREACH = "breach"  # the monitor's own threshold is crossed (e.g. a drift verdict)


@dataclass(frozen=True)
class MetricSample:
    """One value of one metric series for one window.

    ``labels`` identify the series beyond model and name: ``monitor`` always, plus e.g.
    ``feature``, ``segment``, ``model_version``. Times are timezone-aware UTC.

    >>> from datetime import UTC
    >>> s = MetricSample("credit", "feature_drift", {"monitor": "drift", "feature": "age"},
    ...                  datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC), 0.3)
    >>> s.series_key
    ('credit', 'feature_drift', (('feature', 'age'), ('monitor', 'drift')))
    """

    model: str
    name: str
    labels: Mapping[str, str]
    window_start: datetime
    window_end: datetime
    value: float
    status: Status = Status.OK
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def series_key(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        return self.model, self.name, tuple(sorted(self.labels.items()))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MetricSample:
        """The inverse of :meth:`to_dict` (e.g. for samples read from the HTTP API).

        >>> from datetime import UTC
        >>> day = datetime(2026, 1, 1, tzinfo=UTC)
        >>> s = MetricSample("m", "accuracy", {"monitor": "performance"}, day, day, 0.9)
        >>> MetricSample.from_dict(s.to_dict()) == s
        True
        """
        value = data.get("value")
        return cls(
            model=str(data["model"]),
            name=str(data["name"]),
            labels={str(k): str(v) for k, v in dict(data.get("labels", {})).items()},
            window_start=datetime.fromisoformat(str(data["window_start"])),
            window_end=datetime.fromisoformat(str(data["window_end"])),
            value=float("nan") if value is None else float(value),
            status=Status(str(data.get("status", "ok"))),
            details=dict(data.get("details", {})),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "name": self.name,
            "labels": dict(self.labels),
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "value": self.value,
            "status": self.status.value,
            "details": dict(self.details),
        }
