"""multivariate_drift end to end: a changed correlation that every univariate test misses,
same-distribution data, a plain shift, small windows and bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pytest

import watchkeeper
from multivariate_data import FEATURES, correlated, correlation, repaired
from watchkeeper.drift.multivariate import METHODS, MIN_ROWS, multivariate_drift
from watchkeeper.drift.registry import default_registry
from watchkeeper.errors import InputError
from watchkeeper.profiles.categorical import profile_categorical
from watchkeeper.profiles.numeric import profile_numeric

ROWS = 4000


def univariate_detections(reference: pa.Table, current: pa.Table) -> list[str]:
    """``column:test`` for every built-in univariate test that flags a column at its default
    threshold."""
    registry = default_registry()
    found = []
    for name in FEATURES:
        ref_column, cur_column = reference.column(name), current.column(name)
        if pa.types.is_floating(ref_column.type):
            ref = profile_numeric(ref_column.to_numpy())
            cur = profile_numeric(cur_column.to_numpy(), ref.edges)
            tests = registry.for_type("numeric")
        else:
            ref, cur = profile_categorical(ref_column), profile_categorical(cur_column)
            tests = registry.for_type("categorical")
        assert tests
        for test in tests:
            if test.detected(test(ref, cur), test.default_threshold):
                found.append(f"{name}:{test.name}")
    return found


@pytest.mark.parametrize(
    "rho",
    [
        -0.9,  # the correlation flips sign
        0.0,  # the correlation disappears
    ],
)
def test_a_changed_correlation_is_caught_by_both_methods_and_missed_by_univariate_tests(
    rho: float,
) -> None:
    reference = correlated(ROWS, 0.9, seed=1)
    # every column of the current holds exactly the reference's values; only x1-x2 pairing moved
    current = repaired(reference, rho, seed=2)
    assert correlation(reference) == pytest.approx(0.9, abs=0.02)
    assert correlation(current) == pytest.approx(rho, abs=0.03)

    for method in METHODS:
        result = multivariate_drift(reference, current, FEATURES, method)
        assert result.drift_detected, result
        assert result.statistic > result.upper
        assert result.note == ""

    # the project's own batch report sees nothing: no drifted column, no dataset drift
    report = watchkeeper.report(reference, current)
    assert report.dataset_drift is False
    assert report.drifted_columns == []
    assert {c.name for c in report.drift.tested} == set(FEATURES)
    # nor does any built-in univariate test on any column
    assert univariate_detections(reference, current) == []


def test_independently_drawn_windows_with_a_flipped_correlation_are_caught() -> None:
    # fresh draws on both sides (not re-paired values): the marginals agree only in distribution
    reference, current = correlated(ROWS, 0.9, seed=1), correlated(ROWS, -0.9, seed=2)
    for method in METHODS:
        result = multivariate_drift(reference, current, FEATURES, method)
        assert result.drift_detected, result


@pytest.mark.parametrize("method", METHODS)
def test_same_distribution_is_not_drift(method: str) -> None:
    reference, current = correlated(ROWS, 0.9, seed=1), correlated(ROWS, 0.9, seed=2)
    result = multivariate_drift(reference, current, FEATURES, method)
    assert not result.drift_detected, result
    assert result.statistic <= result.upper
    assert result.lower is None or result.lower <= result.statistic


@pytest.mark.parametrize("method", METHODS)
def test_a_plain_mean_shift_is_drift(method: str) -> None:
    # x1 moves by half a standard deviation; x2 and the rest stay
    reference = correlated(ROWS, 0.9, seed=1)
    current = correlated(ROWS, 0.9, seed=2, x1_shift=0.5)
    result = multivariate_drift(reference, current, FEATURES, method)
    assert result.drift_detected, result
    assert watchkeeper.report(reference, current).drifted_columns == ["x1"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "rows",
    [
        0,  # an empty window
        10,  # a quiet hour
        MIN_ROWS - 1,  # one row short
    ],
)
def test_a_too_small_current_window_is_not_tested(method: str, rows: int) -> None:
    reference = correlated(ROWS, 0.9, seed=1)
    current = correlated(ROWS, -0.9, seed=2).slice(0, rows)
    result = multivariate_drift(reference, current, FEATURES, method)
    assert result.drift_detected is False
    assert math.isnan(result.statistic)
    assert result.n_current == rows
    assert result.note == (f"not tested: the current window has {rows} rows, fewer than {MIN_ROWS}")
    data = result.to_dict()
    assert data["statistic"] is None
    json.dumps(data)


@pytest.mark.parametrize("method", METHODS)
def test_at_the_minimum_window_size_the_test_runs(method: str) -> None:
    reference = correlated(ROWS, 0.9, seed=1)
    current = correlated(ROWS, -0.9, seed=2).slice(0, MIN_ROWS)
    result = multivariate_drift(reference, current, FEATURES, method)
    assert result.note == ""
    assert result.drift_detected


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("side", ["reference", "current"])
def test_a_feature_missing_from_a_table_names_the_column_and_the_table(
    method: str, side: str
) -> None:
    tables = {"reference": correlated(ROWS, 0.9, seed=1), "current": correlated(500, 0.9, seed=2)}
    tables[side] = tables[side].drop_columns(["x3"])
    with pytest.raises(InputError, match=rf"feature 'x3' is not a column of the {side} table"):
        multivariate_drift(tables["reference"], tables["current"], FEATURES, method)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        # an unknown method
        ({"method": "knn"}, r"method must be one of domain_classifier, pca \(got 'knn'\)"),
        # no features
        ({"features": []}, "features is empty"),
        # a column given as the feature list
        ({"features": "x1"}, "must be a list of column names"),
        # a repeated feature
        ({"features": ["x1", "x1"]}, "feature 'x1' is listed twice"),
        # a classifier setting out of range
        ({"alpha": 0.7}, r"alpha must be between 0 and 0.5 \(got 0.7\)"),
        # a PCA setting out of range
        ({"method": "pca", "variance_share": 1.5}, r"variance_share .* \(got 1.5\)"),
    ],
)
def test_bad_arguments_are_input_errors(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "reference": correlated(200, 0.9, seed=1),
        "current": correlated(200, 0.9, seed=2),
        "features": FEATURES,
    }
    with pytest.raises(InputError, match=message):
        multivariate_drift(**{**arguments, **kwargs})


def test_a_feature_with_different_kinds_on_the_two_sides_is_an_input_error() -> None:
    reference = correlated(200, 0.9, seed=1)
    current = correlated(200, 0.9, seed=2)
    current = current.set_column(2, "x3", pa.array([str(v) for v in range(200)]))
    with pytest.raises(
        InputError, match="feature 'x3' is double in the reference table but string"
    ):
        multivariate_drift(reference, current, FEATURES)


@pytest.mark.parametrize(
    ("method", "rows", "needed"),
    [
        ("domain_classifier", MIN_ROWS - 1, MIN_ROWS),  # the classifier needs MIN_ROWS
        ("pca", 2 * MIN_ROWS - 1, 2 * MIN_ROWS),  # PCA fits on one half, calibrates on the other
    ],
)
def test_a_too_small_reference_is_an_input_error(method: str, rows: int, needed: int) -> None:
    reference = correlated(rows, 0.9, seed=1)
    with pytest.raises(InputError, match=rf"reference has {rows} rows; .* at least {needed}"):
        multivariate_drift(reference, correlated(500, 0.9, seed=2), FEATURES, method)


def test_dataframes_and_dicts_are_read_like_the_report_reads_them() -> None:
    reference = correlated(ROWS, 0.9, seed=1)
    current = repaired(reference, -0.9, seed=2)
    result = multivariate_drift(reference.to_pandas(), current.to_pydict(), FEATURES, "pca")
    assert result.drift_detected


def test_the_result_is_plain_json() -> None:
    result = multivariate_drift(
        correlated(ROWS, 0.9, seed=1), correlated(ROWS, 0.9, seed=2), FEATURES, "pca"
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert data["method"] == "pca"
    assert data["detail"]["components"] == result.detail.components
    assert data["lower"] == pytest.approx(result.lower)
    assert np.isfinite(data["statistic"])
