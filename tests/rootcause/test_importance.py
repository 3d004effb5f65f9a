"""Importances from the user and from logged attributions: normalising and validation."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest
from rootcause_helpers import FEATURES, world

from watchkeeper.errors import InputError
from watchkeeper.rootcause.importance import (
    attribution_importances,
    normalised,
    user_importances,
)


def test_user_importances_are_normalised_and_fill_missing_features() -> None:
    imp = user_importances({"a": 6.0, "b": 2.0}, features=FEATURES)
    assert imp.source == "user"
    assert dict(imp.values) == {"a": 0.75, "b": 0.25, "colour": 0.0, "noise": 0.0}
    assert imp.of("a") == 0.75
    assert imp.of("not a feature") == 0.0


def test_user_importances_without_feature_list_keep_what_is_given() -> None:
    assert dict(user_importances({"x": 1, "y": 3}).values) == {"x": 0.25, "y": 0.75}


def test_importances_are_read_only() -> None:
    imp = user_importances({"a": 1.0})
    with pytest.raises(TypeError):
        imp.values["a"] = 2.0


@pytest.mark.parametrize(
    ("values", "named"),
    [
        # a name that is not a feature of the model
        ({"a": 1.0, "ageee": 2.0}, "ageee"),
        # a negative importance
        ({"a": 1.0, "b": -0.5}, "'b'"),
        # not a number
        ({"a": "high"}, "'a'"),
        # NaN
        ({"a": math.nan}, "'a'"),
        # infinite
        ({"b": math.inf}, "'b'"),
        # a boolean is not an importance
        ({"a": True}, "'a'"),
    ],
)
def test_bad_user_importances_name_the_feature(values: dict[str, object], named: str) -> None:
    with pytest.raises(InputError, match="importances") as err:
        user_importances(values, features=FEATURES)
    assert named in str(err.value)


def test_empty_user_importances_are_rejected() -> None:
    with pytest.raises(InputError, match="no feature importances"):
        user_importances({})


def test_all_zero_importances_get_equal_shares() -> None:
    assert dict(normalised({"a": 0.0, "b": 0.0, "c": 0.0}, "user").values) == pytest.approx(
        {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}
    )


def test_attribution_importances_are_mean_absolute_attributions() -> None:
    table = pa.table({"sa": [1.0, -3.0, None], "sb": [0.5, -0.5, 2.0]})
    imp = attribution_importances(table, {"a": "sa", "b": "sb"})
    # mean |a| = 2 (the null left out), mean |b| = 1
    assert imp.source == "attributions"
    assert dict(imp.values) == pytest.approx({"a": 2 / 3, "b": 1 / 3})


def test_attribution_importances_follow_the_model() -> None:
    w = world(rows=2000)
    imp = attribution_importances(w.reference, {f: f"shap_{f}" for f in FEATURES})
    assert imp.of("a") > 0.9
    assert imp.of("b") < 0.05
    assert imp.of("noise") == 0.0


def test_attribution_columns_must_exist_and_be_numeric() -> None:
    table = pa.table({"sa": [1.0], "text": ["x"]})
    with pytest.raises(InputError, match="shap_b"):
        attribution_importances(table, {"a": "sa", "b": "shap_b"})
    with pytest.raises(InputError, match="text"):
        attribution_importances(table, {"a": "text"})
    with pytest.raises(InputError, match="mapping"):
        attribution_importances(table, {})
