"""The surrogate: bounded seeded sample, categorical encoding, permutation importance."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from rootcause_helpers import FEATURES, world

from watchkeeper.errors import InputError
from watchkeeper.rootcause.surrogate import MAX_CATEGORIES, fit_surrogate


@pytest.fixture(scope="module")
def fitted():
    w = world(rows=3000)
    return w, fit_surrogate(w.reference, FEATURES, "score", seed=0)


def test_surrogate_importances_follow_the_model(fitted) -> None:
    _, fit = fitted
    imp = fit.importances
    assert imp.source == "surrogate"
    assert sum(imp.values.values()) == pytest.approx(1.0)
    assert imp.of("a") > 0.9
    assert imp.of("b") < 0.01
    assert imp.of("colour") > imp.of("b")
    assert fit.fidelity > 0.95


def test_surrogate_predicts_tables_with_unseen_categories(fitted) -> None:
    w, fit = fitted
    predicted = fit.surrogate.predict(w.current)
    assert predicted.shape == (w.current.num_rows,)
    assert np.corrcoef(predicted, w.current.column("score").to_numpy())[0, 1] > 0.95
    # a category the reference never had, a null, and plain strings instead of a dictionary
    odd = w.current.slice(0, 3).set_column(
        2, "colour", pa.array(["purple", None, "red"], pa.string())
    )
    assert np.isfinite(fit.surrogate.predict(odd)).all()


def test_sample_is_bounded_and_seeded() -> None:
    w = world(rows=2000)
    first = fit_surrogate(w.reference, FEATURES, "score", max_rows=400, max_iter=20, seed=3)
    again = fit_surrogate(w.reference, FEATURES, "score", max_rows=400, max_iter=20, seed=3)
    assert first.train_rows + first.holdout_rows == 400
    assert first.holdout_rows == 80  # 20% of the sample
    assert dict(first.importances.values) == dict(again.importances.values)
    assert first.fidelity == again.fidelity


def test_rows_without_a_target_are_left_out() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    target = pa.array([None if i % 4 == 0 else float(2 * v) for i, v in enumerate(x)])
    fit = fit_surrogate(pa.table({"x": x, "y": target}), ["x"], "y", max_iter=20)
    assert fit.train_rows + fit.holdout_rows == 150
    assert fit.importances.of("x") == 1.0


def test_numeric_column_named_categorical_is_coded_by_value() -> None:
    rng = np.random.default_rng(2)
    store = rng.integers(0, 5, 1000)
    effect = np.array([0.0, 5.0, -3.0, 1.0, 2.0])
    table = pa.table({"store": store, "x": rng.normal(size=1000), "y": effect[store]})
    fit = fit_surrogate(table, ["store", "x"], "y", categorical=["store"], max_iter=30)
    assert fit.surrogate.categories["store"] and set(fit.surrogate.categories["store"]) == {
        "0",
        "1",
        "2",
        "3",
        "4",
    }
    assert fit.importances.of("store") > 0.95


def test_high_cardinality_keeps_the_most_frequent_categories() -> None:
    rng = np.random.default_rng(3)
    ids = np.concatenate([np.zeros(500, dtype=int), rng.integers(1, 2000, 1500)])
    table = pa.table({"id": pa.array([f"u{i}" for i in ids]), "y": rng.normal(size=2000)})
    kept = fit_surrogate(table, ["id"], "y", max_iter=5).surrogate.categories["id"]
    assert len(kept) == MAX_CATEGORIES
    assert kept[0] == "u0"


def test_constant_target_gives_equal_importances_and_unknown_fidelity() -> None:
    table = pa.table({"x": np.arange(100.0), "z": np.ones(100), "y": np.full(100, 0.5)})
    fit = fit_surrogate(table, ["x", "z"], "y", max_iter=5)
    assert dict(fit.importances.values) == {"x": 0.5, "z": 0.5}
    assert np.isnan(fit.fidelity)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        # a feature the table does not have
        ({"features": ["a", "missing_feature"]}, "missing_feature"),
        # the target as a feature too
        ({"features": ["a", "score"]}, "'score'"),
        # a text target (class labels): the score column is needed
        ({"target": "label"}, "'label'"),
        # a categorical name that is not a feature
        ({"categorical": ["colourr"]}, "colourr"),
        # a list column cannot be a feature
        ({"features": ["a", "vector"]}, "'vector'"),
        # nonsense sizes
        ({"holdout": 1.5}, "holdout"),
        ({"max_rows": 10}, "max_rows"),
        ({"n_repeats": 0}, "n_repeats"),
        ({"threads": 0}, "threads"),
        ({"max_iter": 0}, "max_iter"),
        ({"max_holdout": 0}, "max_holdout"),
    ],
)
def test_bad_arguments_name_the_item(change: dict[str, object], named: str) -> None:
    w = world(rows=100)
    reference = w.reference.append_column("label", pa.array(["yes", "no"] * 50)).append_column(
        "vector", pa.array([[1.0, 2.0]] * 100)
    )
    arguments: dict[str, object] = {"features": ["a", "b"], "target": "score"} | change
    with pytest.raises(InputError) as err:
        fit_surrogate(reference, **arguments)
    assert named in str(err.value)


def test_too_few_rows_with_a_target() -> None:
    table = pa.table({"x": np.arange(30.0), "y": [None] * 25 + [1.0] * 5})
    with pytest.raises(InputError, match="5 reference rows"):
        fit_surrogate(table, ["x"], "y")
