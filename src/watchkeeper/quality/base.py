"""Data-quality findings: what is wrong, where, how bad, in plain language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from watchkeeper.profiles.dataset import DatasetProfile


class Severity(StrEnum):
    """Severity levels shared by findings and alerts, most severe first."""

    CRITICAL = "critical"
    HIGH = "high"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for critical up to 3 for info, for sorting.

        >>> sorted([Severity.INFO, Severity.CRITICAL], key=lambda s: s.rank)
        [<Severity.CRITICAL: 'critical'>, <Severity.INFO: 'info'>]
        """
        return list(Severity).index(self)


@dataclass(frozen=True)
class Finding:
    """One data-quality problem.

    ``check`` names the check that found it (a stable identifier, e.g. ``"missing_values"``),
    ``column`` is None for dataset-level findings, ``value`` is the measured quantity the
    message talks about and ``details`` holds anything else worth showing (examples, counts).
    """

    check: str
    severity: Severity
    column: str | None
    message: str
    value: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity.value,
            "column": self.column,
            "message": self.message,
            "value": self.value,
            "details": self.details,
        }


@dataclass(frozen=True)
class CheckContext:
    """What a check needs beyond the two profiles: numbers only the raw tables give.

    ``None`` means not measured (e.g. a cached reference profile without its table).
    """

    current_duplicates: int | None = None
    reference_duplicates: int | None = None


NO_CONTEXT = CheckContext()

# Every check has this signature: (reference, current, context) -> findings.
Check: TypeAlias = Callable[["DatasetProfile", "DatasetProfile", CheckContext], list[Finding]]
