"""Drift broken down by model version and segment: a shift confined to one group breaches in
that group's samples and in no other group's; small groups are never judged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from monitor_helpers import AFTER, END, START, config, find, meta_table, no_labels, one

from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.monitors.window import evaluate_window
from watchkeeper.profiles.dataset import DatasetProfile, build_profile

ROWS = 4_000
DRIFT = ("feature_drift", "dataset_drift_share", "prediction_drift")
BOTH = {"drift_breakdown": ["model_version", "country"]}


def reference() -> DatasetProfile:
    rng = np.random.default_rng(0)
    n = 5_000
    return build_profile(
        pa.table(
            {
                "age": rng.normal(40.0, 10.0, n),
                "income": rng.lognormal(10.0, 0.5, n),
                "plan": rng.choice(["basic", "pro", "team"], n, p=[0.6, 0.3, 0.1]),
                "prediction": rng.beta(2.0, 5.0, n),
            }
        )
    )


def evaluate(
    versions: list[str],
    countries: list[str],
    shifted: Mapping[str, str] | None = None,
    **keys: Any,
) -> tuple[MetricSample, ...]:
    """One window, drift broken down by version and country unless ``keys`` say otherwise;
    rows whose version or country is a key of ``shifted`` get the shift named by its value:
    ``age`` (+1 sd), ``plan`` (mostly team) or ``prediction`` (+0.3)."""
    rng = np.random.default_rng(1)
    rows = len(versions)
    age = rng.normal(40.0, 10.0, rows)
    plan = rng.choice(["basic", "pro", "team"], rows, p=[0.6, 0.3, 0.1])
    score = rng.beta(2.0, 5.0, rows)
    for group, what in (shifted or {}).items():
        hit = (np.array(versions) == group) | (np.array(countries) == group)
        if what == "age":
            age[hit] += 10.0
        elif what == "plan":
            plan[hit] = rng.choice(["basic", "team"], int(hit.sum()), p=[0.2, 0.8])
        else:
            score[hit] = np.clip(score[hit] + 0.3, 0.0, 1.0)
    features = pa.table({"age": age, "income": rng.lognormal(10.0, 0.5, rows), "plan": plan})
    meta = meta_table(
        rows,
        prediction=score,
        versions=versions,
        segments={"country": countries},
        seconds_apart=3600 / rows,
    )
    model = config(segments=["country"], **{**BOTH, **keys})
    outcomes = pa.table({"id": pa.array([], pa.string()), "name": pa.array([], pa.string())})
    result = evaluate_window(
        "m", model, reference(), (START, END), features, meta, no_labels(), outcomes, AFTER
    )
    return result.samples


def split(rows: int, names: list[str], shares: list[float]) -> list[str]:
    counts = [int(rows * s) for s in shares]
    counts[-1] = rows - sum(counts[:-1])
    return [n for n, c in zip(names, counts, strict=True) for _ in range(c)]


def interleave(values: list[str]) -> list[str]:
    return [values[i] for i in np.random.default_rng(9).permutation(len(values))]


VERSIONS = interleave(split(ROWS, ["v1", "v2"], [0.5, 0.5]))
COUNTRIES = interleave(split(ROWS, ["US", "DE", "FR"], [0.5, 0.3, 0.2]))


def statuses(
    samples: tuple[MetricSample, ...], by: str, name: str, **labels: str
) -> dict[str, Status]:
    """Status of ``name`` per group of one breakdown (``by``: model_version or segment_value)."""
    return {s.labels[by]: s.status for s in find(samples, name, **labels) if by in s.labels}


VERSION, SEGMENT = "model_version", "segment_value"


@pytest.mark.parametrize(
    ("shifted", "by", "name", "labels", "breached", "calm"),
    [
        # a numeric feature shifted in v2 only: v2 breaches, v1 stays ok
        ({"v2": "age"}, VERSION, "feature_drift", {"feature": "age"}, {"v2"}, {"v1"}),
        # a categorical feature shifted in DE only: DE breaches, US and FR do not
        ({"DE": "plan"}, SEGMENT, "feature_drift", {"feature": "plan"}, {"DE"}, {"US", "FR"}),
        # the prediction shifted in FR only
        ({"FR": "prediction"}, SEGMENT, "prediction_drift", {}, {"FR"}, {"US", "DE"}),
        # nothing shifted: no group breaches anything
        ({}, VERSION, "feature_drift", {}, set(), {"v1", "v2"}),
        ({}, SEGMENT, "prediction_drift", {}, set(), {"US", "DE", "FR"}),
    ],
)
def test_a_shift_confined_to_one_group_breaches_only_there(
    shifted: dict[str, str],
    by: str,
    name: str,
    labels: dict[str, str],
    breached: set[str],
    calm: set[str],
) -> None:
    samples = evaluate(VERSIONS, COUNTRIES, shifted)
    found = statuses(samples, by, name, **labels)
    assert set(found) == breached | calm
    assert {g for g, s in found.items() if s is Status.BREACH} == breached
    assert all(found[g] is Status.OK for g in calm), found
    # the untouched features stay ok in every group of every breakdown
    for feature in {"age", "income", "plan"} - {labels.get("feature")}:
        for key in (VERSION, SEGMENT):
            found = statuses(samples, key, "feature_drift", feature=feature)
            assert Status.BREACH not in found.values(), (feature, found)


def test_breakdown_labels_are_bounded_and_distinct() -> None:
    samples = evaluate(VERSIONS, COUNTRIES, {"v2": "age"})
    keys = [s.series_key for s in samples]
    assert len(keys) == len(set(keys))
    share = one(samples, "dataset_drift_share", model_version="v2")
    assert share.details["rows"] == VERSIONS.count("v2")
    assert share.labels["monitor"] == "drift"
    segment = one(
        samples,
        "feature_drift",
        feature="age",
        test="wasserstein",
        segment="country",
        segment_value="DE",
    )
    assert segment.status is Status.BREACH  # each country is half v2: the diluted shift shows
    # the alpha of the default rule is split across a breakdown's groups
    v2 = one(samples, "feature_drift", feature="age", model_version="v2", test="wasserstein")
    assert "< 0.025" in v2.details["reason"]
    # the whole window carries on as before
    assert one(samples, "feature_drift", feature="age", test="wasserstein").status in (
        Status.OK,
        Status.BREACH,
    )


def test_groups_too_small_to_test_are_insufficient_never_breach() -> None:
    # v3 has 40 rows, all of them heavily shifted: too few to judge
    versions = VERSIONS[:-40] + ["v3"] * 40
    samples = evaluate(versions, COUNTRIES, {"v3": "age"})
    v3 = [s for s in samples if s.labels.get("model_version") == "v3" and s.name in DRIFT]
    assert v3 and all(s.status is Status.INSUFFICIENT for s in v3)
    assert (
        "40 values in this group"
        in one(samples, "feature_drift", feature="age", model_version="v3", test="none").details[
            "reason"
        ]
    )
    assert one(samples, "dataset_drift_share", model_version="v3").details["tested"] == 0


@pytest.mark.parametrize(
    ("versions", "keys", "by_version", "by_segment"),
    [
        (VERSIONS, BOTH, True, True),
        (["v1"] * ROWS, BOTH, False, True),  # one version: nothing to break down by
        (VERSIONS, {"drift_breakdown": []}, False, False),  # the default
        (VERSIONS, {"drift_breakdown": ["country"]}, False, True),
        (VERSIONS, {"drift_breakdown": ["model_version"]}, True, False),
    ],
)
def test_what_drift_is_broken_down_by(
    versions: list[str], keys: dict[str, Any], by_version: bool, by_segment: bool
) -> None:
    samples = [s for s in evaluate(versions, COUNTRIES, **keys) if s.name in DRIFT]
    assert any("model_version" in s.labels for s in samples) is by_version
    assert any("segment" in s.labels for s in samples) is by_segment
    # quality is never broken down
    quality = [s for s in evaluate(versions, COUNTRIES, **keys) if s.labels["monitor"] == "quality"]
    assert not any("model_version" in s.labels or "segment" in s.labels for s in quality)


def test_window_profile_is_the_sum_of_the_groups() -> None:
    model = config(segments=["country"], **BOTH)
    rng = np.random.default_rng(4)
    features = pa.table({"age": rng.normal(40.0, 10.0, 500), "plan": ["pro"] * 500})
    meta = meta_table(
        500,
        prediction=rng.random(500),
        versions=VERSIONS[:500],
        segments={"country": COUNTRIES[:500]},
    )
    outcomes = pa.table({"id": pa.array([], pa.string()), "name": pa.array([], pa.string())})
    ref = reference()
    result = evaluate_window(
        "m", model, ref, (START, END), features, meta, no_labels(), outcomes, AFTER
    )
    direct = build_profile(
        features.append_column("prediction", meta.column("prediction")), reference=ref
    )
    assert result.profile.rows == 500
    for name in ("age", "prediction"):
        assert np.array_equal(result.profile[name].counts, direct[name].counts)
    assert result.profile["plan"].as_dict() == {"pro": 500}


def test_a_segment_key_that_is_also_a_feature_is_not_tested_within_its_groups() -> None:
    # within country=DE the feature "country" is DE only: comparing it with the reference's mix
    # of countries would call every group drifted
    rng = np.random.default_rng(6)
    n = 2_000
    countries = rng.choice(["US", "DE"], n).tolist()
    ref = build_profile(
        pa.table({"age": rng.normal(40.0, 10.0, n), "country": rng.choice(["US", "DE"], n)})
    )
    features = pa.table({"age": rng.normal(40.0, 10.0, n), "country": countries})
    meta = meta_table(
        n, versions=interleave(split(n, ["v1", "v2"], [0.5, 0.5])), segments={"country": countries}
    )
    outcomes = pa.table({"id": pa.array([], pa.string()), "name": pa.array([], pa.string())})
    samples = evaluate_window(
        "m",
        config(segments=["country"], **BOTH),
        ref,
        (START, END),
        features,
        meta,
        no_labels(),
        outcomes,
        AFTER,
    ).samples
    assert not find(samples, "feature_drift", feature="country", segment="country")
    assert set(statuses(samples, VERSION, "feature_drift", feature="country").values()) == {
        Status.OK
    }
    assert set(statuses(samples, SEGMENT, "feature_drift", feature="age")) == {"US", "DE"}
