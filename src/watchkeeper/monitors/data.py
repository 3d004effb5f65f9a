"""Input-first monitors: the window's features (and predictions) against the reference.

The window is profiled once on the reference's binning — the features, plus the ``prediction``
column under the reference's prediction column name when the reference has one — and that
profile is returned for storing and merging. From it:

* ``feature_drift{feature, test}`` per feature: the deciding statistic of the model's drift
  rule (``drift`` section), ``breach`` when drift is detected; p-value, threshold and reason in
  details. A feature without usable values is ``insufficient_data`` (test ``none``); datetime
  features are not tested unless the settings ask for it, and emit nothing.
* ``dataset_drift_share``: the share of tested features that drifted, ``breach`` at dataset
  drift.
* ``prediction_drift{test}``: the same test on the prediction column (numeric or categorical,
  as the reference's schema has it), when the reference has one.
* ``data_quality_findings{severity}``: findings of the data-quality checks per severity,
  ``breach`` when a critical or high finding is present (duplicate rows are not counted here).
* ``missing_share{feature}`` per feature (1.0 for a feature absent from the window) and
  ``unseen_category_share{feature}`` per categorical feature with a categorical reference.

Drift is also broken down by the ``breakdowns`` given (model version, segment keys): for every
group, ``feature_drift``, ``dataset_drift_share`` and ``prediction_drift`` samples labelled
``model_version=<v>`` or ``segment=<key>, segment_value=<value>``, so a drift confined to one
version or one segment value shows there (and is diluted in the whole window). The groups are
profiled in one pass and add up to the window's profile (see :mod:`watchkeeper.profiles.grouped`).
Each group is compared with the whole reference; a feature named like the segment key is not
tested within that key's groups (it is constant there). A group's column is tested only with at
least ``MIN_GROUP_VALUES`` values, else its sample is ``insufficient_data``; and the default
rule's ``alpha`` is split across a breakdown's groups (Bonferroni), so 20 groups do not multiply
the false alarms of its p-value gate.

A window without rows gets ``insufficient_data`` samples: an empty column is no finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from watchkeeper.config import ReportConfig
from watchkeeper.drift.base import Registry
from watchkeeper.drift.registry import default_registry
from watchkeeper.drift.selection import (
    DEFAULT_PAIRS,
    ColumnDrift,
    DriftSettings,
    DriftSummary,
    evaluate_drift,
)
from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.monitors.scope import Groups, Scope
from watchkeeper.profiles.categorical import CategoricalProfile
from watchkeeper.profiles.dataset import ColumnProfile, DatasetProfile, build_profile
from watchkeeper.profiles.grouped import profile_cells, union
from watchkeeper.profiles.numeric import EXACT_CAP, NumericProfile
from watchkeeper.quality.base import Severity
from watchkeeper.quality.missing_values import missing_share
from watchkeeper.quality.run import run_checks
from watchkeeper.quality.unseen_categories import unseen
from watchkeeper.schema import ColumnType, Schema
from watchkeeper.settings import ModelConfig

DRIFT = {"monitor": "drift"}
QUALITY = {"monitor": "quality"}
BREACHING = (Severity.CRITICAL, Severity.HIGH)
LISTED = 10  # findings / categories named in a sample's details
WORKERS = 2
MIN_GROUP_VALUES = 100  # a breakdown group's column is tested for drift from this many values
MAX_CELLS = 64  # breakdowns are profiled in one pass while the product of their group counts fits


@dataclass(frozen=True)
class DataResult:
    samples: tuple[MetricSample, ...]
    # the window's features (and prediction) on the reference's bins; the reference's label
    # and score columns are not part of it
    profile: DatasetProfile


def data_samples(
    scope: Scope,
    config: ModelConfig,
    reference: DatasetProfile,
    features: pa.Table,
    meta: pa.Table,
    breakdowns: Sequence[Groups] = (),
) -> DataResult:
    prediction = config.prediction
    targets = {prediction, *config.scores} | ({config.label} if config.label else set())
    if config.ranking.query:  # the query id groups predictions; it is not an input
        targets.add(config.ranking.query)
    feature_names = [n for n in reference.schema.names if n not in targets]
    has_prediction = prediction in reference.columns and "prediction" in meta.column_names
    table = features
    if has_prediction and prediction not in features.column_names:
        table = features.append_column(prediction, meta.column("prediction"))
    keep = 2**62 if config.drift.exact else EXACT_CAP
    profile, group_profiles = _profiles(table, reference, keep, breakdowns)
    ref_features = _view(reference, feature_names)
    cur_features = _view(profile, feature_names)
    settings = ReportConfig(drift=config.drift).drift_settings()
    tests = _deciding_tests(settings)
    drift = evaluate_drift(ref_features, cur_features, settings, tests)
    samples = [*_drift_samples(scope, drift), *_missing(scope, ref_features, cur_features)]
    samples += _quality_samples(scope, ref_features, cur_features)
    predicted = [prediction] if has_prediction else []
    if has_prediction:
        verdict = evaluate_drift(
            _view(reference, [prediction]), _view(profile, [prediction]), settings, tests
        )
        samples += [_drift_sample(scope, "prediction_drift", c, {}) for c in verdict.columns]
    for groups, parts in zip(breakdowns, group_profiles, strict=True):
        split = replace(settings, alpha=settings.alpha / len(groups.names))
        # a feature that is the segment key itself is constant within each of its groups
        tested = [n for n in feature_names if n != groups.fixed.get("segment")]
        for g, part in enumerate(parts):
            child = scope.child(**groups.labels(g))
            samples += _group_drift(child, reference, part, tested, predicted, split, tests)
    return DataResult(tuple(samples), _view(profile, [*feature_names, *predicted]))


def _profiles(
    table: pa.Table, reference: DatasetProfile, keep: int, breakdowns: Sequence[Groups]
) -> tuple[DatasetProfile, list[list[DatasetProfile]]]:
    """The window's profile and, per breakdown, its groups' profiles.

    Breakdowns are crossed into cells (version × country) while the product of their group
    counts stays within ``MAX_CELLS``; each such batch costs one pass over the data, and the
    first pass's cells also add up to the window's profile.
    """
    if not breakdowns:
        whole = build_profile(table, reference=reference, workers=WORKERS, keep_values=keep)
        return whole, []
    found: list[list[DatasetProfile]] = []
    for batch in _batches(breakdowns):
        cells = np.zeros(table.num_rows, dtype=np.int64)
        count = 1
        for groups in batch:  # mixed radix: the first breakdown varies slowest
            cells = cells * len(groups.names) + groups.codes
            count *= len(groups.names)
        parts = profile_cells(table, cells, count, reference=reference, keep_values=keep)
        filled = np.fromiter(parts, dtype=np.int64, count=len(parts))
        stride = count
        for groups in batch:
            stride //= len(groups.names)
            of_cell = filled // stride % len(groups.names)
            found.append(
                [
                    union([parts[int(c)] for c in filled[of_cell == g]], keep)
                    for g in range(len(groups.names))
                ]
            )
    return union(found[0], keep), found


def _batches(breakdowns: Sequence[Groups]) -> list[list[Groups]]:
    batches: list[list[Groups]] = []
    cells = MAX_CELLS + 1
    for groups in breakdowns:
        size = len(groups.names)
        if batches and cells * size <= MAX_CELLS:
            batches[-1].append(groups)
            cells *= size
        else:
            batches.append([groups])
            cells = size
    return batches


def _group_drift(
    scope: Scope,
    reference: DatasetProfile,
    part: DatasetProfile,
    feature_names: list[str],
    predicted: list[str],
    settings: DriftSettings,
    tests: Registry,
) -> list[MetricSample]:
    """The drift samples of one breakdown group."""
    features = _group_verdicts(reference, part, feature_names, settings, tests)
    samples = _drift_samples(scope, features, part.rows)
    if predicted:
        verdict = _group_verdicts(reference, part, predicted, settings, tests)
        samples += [_drift_sample(scope, "prediction_drift", c, {}) for c in verdict.columns]
    return samples


def _group_verdicts(
    reference: DatasetProfile,
    part: DatasetProfile,
    names: list[str],
    settings: DriftSettings,
    tests: Registry,
) -> DriftSummary:
    """Drift of the columns ``names`` in one group; one with too few values is not tested."""
    few = {
        name: f"{_values(part.columns[name])} values in this group; tested from {MIN_GROUP_VALUES}"
        for name in names
        if name in part.columns and _values(part.columns[name]) < MIN_GROUP_VALUES
    }
    tested = _view(part, [n for n in names if n not in few])
    drift = evaluate_drift(_view(reference, names), tested, settings, tests)
    decided = {c.name: c for c in drift.columns}
    for name, reason in few.items():
        if name in reference.columns:
            kind = reference.schema[name].type
            decided[name] = ColumnDrift(
                name, kind, "", float("nan"), 0.0, False, reason, skipped=reason
            )
    return replace(drift, columns=tuple(decided[n] for n in names if n in decided))


def _deciding_tests(settings: DriftSettings) -> Registry:
    """The drift tests that can decide under ``settings``. Samples carry the deciding
    statistic only, so the report's further statistics (PSI, L-infinity, ...) are skipped."""
    registry = default_registry()
    if settings.method != "default":
        return registry
    names = {test for pair in DEFAULT_PAIRS.values() for test in pair}
    names |= {c.test for c in (*settings.per_type.values(), *settings.per_column.values())}
    return Registry(registry.get(name) for name in sorted(names) if name in registry.names())


def _values(column: ColumnProfile) -> int:
    """How many usable values a column profile counts."""
    if isinstance(column, NumericProfile):
        return column.finite
    if isinstance(column, CategoricalProfile):
        return column.present
    return column.count - column.missing


def _view(profile: DatasetProfile, names: Iterable[str]) -> DatasetProfile:
    """The part of ``profile`` for the columns ``names`` (in schema order)."""
    wanted = set(names)
    schema = Schema(tuple(c for c in profile.schema if c.name in wanted), profile.schema.ignored)
    columns = {n: p for n, p in profile.columns.items() if n in wanted}
    return DatasetProfile(schema, profile.rows, columns, profile.extra_columns)


def _drift_sample(
    scope: Scope, name: str, column: ColumnDrift, labels: dict[str, str]
) -> MetricSample:
    details = {
        "p_value": column.p_value,
        "p_test": column.p_test,
        "threshold": column.threshold,
        "reason": column.reason,
        "type": column.type.value,
    }
    if column.skipped is not None:
        status = Status.INSUFFICIENT
    else:
        status = Status.BREACH if column.drift_detected else Status.OK
    test = column.test or "none"
    return scope.sample(name, {**DRIFT, **labels, "test": test}, column.statistic, status, details)


def _tested(column: ColumnDrift, settings: DriftSettings) -> bool:
    """Whether the settings test this column at all (datetime columns only on request)."""
    return (
        column.type is not ColumnType.DATETIME
        or settings.test_datetime
        or column.name in settings.per_column
        or ColumnType.DATETIME.value in settings.per_type
    )


def _drift_samples(
    scope: Scope, drift: DriftSummary, rows: int | None = None
) -> list[MetricSample]:
    samples = [
        _drift_sample(scope, "feature_drift", c, {"feature": c.name})
        for c in drift.columns
        if _tested(c, drift.settings)
    ]
    tested = drift.tested
    if tested:
        status = Status.BREACH if drift.dataset_drift else Status.OK
        share = drift.drifted_share
    else:
        status, share = Status.INSUFFICIENT, float("nan")
    details = {
        "drifted_columns": drift.drifted_columns,
        "tested": len(tested),
        "threshold": drift.settings.dataset_drift_share,
        **({} if rows is None else {"rows": rows}),
    }
    samples.append(scope.sample("dataset_drift_share", DRIFT, share, status, details))
    return samples


def _quality_samples(
    scope: Scope, reference: DatasetProfile, current: DatasetProfile
) -> list[MetricSample]:
    if current.rows == 0:
        return [
            scope.sample(
                "data_quality_findings",
                {**QUALITY, "severity": s.value},
                float("nan"),
                Status.INSUFFICIENT,
                {"reason": "no rows in the window"},
            )
            for s in Severity
        ]
    report = run_checks(reference, current)
    samples = []
    for severity in Severity:
        found = [f for f in report.findings if f.severity is severity]
        breach = bool(found) and severity in BREACHING
        details = {
            "findings": [
                {"check": f.check, "column": f.column, "message": f.message} for f in found[:LISTED]
            ]
        }
        labels = {**QUALITY, "severity": severity.value}
        status = Status.BREACH if breach else Status.OK
        samples.append(scope.sample("data_quality_findings", labels, len(found), status, details))
    return samples


def _missing(
    scope: Scope, reference: DatasetProfile, current: DatasetProfile
) -> list[MetricSample]:
    samples = []
    for name in reference.schema.names:
        labels = {**QUALITY, "feature": name}
        cur, ref = current.columns.get(name), reference.columns.get(name)
        if current.rows == 0:
            samples.append(
                scope.sample(
                    "missing_share", labels, float("nan"), Status.INSUFFICIENT, {"rows": 0}
                )
            )
            continue
        if cur is None:
            details: dict[str, object] = {"rows": current.rows, "absent": True}
            samples.append(scope.sample("missing_share", labels, 1.0, Status.OK, details))
            continue
        details = {
            "rows": cur.count,
            "missing": cur.missing,
            "reference_missing_share": None if ref is None else missing_share(ref),
        }
        samples.append(
            scope.sample("missing_share", labels, missing_share(cur), Status.OK, details)
        )
        if isinstance(cur, CategoricalProfile) and isinstance(ref, CategoricalProfile):
            samples.append(_unseen(scope, name, ref, cur))
    return samples


def _unseen(
    scope: Scope, name: str, ref: CategoricalProfile, cur: CategoricalProfile
) -> MetricSample:
    new = unseen(ref, cur)
    values = sum(n for _, n in new)
    labels = {**QUALITY, "feature": name}
    details: dict[str, object] = {
        "categories": [c for c, _ in new[:LISTED]],
        "values": values,
        "present": cur.present,
    }
    if cur.present == 0:
        return scope.sample(
            "unseen_category_share", labels, float("nan"), Status.INSUFFICIENT, details
        )
    return scope.sample("unseen_category_share", labels, values / cur.present, Status.OK, details)
