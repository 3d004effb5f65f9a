"""Direct loss estimation (DLE) of a regression model, without labels.

Two gradient-boosted trees (scikit-learn's ``HistGradientBoostingRegressor``) learn, on the
labelled reference, each row's absolute error ``|y - ŷ|`` and squared error ``(y - ŷ)²`` from
the model's inputs and its prediction ``ŷ``. Both fit the conditional mean (squared-error
loss), so on a chunk the estimated MAE is the mean predicted absolute error and the estimated
RMSE the square root of the mean predicted squared error (predictions clipped at 0).

The input matrix holds numbers (NaN missing) and category codes, flagged in ``categorical``
(:mod:`watchkeeper.performance.inputs` encodes a table's columns so); the trees split on the
codes as categories. Each fit stops early on a seeded tenth of the rows it is given.

>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(4000, 1))
>>> error = rng.normal(size=4000) * np.where(x[:, 0] > 0, 2.0, 0.5)  # noise depends on x
>>> model = fit_loss_model(x, error, seed=0)
>>> rows = LossRows(*model.predict(np.array([[-1.0], [1.0]])), None)
>>> [round(v, 1) for v in rows.take(slice(0, 1)).estimated().values()]  # |N(0, 0.5²)|: 0.4
[0.4, 0.5]
>>> [round(v, 1) for v in rows.take(slice(1, 2)).estimated().values()]  # |N(0, 2²)|: 1.6, RMSE 2
[1.6, 2.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from watchkeeper.performance.inputs import Encoding, fit_encoding, numbers, require

METRICS = ("mae", "rmse")


@dataclass(frozen=True, eq=False)
class LossModel:
    """The fitted absolute- and squared-error models over the input matrix's columns, of
    which those flagged in ``categorical`` hold category codes."""

    absolute: Any
    squared: Any
    categorical: np.ndarray

    def predict(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(expected |error|, expected error²) per row, both at least 0."""
        absolute = np.clip(self.absolute.predict(inputs), 0.0, None)
        squared = np.clip(self.squared.predict(inputs), 0.0, None)
        return absolute, squared


@dataclass(frozen=True, eq=False)
class LossRows:
    """Per-row inputs of DLE: the predicted absolute and squared errors, and the realized
    error ``y - ŷ`` (NaN where the row has no label; None without labels)."""

    absolute: np.ndarray
    squared: np.ndarray
    error: np.ndarray | None

    @property
    def size(self) -> int:
        return int(self.absolute.size)

    @property
    def metrics(self) -> tuple[str, ...]:
        return METRICS

    def take(self, index: np.ndarray | slice) -> LossRows:
        error = None if self.error is None else self.error[index]
        return LossRows(self.absolute[index], self.squared[index], error)

    def estimated(self) -> dict[str, float]:
        if self.absolute.size == 0:
            return dict.fromkeys(METRICS, float("nan"))
        return {
            "mae": float(self.absolute.mean()),
            "rmse": math.sqrt(float(self.squared.mean())),
        }

    def realized(self) -> dict[str, float] | None:
        if self.error is None:
            return None
        return regression_metrics(self.error[~np.isnan(self.error)])


@dataclass(frozen=True, eq=False)
class Dle:
    """DLE fitted on a reference: reads a table's inputs, predictions and labels."""

    prediction: str
    label: str
    encoding: Encoding  # the features, then the prediction
    model: LossModel

    @property
    def metrics(self) -> tuple[str, ...]:
        return METRICS

    def rows(self, table: pa.Table, role: str) -> LossRows:
        require(table, [self.prediction], role)
        predicted = numbers(table.column(self.prediction), role, self.prediction)
        absolute, squared = self.model.predict(self.encoding.encode(table, role))
        error = None
        if self.label in table.column_names:
            error = numbers(table.column(self.label), role, self.label, nulls=True) - predicted
        return LossRows(absolute, squared, error)


def fit_dle(
    table: pa.Table, prediction: str, label: str, features: Sequence[str], seed: int
) -> Dle:
    """Fit the error models on a reference ``table`` whose labels are all present."""
    require(table, [prediction, label], "reference")
    inputs = [f for f in features if f != prediction] + [prediction]
    encoding = fit_encoding(table, inputs, "reference")
    predicted = numbers(table.column(prediction), "reference", prediction)
    error = numbers(table.column(label), "reference", label) - predicted
    model = fit_loss_model(encoding.encode(table, "reference"), error, seed, encoding.categorical)
    return Dle(prediction, label, encoding, model)


def regression_metrics(error: np.ndarray) -> dict[str, float]:
    """MAE and RMSE of the errors ``y - ŷ``; NaN without rows.

    >>> regression_metrics(np.array([1.0, -1.0, 3.0, -3.0]))
    {'mae': 2.0, 'rmse': 2.23606797749979}
    """
    if error.size == 0:
        return dict.fromkeys(METRICS, float("nan"))
    return {
        "mae": float(np.abs(error).mean()),
        "rmse": math.sqrt(float((error * error).mean())),
    }


def fit_loss_model(
    inputs: np.ndarray, error: np.ndarray, seed: int, categorical: np.ndarray | None = None
) -> LossModel:
    """Fit the two error models on the input matrix and the errors ``y - ŷ`` of its rows."""
    from threadpoolctl import threadpool_limits

    flags = np.zeros(inputs.shape[1], dtype=bool) if categorical is None else categorical
    # One OpenMP thread: a fit runs hundreds of short parallel loops (a histogram per node),
    # whose thread barriers cost more than they save when another process holds a core (4x
    # slower measured on 2 busy cores). Predicting, one long loop over rows, uses them all.
    with threadpool_limits(limits=1, user_api="openmp"):
        absolute = _trees(flags, seed).fit(inputs, np.abs(error))
        squared = _trees(flags, seed).fit(inputs, error * error)
    return LossModel(absolute, squared, flags)


def _trees(categorical: np.ndarray, seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        # small trees, fast learning: predicting costs per tree and row (about 50 ms per tree
        # for 1M rows), and the errors' noise leaves little for more trees to learn
        max_iter=100,
        learning_rate=0.2,
        max_leaf_nodes=15,
        categorical_features=categorical if categorical.any() else None,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        random_state=seed,
    )
