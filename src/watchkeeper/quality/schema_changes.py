"""Schema changes: reference columns missing from current data, and columns that are new.

A missing column is high: the model receives no value for that feature (most serving code
fills in a default silently). A new column is info: it is not monitored until the reference
has it.

>>> import pyarrow as pa
>>> from watchkeeper.profiles.dataset import build_profile
>>> ref = build_profile(pa.table({"age": [30.0, 40.0], "plan": ["a", "b"]}))
>>> cur = build_profile(pa.table({"age": [35.0], "channel": ["web"]}), reference=ref)
>>> [(f.severity.value, f.message) for f in schema_changes(ref, cur)]
[('high', 'plan: column of the reference is missing from current data'),
 ('info', 'channel: column in current data is not in the reference schema (not monitored)')]
"""

from __future__ import annotations

from watchkeeper.profiles.dataset import DatasetProfile
from watchkeeper.quality.base import NO_CONTEXT, CheckContext, Finding, Severity

CHECK = "schema_changes"


def missing_columns(reference: DatasetProfile, current: DatasetProfile) -> list[str]:
    """Reference schema columns the current data lacks, in schema order."""
    return [name for name in reference.schema.names if name not in current.columns]


def schema_changes(
    reference: DatasetProfile, current: DatasetProfile, context: CheckContext = NO_CONTEXT
) -> list[Finding]:
    """High findings for missing columns, info findings for added ones."""
    findings = [
        Finding(
            CHECK,
            Severity.HIGH,
            name,
            f"{name}: column of the reference is missing from current data",
            None,
            {"change": "missing", "type": reference.schema[name].type.value},
        )
        for name in missing_columns(reference, current)
    ]
    findings += [
        Finding(
            CHECK,
            Severity.INFO,
            name,
            f"{name}: column in current data is not in the reference schema (not monitored)",
            None,
            {"change": "added"},
        )
        for name in current.extra_columns
    ]
    return findings
