"""Duplicate rows: rows identical in every column, and whether current data has many more.

Duplicates inflate counts, skew every distribution towards the repeated rows and often mean a
retried upload or a fan-out join. A current share above both 1% and twice the reference share
is a warning; any other duplicates are info.

Counting is vectorised. Every column becomes one exact 64-bit key per row (the bits of a
number, a dictionary code of a string; nested values are hashed recursively); keys are spread
with a bijective mixer, summed into one 64-bit hash per row (one column multiplier each), and
the repeats among the sorted hashes are counted. Nulls equal nulls, NaN equals NaN and -0.0
equals 0.0. Two different rows share a hash with probability about 2**-64, so for a million
rows the count is off with probability below 1e-7.

>>> import pyarrow as pa
>>> from watchkeeper.profiles.dataset import build_profile
>>> from watchkeeper.quality.base import CheckContext
>>> ref = pa.table({"x": [float(i) for i in range(100)]})
>>> cur = pa.table({"x": [1.0] * 20 + [float(i) for i in range(20, 100)]})
>>> count_duplicate_rows(ref), count_duplicate_rows(cur)
(0, 19)
>>> context = CheckContext(current_duplicates=19, reference_duplicates=0)
>>> ref_profile = build_profile(ref)
>>> found = duplicate_rows(ref_profile, build_profile(cur, reference=ref_profile), context)
>>> [(f.severity.value, f.message) for f in found]
[('warning', '19 duplicate rows (19.0% of current rows) vs 0% in reference')]
"""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.profiles.dataset import DEFAULT_WORKERS, DatasetProfile
from watchkeeper.quality._common import percent, share
from watchkeeper.quality.base import NO_CONTEXT, CheckContext, Finding, Severity

CHECK = "duplicate_rows"
WARNING_SHARE = 0.01
WARNING_RATIO = 2.0
BLOCK = 1 << 15  # rows hashed at a time: the working arrays stay in the CPU cache

_MASK64 = (1 << 64) - 1
_NULL_WORD = np.uint64(0x7FF4_0DEC_AFF0_0001)  # a NaN payload no arithmetic produces
_SHIFT_FOLD = np.uint64(32)
_SHIFT_MIX = np.uint64(29)


# ----------------------------------------------------------------------------- the check


def duplicate_rows(
    reference: DatasetProfile, current: DatasetProfile, context: CheckContext = NO_CONTEXT
) -> list[Finding]:
    """One dataset-level finding when current data has duplicate rows (counts from ``context``)."""
    duplicates = context.current_duplicates
    if not duplicates or current.rows == 0:
        return []
    fraction = share(duplicates, current.rows)
    ref_duplicates = context.reference_duplicates
    if ref_duplicates is None:
        ref_fraction, against = 0.0, "reference not counted"
    else:
        ref_fraction = share(ref_duplicates, reference.rows)
        against = f"{percent(ref_fraction)} in reference"
    noun = "rows" if duplicates != 1 else "row"
    message = f"{duplicates} duplicate {noun} ({percent(fraction)} of current rows) vs {against}"
    limit = max(WARNING_SHARE, WARNING_RATIO * ref_fraction)
    severity = Severity.WARNING if fraction > limit else Severity.INFO
    details = {
        "duplicates": duplicates,
        "rows": current.rows,
        "reference_duplicates": ref_duplicates,
    }
    return [Finding(CHECK, severity, None, message, fraction, details)]


# ----------------------------------------------------------------------------- counting


def count_duplicate_rows(table: pa.Table, *, workers: int = DEFAULT_WORKERS) -> int:
    """How many rows repeat an earlier row exactly (``rows - distinct rows``).

    With ``workers > 1`` columns are keyed and rows hashed on a small thread pool (Arrow and
    numpy release the GIL in the heavy parts).

    >>> table = pa.table({"a": [1, 1, None, None, 2], "b": ["x", "x", None, None, "y"]})
    >>> count_duplicate_rows(table)
    2
    """
    rows = table.num_rows
    if rows < 2:
        return 0
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            hashes = _table_hashes(table, pool)
    else:
        hashes = _table_hashes(table, None)
    hashes.sort()
    return int(np.count_nonzero(hashes[1:] == hashes[:-1]))


def _table_hashes(table: pa.Table, pool: Executor | None) -> np.ndarray:
    def keys(column: pa.ChunkedArray) -> _Codes | _Words:
        return _keys(_combined(column))

    # Largest work first: string columns (dictionary-encoded) take longest.
    order = sorted(range(table.num_columns), key=lambda i: not _is_text(table.schema.types[i]))
    arrays = [table.column(i) for i in order]
    found = list(pool.map(keys, arrays)) if pool else [keys(a) for a in arrays]
    columns: list[_Words | _Packed] = [k for k in found if isinstance(k, _Words)]
    columns += _pack([k for k in found if isinstance(k, _Codes)])
    return _row_hashes(columns, table.num_rows, pool)


def _is_text(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t))


@dataclass(frozen=True)
class _Codes:
    """Exact small integers standing for a column's values, nulls included."""

    codes: np.ndarray  # non-negative integers below ``size``
    size: int


@dataclass(frozen=True)
class _Words:
    """One 64-bit word per row, equal exactly when the values are equal (nulls aside)."""

    words: np.ndarray  # uint64, or float64 (NaN and -0.0 made canonical while hashing)
    nulls: np.ndarray | None = None  # True where the row is null


def _combined(column: pa.ChunkedArray) -> pa.Array:
    """One array per column; chunks of dictionary columns get one shared dictionary."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _nulls(array: pa.Array) -> np.ndarray | None:
    if array.null_count == 0:
        return None
    return np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def _keys(array: pa.Array) -> _Codes | _Words:
    """Exact per-row keys of one column, whatever its Arrow type."""
    t = array.type
    if isinstance(t, pa.ExtensionType):
        return _keys(array.storage)
    if pa.types.is_null(t):
        return _Codes(np.zeros(len(array), dtype=np.uint8), 1)
    if pa.types.is_dictionary(t):
        return _dictionary_keys(array)
    if pa.types.is_boolean(t):
        return _Codes(array.cast(pa.uint8()).fill_null(2).to_numpy(zero_copy_only=False), 3)
    if pa.types.is_floating(t):
        floats = array.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return _Words(np.asarray(floats, dtype=np.float64), _nulls(array))
    if pa.types.is_integer(t) or (pa.types.is_temporal(t) and t.bit_width in (32, 64)):
        return _Words(_integer_words(array), _nulls(array))
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return _list_keys(array)
    if pa.types.is_struct(t):
        fields = [_as_column(_keys(field)) for field in array.flatten()]
        return _Words(_row_hashes(fields, len(array)), _nulls(array))
    try:
        encoded = pc.dictionary_encode(array)
    except (pa.ArrowNotImplementedError, pa.ArrowTypeError, pa.ArrowInvalid):
        # Types Arrow cannot hash (unions, list views, ...): compare their text form.
        text = pa.array([None if v is None else repr(v) for v in array.to_pylist()], pa.string())
        encoded = pc.dictionary_encode(text)
    size = len(encoded.dictionary)
    return _Codes(encoded.indices.fill_null(size).to_numpy(zero_copy_only=False), size + 1)


def _integer_words(array: pa.Array) -> np.ndarray:
    """Integers and 32/64-bit temporal values as uint64 words (the bits of an int64)."""
    t = array.type
    if pa.types.is_temporal(t):
        array = array.view(pa.int64() if t.bit_width == 64 else pa.int32())
    if array.null_count:
        array = array.fill_null(0)
    values = np.asarray(array.to_numpy(zero_copy_only=False))
    if values.dtype == np.uint64:
        return values
    return values.astype(np.int64, copy=False).view(np.uint64)


def _dictionary_keys(array: pa.DictionaryArray) -> _Codes | _Words:
    """Keys of the dictionary's entries, looked up by index (duplicate entries agree)."""
    entries = _keys(array.dictionary)
    indices = array.indices.fill_null(0).to_numpy(zero_copy_only=False)
    nulls = _nulls(array)
    if isinstance(entries, _Codes):
        codes = entries.codes[indices]
        if nulls is not None:
            codes = np.where(nulls, entries.size, codes)
        return _Codes(codes, entries.size + 1)
    return _Words(_words(entries)[indices], nulls)


def _list_keys(array: pa.Array) -> _Words:
    """One word per list: the sum of its elements' keys, each mixed with its position."""
    t = array.type
    if pa.types.is_fixed_size_list(t):
        offsets = (np.arange(len(array) + 1, dtype=np.int64) + array.offset) * t.list_size
    else:
        offsets = np.asarray(array.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
    first = int(offsets[0])
    relative = offsets - first
    lengths = np.diff(offsets)
    child = array.values.slice(first, int(relative[-1]))
    elements = _words(_keys(child))
    positions = np.arange(len(child), dtype=np.int64) - np.repeat(relative[:-1], lengths)
    elements += positions.astype(np.uint64) * _POSITION_MULTIPLIER
    mixed = _row_hashes([_Words(elements)], len(child))
    sums = np.concatenate([np.zeros(1, dtype=np.uint64), np.cumsum(mixed, dtype=np.uint64)])
    words = sums[relative[1:]] - sums[relative[:-1]]
    return _Words(words, _nulls(array))


@dataclass(frozen=True)
class _Packed:
    """Small codes side by side in one exact 64-bit word, assembled a block at a time."""

    columns: tuple[_Codes, ...]
    shifts: tuple[int, ...]


def _as_column(keys: _Codes | _Words) -> _Words | _Packed:
    return _Packed((keys,), (0,)) if isinstance(keys, _Codes) else keys


def _words(keys: _Codes | _Words) -> np.ndarray:
    """Exact keys as mixed uint64 words, nulls folded in (the mixer is a bijection)."""
    rows = len(keys.codes) if isinstance(keys, _Codes) else len(keys.words)
    return _row_hashes([_as_column(keys)], rows)


def _pack(columns: list[_Codes]) -> list[_Packed]:
    """Group small codes so that each group's codes fit side by side in 64 bits."""
    groups: list[_Packed] = []
    members: list[_Codes] = []
    shifts: list[int] = []
    used = 0
    for column in columns:
        bits = max(1, (column.size - 1).bit_length())
        if used + bits > 64:
            groups.append(_Packed(tuple(members), tuple(shifts)))
            members, shifts, used = [], [], 0
        members.append(column)
        shifts.append(used)
        used += bits
    if members:
        groups.append(_Packed(tuple(members), tuple(shifts)))
    return groups


def _multiplier(index: int) -> np.uint64:
    """An odd 64-bit multiplier per column index (splitmix64 of the index)."""
    z = (0x9E3779B97F4A7C15 * (index + 3)) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return np.uint64((z ^ (z >> 31)) | 1)


_POSITION_MULTIPLIER = _multiplier(-1)  # column indices start at 0: this one is apart


def _row_hashes(
    columns: list[_Words | _Packed], rows: int, pool: Executor | None = None
) -> np.ndarray:
    """Sum over columns of ``mix_i(key)`` per row; row ranges run on ``pool`` when given."""
    hashes = np.zeros(rows, dtype=np.uint64)
    multipliers = [_multiplier(i) for i in range(len(columns))]
    if pool is None or rows <= BLOCK:
        _hash_range(columns, multipliers, hashes, 0, rows)
        return hashes
    step = -(-rows // BLOCK // 2) * BLOCK  # two halves, cut on a block boundary
    ranges = [(start, min(rows, start + step)) for start in range(0, rows, step)]
    for future in [pool.submit(_hash_range, columns, multipliers, hashes, *r) for r in ranges]:
        future.result()
    return hashes


def _hash_range(
    columns: list[_Words | _Packed],
    multipliers: list[np.uint64],
    hashes: np.ndarray,
    first: int,
    last: int,
) -> None:
    """Fill ``hashes[first:last]``, a cache-sized block of rows at a time."""
    size = min(last - first, BLOCK)
    buffer, scratch = np.empty(size, dtype=np.uint64), np.empty(size, dtype=np.uint64)
    flags = np.empty(size, dtype=bool)
    for start in range(first, last, BLOCK):
        stop = min(last, start + BLOCK)
        n = stop - start
        total, out, tmp = hashes[start:stop], buffer[:n], scratch[:n]
        for column, multiplier in zip(columns, multipliers, strict=True):
            source = _load(column, start, stop, out, tmp, flags[:n])
            # xor-fold, multiply by an odd constant, xor-fold: a bijection on 64-bit words
            # that moves every input bit into the low and the high half.
            np.right_shift(source, _SHIFT_FOLD, out=tmp)
            np.bitwise_xor(source, tmp, out=out)
            np.multiply(out, multiplier, out=out)
            np.right_shift(out, _SHIFT_MIX, out=tmp)
            np.bitwise_xor(out, tmp, out=out)
            np.add(total, out, out=total)


def _load(
    column: _Words | _Packed,
    start: int,
    stop: int,
    out: np.ndarray,
    tmp: np.ndarray,
    flags: np.ndarray,
) -> np.ndarray:
    """Rows ``start:stop`` of ``column`` as canonical uint64 words (in ``out`` when changed)."""
    if isinstance(column, _Packed):
        out.fill(0)
        for codes, shift in zip(column.columns, column.shifts, strict=True):
            np.copyto(tmp, codes.codes[start:stop], casting="unsafe")
            np.left_shift(tmp, np.uint64(shift), out=tmp)
            np.bitwise_or(out, tmp, out=out)
        return out
    words = column.words[start:stop]
    source = words
    if words.dtype == np.float64:
        floats = out.view(np.float64)
        np.add(words, 0.0, out=floats)  # -0.0 + 0.0 is 0.0
        np.isnan(floats, out=flags)
        if flags.any():
            np.copyto(floats, np.nan, where=flags)
        source = out
    if column.nulls is not None:
        if source is words:
            np.copyto(out, words)
            source = out
        np.copyto(out, _NULL_WORD, where=column.nulls[start:stop])
    return source
