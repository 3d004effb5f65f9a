"""Type errors: values that could not be read as the column's type.

Text in a numeric column (``"n/a"``, ``"12,5"``) or a vector of the wrong length in an embedding
column is left out of every statistic and counted here. Any such value is high (upstream code
changed what it sends); more than half of the non-null values is critical (the column is
effectively of another type now).

>>> import pyarrow as pa
>>> from watchkeeper.profiles.dataset import build_profile
>>> ref = build_profile(pa.table({"age": ["31", "45", "27", "52"]}))
>>> cur = build_profile(pa.table({"age": ["31", "n/a", "27", None]}), reference=ref)
>>> [(f.severity.value, f.message) for f in type_errors(ref, cur)]
[('high', "age: 1 value (33.3% of non-null values) could not be read as a number in current
   data, e.g. 'n/a'")]
"""

from __future__ import annotations

from watchkeeper.profiles.dataset import DatasetProfile
from watchkeeper.profiles.embedding import EmbeddingProfile
from watchkeeper.profiles.numeric import NumericProfile
from watchkeeper.quality._common import percent, share
from watchkeeper.quality.base import NO_CONTEXT, CheckContext, Finding, Severity
from watchkeeper.schema import ColumnType

CHECK = "type_errors"
CRITICAL_SHARE = 0.5


def type_errors(
    reference: DatasetProfile, current: DatasetProfile, context: CheckContext = NO_CONTEXT
) -> list[Finding]:
    """One finding per numeric, datetime or embedding column with unreadable current values."""
    findings = []
    for name in current.schema.names:
        cur = current.columns.get(name)
        ref = reference.columns.get(name)
        if isinstance(cur, NumericProfile | EmbeddingProfile) and cur.type_errors:
            kind = current.schema[name].type
            ref_errors = (
                ref.type_errors if isinstance(ref, NumericProfile | EmbeddingProfile) else None
            )
            findings.append(_finding(name, kind, cur, ref_errors))
    return findings


def _finding(
    name: str, kind: ColumnType, cur: NumericProfile | EmbeddingProfile, ref_errors: int | None
) -> Finding:
    errors = cur.type_errors
    fraction = share(errors, cur.count - cur.nulls)
    severity = Severity.CRITICAL if fraction > CRITICAL_SHARE else Severity.HIGH
    plural = errors != 1
    if isinstance(cur, EmbeddingProfile):
        noun = "rows" if plural else "row"
        problem = f"{'are' if plural else 'is'} not a vector of {cur.dim} finite numbers"
        examples: tuple[str, ...] = ()
    else:
        noun = "values" if plural else "value"
        wanted = "a datetime" if kind is ColumnType.DATETIME else "a number"
        problem = f"could not be read as {wanted}"
        examples = cur.type_error_examples
    counted = f"{errors} {noun} ({percent(fraction)} of non-null values)"
    message = f"{name}: {counted} {problem} in current data"
    if examples:
        message += ", e.g. " + ", ".join(repr(e) for e in examples)
    details = {
        "type_errors": errors,
        "examples": list(examples),
        "reference_type_errors": ref_errors,
    }
    return Finding(CHECK, severity, name, message, fraction, details)
