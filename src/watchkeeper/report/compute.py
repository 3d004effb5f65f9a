"""Compute a report once: load, infer the schema, profile both sides, test, check.

Rendering is separate (``render_json``, ``render_html``, ``render_markdown``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa

from watchkeeper.config import ReportConfig, load_config
from watchkeeper.data import read_table
from watchkeeper.drift.multivariate import MultivariateResult, multivariate_drift
from watchkeeper.drift.multivariate.encode import is_numeric, sample_rows
from watchkeeper.drift.multivariate.pca_reconstruction import FIT_ROWS
from watchkeeper.drift.selection import evaluate_drift
from watchkeeper.errors import InputError, WatchkeeperError
from watchkeeper.profiles.dataset import DatasetProfile, build_profile
from watchkeeper.profiles.numeric import EXACT_CAP
from watchkeeper.profiles.serialize import is_profile_path, load_profile
from watchkeeper.quality.duplicate_rows import count_duplicate_rows
from watchkeeper.quality.run import run_checks
from watchkeeper.report.model import Report
from watchkeeper.schema import ColumnType, infer_schema

Progress = Callable[[str], None]


def _describe(source: Any) -> str:
    return str(source) if isinstance(source, str | Path) else type(source).__name__


def reference_profile(
    source: Any,
    config: ReportConfig,
    *,
    keep_values: int = EXACT_CAP,
    progress: Progress | None = None,
) -> tuple[DatasetProfile, int | None]:
    """The reference as a profile (loaded, or built from data) and its duplicate-row count."""
    if isinstance(source, DatasetProfile):
        return source, None
    if is_profile_path(source):
        return load_profile(source), None
    table = read_table(source, "reference")
    return _with_duplicates(
        table,
        lambda: profile_reference_table(table, config, keep_values=keep_values, progress=progress),
    )


def _with_duplicates(
    table: pa.Table, make_profile: Callable[[], DatasetProfile]
) -> tuple[DatasetProfile, int]:
    """Profile ``table`` while its duplicate rows are counted on a second thread (profiling
    alone leaves part of a core idle)."""
    with ThreadPoolExecutor(max_workers=1) as background:
        duplicates = background.submit(count_duplicate_rows, table)
        return make_profile(), duplicates.result()


def profile_reference_table(
    table: pa.Table,
    config: ReportConfig,
    *,
    keep_values: int = EXACT_CAP,
    progress: Progress | None = None,
) -> DatasetProfile:
    if table.num_columns == 0:
        raise InputError("the reference has no columns")
    schema = infer_schema(table, config.type_overrides(), config.schema.ignore)
    return build_profile(table, schema, keep_values=keep_values, on_column=progress)


def compute_report(
    reference: Any,
    current: Any,
    config: ReportConfig | str | Path | None = None,
    *,
    progress: Progress | None = None,
) -> Report:
    """Compare ``current`` data with a ``reference`` (data or a saved profile)."""
    if not isinstance(config, ReportConfig):
        config = load_config(config)
    keep = 2**62 if config.drift.exact else EXACT_CAP
    rows = None
    if not isinstance(reference, DatasetProfile) and not is_profile_path(reference):
        rows = read_table(reference, "reference")
    ref_profile, ref_duplicates = reference_profile(
        reference if rows is None else rows, config, keep_values=keep, progress=progress
    )
    if rows is not None:  # keep only what the multivariate tests read, not the whole reference
        rows = sample_rows(rows, FIT_ROWS, 0) if config.drift.multivariate else None
    table = read_table(current, "current")
    common = [c for c in ref_profile.schema.names if c in table.column_names]
    if not common:
        raise InputError(
            "the current data has none of the reference's columns "
            f"(reference: {', '.join(ref_profile.schema.names[:8]) or 'none'}; "
            f"current: {', '.join(table.column_names[:8]) or 'none'})"
        )
    for name in config.drift.columns:
        if name not in ref_profile.schema:
            raise InputError(
                f"config drift.columns names {name!r}, which the reference does not have"
            )
    cur_profile, current_duplicates = _with_duplicates(
        table,
        lambda: build_profile(table, reference=ref_profile, keep_values=keep, on_column=progress),
    )
    # after profiling, not beside it: the two peaks of memory would add up
    multivariate, note = _multivariate(ref_profile, rows, table, config)
    drift = evaluate_drift(ref_profile, cur_profile, config.drift_settings())
    quality = run_checks(
        ref_profile,
        cur_profile,
        current_duplicates=current_duplicates,
        reference_duplicates=ref_duplicates,
    )
    return Report(
        ref_profile, cur_profile, drift, quality, _describe(reference), _describe(current),
        multivariate, note,
    )  # fmt: skip


_JOINT_TYPES = (ColumnType.NUMERIC, ColumnType.CATEGORICAL, ColumnType.BOOLEAN)


def _multivariate(
    reference: DatasetProfile, rows: pa.Table | None, current: pa.Table, config: ReportConfig
) -> tuple[tuple[MultivariateResult, ...], str]:
    """The configured multivariate tests, or why none ran (never an exception: a statistic
    does not crash a report)."""
    methods = config.drift.multivariate
    if not methods:
        return (), ""
    if rows is None:
        return (), "the reference is a saved profile: multivariate tests need its rows"
    candidates = [
        c.name
        for c in reference.schema
        if c.type in _JOINT_TYPES and c.name in current.column_names
    ]
    # a column whose values changed kind (numbers now text) is a quality finding already;
    # the joint tests take the others
    features = [
        name
        for name in candidates
        if is_numeric(rows.schema.field(name).type) == is_numeric(current.schema.field(name).type)
    ]
    left_out = [name for name in candidates if name not in features]
    note = f"left out (type changed): {', '.join(left_out)}" if left_out else ""
    if len(features) < 2:
        return (), "fewer than two numeric or categorical columns to test together"
    found = []
    for method in methods:
        try:
            found.append(multivariate_drift(rows, current, features, method))
        except WatchkeeperError as exc:
            return tuple(found), "; ".join(t for t in (note, f"{method}: {exc}") if t)
    return tuple(found), note
