"""The encoder: one consistent numeric matrix for reference and current tables."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from multivariate_data import FEATURES, correlated
from watchkeeper.drift.multivariate.encode import Encoder, sample_rows
from watchkeeper.errors import InputError


def test_numeric_columns_are_standardised_on_the_reference() -> None:
    reference = pa.table(
        {"a": np.arange(1000.0) * 3 + 7, "b": np.random.default_rng(0).normal(5, 2, 1000)}
    )
    encoder = Encoder.fit(reference, ["a", "b"])
    encoded = encoder.transform(reference, "reference")
    assert encoder.columns == ("a", "b")
    np.testing.assert_allclose(encoded.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(encoded.std(axis=0), 1.0)
    # the current is scaled with the reference's numbers, not its own
    shifted = encoder.transform(pa.table({"a": [7.0 + 3 * 499.5], "b": [5.0]}))
    assert shifted[0, 0] == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("reference", "current", "indicator"),
    [
        ([1.0, 2.0, 3.0], [1.0, 2.0], False),  # nothing missing anywhere: no indicator
        ([1.0, None, 3.0], [1.0, 2.0], True),  # a null in the reference
        ([1.0, float("nan"), 3.0], [1.0, 2.0], True),  # a NaN counts as missing
        ([1.0, float("inf"), 3.0], [1.0, 2.0], True),  # so does an infinity
        ([1.0, 2.0, 3.0], [None, 2.0], True),  # missing only in the current
        ([1.0, 2.0, 3.0], [float("nan"), 2.0], True),  # a NaN only in the current
    ],
)
def test_a_missing_indicator_appears_only_when_something_is_missing(
    reference: list[float | None], current: list[float | None], indicator: bool
) -> None:
    ref, cur = pa.table({"a": reference}), pa.table({"a": current})
    encoder = Encoder.fit(ref, ["a"], current=cur)
    assert encoder.columns == (("a", "a (missing)") if indicator else ("a",))


def test_missing_values_become_the_reference_median() -> None:
    reference = pa.table({"a": [1.0, 2.0, 10.0, None]})
    encoder = Encoder.fit(reference, ["a"])
    median = encoder.transform(pa.table({"a": [2.0]}))[0]
    missing = encoder.transform(pa.table({"a": pa.array([None], pa.float64())}))[0]
    assert missing[0] == pytest.approx(median[0])
    assert missing[1] == pytest.approx(1.0 - 0.25)  # indicator, centred on the missing rate
    assert median[1] == pytest.approx(-0.25)


def test_categories_beyond_the_top_k_and_unseen_ones_share_other() -> None:
    values = ["a"] * 50 + ["b"] * 30 + ["c"] * 15 + ["d"] * 5
    encoder = Encoder.fit(pa.table({"p": values}), ["p"], top_k=2)
    assert encoder.columns == ("p=a", "p=b", "p=(other)")
    feature = encoder.categorical[0]
    assert feature.frequencies == pytest.approx((0.5, 0.3, 0.2))
    encoded = encoder.transform(pa.table({"p": ["c", "d", "new", "a"]}))
    np.testing.assert_allclose(encoded[0], encoded[1])
    np.testing.assert_allclose(encoded[0], encoded[2])
    assert not np.allclose(encoded[0], encoded[3])


def test_a_categorical_block_has_total_reference_variance_one() -> None:
    rng = np.random.default_rng(0)
    values = rng.choice(["a", "b", "c", "d"], size=20_000, p=[0.7, 0.2, 0.05, 0.05])
    encoder = Encoder.fit(pa.table({"p": values}), ["p"])
    encoded = encoder.transform(pa.table({"p": values}))
    np.testing.assert_allclose(encoded.mean(axis=0), 0.0, atol=1e-12)
    assert encoded.var(axis=0).sum() == pytest.approx(1.0)


def test_nulls_in_a_string_column_are_a_category() -> None:
    reference = pa.table({"p": ["a", None, None, "b", None]})
    encoder = Encoder.fit(reference, ["p"])
    assert encoder.columns == ("p=(missing)", "p=a", "p=b", "p=(other)")
    codes = encoder.parts(pa.table({"p": [None, "b", "z"]})).codes[0]
    assert codes.tolist() == [0, 2, 3]


@pytest.mark.parametrize(
    "kind",
    [
        pa.large_string(),  # large offsets
        pa.dictionary(pa.int32(), pa.string()),  # as Parquet hands them over
    ],
)
def test_other_string_types_encode_like_plain_strings(kind: pa.DataType) -> None:
    values = ["a", "b", None, "c", "a"]
    plain = pa.table({"p": pa.array(values, pa.string())})
    other = pa.table({"p": pa.array(values, pa.string()).cast(kind)})
    encoder = Encoder.fit(plain, ["p"])
    np.testing.assert_array_equal(encoder.transform(other), encoder.transform(plain))
    assert Encoder.fit(other, ["p"]) == encoder


def test_booleans_integers_decimals_dates_and_times_are_numeric() -> None:
    table = pa.table(
        {
            "flag": [True, False, True, None],
            "count": pa.array([1, 2, 3, 4], pa.int16()),
            "price": pa.array([1, 2, 3, 5], pa.decimal128(5, 2)),
            "when": pa.array([0, 10, 20, 30], pa.timestamp("s")),
            "day": pa.array([0, 1, 2, None], pa.date32()),
            "clock": pa.array([0, 60, 120, 180], pa.time32("s")),
            "took": pa.array([1, 2, 3, 4], pa.duration("ms")),
        }
    )
    encoder = Encoder.fit(table, table.column_names)
    assert [f.name for f in encoder.numeric] == table.column_names
    encoded = encoder.transform(table)
    assert np.isfinite(encoded).all()
    np.testing.assert_allclose(encoded[:, 1], encoded[:, 6])  # count and took: 1, 2, 3, 4


def test_a_current_column_of_nulls_only_is_encoded_as_missing() -> None:
    reference = correlated(300, 0.9, seed=1)
    current = pa.table({"x1": [None] * 3, "x2": [0.0] * 3, "x3": [1.0] * 3, "plan": [None] * 3})
    encoder = Encoder.fit(reference, FEATURES, current=current)
    encoded = encoder.transform(current)
    assert "x1 (missing)" in encoder.columns
    assert np.isfinite(encoded).all()
    assert encoder.parts(current).codes[0].tolist() == [3, 3, 3]  # plan: other


def test_parts_and_the_dense_matrix_agree() -> None:
    table = correlated(500, 0.5, seed=3)
    encoder = Encoder.fit(table, FEATURES, top_k=2)
    parts = encoder.parts(table)
    dense = encoder.transform(table)
    assert dense.shape == (500, len(encoder.columns))
    np.testing.assert_array_equal(dense[:, : encoder.numeric_width], parts.numeric)
    one_hot = dense[:, encoder.numeric_width :]
    assert (one_hot.argmax(axis=1) == parts.codes[0]).all()


def test_the_encoder_round_trips_through_json() -> None:
    reference = correlated(300, 0.9, seed=1).append_column("gap", pa.array([None, 1.0] * 150))
    encoder = Encoder.fit(reference, [*FEATURES, "gap"])
    again = Encoder.from_dict(json.loads(json.dumps(encoder.to_dict())))
    assert again == encoder
    np.testing.assert_array_equal(again.transform(reference), encoder.transform(reference))


@pytest.mark.parametrize(
    ("table", "features", "message"),
    [
        # a feature the table does not have: the column and the table are named
        (
            pa.table({"a": [1.0]}),
            ["b"],
            r"feature 'b' is not a column of the reference table \(columns: a\)",
        ),
        # a type with no encoding
        (
            pa.table({"v": pa.array([[1.0]], pa.list_(pa.float64()))}),
            ["v"],
            "feature 'v' .* list<item: double>",
        ),
        # nothing to encode
        (pa.table({"a": [1.0]}), [], "features is empty"),
        # a reference column with no values at all
        (pa.table({"a": pa.array([None, None])}), ["a"], "feature 'a' has only missing values"),
    ],
)
def test_bad_features_are_input_errors(table: pa.Table, features: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        Encoder.fit(table, features)


def test_a_current_table_without_a_feature_is_named_as_such() -> None:
    encoder = Encoder.fit(pa.table({"a": [1.0, 2.0]}), ["a"])
    with pytest.raises(InputError, match="feature 'a' is not a column of the current table"):
        encoder.transform(pa.table({"b": [1.0]}))


@pytest.mark.parametrize("top_k", [0, 21])
def test_top_k_is_bounded(top_k: int) -> None:
    with pytest.raises(InputError, match=rf"top_k must be between 1 and 20 \(got {top_k}\)"):
        Encoder.fit(pa.table({"p": ["a"]}), ["p"], top_k=top_k)


def test_a_damaged_saved_encoder_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not a saved multivariate encoder"):
        Encoder.from_dict({"numeric": [{"name": "a"}], "categorical": []})


def test_samples_are_bounded_seeded_and_in_table_order() -> None:
    table = pa.table({"i": np.arange(10_000)})
    first = sample_rows(table, 500, seed=3).column("i").to_numpy()
    assert first.size == 500
    assert (np.diff(first) > 0).all()
    np.testing.assert_array_equal(first, sample_rows(table, 500, seed=3).column("i").to_numpy())
    assert not np.array_equal(first, sample_rows(table, 500, seed=4).column("i").to_numpy())
    assert sample_rows(table, None, seed=3) is table
    assert sample_rows(table, 20_000, seed=3) is table
