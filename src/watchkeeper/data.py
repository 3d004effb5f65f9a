"""Read tabular input into Arrow: Parquet, CSV and JSON-lines files, or in-memory frames.

pandas, polars, Arrow tables / record batches and plain dicts of columns are accepted from
Python; none of those libraries is required unless you pass one of their objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from watchkeeper.errors import InputError

PARQUET = (".parquet", ".pq")
CSV = (".csv", ".tsv")
JSON_LINES = (".jsonl", ".ndjson", ".json")
SUPPORTED = PARQUET + CSV + JSON_LINES


def read_table(source: Any, role: str = "input") -> pa.Table:
    """An Arrow table from a path or a dataframe-like object; ``role`` names it in errors.

    >>> read_table({"x": [1, 2]}).num_rows
    2
    >>> read_table("missing.parquet", "reference")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.InputError: reference file 'missing.parquet' does not exist
    """
    if isinstance(source, str | Path):
        return _read_file(Path(source), role)
    if isinstance(source, pa.Table):
        return source
    if isinstance(source, pa.RecordBatch):
        return pa.Table.from_batches([source])
    if isinstance(source, dict):
        try:
            return pa.table(source)
        except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, TypeError) as exc:
            raise InputError(f"{role}: cannot build a table from the dict given: {exc}") from None
    module = type(source).__module__.split(".")[0]
    if module == "pandas":
        return pa.Table.from_pandas(source, preserve_index=False)
    if module == "polars":
        table: pa.Table = source.to_arrow()
        return table
    if hasattr(source, "__arrow_c_stream__"):
        return pa.table(source)
    raise InputError(
        f"{role}: cannot read a {type(source).__name__}; pass a file path, a pandas or polars "
        "DataFrame, or an Arrow table"
    )


def _read_file(path: Path, role: str) -> pa.Table:
    if not path.exists():
        raise InputError(f"{role} file '{path}' does not exist")
    if path.is_dir():
        raise InputError(f"{role} '{path}' is a directory, not a data file")
    suffix = path.suffix.lower()
    try:
        if suffix in PARQUET:
            import pyarrow.parquet as pq

            # ParquetFile.read decodes column chunks one after another (no read-ahead buffers),
            # which halves peak memory on large files and keeps pandas out of the process.
            # String columns stay dictionary-encoded as Parquet stores them: smaller, and
            # categories are counted on their codes.
            strings = [f.name for f in pq.read_schema(path) if pa.types.is_string(f.type)]
            return pq.ParquetFile(path, pre_buffer=False, read_dictionary=strings).read()
        if suffix in CSV:
            from pyarrow import csv

            options = csv.ParseOptions(delimiter="\t" if suffix == ".tsv" else ",")
            return csv.read_csv(path, parse_options=options)
        if suffix in JSON_LINES:
            from pyarrow import json

            return json.read_json(path)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        kind = {**dict.fromkeys(PARQUET, "Parquet"), **dict.fromkeys(CSV, "CSV")}.get(
            suffix, "JSON lines"
        )
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read {role} file '{path}' as {kind}: {first_line}") from None
    raise InputError(
        f"{role} file '{path}' has an unknown format '{suffix or '(no extension)'}'; "
        f"use one of {', '.join(SUPPORTED)} (or .wkprofile for a saved reference profile)"
    )
