"""Constant columns: every current value the same.

A feature that stops varying usually means a broken join, a default filled in upstream or a
stuck sensor. It takes at least two values to call a column constant. Constant now but not in
the reference is a warning; constant in both is info (the feature carries no information).

>>> import pyarrow as pa
>>> from watchkeeper.profiles.dataset import build_profile
>>> ref = build_profile(pa.table({"country": ["US", "DE", "FR", "US"]}))
>>> cur = build_profile(pa.table({"country": ["US"] * 50}), reference=ref)
>>> [(f.severity.value, f.message) for f in constant_columns(ref, cur)]
[('warning', "country: every current value is 'US' (50 values); reference had 3 distinct
   values")]
"""

from __future__ import annotations

from watchkeeper.profiles.categorical import CategoricalProfile
from watchkeeper.profiles.dataset import ColumnProfile, DatasetProfile
from watchkeeper.profiles.numeric import NumericProfile
from watchkeeper.quality._common import number
from watchkeeper.quality.base import NO_CONTEXT, CheckContext, Finding, Severity
from watchkeeper.schema import ColumnType

CHECK = "constant_columns"
MIN_VALUES = 2


def is_constant(profile: ColumnProfile | None) -> bool | None:
    """Whether every usable value is the same; None when there are fewer than two.

    Only categorical, boolean, numeric and datetime columns are judged (others give None).

    >>> import numpy as np
    >>> from watchkeeper.profiles.numeric import profile_numeric
    >>> is_constant(profile_numeric(np.array([4.0, 4.0, np.nan])))
    True
    >>> is_constant(profile_numeric(np.array([4.0]))) is None
    True
    """
    if isinstance(profile, CategoricalProfile) and profile.present >= MIN_VALUES:
        return profile.distinct == 1 and profile.other == 0
    if isinstance(profile, NumericProfile) and profile.finite >= MIN_VALUES:
        return profile.min == profile.max
    return None


def constant_columns(
    reference: DatasetProfile, current: DatasetProfile, context: CheckContext = NO_CONTEXT
) -> list[Finding]:
    """One finding per column whose current values are all the same."""
    findings = []
    for name in current.schema.names:
        cur = current.columns.get(name)
        if cur is None or not is_constant(cur):
            continue
        ref = reference.columns.get(name)
        kind = current.schema[name].type
        value, size = _value(cur, kind)
        was_constant = is_constant(ref)
        message = f"{name}: every current value is {value} ({size} values); "
        if was_constant is None:
            message += "the reference has too few values to compare"
        else:
            message += f"reference {_describe(ref, kind)}"
        severity = Severity.WARNING if was_constant is False else Severity.INFO
        details = {"value": value, "values": size, "reference_constant": was_constant}
        findings.append(Finding(CHECK, severity, name, message, None, details))
    return findings


def _value(profile: ColumnProfile, kind: ColumnType) -> tuple[str, int]:
    if isinstance(profile, CategoricalProfile):
        return repr(profile.categories[0]), profile.present
    if isinstance(profile, NumericProfile):
        return number(profile.min, kind), profile.finite
    raise TypeError(f"no constant value for {type(profile).__name__}")


def _describe(profile: ColumnProfile | None, kind: ColumnType) -> str:
    if isinstance(profile, CategoricalProfile):
        if profile.distinct == 1 and not profile.other:
            return f"was constant too ({profile.categories[0]!r})"
        return f"had {profile.distinct} distinct values"
    if isinstance(profile, NumericProfile):
        if profile.min == profile.max:
            return f"was constant too ({number(profile.min, kind)})"
        return f"ranged from {number(profile.min, kind)} to {number(profile.max, kind)}"
    return "is of another kind"
