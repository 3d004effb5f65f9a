"""Empty columns: a column without a single usable value.

Usable means finite for numbers and datetimes, non-null for categories and text, a well-formed
vector for embeddings. An empty current column is critical (the feature is gone for the model);
an empty reference column is a warning (there is nothing to compare against). Data without any
rows gets one dataset-level finding instead of one per column.

>>> import pyarrow as pa
>>> from watchkeeper.profiles.dataset import build_profile
>>> ref = build_profile(pa.table({"score": [0.1, 0.5, 0.9]}))
>>> cur = build_profile(pa.table({"score": [None, float("nan"), None]}), reference=ref)
>>> [(f.severity.value, f.message) for f in empty_columns(ref, cur)]
[('critical', 'score: no usable value in current data (3 rows: 2 null, 1 NaN)')]
"""

from __future__ import annotations

from watchkeeper.profiles.categorical import CategoricalProfile
from watchkeeper.profiles.dataset import ColumnProfile, DatasetProfile
from watchkeeper.profiles.embedding import EmbeddingProfile
from watchkeeper.profiles.numeric import NumericProfile
from watchkeeper.quality.base import NO_CONTEXT, CheckContext, Finding, Severity

CHECK = "empty_columns"


def usable(profile: ColumnProfile) -> int:
    """How many of a column's values the statistics can use.

    >>> import numpy as np
    >>> from watchkeeper.profiles.numeric import profile_numeric
    >>> usable(profile_numeric(np.array([1.0, np.inf, np.nan])))
    1
    """
    if isinstance(profile, NumericProfile):
        return profile.finite
    if isinstance(profile, CategoricalProfile):
        return profile.present
    if isinstance(profile, EmbeddingProfile):
        return profile.valid
    return profile.count - profile.missing


def empty_columns(
    reference: DatasetProfile, current: DatasetProfile, context: CheckContext = NO_CONTEXT
) -> list[Finding]:
    """Critical findings for empty current columns, warnings for empty reference columns."""
    findings = []
    for data, label, severity in (
        (current, "current", Severity.CRITICAL),
        (reference, "reference", Severity.WARNING),
    ):
        if data.rows == 0:
            message = f"{label} data has no rows"
            findings.append(Finding(CHECK, severity, None, message, 0.0, {"data": label}))
            continue
        for name in data.schema.names:
            profile = data.columns.get(name)
            if profile is None or profile.count == 0 or usable(profile) > 0:
                continue
            rows = f"{profile.count} rows: {_breakdown(profile)}"
            message = f"{name}: no usable value in {label} data ({rows})"
            findings.append(Finding(CHECK, severity, name, message, 0.0, {"data": label}))
    return findings


def _breakdown(profile: ColumnProfile) -> str:
    """What the rows hold instead, e.g. ``"2 null, 1 NaN"``."""
    if isinstance(profile, NumericProfile):
        parts = [
            (profile.nulls, "null"),
            (profile.nans, "NaN"),
            (profile.pos_inf + profile.neg_inf, "infinite"),
            (profile.type_errors, "unreadable"),
        ]
    elif isinstance(profile, EmbeddingProfile):
        parts = [(profile.nulls, "null"), (profile.type_errors, "malformed")]
    else:
        parts = [(profile.nulls, "null")]
    return ", ".join(f"{n} {what}" for n, what in parts if n)
