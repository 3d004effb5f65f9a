"""Regression metrics on labelled predictions, each with a 95% normal-approximation interval.

MAE and MAPE are means of per-row terms. RMSE is the square root of the mean squared error
and its interval the square root of the MSE's. R² = 1 - SSE / SST gets the delta-method
interval from its influence function. MAPE leaves out rows whose label is 0 (the percentage
is undefined there; scikit-learn instead divides by machine epsilon) and says how many.

>>> y = np.array([3.0, -0.5, 2.0, 7.0])
>>> m = regression_metrics(y, np.array([2.5, 0.0, 2.0, 8.0]))
>>> [round(m[k].value, 4) for k in ("mae", "rmse", "mape", "r2")]
[0.5, 0.6124, 0.3274, 0.9486]
"""

from __future__ import annotations

import math

import numpy as np

from watchkeeper.monitors.intervals import Z95, Estimate, from_influence, mean_of, undefined

NAMES = ("mae", "rmse", "mape", "r2")


def regression_metrics(y: np.ndarray, predicted: np.ndarray) -> dict[str, Estimate]:
    """MAE, RMSE, MAPE and R² of finite labels ``y`` against finite ``predicted``."""
    n = int(y.size)
    if n == 0:
        return {name: undefined(0, "no labelled predictions") for name in NAMES}
    error = predicted - y
    return {
        "mae": mean_of(np.abs(error)),
        "rmse": _rmse(error),
        "mape": _mape(y, error),
        "r2": _r2(y, error),
    }


def _rmse(error: np.ndarray) -> Estimate:
    squared = error * error
    mse = float(squared.mean())
    n = squared.size
    half = Z95 * float(squared.std(ddof=1)) / math.sqrt(n) if n > 1 else float("nan")
    low = math.sqrt(max(mse - half, 0.0)) if math.isfinite(half) else float("nan")
    high = math.sqrt(mse + half) if math.isfinite(half) else float("nan")
    return Estimate(math.sqrt(mse), n, low, high, "normal (on the mean squared error)")


def _mape(y: np.ndarray, error: np.ndarray) -> Estimate:
    nonzero = y != 0
    zeros = int(y.size - np.count_nonzero(nonzero))
    note = f"{zeros} rows with label 0 left out" if zeros else ""
    if zeros == y.size:
        return undefined(int(y.size), "every label is 0")
    return mean_of(np.abs(error[nonzero]) / np.abs(y[nonzero]), note)


def _r2(y: np.ndarray, error: np.ndarray) -> Estimate:
    centered = y - y.mean()
    spread = centered * centered
    sst = float(spread.mean())
    if sst == 0:
        return undefined(int(y.size), "labels are constant: R² is undefined")
    squared = error * error
    mse = float(squared.mean())
    value = 1.0 - mse / sst
    influence = -(squared - mse) / sst + mse / (sst * sst) * (spread - sst)
    return from_influence(value, influence, "delta")
