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

A window without rows gets ``insufficient_data`` samples: an empty column is no finding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

from watchkeeper.config import ReportConfig
from watchkeeper.drift.selection import ColumnDrift, DriftSettings, DriftSummary, evaluate_drift
from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.monitors.scope import Scope
from watchkeeper.profiles.categorical import CategoricalProfile
from watchkeeper.profiles.dataset import DatasetProfile, build_profile
from watchkeeper.profiles.numeric import EXACT_CAP
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
) -> DataResult:
    prediction = config.prediction
    targets = {prediction, *config.scores} | ({config.label} if config.label else set())
    feature_names = [n for n in reference.schema.names if n not in targets]
    has_prediction = prediction in reference.columns and "prediction" in meta.column_names
    table = features
    if has_prediction and prediction not in features.column_names:
        table = features.append_column(prediction, meta.column("prediction"))
    keep = 2**62 if config.drift.exact else EXACT_CAP
    profile = build_profile(table, reference=reference, workers=WORKERS, keep_values=keep)
    ref_features = _view(reference, feature_names)
    cur_features = _view(profile, feature_names)
    settings = ReportConfig(drift=config.drift).drift_settings()
    drift = evaluate_drift(ref_features, cur_features, settings)
    samples = [*_drift_samples(scope, drift), *_missing(scope, ref_features, cur_features)]
    samples += _quality_samples(scope, ref_features, cur_features)
    if has_prediction:
        verdict = evaluate_drift(
            _view(reference, [prediction]), _view(profile, [prediction]), settings
        )
        samples += [_drift_sample(scope, "prediction_drift", c, {}) for c in verdict.columns]
    monitored = [*feature_names, *([prediction] if has_prediction else [])]
    return DataResult(tuple(samples), _view(profile, monitored))


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


def _drift_samples(scope: Scope, drift: DriftSummary) -> list[MetricSample]:
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
