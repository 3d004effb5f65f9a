"""Every accepted input form gives the same table; unreadable input gets a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import watchkeeper
from watchkeeper.data import read_table
from watchkeeper.errors import InputError

ROWS = {"x": [1.5, 2.5, None], "c": ["a", "b", "a"]}


@pytest.mark.parametrize(
    "make",
    [
        lambda: pa.table(ROWS),  # Arrow table
        lambda: pa.RecordBatch.from_pydict(ROWS),  # Arrow record batch
        lambda: pd.DataFrame(ROWS),  # pandas
        lambda: pl.DataFrame(ROWS),  # polars
        lambda: dict(ROWS),  # plain dict of columns
    ],
)
def test_in_memory_inputs(make: object) -> None:
    table = read_table(make())  # type: ignore[operator]
    assert table.column_names == ["x", "c"]
    assert table.column("x").to_pylist()[:2] == [1.5, 2.5]


def test_file_formats(tmp_path: Path) -> None:
    pq.write_table(pa.table(ROWS), tmp_path / "d.parquet")
    (tmp_path / "d.csv").write_text("x,c\n1.5,a\n2.5,b\n,a\n")
    (tmp_path / "d.tsv").write_text("x\tc\n1.5\ta\n2.5\tb\n\ta\n")
    lines = [json.dumps({"x": x, "c": c}) for x, c in zip(ROWS["x"], ROWS["c"], strict=True)]
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n")
    for name in ("d.parquet", "d.csv", "d.tsv", "d.jsonl"):
        table = read_table(tmp_path / name)
        assert table.column("x").to_pylist() == [1.5, 2.5, None], name
        assert table.column("c").to_pylist() == ["a", "b", "a"], name


def test_unsupported_object_is_named() -> None:
    with pytest.raises(InputError, match="cannot read a list"):
        read_table([1, 2, 3], "current")


def test_report_accepts_mixed_sources(tmp_path: Path) -> None:
    pq.write_table(pa.table({"x": [float(i) for i in range(500)]}), tmp_path / "ref.parquet")
    current = pd.DataFrame({"x": [float(i) + 250 for i in range(500)]})
    report = watchkeeper.report(tmp_path / "ref.parquet", current)
    assert report.drifted_columns == ["x"]
    assert report.current_source == "DataFrame"


def test_a_parquet_id_column_read_as_a_dictionary_is_recognised_as_an_identifier(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from watchkeeper.data import read_table
    from watchkeeper.schema.infer import infer_schema

    pq.write_table(
        pa.table({"id": [f"a{i}" for i in range(50)], "x": [float(i) for i in range(50)]}),
        tmp_path / "reference.parquet",
    )
    table = read_table(tmp_path / "reference.parquet")
    assert pa.types.is_dictionary(table.schema.field("id").type)  # how Parquet strings arrive
    schema = infer_schema(table)
    assert schema.names == ["x"] and dict(schema.ignored)["id"].startswith("identifier")
