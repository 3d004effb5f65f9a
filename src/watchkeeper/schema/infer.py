"""Infer a :class:`Schema` from reference data, with explicit overrides winning.

The rules, in order (the first that matches decides):

1. a type given in ``overrides`` (reason: "set in config");
2. boolean Arrow type -> boolean;
3. timestamp / date / time -> datetime;
4. list of numbers with one length in every row -> embedding;
5. integers with at most ``max_categories_for_int`` distinct values -> categorical;
   other integers, floats and decimals -> numeric;
6. strings: all non-null values parse as numbers -> numeric; mostly distinct values with
   several words each -> text; otherwise categorical.

Columns named ``id`` or ending in ``_id`` whose values are all distinct are identifiers:
they are listed in ``Schema.ignored`` and not profiled.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import InputError
from watchkeeper.schema.types import ColumnSchema, ColumnType, Schema

MAX_CATEGORIES_FOR_INT = 20
TEXT_MIN_DISTINCT_SHARE = 0.5
TEXT_MIN_MEAN_TOKENS = 3.0
_SAMPLE = 20_000


def infer_schema(
    table: pa.Table,
    overrides: Mapping[str, ColumnType] | None = None,
    ignore: Collection[str] = (),
    max_categories_for_int: int = MAX_CATEGORIES_FOR_INT,
) -> Schema:
    """Infer the type of every column of ``table``.

    >>> t = pa.table({"age": [31.5, 40.0, 22.1], "plan": ["a", "b", "a"], "n": [1, 2, 1]})
    >>> [(c.name, c.type.value) for c in infer_schema(t)]
    [('age', 'numeric'), ('plan', 'categorical'), ('n', 'categorical')]
    >>> infer_schema(t, overrides={"n": ColumnType.NUMERIC})["n"].reason
    'set in config'
    """
    overrides = dict(overrides or {})
    unknown = set(overrides) - set(table.column_names)
    if unknown:
        name = sorted(unknown)[0]
        raise InputError(f"schema override names column {name!r}, which the data does not have")
    columns: list[ColumnSchema] = []
    ignored: list[tuple[str, str]] = []
    for name in table.column_names:
        if name in ignore:
            ignored.append((name, "ignored in config"))
            continue
        array = table.column(name)
        if name in overrides:
            kind = overrides[name]
            dim = _embedding_dim(name, array) if kind is ColumnType.EMBEDDING else None
            columns.append(ColumnSchema(name, kind, "set in config", dim))
            continue
        if _is_identifier(name, array):
            ignored.append((name, "identifier: every value is distinct"))
            continue
        columns.append(_infer_column(name, array, max_categories_for_int))
    return Schema(tuple(columns), tuple(ignored))


def _is_identifier(name: str, array: pa.ChunkedArray) -> bool:
    lowered = name.lower()
    if not (lowered == "id" or lowered.endswith("_id")):
        return False
    if not (pa.types.is_integer(array.type) or _is_string_like(array.type)):
        return False
    if pa.types.is_dictionary(array.type):  # count_distinct does not take dictionaries
        array = array.cast(array.type.value_type)
    return bool(len(array) > 1 and pc.count_distinct(array).as_py() == len(array))


def _is_string_like(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _is_string_like(t.value_type)
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def _infer_column(name: str, array: pa.ChunkedArray, max_int_categories: int) -> ColumnSchema:
    t = array.type
    if pa.types.is_null(t):
        return ColumnSchema(name, ColumnType.NUMERIC, "every value is missing")
    if pa.types.is_boolean(t):
        return ColumnSchema(name, ColumnType.BOOLEAN, "boolean values")
    if pa.types.is_temporal(t):
        return ColumnSchema(name, ColumnType.DATETIME, f"{t} values")
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return ColumnSchema(
            name, ColumnType.EMBEDDING, "numeric vectors", _embedding_dim(name, array)
        )
    if pa.types.is_integer(t):
        distinct = pc.count_distinct(array).as_py()
        if distinct <= max_int_categories:
            return ColumnSchema(
                name, ColumnType.CATEGORICAL, f"integers with {distinct} distinct values"
            )
        return ColumnSchema(name, ColumnType.NUMERIC, f"integers with {distinct} distinct values")
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return ColumnSchema(name, ColumnType.NUMERIC, f"{t} values")
    if _is_string_like(t):
        return _infer_strings(name, array)
    raise InputError(
        f"column {name!r} has Arrow type {t}, which watchkeeper cannot profile; "
        "drop it or set its type in the config's schema section"
    )


def _infer_strings(name: str, array: pa.ChunkedArray) -> ColumnSchema:
    values = array.drop_null()
    if len(values) == 0:
        return ColumnSchema(name, ColumnType.CATEGORICAL, "every value is missing")
    sample = values.slice(0, _SAMPLE)
    if pa.types.is_dictionary(sample.type):
        sample = sample.cast(sample.type.value_type)
    if _parses_as_numbers(sample):
        return ColumnSchema(name, ColumnType.NUMERIC, "numbers stored as text")
    distinct_share = pc.count_distinct(sample).as_py() / len(sample)
    words = pc.utf8_split_whitespace(pc.utf8_trim_whitespace(sample))  # see profiles/text.py
    tokens = pc.list_value_length(words).to_numpy(zero_copy_only=False)
    mean_tokens = float(np.mean(tokens)) if len(tokens) else 0.0
    if distinct_share > TEXT_MIN_DISTINCT_SHARE and mean_tokens >= TEXT_MIN_MEAN_TOKENS:
        return ColumnSchema(
            name,
            ColumnType.TEXT,
            f"{distinct_share:.0%} distinct, {mean_tokens:.1f} words on average",
        )
    return ColumnSchema(name, ColumnType.CATEGORICAL, f"{distinct_share:.0%} distinct strings")


def _parses_as_numbers(sample: pa.ChunkedArray) -> bool:
    try:
        pc.cast(sample, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _embedding_dim(name: str, array: pa.ChunkedArray) -> int:
    t = array.type
    if pa.types.is_fixed_size_list(t):
        value_type = t.value_type
        dim = int(t.list_size)
    elif pa.types.is_list(t) or pa.types.is_large_list(t):
        value_type = t.value_type
        lengths = pc.list_value_length(array.drop_null())
        if len(lengths) == 0:
            raise InputError(f"embedding column {name!r} has no non-missing vectors")
        bounds = pc.min_max(lengths)
        low, high = bounds["min"].as_py(), bounds["max"].as_py()
        if low != high:
            raise InputError(
                f"embedding column {name!r} has vectors of different lengths ({low} to {high}); "
                "every vector must have the same length"
            )
        dim = int(low)
    else:
        raise InputError(f"column {name!r} of type {t} cannot be an embedding: it is not a list")
    if not (pa.types.is_floating(value_type) or pa.types.is_integer(value_type)):
        raise InputError(f"embedding column {name!r} holds {value_type}, not numbers")
    return dim
