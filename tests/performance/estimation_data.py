"""Generated model data for the estimation tests: known covariate shift, no concept drift.

Every generator draws labels from a fixed P(y | x) and scores rows with a model of that same
relation, so only the inputs' distribution changes between reference and current data.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from watchkeeper.performance.estimate import Estimator, fit_estimator

WEIGHTS = np.array([2.0, -1.0, 0.5])  # the binary model's logit = WEIGHTS · x
CLASS_WEIGHTS = np.array([[1.5, 0.0], [-1.0, 1.3], [-0.5, -1.3]])  # multiclass logits = x @ W.T
CLASSES = ("bird", "cat", "dog")
SCORES = [f"score_{c}" for c in CLASSES]


def binary(rng: np.random.Generator, rows: int, mean: tuple[float, float, float]) -> pa.Table:
    """x ~ N(mean, I); y ~ Bernoulli(sigmoid(w·x)). The score is the true probability seen
    through a monotone distortion (sigmoid of half the logit: under-confident), so it must be
    calibrated; the prediction is score >= 0.5, i.e. the true decision."""
    x = rng.normal(mean, 1.0, size=(rows, 3))
    logit = x @ WEIGHTS
    y = rng.random(rows) < 1 / (1 + np.exp(-logit))
    score = 1 / (1 + np.exp(-logit / 2))
    return pa.table(
        {
            "x1": x[:, 0],
            "x2": x[:, 1],
            "x3": x[:, 2],
            "score": score,
            "prediction": (score >= 0.5).astype(np.int64),
            "label": y.astype(np.int64),
        }
    )


def multiclass(rng: np.random.Generator, rows: int, mean: tuple[float, float]) -> pa.Table:
    """x ~ N(mean, I); y ~ softmax(x @ W.T) over CLASSES; scores the true probabilities."""
    x = rng.normal(mean, 1.0, size=(rows, 2))
    logits = x @ CLASS_WEIGHTS.T
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = (rng.random((rows, 1)) > p.cumsum(axis=1)).sum(axis=1).clip(0, 2)
    names = np.array(CLASSES)
    return pa.table(
        {
            "x1": x[:, 0],
            "x2": x[:, 1],
            **{f"score_{c}": p[:, k] for k, c in enumerate(CLASSES)},
            "prediction": names[p.argmax(axis=1)],
            "label": names[y],
        }
    )


def regression(rng: np.random.Generator, rows: int, x3_mean: float, b_share: float) -> pa.Table:
    """y = 2·x1 - x2 + noise whose sd grows with x3 (exp(x3 / 2)) and with the segment ("b"
    noisier than "a"); the prediction is the true mean 2·x1 - x2."""
    x = rng.normal(0.0, 1.0, size=(rows, 3))
    x[:, 2] += x3_mean
    segment = np.where(rng.random(rows) < b_share, "b", "a")
    sd = np.exp(x[:, 2] / 2) * np.where(segment == "b", 1.5, 1.0)
    mean = 2 * x[:, 0] - x[:, 1]
    return pa.table(
        {
            "x1": x[:, 0],
            "x2": x[:, 1],
            "x3": x[:, 2],
            "segment": segment,
            "prediction": mean,
            "label": mean + rng.normal(0.0, 1.0, rows) * sd,
        }
    )


def fit_binary(reference: pa.Table, seed: int = 0) -> Estimator:
    return fit_estimator(
        reference, "binary_classification", "prediction", ["score"], "label", seed=seed
    )


def fit_regression(reference: pa.Table, seed: int = 0) -> Estimator:
    return fit_estimator(reference, "regression", "prediction", [], "label", seed=seed)
