"""Out of range: current values below the reference minimum or above its maximum.

Counted exactly on the shared histogram edges. A share of at least 1% of the current finite
values is a warning, at least 10% high; below 1% nothing is reported (a few new extremes are
normal in any fresh sample).

>>> import pyarrow as pa
>>> from watchkeeper.profiles.dataset import build_profile
>>> ref = build_profile(pa.table({"age": [float(a) for a in range(18, 91)] * 10}))
>>> ages = [30.0] * 850 + [12.0] * 30 + [120.0] * 120
>>> cur = build_profile(pa.table({"age": ages}), reference=ref)
>>> [(f.severity.value, f.message) for f in out_of_range(ref, cur)]
[('high', 'age: 15.0% of current values lie outside the reference range [18, 90]
   (30 below, 120 above)')]
"""

from __future__ import annotations

import math

from watchkeeper.profiles.dataset import DatasetProfile
from watchkeeper.profiles.numeric import NumericProfile, out_of_range_counts
from watchkeeper.quality._common import column_pairs, number, percent, share
from watchkeeper.quality.base import NO_CONTEXT, CheckContext, Finding, Severity
from watchkeeper.schema import ColumnType

CHECK = "out_of_range"
WARNING_SHARE = 0.01
HIGH_SHARE = 0.10


def out_of_range_share(reference: NumericProfile | None, current: NumericProfile) -> float | None:
    """Share of current finite values outside the reference range; None without a range.

    >>> import numpy as np
    >>> from watchkeeper.profiles.numeric import profile_numeric
    >>> ref = profile_numeric(np.arange(10.0))
    >>> out_of_range_share(ref, profile_numeric(np.array([-1.0, 5.0, 5.0, 11.0]), ref.edges))
    0.5
    """
    counts = _counts(reference, current)
    return None if counts is None else share(sum(counts), current.finite)


def out_of_range(
    reference: DatasetProfile, current: DatasetProfile, context: CheckContext = NO_CONTEXT
) -> list[Finding]:
    """One finding per numeric column with at least 1% of values out of range (not datetime)."""
    findings = []
    for name, cur, ref in column_pairs(reference, current, NumericProfile):
        if current.schema[name].type is ColumnType.DATETIME:
            continue  # time moves on: new timestamps beyond the reference are expected
        counts = _counts(ref, cur)
        if ref is None or counts is None:
            continue
        below, above = counts
        fraction = share(below + above, cur.finite)
        if fraction < WARNING_SHARE:
            continue
        kind = current.schema[name].type
        low, high = number(ref.min, kind), number(ref.max, kind)
        message = (
            f"{name}: {percent(fraction)} of current values lie outside the reference range "
            f"[{low}, {high}] ({below} below, {above} above)"
        )
        severity = Severity.HIGH if fraction >= HIGH_SHARE else Severity.WARNING
        details = {
            "below": below,
            "above": above,
            "reference_min": ref.min,
            "reference_max": ref.max,
        }
        findings.append(Finding(CHECK, severity, name, message, fraction, details))
    return findings


def _counts(reference: NumericProfile | None, current: NumericProfile) -> tuple[int, int] | None:
    """Below / above counts, None when either side has no finite value to compare."""
    if reference is None or reference.finite == 0 or current.finite == 0:
        return None
    if not (math.isfinite(reference.min) and math.isfinite(reference.max)):
        return None
    return out_of_range_counts(reference, current)
