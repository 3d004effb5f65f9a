"""The computed report: plain frozen data. Renderers (JSON, HTML, Markdown) read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from watchkeeper.drift.multivariate import MultivariateResult
from watchkeeper.drift.selection import ColumnDrift, DriftSummary
from watchkeeper.profiles.dataset import DatasetProfile
from watchkeeper.quality.base import Severity
from watchkeeper.quality.run import QualityReport
from watchkeeper.schema import Schema


@dataclass(frozen=True)
class Report:
    """Everything one ``watchkeeper report`` run found."""

    reference: DatasetProfile
    current: DatasetProfile
    drift: DriftSummary
    quality: QualityReport
    reference_source: str = "reference"
    current_source: str = "current"
    multivariate: tuple[MultivariateResult, ...] = ()
    multivariate_note: str = ""  # why a configured method did not run

    @property
    def multivariate_drift(self) -> bool:
        return any(m.drift_detected for m in self.multivariate)

    @property
    def schema(self) -> Schema:
        return self.reference.schema

    @property
    def dataset_drift(self) -> bool:
        return self.drift.dataset_drift

    @property
    def drifted_columns(self) -> list[str]:
        return self.drift.drifted_columns

    def column_order(self) -> list[ColumnDrift]:
        """Columns most in need of attention first: drifted (by how far past the threshold),
        then those with quality findings, then the rest by statistic."""
        worst = {f.column: f.severity.rank for f in self.quality.findings if f.column}

        def key(c: ColumnDrift) -> tuple[int, int, float]:
            return (0 if c.drift_detected else 1, worst.get(c.name, len(Severity)), -c.score)

        return sorted(self.drift.columns, key=key)

    def failed(self, fail_on: str | None) -> bool:
        """Whether the ``--fail-on`` condition holds: ``drift`` (any drifted column, or
        multivariate drift),
        ``quality`` (any high or critical finding) or ``any``."""
        if fail_on is None:
            return False
        drift = bool(self.drifted_columns) or self.multivariate_drift
        quality = any(f.severity.rank <= Severity.HIGH.rank for f in self.quality.findings)
        return {"drift": drift, "quality": quality, "any": drift or quality}[fail_on]

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of the report (see the README)."""
        quality = self.quality.to_dict()
        columns = []
        for c in self.drift.columns:
            item = c.to_dict()
            item["quality"] = dict(self.quality.columns.get(c.name, {}))
            columns.append(item)
        s = self.drift.settings
        return {
            "reference": {"rows": self.reference.rows, "source": self.reference_source},
            "current": {"rows": self.current.rows, "source": self.current_source},
            "dataset_drift": self.dataset_drift,
            "drifted_columns": self.drifted_columns,
            "drift_share": self.drift.drifted_share,
            "columns": columns,
            "multivariate": {
                "drift_detected": self.multivariate_drift,
                "methods": [m.to_dict() for m in self.multivariate],
                "note": self.multivariate_note,
            },
            "data_quality": quality,
            "schema": {
                "columns": self.schema.to_dict(),
                "ignored": dict(self.schema.ignored),
            },
            "settings": {
                "method": s.method,
                "alpha": s.alpha,
                "correction": s.correction,
                "dataset_drift_share": s.dataset_drift_share,
            },
        }
