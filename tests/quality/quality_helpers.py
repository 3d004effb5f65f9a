"""Build reference and current profiles from plain column lists and run one check on them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from watchkeeper.profiles.dataset import DatasetProfile, build_profile
from watchkeeper.quality.base import NO_CONTEXT, Check, CheckContext, Finding
from watchkeeper.schema import ColumnSchema, ColumnType, Schema

Columns = Mapping[str, Sequence[Any] | pa.Array]


def profiles(
    reference: Columns,
    current: Columns,
    types: Mapping[str, ColumnType] | None = None,
    **kwargs: Any,
) -> tuple[DatasetProfile, DatasetProfile]:
    """Profile ``reference``, then ``current`` on it; ``types`` fixes the schema when given."""
    ref_table = pa.table(dict(reference))
    schema = None
    if types is not None:
        schema = Schema(tuple(ColumnSchema(name, kind) for name, kind in types.items()))
    ref = build_profile(ref_table, schema, **kwargs)
    return ref, build_profile(pa.table(dict(current)), reference=ref, **kwargs)


def run(
    check: Check,
    reference: Columns,
    current: Columns,
    types: Mapping[str, ColumnType] | None = None,
    context: CheckContext = NO_CONTEXT,
    **kwargs: Any,
) -> list[Finding]:
    ref, cur = profiles(reference, current, types, **kwargs)
    return check(ref, cur, context)


def keys(findings: Sequence[Finding]) -> list[tuple[str, str, str | None]]:
    """``(check, severity, column)`` of each finding, the part tests pin exactly."""
    return [(f.check, f.severity.value, f.column) for f in findings]
