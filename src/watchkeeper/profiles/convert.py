"""Turn Arrow columns into the numpy arrays the profiles count, counting what does not fit.

Values that cannot be read as the column's type (``"n/a"`` in a numeric column, a vector of the
wrong length) are *type errors*: they are counted, a few are kept as examples, and they do not
enter the statistics. Nothing here raises on bad values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MAX_EXAMPLES = 3


@dataclass(frozen=True)
class Converted:
    """A column as float64 (NaN where missing or unreadable) and what was lost on the way."""

    values: np.ndarray
    nulls: int
    type_errors: int
    examples: tuple[str, ...] = ()


def _decode_dictionary(array: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(array.type):
        return array.cast(array.type.value_type)
    return array


def to_float(array: pa.ChunkedArray) -> Converted:
    """Read a column as float64, whatever Arrow type it arrived with.

    >>> c = to_float(pa.chunked_array([["1.5", None, "n/a", "2"]]))
    >>> c.values.tolist()[::3], c.nulls, c.type_errors, c.examples
    ([1.5, 2.0], 1, 1, ('n/a',))
    """
    array = _decode_dictionary(array)
    nulls = array.null_count
    t = array.type
    if pa.types.is_null(t):
        return Converted(np.full(len(array), np.nan), nulls, 0)
    if pa.types.is_temporal(t):
        return _temporal_to_float(array)
    if (
        pa.types.is_boolean(t)
        or pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_decimal(t)
    ):
        values = array.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return Converted(np.asarray(values, dtype=np.float64), nulls, 0)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return _strings_to_float(array, nulls)
    text = array.cast(pa.string()) if _castable_to_string(t) else None
    return Converted(
        np.full(len(array), np.nan),
        nulls,
        len(array) - nulls,
        _examples(text) if text is not None else (f"<{t}>",),
    )


def _castable_to_string(t: pa.DataType) -> bool:
    try:
        pa.array([], type=t).cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _temporal_to_float(array: pa.ChunkedArray) -> Converted:
    """Datetimes become seconds since the epoch."""
    t = array.type
    if pa.types.is_date(t):
        array = array.cast(pa.timestamp("s"))
        t = array.type
    if pa.types.is_timestamp(t):
        unit = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[t.unit]
        ints = array.cast(pa.timestamp(t.unit, tz=t.tz)).cast(pa.int64())
        values = ints.cast(pa.float64()).to_numpy(zero_copy_only=False) * unit
        return Converted(np.asarray(values, dtype=np.float64), array.null_count, 0)
    values = array.cast(pa.int64()).cast(pa.float64()).to_numpy(zero_copy_only=False)
    return Converted(np.asarray(values, dtype=np.float64), array.null_count, 0)


def _strings_to_float(array: pa.ChunkedArray, nulls: int) -> Converted:
    try:
        values = array.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return Converted(np.asarray(values, dtype=np.float64), nulls, 0)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    # Parse each distinct string once, then map the codes back: fast even for 1M rows.
    encoded = pc.dictionary_encode(array).combine_chunks()
    parsed = np.array([_parse_float(s) for s in encoded.dictionary.to_pylist()], dtype=np.float64)
    codes = encoded.indices.fill_null(0).to_numpy(zero_copy_only=False)
    values = parsed[codes] if len(parsed) else np.full(len(array), np.nan)
    if nulls:
        values[encoded.indices.is_null().to_numpy(zero_copy_only=False)] = np.nan
    bad_codes = np.flatnonzero(np.isnan(parsed) & ~_is_nan_text(encoded.dictionary))
    bad_mask = np.isin(codes, bad_codes)
    if nulls:
        bad_mask &= encoded.indices.is_valid().to_numpy(zero_copy_only=False)
    examples = tuple(str(encoded.dictionary[int(i)].as_py()) for i in bad_codes[:MAX_EXAMPLES])
    return Converted(values, nulls, int(bad_mask.sum()), examples)


def _is_nan_text(dictionary: pa.Array) -> np.ndarray:
    lowered = [str(s).strip().lower() for s in dictionary.to_pylist()]
    return np.array([s in ("nan", "+nan", "-nan") for s in lowered], dtype=bool)


def _parse_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _examples(text: pa.ChunkedArray) -> tuple[str, ...]:
    return tuple(str(v) for v in text.drop_null().slice(0, MAX_EXAMPLES).to_pylist())


def to_strings(array: pa.ChunkedArray) -> pa.ChunkedArray:
    """Read a column as strings (categories are compared by their text form).

    >>> to_strings(pa.chunked_array([[True, None, False]])).to_pylist()
    ['true', None, 'false']
    >>> to_strings(pa.chunked_array([[[1, 2], None]])).to_pylist()
    ['[1, 2]', None]
    """
    array = _decode_dictionary(array)
    t = array.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return array
    if pa.types.is_null(t):
        return pa.chunked_array([pa.nulls(len(array), pa.string())])
    if pa.types.is_floating(t):
        # 1.0 and 1 are the same category whether the file stored integers or floats.
        values = array.to_numpy(zero_copy_only=False)
        present = ~np.isnan(values)
        if present.any() and np.array_equal(values[present], np.round(values[present])):
            ints = pa.array(np.where(present, values, 0).astype(np.int64), mask=~present)
            return pa.chunked_array([ints.cast(pa.string())])
    if _castable_to_string(t):
        return array.cast(pa.string())
    # Lists, structs, maps: compared by their text form, never an error.
    texts = [None if v is None else str(v) for v in array.to_pylist()]
    return pa.chunked_array([pa.array(texts, pa.string())])
