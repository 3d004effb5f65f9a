"""Feature importances, normalised to sum 1, from what the user knows or the model logged.

Three sources give an :class:`Importances`:

- ``"user"``: a mapping the user supplies (:func:`user_importances`), e.g. from the model
  card; features it leaves out count as 0;
- ``"attributions"``: per-prediction attributions logged with the predictions, such as SHAP
  values (:func:`attribution_importances`): the mean absolute attribution per feature;
- ``"surrogate"``: permutation importance of a model fitted on the reference to mimic the
  monitored model's output (:func:`watchkeeper.rootcause.surrogate.fit_surrogate`).

Raw values are divided by their sum, so they read as shares of the total. When every raw value
is zero (a constant model, all-zero attributions) no feature can be told apart and each gets an
equal share.

>>> imp = user_importances({"age": 3.0, "income": 1.0}, features=["age", "income", "zip"])
>>> dict(imp.values), imp.source
({'age': 0.75, 'income': 0.25, 'zip': 0.0}, 'user')
>>> user_importances({"agee": 1.0}, features=["age"])
Traceback (most recent call last):
...
watchkeeper.errors.InputError: importances: unknown features: agee (known: age)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
import pyarrow as pa

from watchkeeper.errors import InputError
from watchkeeper.rootcause._columns import as_floats, require_columns

Source = Literal["user", "attributions", "surrogate"]


@dataclass(frozen=True)
class Importances:
    """Importance per feature (non-negative, summing to 1) and where it came from."""

    values: Mapping[str, float]
    source: Source

    def of(self, feature: str) -> float:
        """The importance of ``feature`` (0.0 for a feature not listed)."""
        return float(self.values.get(feature, 0.0))


def normalised(raw: Mapping[str, float], source: Source) -> Importances:
    """``raw`` divided by its sum (equal shares when it sums to 0), in the given order.

    >>> dict(normalised({"a": 2.0, "b": 6.0}, "user").values)
    {'a': 0.25, 'b': 0.75}
    >>> dict(normalised({"a": 0.0, "b": 0.0}, "surrogate").values)
    {'a': 0.5, 'b': 0.5}
    """
    for name, value in raw.items():
        if not math.isfinite(value) or value < 0:
            raise InputError(f"importances: {name!r} must be a finite number >= 0 (got {value!r})")
    total = math.fsum(raw.values())
    n = len(raw)
    shares = {k: (v / total if total > 0 else 1.0 / n) for k, v in raw.items()}
    return Importances(MappingProxyType(shares), source)


def user_importances(
    values: Mapping[str, float], features: Sequence[str] | None = None
) -> Importances:
    """Importances the user supplies; ``features`` (when given) are the model's features.

    Names ``features`` does not list are rejected, features ``values`` leaves out get 0, and
    negative or non-finite values are rejected.
    """
    if not values:
        raise InputError("importances: no feature importances given")
    raw = {str(k): _number(k, v) for k, v in values.items()}
    if features is None:
        return normalised(raw, "user")
    known = list(dict.fromkeys(features))
    unknown = [k for k in raw if k not in set(known)]
    if unknown:
        raise InputError(
            f"importances: unknown features: {', '.join(unknown)} (known: {', '.join(known)})"
        )
    return normalised({f: raw.get(f, 0.0) for f in known}, "user")


def _number(name: object, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(f"importances: {name!r} must be a number (got {value!r})")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise InputError(f"importances: {name!r} must be a finite number >= 0 (got {value!r})")
    return number


def attribution_importances(table: pa.Table, columns: Mapping[str, str]) -> Importances:
    """Mean absolute attribution per feature; ``columns`` maps each feature to its column.

    Nulls and non-finite attributions are left out of the mean.

    >>> shap = pa.table({"shap_a": [0.5, -1.5], "shap_b": [0.25, -0.25]})
    >>> dict(attribution_importances(shap, {"a": "shap_a", "b": "shap_b"}).values)
    {'a': 0.8, 'b': 0.2}
    """
    if not columns:
        raise InputError("attributions: no feature -> column mapping given")
    require_columns(table, list(columns.values()), "attributions")
    raw: dict[str, float] = {}
    for feature, name in columns.items():
        values = np.abs(as_floats(table.column(name), f"attributions.{name}"))
        finite = values[np.isfinite(values)]
        raw[feature] = float(finite.mean()) if finite.size else 0.0
    return normalised(raw, "attributions")
