"""Non-finite numbers: NaN and +/-infinity in numeric columns.

Infinity where the reference had none is a warning (it breaks means, sums and most models'
arithmetic); otherwise non-finite values are reported as info. NaN is also counted as missing
by the missing-values check, which flags its growth. A column without a single finite value is
left to the empty-columns check.

>>> import pyarrow as pa
>>> from watchkeeper.profiles.dataset import build_profile
>>> ref = build_profile(pa.table({"income": [float(i) for i in range(100)]}))
>>> incomes = [1.0] * 97 + [float("inf")] * 2 + [float("nan")]
>>> cur = build_profile(pa.table({"income": incomes}), reference=ref)
>>> [(f.severity.value, f.message) for f in non_finite(ref, cur)]
[('warning', 'income: 2 infinite (2 +inf, 0 -inf) and 1 NaN in current data
   (3.0% of 100 rows); reference had 0 infinite and 0 NaN')]
"""

from __future__ import annotations

from watchkeeper.profiles.dataset import DatasetProfile
from watchkeeper.profiles.numeric import NumericProfile
from watchkeeper.quality._common import column_pairs, percent, share
from watchkeeper.quality.base import NO_CONTEXT, CheckContext, Finding, Severity

CHECK = "non_finite"


def infinite(profile: NumericProfile) -> int:
    return profile.pos_inf + profile.neg_inf


def non_finite(
    reference: DatasetProfile, current: DatasetProfile, context: CheckContext = NO_CONTEXT
) -> list[Finding]:
    """One finding per numeric column with NaN or infinite values in current data."""
    findings = []
    for name, cur, ref in column_pairs(reference, current, NumericProfile):
        inf, nan = infinite(cur), cur.nans
        if (inf == 0 and nan == 0) or cur.finite == 0:
            continue
        ref_inf = infinite(ref) if ref is not None else 0
        ref_nan = ref.nans if ref is not None else 0
        parts = []
        if inf:
            parts.append(f"{inf} infinite ({cur.pos_inf} +inf, {cur.neg_inf} -inf)")
        if nan:
            parts.append(f"{nan} NaN")
        fraction = share(inf + nan, cur.count)
        against = "no reference"
        if ref is not None:
            against = f"reference had {ref_inf} infinite and {ref_nan} NaN"
        rows = f"{percent(fraction)} of {cur.count} rows"
        message = f"{name}: {' and '.join(parts)} in current data ({rows}); {against}"
        severity = Severity.WARNING if inf and ref_inf == 0 else Severity.INFO
        details = {
            "nan": nan,
            "pos_inf": cur.pos_inf,
            "neg_inf": cur.neg_inf,
            "reference_nan": ref_nan,
            "reference_inf": ref_inf,
        }
        findings.append(Finding(CHECK, severity, name, message, fraction, details))
    return findings
