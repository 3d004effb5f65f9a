"""Root-cause results as JSON-ready dicts, for alert evidence and the dashboard.

Plain builtins only; NaN and infinities become ``None``.

>>> from watchkeeper.rootcause.slices import Slice
>>> slices_to_dict([Slice("country", "fr", 50, 0.5, 0.0, 0.5, 0.25)])
{'slices': [{'column': 'country', 'value': 'fr', 'rows': 50, 'share': 0.5, 'metric': 0.0,
  'overall': 0.5, 'impact': 0.25}]}
>>> from watchkeeper.rootcause.importance import normalised
>>> importances_to_dict(normalised({"a": 1.0, "b": 3.0}, "user"))
{'source': 'user', 'values': {'a': 0.25, 'b': 0.75}}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from watchkeeper.rootcause.drivers import Driver, DriverSummary
from watchkeeper.rootcause.importance import Importances
from watchkeeper.rootcause.slices import Slice


def finite_or_none(value: float | None) -> float | None:
    """``value`` as a float, or None when it is missing, NaN or infinite.

    >>> finite_or_none(1), finite_or_none(float("nan")), finite_or_none(None)
    (1.0, None, None)
    """
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def driver_to_dict(driver: Driver) -> dict[str, Any]:
    """One driver as a dict."""
    return {
        "feature": driver.feature,
        "statistic": finite_or_none(driver.statistic),
        "threshold": finite_or_none(driver.threshold),
        "drifted": driver.drifted,
        "importance": finite_or_none(driver.importance),
        "weighted_drift": finite_or_none(driver.weighted_drift),
        "explained_share": finite_or_none(driver.explained_share),
        "impact": driver.impact,
    }


def drivers_to_dict(summary: DriverSummary) -> dict[str, Any]:
    """A driver summary: the dataset verdict, then every driver, largest weighted drift first.

    >>> from watchkeeper.rootcause.drivers import Driver, DriverSummary
    >>> d = Driver("age", float("nan"), 0.1, False, 0.01, 0.0, 0.0, "low")
    >>> drivers_to_dict(DriverSummary((d,), True, 0.05))["drivers"][0]["statistic"] is None
    True
    """
    return {
        "low_impact": summary.low_impact,
        "low_importance": finite_or_none(summary.low_importance),
        "prediction_shift": finite_or_none(summary.prediction_shift),
        "drivers": [driver_to_dict(d) for d in summary.drivers],
    }


def slice_to_dict(item: Slice) -> dict[str, Any]:
    """One slice as a dict."""
    return {
        "column": item.column,
        "value": item.value,
        "rows": item.rows,
        "share": finite_or_none(item.share),
        "metric": finite_or_none(item.metric),
        "overall": finite_or_none(item.overall),
        "impact": finite_or_none(item.impact),
    }


def slices_to_dict(slices: Sequence[Slice]) -> dict[str, Any]:
    """Ranked slices as a dict, worst first (the order given)."""
    return {"slices": [slice_to_dict(s) for s in slices]}


def importances_to_dict(importances: Importances) -> dict[str, Any]:
    """Importances and their source as a dict."""
    return {
        "source": importances.source,
        "values": {k: finite_or_none(v) for k, v in importances.values.items()},
    }
