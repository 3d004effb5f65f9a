"""Run every data-quality check over a reference and a current profile.

The checks are plain functions with one signature, listed in :data:`CHECKS`; ``run_checks``
calls each in turn and gathers the findings, most severe first, with the per-column numbers
the report shows next to each column.

>>> import pyarrow as pa
>>> from watchkeeper.profiles.dataset import build_profile
>>> ref = build_profile(pa.table({"age": [float(i) for i in range(100)], "plan": ["a", "b"] * 50}))
>>> ages = [None] * 40 + [float(i) for i in range(60)]
>>> cur = build_profile(pa.table({"age": ages, "plan": ["a"] * 100}), reference=ref)
>>> report = run_checks(ref, cur, current_duplicates=2, reference_duplicates=0)
>>> [(f.severity.value, f.check, f.column) for f in report.findings]
[('high', 'missing_values', 'age'),
 ('warning', 'duplicate_rows', None),
 ('warning', 'constant_columns', 'plan')]
>>> report.worst, report.counts["warning"], report.columns["age"]["missing_share"]
(<Severity.HIGH: 'high'>, 2, 0.4)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from watchkeeper.profiles.categorical import CategoricalProfile
from watchkeeper.profiles.dataset import ColumnProfile, DatasetProfile
from watchkeeper.profiles.embedding import EmbeddingProfile
from watchkeeper.profiles.numeric import NumericProfile
from watchkeeper.quality._common import share
from watchkeeper.quality.base import Check, CheckContext, Finding, Severity
from watchkeeper.quality.constant_columns import constant_columns, is_constant
from watchkeeper.quality.duplicate_rows import duplicate_rows
from watchkeeper.quality.empty_columns import empty_columns
from watchkeeper.quality.missing_values import missing_share, missing_values
from watchkeeper.quality.non_finite import infinite, non_finite
from watchkeeper.quality.out_of_range import out_of_range, out_of_range_share
from watchkeeper.quality.schema_changes import missing_columns, schema_changes
from watchkeeper.quality.type_errors import type_errors
from watchkeeper.quality.unseen_categories import unseen, unseen_categories

# Every built-in check, in the order their findings are gathered.
CHECKS: tuple[Check, ...] = (
    schema_changes,
    empty_columns,
    missing_values,
    type_errors,
    non_finite,
    out_of_range,
    unseen_categories,
    constant_columns,
    duplicate_rows,
)

UNSEEN_LISTED = 10


@dataclass(frozen=True)
class QualityReport:
    """All findings (most severe first, then by column) and the per-column quality numbers."""

    findings: tuple[Finding, ...]
    columns: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    duplicate_rows: int | None = None
    reference_duplicate_rows: int | None = None
    missing_columns: tuple[str, ...] = ()
    added_columns: tuple[str, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        """Findings per severity, every severity listed (most severe first)."""
        tally = Counter(f.severity for f in self.findings)
        return {severity.value: tally[severity] for severity in Severity}

    @property
    def worst(self) -> Severity | None:
        """The most severe finding's severity; None without findings."""
        return min((f.severity for f in self.findings), key=lambda s: s.rank, default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "counts": self.counts,
            "duplicate_rows": self.duplicate_rows,
            "reference_duplicate_rows": self.reference_duplicate_rows,
            "missing_columns": list(self.missing_columns),
            "added_columns": list(self.added_columns),
        }


def run_checks(
    reference: DatasetProfile,
    current: DatasetProfile,
    *,
    current_duplicates: int | None = None,
    reference_duplicates: int | None = None,
    checks: tuple[Check, ...] = CHECKS,
) -> QualityReport:
    """Run ``checks`` (all built-ins by default) and collect their findings.

    Duplicate-row counts come from the tables (see ``count_duplicate_rows``); without them the
    duplicate check stays silent.
    """
    context = CheckContext(current_duplicates, reference_duplicates)
    findings = [finding for check in checks for finding in check(reference, current, context)]
    findings.sort(key=lambda f: (f.severity.rank, f.column or "", f.check))
    columns = {
        name: column_quality(profile, reference.columns.get(name))
        for name, profile in current.columns.items()
    }
    return QualityReport(
        tuple(findings),
        columns,
        current_duplicates,
        reference_duplicates,
        tuple(missing_columns(reference, current)),
        current.extra_columns,
    )


def column_quality(current: ColumnProfile, reference: ColumnProfile | None) -> dict[str, Any]:
    """The quality numbers of one column, as plain JSON values.

    >>> import numpy as np
    >>> from watchkeeper.profiles.numeric import profile_numeric
    >>> ref = profile_numeric(np.arange(10.0))
    >>> column_quality(profile_numeric(np.array([1.0, np.nan, 20.0, np.inf]), ref.edges), ref)
    {'rows': 4, 'missing': 1, 'missing_share': 0.25, 'reference_missing_share': 0.0,
     'constant': False, 'nan': 1, 'inf': 1, 'type_errors': 0, 'out_of_range_share': 0.5}
    """
    numbers: dict[str, Any] = {
        "rows": current.count,
        "missing": current.missing,
        "missing_share": missing_share(current),
        "reference_missing_share": None if reference is None else missing_share(reference),
        "constant": bool(is_constant(current)),
    }
    if isinstance(current, NumericProfile):
        ref = reference if isinstance(reference, NumericProfile) else None
        numbers.update(
            nan=current.nans,
            inf=infinite(current),
            type_errors=current.type_errors,
            out_of_range_share=out_of_range_share(ref, current),
        )
    elif isinstance(current, CategoricalProfile):
        new = unseen(reference, current) if isinstance(reference, CategoricalProfile) else []
        numbers.update(
            distinct=current.distinct,
            unseen_categories=[name for name, _ in new[:UNSEEN_LISTED]],
            unseen_share=share(sum(n for _, n in new), current.present),
        )
    elif isinstance(current, EmbeddingProfile):
        numbers["type_errors"] = current.type_errors
    return numbers
