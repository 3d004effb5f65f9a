"""The demo's model: a logistic regression trained on generated credit applications.

Plain numpy (Newton's method on the log-likelihood with a small ridge term), because the demo
must run on a bare install: numeric features are standardised, categorical ones one-hot
encoded against the training data's categories.

>>> from watchkeeper.simulate import CreditSimulation
>>> model, validation = train(CreditSimulation(seed=1), rows=4000, seed=1)
>>> 0.6 < validation["auc"] < 0.8, sorted(model.categories)
(True, ['employment', 'region'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from watchkeeper.monitors.classification import roc_auc
from watchkeeper.simulate import CreditSimulation

NUMERIC = ("age", "income", "utilisation")
CATEGORICAL = ("employment", "region")


@dataclass(frozen=True)
class LogisticModel:
    means: dict[str, float]
    scales: dict[str, float]
    categories: dict[str, tuple[str, ...]]
    weights: np.ndarray  # intercept first

    def design(self, columns: dict[str, np.ndarray]) -> np.ndarray:
        n = len(next(iter(columns.values())))
        parts = [np.ones((n, 1))]
        for name in NUMERIC:
            values = np.asarray(columns[name], dtype=np.float64)
            filled = np.where(np.isfinite(values), values, self.means[name])
            parts.append(((filled - self.means[name]) / self.scales[name])[:, None])
        for name in CATEGORICAL:
            values = np.asarray(columns[name]).astype(str)
            parts.append(np.stack([values == c for c in self.categories[name][1:]], 1))
        return np.hstack(parts).astype(np.float64)

    def __call__(self, columns: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(1.0 / (1.0 + np.exp(-self.design(columns) @ self.weights)))


def fit(columns: dict[str, np.ndarray], y: np.ndarray, ridge: float = 1e-3) -> LogisticModel:
    means = {n: float(np.mean(columns[n])) for n in NUMERIC}
    scales = {n: float(np.std(columns[n])) or 1.0 for n in NUMERIC}
    categories = {n: tuple(sorted(set(np.asarray(columns[n]).astype(str)))) for n in CATEGORICAL}
    model = LogisticModel(means, scales, categories, np.zeros(0))
    x = model.design(columns)
    w = np.zeros(x.shape[1])
    for _ in range(25):  # Newton steps; converges in well under 25 on this data
        p = 1.0 / (1.0 + np.exp(-x @ w))
        gradient = x.T @ (p - y) + ridge * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + ridge * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return LogisticModel(means, scales, categories, w)


def train(sim: CreditSimulation, rows: int, seed: int) -> tuple[LogisticModel, dict[str, Any]]:
    """Fit on generated applications and score a held-out validation set of the same size:
    returns the model and the validation columns (features, ``score``, ``label``, ``auc``)."""
    rng = np.random.default_rng(seed)
    train_x = sim.features(rng, rows, drifted=False)
    train_y = (rng.random(rows) < sim.score(train_x)).astype(np.float64)
    model = fit(train_x, train_y)
    valid_x = sim.features(rng, rows, drifted=False)
    valid_y = (rng.random(rows) < sim.score(valid_x)).astype(int)
    score = model(valid_x)
    auc = roc_auc(valid_y == 1, score).value
    validation: dict[str, Any] = {
        **{k: v.tolist() for k, v in valid_x.items()},
        "score": score.round(5).tolist(),
        "label": valid_y.tolist(),
    }
    return model, {"columns": validation, "auc": float(auc)}
