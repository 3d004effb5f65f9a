"""Turn a table's feature columns into one numeric matrix, the same way for every table.

An :class:`Encoder` is fitted on the reference and then applied to the reference and to any
current table, so both land in the same columns with the same scaling:

* a numeric (integer, float, decimal, boolean, date / time) column is standardised with the
  reference mean and standard deviation; a missing or non-finite value becomes the reference
  median, and a 0/1 missing-indicator column (centred on the reference missing rate) is added
  when the reference, or the current table given to :meth:`Encoder.fit`, has missing values;
* a string or dictionary column is one-hot encoded over the reference's ``top_k`` most
  frequent values (a missing value counts as a value) plus one "other" column for the rest,
  centred on the reference frequencies and divided by ``sqrt(1 - Σ p²)`` so that the block's
  total reference variance is 1: every feature weighs about as much as one standardised
  numeric column, whatever its number of categories.

The encoder is small and serialisable (:meth:`Encoder.to_dict`, :meth:`Encoder.from_dict`).

>>> import pyarrow as pa
>>> ref = pa.table({"age": [20.0, 30.0, None, 50.0], "plan": ["a", "a", "b", "c"]})
>>> enc = Encoder.fit(ref, ["age", "plan"], top_k=2)
>>> enc.columns
('age', 'age (missing)', 'plan=a', 'plan=b', 'plan=(other)')
>>> enc.transform(pa.table({"age": [35.0], "plan": ["z"]})).round(2).tolist()
[[0.13, -0.25, -0.63, -0.32, 0.95]]
>>> Encoder.from_dict(enc.to_dict()) == enc
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import InputError

TOP_K = 20  # most categories one-hot encoded per string column; the rest share "other"
MAX_TOP_K = 20


@dataclass(frozen=True)
class NumericFeature:
    """How one numeric column is encoded: ``(value - mean) / scale``, missing -> median."""

    name: str
    mean: float
    scale: float
    median: float
    indicator: bool  # a missing-indicator column follows the values
    missing_rate: float  # reference share of missing values (the indicator's centre)


@dataclass(frozen=True)
class CategoricalFeature:
    """How one string column is encoded: one-hot over ``categories`` plus "other"."""

    name: str
    categories: tuple[str | None, ...]  # the reference's most frequent values (None = missing)
    frequencies: tuple[float, ...]  # reference share of each category, then of "other"
    scale: float  # sqrt(1 - Σ p²): the block's total reference variance becomes 1

    @property
    def width(self) -> int:
        return len(self.categories) + 1

    def centred_rows(self) -> np.ndarray:
        """Encoded row of each code (category index, ``len(categories)`` = other)."""
        eye = np.eye(self.width)
        rows: np.ndarray = (eye - np.asarray(self.frequencies)) / self.scale
        return rows


@dataclass(frozen=True)
class EncodedParts:
    """A table encoded without materialising one-hot columns: the numeric block (standardised
    values, then centred indicators) and, per string feature, each row's category code."""

    numeric: np.ndarray  # (rows, numeric width)
    codes: tuple[np.ndarray, ...]  # one int array per categorical feature

    @property
    def rows(self) -> int:
        return int(self.numeric.shape[0])


@dataclass(frozen=True)
class Encoder:
    """Feature columns -> numeric matrix, fitted on a reference (see the module docstring)."""

    numeric: tuple[NumericFeature, ...]
    categorical: tuple[CategoricalFeature, ...]

    @classmethod
    def fit(
        cls,
        reference: pa.Table,
        features: Sequence[str],
        *,
        current: pa.Table | None = None,
        top_k: int = TOP_K,
    ) -> Encoder:
        """Fit on ``reference``; ``current``, when given, only decides missing indicators."""
        if not 1 <= top_k <= MAX_TOP_K:
            raise InputError(f"top_k must be between 1 and {MAX_TOP_K} (got {top_k!r})")
        check_features(reference, current, features)
        numeric: list[NumericFeature] = []
        categorical: list[CategoricalFeature] = []
        for name in features:
            column = reference.column(name)
            if is_numeric(column.type):
                current_missing = current is not None and _missing(current.column(name)) > 0
                numeric.append(_fit_numeric(name, column, current_missing))
            else:
                categorical.append(_fit_categorical(name, column, top_k))
        return cls(tuple(numeric), tuple(categorical))

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.numeric) + tuple(f.name for f in self.categorical)

    @property
    def numeric_width(self) -> int:
        return len(self.numeric) + sum(f.indicator for f in self.numeric)

    @property
    def columns(self) -> tuple[str, ...]:
        """Names of the encoded columns, in matrix order."""
        names = [f.name for f in self.numeric]
        names += [f"{f.name} (missing)" for f in self.numeric if f.indicator]
        for c in self.categorical:
            names += [f"{c.name}={'(missing)' if v is None else v}" for v in c.categories]
            names.append(f"{c.name}=(other)")
        return tuple(names)

    def parts(self, table: pa.Table, role: str = "current") -> EncodedParts:
        """Encode ``table`` as a numeric block plus category codes (cheap for many rows)."""
        check_features(table, None, self.features, role)
        n = table.num_rows
        block = np.empty((n, self.numeric_width), order="F")
        slot = len(self.numeric)
        for i, feature in enumerate(self.numeric):
            values = numeric_values(table.column(feature.name), feature.name, role)
            missing = ~np.isfinite(values)
            np.subtract(values, feature.mean, out=block[:, i])
            block[:, i] /= feature.scale
            block[missing, i] = (feature.median - feature.mean) / feature.scale
            if feature.indicator:
                block[:, slot] = missing
                block[:, slot] -= feature.missing_rate
                slot += 1
        codes = tuple(
            category_codes(table.column(c.name), c.categories, c.name, role)
            for c in self.categorical
        )
        return EncodedParts(block, codes)

    def transform(self, table: pa.Table, role: str = "current") -> np.ndarray:
        """Encode ``table`` as one dense ``(rows, len(columns))`` float matrix."""
        return self.densify(self.parts(table, role))

    def densify(self, parts: EncodedParts) -> np.ndarray:
        blocks = [parts.numeric]
        for feature, codes in zip(self.categorical, parts.codes, strict=True):
            blocks.append(feature.centred_rows()[codes])
        return np.hstack(blocks) if len(blocks) > 1 else parts.numeric

    def to_dict(self) -> dict[str, Any]:
        return {
            "numeric": [
                {
                    "name": f.name,
                    "mean": f.mean,
                    "scale": f.scale,
                    "median": f.median,
                    "indicator": f.indicator,
                    "missing_rate": f.missing_rate,
                }
                for f in self.numeric
            ],
            "categorical": [
                {
                    "name": c.name,
                    "categories": list(c.categories),
                    "frequencies": list(c.frequencies),
                    "scale": c.scale,
                }
                for c in self.categorical
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Encoder:
        try:
            numeric = tuple(
                NumericFeature(
                    str(f["name"]),
                    float(f["mean"]),
                    float(f["scale"]),
                    float(f["median"]),
                    bool(f["indicator"]),
                    float(f["missing_rate"]),
                )
                for f in data["numeric"]
            )
            categorical = tuple(
                CategoricalFeature(
                    str(c["name"]),
                    tuple(None if v is None else str(v) for v in c["categories"]),
                    tuple(float(p) for p in c["frequencies"]),
                    float(c["scale"]),
                )
                for c in data["categorical"]
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"not a saved multivariate encoder: {exc!r}") from None
        return cls(numeric, categorical)


def is_numeric(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_boolean(kind)
        or (pa.types.is_temporal(kind) and not pa.types.is_interval(kind))
    )


def is_categorical(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_string_view(kind)
        or (pa.types.is_dictionary(kind) and is_categorical(kind.value_type))
    )


def check_features(
    table: pa.Table,
    other: pa.Table | None,
    features: Sequence[str],
    role: str = "reference",
) -> None:
    """InputError unless every feature is an encodable column of ``table`` (and ``other``,
    the current table, with the same kind: numeric or string)."""
    if not features:
        raise InputError("features is empty: name at least one column")
    if isinstance(features, str):
        raise InputError(f"features must be a list of column names (got the string {features!r})")
    seen: set[str] = set()
    for name in features:
        if name in seen:
            raise InputError(f"feature {name!r} is listed twice")
        seen.add(name)
        kind = _kind(table, name, role)
        if kind == "null" and role == "reference":
            raise InputError(f"feature {name!r} has only missing values in the reference table")
        if other is None:
            continue
        other_kind = _kind(other, name, "current")
        if "null" not in (kind, other_kind) and kind != other_kind:
            raise InputError(
                f"feature {name!r} is {table.schema.field(name).type} in the {role} table "
                f"but {other.schema.field(name).type} in the current table"
            )


def _kind(table: pa.Table, name: str, role: str) -> str:
    """``numeric``, ``categorical`` or ``null`` (a column of missing values only)."""
    if name not in table.column_names:
        shown = ", ".join(table.column_names[:8]) or "none"
        raise InputError(f"feature {name!r} is not a column of the {role} table (columns: {shown})")
    kind = table.schema.field(name).type
    if pa.types.is_null(kind):
        return "null"
    if is_numeric(kind):
        return "numeric"
    if is_categorical(kind):
        return "categorical"
    raise InputError(
        f"feature {name!r} of the {role} table has type {kind}, which multivariate drift "
        "cannot encode (numeric, boolean, date/time or string columns only)"
    )


def numeric_values(column: pa.ChunkedArray, name: str, role: str) -> np.ndarray:
    """A numeric column as a float64 array (possibly read-only); missing values are NaN."""
    if not (is_numeric(column.type) or pa.types.is_null(column.type)):
        raise InputError(f"feature {name!r} of the {role} table is {column.type}, not numeric")
    if pa.types.is_temporal(column.type):  # dates and times as their integer storage
        column = column.cast(pa.int32() if column.type.bit_width == 32 else pa.int64())
    values: np.ndarray = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    return values


def category_codes(
    column: pa.ChunkedArray, categories: tuple[str | None, ...], name: str, role: str
) -> np.ndarray:
    """Index of each value in ``categories``; values not among them get ``len(categories)``."""
    if pa.types.is_null(column.type):
        column = pc.cast(column, pa.string())
    if not is_categorical(column.type):
        raise InputError(f"feature {name!r} of the {role} table is {column.type}, not a string")
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    found = pc.index_in(column, value_set=pa.array(categories, column.type), skip_nulls=False)
    codes: np.ndarray = (
        pc.fill_null(found, len(categories)).to_numpy(zero_copy_only=False).astype(np.intp)
    )
    return codes


def _missing(column: pa.ChunkedArray) -> int:
    if pa.types.is_floating(column.type):
        return int(column.length()) - int(pc.sum(pc.is_finite(column)).as_py() or 0)
    return int(column.null_count)


def _fit_numeric(name: str, column: pa.ChunkedArray, current_missing: bool) -> NumericFeature:
    values = numeric_values(column, name, "reference")
    finite = values[np.isfinite(values)]
    missing = values.size - finite.size
    mean = float(finite.mean()) if finite.size else 0.0
    std = float(finite.std()) if finite.size else 0.0
    median = float(np.median(finite)) if finite.size else 0.0
    scale = std if std > 0 and math.isfinite(std) else 1.0
    rate = missing / values.size if values.size else 0.0
    return NumericFeature(name, mean, scale, median, missing > 0 or current_missing, rate)


def _fit_categorical(name: str, column: pa.ChunkedArray, top_k: int) -> CategoricalFeature:
    counts = pc.value_counts(column)
    values = counts.field("values").to_pylist()
    numbers = counts.field("counts").to_pylist()
    ranked = sorted(zip(values, numbers, strict=True), key=lambda vc: (-vc[1], str(vc[0])))
    kept = ranked[:top_k]
    total = max(column.length(), 1)
    shares = [count / total for _, count in kept]
    shares.append(max(0.0, 1.0 - sum(shares)))
    spread = 1.0 - sum(p * p for p in shares)
    scale = math.sqrt(spread) if spread > 1e-12 else 1.0
    categories = tuple(None if v is None else str(v) for v, _ in kept)
    return CategoricalFeature(name, categories, tuple(shares), scale)


def sample_rows(
    table: pa.Table, max_rows: int | None, seed: int | np.random.SeedSequence
) -> pa.Table:
    """At most ``max_rows`` rows of ``table`` drawn without replacement (seeded), in table
    order; the whole table when it is small enough or ``max_rows`` is None.

    >>> sample_rows(pa.table({"x": list(range(10))}), 3, seed=0).column("x").to_pylist()
    [5, 6, 9]
    """
    if max_rows is None or table.num_rows <= max_rows:
        return table
    if max_rows < 1:
        raise InputError(f"max_rows must be at least 1 (got {max_rows!r})")
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(table.num_rows, size=max_rows, replace=False))
    return table.take(pa.array(picked))
