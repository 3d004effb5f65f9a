"""Bad input is an InputError naming the column or option; chunks are cut as documented."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from estimation_data import (
    CLASSES,
    SCORES,
    binary,
    fit_binary,
    fit_regression,
    multiclass,
    regression,
)

from watchkeeper.errors import InputError
from watchkeeper.performance.estimate import estimate_chunks, fit_estimator


def _binary(rows: int = 1000, seed: int = 0) -> pa.Table:
    return binary(np.random.default_rng(seed), rows, (0.5, 0.0, 0.0))


def _multiclass(rows: int = 1000) -> pa.Table:
    return multiclass(np.random.default_rng(1), rows, (0.0, 0.0))


@pytest.mark.parametrize(
    ("reference", "task", "prediction", "scores", "label", "message"),
    [
        # a score column the reference lacks
        (_binary(), "binary_classification", "prediction", ["proba"], "label", "'proba' not found"),
        # the label column missing
        (_binary(), "binary_classification", "prediction", ["score"], "y", "'y' not found"),
        # the prediction column missing
        (_binary(), "binary_classification", "pred", ["score"], "label", "'pred' not found"),
        # a task estimation does not cover
        (_binary(), "ranking", "prediction", ["score"], "label", "task: must be one of"),
        # binary takes exactly one score column
        (_binary(), "binary_classification", "prediction", ["score", "x1"], "label",
         "one score column, the positive class's (got 2: score, x1)"),
        # three classes but two score columns: names the columns and the classes
        (_multiclass(), "multiclass_classification", "prediction", SCORES[:2], "label",
         "3 classes: bird, cat, dog); got 2: score_bird, score_cat"),
        # three label values are not a binary task
        (_multiclass(), "binary_classification", "prediction", ["score_cat"], "label",
         "needs 2 label values in 'label' (found 3"),
        # regression takes no scores
        (regression(np.random.default_rng(2), 500, 0.0, 0.3), "regression", "prediction",
         ["x1"], "label", "scores: regression takes no score columns (got x1)"),
        # too few labelled rows to measure the band
        (_binary(150), "binary_classification", "prediction", ["score"], "label",
         "150 rows with a label in 'label'; estimation needs at least 200"),
        # a text label cannot be a score
        (_multiclass(), "multiclass_classification", "prediction", [*SCORES[:2], "label"],
         "label", "column 'label' must be numeric"),
    ],
)  # fmt: skip
def test_fit_refuses_bad_input_naming_it(
    reference: pa.Table, task: str, prediction: str, scores: list[str], label: str, message: str
) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fit_estimator(reference, task, prediction, scores, label)


def test_prediction_that_is_not_a_class_is_named_with_its_value() -> None:
    estimator = fit_binary(_binary())
    current = _binary(100, seed=1).set_column(4, "prediction", pa.array([2] * 100))
    with pytest.raises(InputError, match=r"current: column 'prediction' has the value 2\b"):
        estimator.estimate(current)


def test_current_problems_are_named() -> None:
    estimator = fit_binary(_binary())
    current = _binary(100, seed=1)
    with pytest.raises(InputError, match="current: column 'score' not found"):
        estimator.estimate(current.drop_columns(["score"]))
    nulls = current.set_column(3, "score", pa.array([None] * 100, pa.float64()))
    with pytest.raises(InputError, match="current: column 'score' has 100 null"):
        estimator.estimate(nulls)
    unknown = current.set_column(5, "label", pa.array([7] * 100))
    with pytest.raises(InputError, match="column 'label' has the value 7"):
        estimator.estimate(unknown)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"chunk_size": 10, "window": timedelta(hours=1), "timestamp": "t"}, "not both"),
        ({"window": timedelta(hours=1)}, "time chunks need both"),
        ({"timestamp": "t"}, "time chunks need both"),
        ({"window": timedelta(hours=1), "timestamp": "when"}, "column 'when' not found"),
        ({"chunk_size": 0}, "chunk_size must be a positive"),
    ],
)
def test_chunk_options_are_checked(options: dict[str, Any], message: str) -> None:
    estimator = fit_binary(_binary())
    with pytest.raises(InputError, match=message):
        estimate_chunks(estimator, _binary(100, seed=1), **options)


def test_fixed_chunks_keep_the_smaller_last_chunk() -> None:
    estimator = fit_binary(_binary())
    result = estimate_chunks(estimator, _binary(1050, seed=1), chunk_size=500)
    assert [(c.start, c.end, c.rows) for c in result.chunks] == [
        (0, 500, 500),
        (500, 1000, 500),
        (1000, 1050, 50),
    ]
    last, full = result.chunks[-1], result.chunks[0]
    width = last.upper["accuracy"] - last.lower["accuracy"]
    assert width > 2 * (full.upper["accuracy"] - full.lower["accuracy"])  # fewer rows: wider
    default = estimate_chunks(estimator, _binary(1050, seed=1))
    assert default.chunks[0].rows == estimator.band.rows  # the reference chunks' size


def test_time_windows_group_unsorted_rows_in_utc() -> None:
    estimator = fit_binary(_binary())
    current = _binary(600, seed=1)
    hours = np.random.default_rng(3).permutation(np.repeat([0, 1, 5], 200))  # shuffled rows
    start = np.datetime64("2026-03-01T22:00", "us")
    moments = pa.array(start + hours * np.timedelta64(3600, "s"), pa.timestamp("us", "UTC"))
    result = estimate_chunks(
        estimator, current.append_column("t", moments), window=timedelta(hours=1), timestamp="t"
    )
    assert [(c.start, c.rows) for c in result.chunks] == [
        ("2026-03-01T22:00:00+00:00", 200),
        ("2026-03-01T23:00:00+00:00", 200),
        ("2026-03-02T03:00:00+00:00", 200),  # the empty hours between are left out
    ]
    assert result.chunks[0].end == "2026-03-01T23:00:00+00:00"
    # the same rows as text without a zone (read as UTC): the same windows
    text = pa.array([str(m) for m in (start + hours * np.timedelta64(3600, "s"))])
    again = estimate_chunks(
        estimator, current.append_column("t", text), window=timedelta(hours=1), timestamp="t"
    )
    assert [c.estimated for c in again.chunks] == [c.estimated for c in result.chunks]


def test_text_classes_and_categorical_features() -> None:
    """Labels as text (dictionary-encoded, as Parquet reads them) and a categorical input."""
    table = regression(np.random.default_rng(4), 2000, 0.0, 0.4)
    encoded = table.set_column(3, "segment", table.column("segment").dictionary_encode())
    estimator = fit_regression(encoded)
    assert estimator.method.encoding.names == ("x1", "x2", "x3", "segment", "prediction")
    plain = estimator.estimate(table)
    assert plain.estimated == estimator.estimate(encoded).estimated
    unseen = table.set_column(3, "segment", pa.array(["z"] * 2000))  # unknown: missing
    assert np.isfinite(estimator.estimate(unseen).estimated["mae"])
    multi = _multiclass().set_column(6, "label", _multiclass().column("label").dictionary_encode())
    fitted = fit_estimator(multi, "multiclass_classification", "prediction", SCORES, "label")
    assert fitted.method.classes.values == CLASSES
