"""The data monitor: feature drift, prediction drift and data quality of one window."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest
from monitor_helpers import END, START, config, find, meta_table, one

from watchkeeper.monitors.base import Status
from watchkeeper.monitors.data import data_samples
from watchkeeper.monitors.scope import Scope
from watchkeeper.profiles.dataset import DatasetProfile, build_profile
from watchkeeper.schema import ColumnType, infer_schema

SCOPE = Scope("m", START, END, {"window": "1h"})
REF_ROWS, ROWS = 3_000, 1_500


def reference(with_prediction: bool = True) -> DatasetProfile:
    rng = np.random.default_rng(1)
    columns = {
        "age": rng.normal(40.0, 10.0, REF_ROWS),
        "income": rng.lognormal(10.0, 0.5, REF_ROWS),
        "plan": rng.choice(["basic", "pro", "team"], REF_ROWS, p=[0.6, 0.3, 0.1]),
        "label": rng.choice(["0", "1"], REF_ROWS),  # the reference's labels: not a feature
    }
    if with_prediction:
        columns["prediction"] = rng.beta(2.0, 5.0, REF_ROWS)
    return build_profile(pa.table(columns))


def features(rng: np.random.Generator, rows: int = ROWS, **changes: object) -> pa.Table:
    columns: dict[str, object] = {
        "age": rng.normal(40.0, 10.0, rows),
        "income": rng.lognormal(10.0, 0.5, rows),
        "plan": rng.choice(["basic", "pro", "team"], rows, p=[0.6, 0.3, 0.1]),
    }
    columns.update(changes)
    return pa.table({k: v for k, v in columns.items() if v is not None})


def window_meta(rng: np.random.Generator, rows: int = ROWS, shift: float = 0.0) -> pa.Table:
    return meta_table(rows, prediction=np.clip(rng.beta(2.0, 5.0, rows) + shift, 0, 1))


def test_shifted_feature_breaches_and_the_others_stay_ok() -> None:
    rng = np.random.default_rng(2)
    window = features(rng, age=rng.normal(48.0, 10.0, ROWS))  # +0.8 sd
    result = data_samples(SCOPE, config(), reference(), window, window_meta(rng))
    drift = {s.labels["feature"]: s for s in find(result.samples, "feature_drift")}
    assert set(drift) == {"age", "income", "plan"}  # not the label, not the prediction
    assert drift["age"].status is Status.BREACH
    assert drift["income"].status is Status.OK
    assert drift["plan"].status is Status.OK
    assert drift["age"].labels["test"] == "wasserstein"
    assert drift["plan"].labels["test"] == "jensen_shannon"
    assert drift["age"].value >= drift["age"].details["threshold"]
    assert drift["age"].details["reason"].startswith("drift:")
    assert drift["age"].details["p_value"] < 0.05
    share = one(result.samples, "dataset_drift_share")
    assert share.value == pytest.approx(1 / 3)
    assert share.status is Status.OK  # one feature of three: below the 50% dataset share
    assert share.details["drifted_columns"] == ["age"]
    assert one(result.samples, "prediction_drift", test="wasserstein").status is Status.OK


@pytest.mark.parametrize(
    ("settings", "test", "status"),
    [
        ({}, "wasserstein", Status.BREACH),  # the default rule
        # a per-column test at a threshold the shift does not reach
        ({"columns": {"age": {"test": "psi", "threshold": 5.0}}}, "psi", Status.OK),
        # the Evidently preset: KS below 1000 reference rows, Wasserstein above
        ({"method": "evidently"}, "wasserstein", Status.BREACH),
    ],
)
def test_the_models_drift_settings_decide(
    settings: dict[str, object], test: str, status: Status
) -> None:
    rng = np.random.default_rng(3)
    window = features(rng, age=rng.normal(48.0, 10.0, ROWS))
    model = config(drift=settings)
    result = data_samples(SCOPE, model, reference(), window, window_meta(rng))
    assert one(result.samples, "feature_drift", feature="age", test=test).status is status


def test_prediction_drift() -> None:
    rng = np.random.default_rng(4)
    result = data_samples(SCOPE, config(), reference(), features(rng), window_meta(rng, shift=0.3))
    drift = one(result.samples, "prediction_drift", test="wasserstein")
    assert drift.status is Status.BREACH
    assert drift.labels["monitor"] == "drift"
    # the prediction is profiled with the window, under the reference's column name
    assert "prediction" in result.profile.columns


def test_multiclass_prediction_drift_is_categorical() -> None:
    rng = np.random.default_rng(5)
    ref = build_profile(
        pa.table({"age": rng.normal(size=REF_ROWS), "prediction": rng.choice(["a", "b"], REF_ROWS)})
    )
    classes = rng.choice(["a", "b", "c"], ROWS, p=[0.2, 0.3, 0.5])  # c is new and common
    meta = meta_table(ROWS, prediction=classes, string_prediction=True)
    window = pa.table({"age": rng.normal(size=ROWS)})
    result = data_samples(SCOPE, config("multiclass_classification"), ref, window, meta)
    assert one(result.samples, "prediction_drift", test="jensen_shannon").status is Status.BREACH


def test_no_prediction_drift_without_a_reference_prediction() -> None:
    rng = np.random.default_rng(6)
    result = data_samples(SCOPE, config(), reference(False), features(rng), window_meta(rng))
    assert find(result.samples, "prediction_drift") == []


def test_quality_findings_missing_and_unseen() -> None:
    rng = np.random.default_rng(7)
    income = rng.lognormal(10.0, 0.5, ROWS)
    income[: ROWS * 2 // 5] = np.nan  # 40% missing: a high finding
    plans = rng.choice(["basic", "pro", "team", "gold"], ROWS, p=[0.5, 0.25, 0.1, 0.15])
    window = features(rng, income=income, plan=plans)
    result = data_samples(SCOPE, config(), reference(), window, window_meta(rng))
    high = one(result.samples, "data_quality_findings", severity="high")
    assert high.status is Status.BREACH
    assert high.value == 2  # missing income, unseen plan
    assert {f["check"] for f in high.details["findings"]} == {"missing_values", "unseen_categories"}
    assert one(result.samples, "data_quality_findings", severity="info").status is Status.OK
    assert one(result.samples, "missing_share", feature="income").value == pytest.approx(0.4)
    assert one(result.samples, "missing_share", feature="age").value == 0.0
    unseen = one(result.samples, "unseen_category_share", feature="plan")
    assert unseen.value == pytest.approx(np.mean(plans == "gold"))
    assert unseen.details["categories"] == ["gold"]
    assert find(result.samples, "unseen_category_share", feature="age") == []


def test_clean_window_has_no_breaching_findings() -> None:
    rng = np.random.default_rng(8)
    result = data_samples(SCOPE, config(), reference(), features(rng), window_meta(rng))
    findings = find(result.samples, "data_quality_findings")
    assert len(findings) == 4  # one per severity
    assert all(s.status is Status.OK for s in findings)
    # the label column of the reference is no feature, so it is not "missing" from the window
    assert not any(f["column"] == "label" for s in findings for f in s.details["findings"])


def test_absent_feature() -> None:
    rng = np.random.default_rng(9)
    window = features(rng, income=None)
    result = data_samples(SCOPE, config(), reference(), window, window_meta(rng))
    missing = one(result.samples, "missing_share", feature="income")
    assert (missing.value, missing.details["absent"]) == (1.0, True)
    assert one(result.samples, "data_quality_findings", severity="high").status is Status.BREACH
    assert find(result.samples, "feature_drift", feature="income") == []


def test_datetime_features_are_not_tested_unless_asked() -> None:
    times = pa.array([datetime(2026, 1, 1, tzinfo=UTC)] * 50, pa.timestamp("us", tz="UTC"))
    ages = np.arange(50.0)
    ref = build_profile(pa.table({"seen": times, "age": ages}))
    assert infer_schema(pa.table({"seen": times}))["seen"].type is ColumnType.DATETIME
    window = pa.table({"seen": times, "age": ages})
    meta = meta_table(50)
    quiet = data_samples(SCOPE, config(), ref, window, meta)
    assert find(quiet.samples, "feature_drift", feature="seen") == []
    asked = data_samples(SCOPE, config(drift={"test_datetime": True}), ref, window, meta)
    assert len(find(asked.samples, "feature_drift", feature="seen")) == 1


def test_empty_window_is_insufficient_everywhere() -> None:
    rng = np.random.default_rng(10)
    result = data_samples(SCOPE, config(), reference(), features(rng, rows=0), window_meta(rng, 0))
    assert result.samples
    for sample in result.samples:
        assert sample.status is Status.INSUFFICIENT, sample
        assert math.isnan(sample.value)
    assert result.profile.rows == 0


def test_window_profiles_merge() -> None:
    rng = np.random.default_rng(11)
    ref = reference()
    table, meta = features(rng, rows=1_000), window_meta(rng, rows=1_000)
    whole = data_samples(SCOPE, config(), ref, table, meta).profile
    first = data_samples(SCOPE, config(), ref, table.slice(0, 400), meta.slice(0, 400)).profile
    rest = data_samples(SCOPE, config(), ref, table.slice(400), meta.slice(400)).profile
    merged = first + rest
    assert merged.rows == whole.rows == 1_000
    for name in ("age", "prediction"):
        assert np.array_equal(merged[name].counts, whole[name].counts)
    assert merged["plan"].as_dict() == whole["plan"].as_dict()
