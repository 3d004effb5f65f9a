"""Missing values: the share of rows without a usable value, and whether it grew.

Missing means null, NaN or unreadable (a value that could not be read as the column's type).
An increase over the reference is flagged when it is both *material* (at least 5 percentage
points, or at least 1% where the reference had none) and *significant* (one-sided
two-proportion z-test, p < 0.01), so a few extra nulls in a small batch stay quiet. An increase
of 25 points or more is high, a smaller one a warning; missing values that did not materially
grow are reported as info. A column with no usable value at all is left to the empty-columns
check, which reports it as critical.

>>> import pyarrow as pa
>>> from watchkeeper.profiles.dataset import build_profile
>>> ref = build_profile(pa.table({"age": [float(i % 50) for i in range(1000)]}))
>>> cur = build_profile(pa.table({"age": [None] * 120 + [30.0] * 880}), reference=ref)
>>> [(f.severity.value, f.message) for f in missing_values(ref, cur)]
[('warning', 'age: 12.0% missing in current data (120 of 1000 rows) vs 0% in reference')]
"""

from __future__ import annotations

import math

from scipy.special import ndtr

from watchkeeper.profiles.dataset import ColumnProfile, DatasetProfile
from watchkeeper.quality._common import percent, share
from watchkeeper.quality.base import NO_CONTEXT, CheckContext, Finding, Severity
from watchkeeper.quality.empty_columns import usable

CHECK = "missing_values"
MATERIAL_INCREASE = 0.05  # percentage points, as a fraction
NEW_MISSING_SHARE = 0.01  # where the reference had no missing values at all
HIGH_INCREASE = 0.25
ALPHA = 0.01
_TOLERANCE = 1e-12  # a difference of two shares is not exact in floating point


def increase_p_value(ref_missing: int, ref_rows: int, cur_missing: int, cur_rows: int) -> float:
    """One-sided two-proportion z-test: p-value of "the current share is not larger".

    >>> round(increase_p_value(5, 1000, 40, 1000), 8)
    7e-08
    >>> increase_p_value(0, 10, 0, 10), increase_p_value(0, 0, 3, 10)
    (1.0, 1.0)
    """
    if ref_rows == 0 or cur_rows == 0:
        return 1.0
    pooled = (ref_missing + cur_missing) / (ref_rows + cur_rows)
    if pooled <= 0.0 or pooled >= 1.0:
        return 1.0
    spread = math.sqrt(pooled * (1.0 - pooled) * (1.0 / ref_rows + 1.0 / cur_rows))
    z = (cur_missing / cur_rows - ref_missing / ref_rows) / spread
    return float(ndtr(-z))


def missing_share(profile: ColumnProfile) -> float:
    """Share of a column's rows that are missing (0.0 for a column without rows)."""
    return share(profile.missing, profile.count)


def missing_values(
    reference: DatasetProfile, current: DatasetProfile, context: CheckContext = NO_CONTEXT
) -> list[Finding]:
    """One finding per current column that has missing values (and some usable ones)."""
    findings = []
    for name in current.schema.names:
        cur = current.columns.get(name)
        if cur is None or cur.missing == 0 or usable(cur) == 0:
            continue
        findings.append(_finding(name, cur, reference.columns.get(name)))
    return findings


def _finding(name: str, cur: ColumnProfile, ref: ColumnProfile | None) -> Finding:
    cur_share = missing_share(cur)
    details: dict[str, object] = {"missing": cur.missing, "rows": cur.count}
    head = (
        f"{name}: {percent(cur_share)} missing in current data ({cur.missing} of {cur.count} rows)"
    )
    if ref is None or ref.count == 0:
        return Finding(
            CHECK, Severity.INFO, name, f"{head}; no reference to compare", cur_share, details
        )
    ref_share = missing_share(ref)
    increase = cur_share - ref_share
    points = increase + _TOLERANCE  # for comparisons with the thresholds
    p_value = increase_p_value(ref.missing, ref.count, cur.missing, cur.count)
    material = points >= MATERIAL_INCREASE or (ref.missing == 0 and cur_share >= NEW_MISSING_SHARE)
    if material and p_value < ALPHA:
        severity = Severity.HIGH if points >= HIGH_INCREASE else Severity.WARNING
    else:
        severity = Severity.INFO
    details.update(
        reference_missing=ref.missing,
        reference_rows=ref.count,
        reference_share=ref_share,
        increase=increase,
        p_value=p_value,
    )
    return Finding(
        CHECK, severity, name, f"{head} vs {percent(ref_share)} in reference", cur_share, details
    )
