"""Root-cause results as JSON: plain builtins, NaN as null."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa

from watchkeeper.rootcause.describe import (
    drivers_to_dict,
    importances_to_dict,
    slices_to_dict,
)
from watchkeeper.rootcause.drivers import Driver, DriverSummary, FeatureDrift, rank_drivers
from watchkeeper.rootcause.importance import user_importances
from watchkeeper.rootcause.slices import rank_slices


def test_drivers_to_dict_is_json_ready() -> None:
    imp = user_importances({"a": 0.9, "b": 0.1})
    drifts = [FeatureDrift.distance("a", 0.3, 0.1), FeatureDrift.distance("b", math.nan, 0.1)]
    data = drivers_to_dict(rank_drivers(drifts, imp))
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data
    assert data["low_impact"] is False
    assert data["prediction_shift"] is None
    assert [d["feature"] for d in data["drivers"]] == ["a", "b"]
    assert data["drivers"][0] == {
        "feature": "a",
        "statistic": 0.3,
        "threshold": 0.1,
        "drifted": True,
        "importance": 0.9,
        "weighted_drift": 2.7,
        "explained_share": 1.0,
        "impact": "high",
    }
    assert data["drivers"][1]["statistic"] is None


def test_numpy_numbers_become_builtins() -> None:
    driver = Driver("a", np.float64(0.2), 0.1, True, np.float64(0.5), 1.0, np.float64(1.0), "high")
    data = drivers_to_dict(DriverSummary((driver,), False, 0.05, np.float64(np.inf)))
    assert type(data["drivers"][0]["statistic"]) is float
    assert data["prediction_shift"] is None
    json.dumps(data, allow_nan=False)


def test_slices_to_dict_is_json_ready() -> None:
    table = pa.table({"plan": ["a"] * 50 + ["b"] * 50})
    correct = np.concatenate([np.ones(50), np.zeros(50)])
    data = slices_to_dict(rank_slices(correct, table, higher_is_better=True))
    assert json.loads(json.dumps(data, allow_nan=False)) == {
        "slices": [
            {
                "column": "plan",
                "value": "b",
                "rows": 50,
                "share": 0.5,
                "metric": 0.0,
                "overall": 0.5,
                "impact": 0.25,
            }
        ]
    }
    assert slices_to_dict([]) == {"slices": []}


def test_importances_to_dict() -> None:
    data = importances_to_dict(user_importances({"a": 1.0, "b": 1.0}))
    assert data == {"source": "user", "values": {"a": 0.5, "b": 0.5}}
