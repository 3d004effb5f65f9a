"""Flat BI export: Parquet and CSV files read back to exactly what was written."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from export_helpers import sample

from watchkeeper.errors import ConfigError
from watchkeeper.export import bi
from watchkeeper.export.bi import LABEL_COLUMNS, SCHEMA, export_metrics, read_metrics
from watchkeeper.monitors.base import MetricSample, Status

SAMPLES = [
    # every common label set, plus one the schema has no column for
    sample("feature_drift", 0.31, {"monitor": "drift", "feature": "age", "segment": "country",
                                   "segment_value": "DE", "model_version": "3", "window": "1h",
                                   "test": "ks"}, details={"threshold": 0.1, "bins": 1024}),
    # a value that could not be computed, with numpy values and NaN in the details
    sample("accuracy", math.nan, {"monitor": "performance"}, status=Status.INSUFFICIENT,
           details={"labels": np.int64(0), "curve": np.array([0.5, 1.0]), "z": math.nan}),
    # text that needs quoting in CSV; an empty label value (not the same as a missing label)
    sample("kpi", -12.5, {"monitor": "business", "kpi": 'rev,"net"\nEUR', "quantile": ""},
           model='cre"dit,\\eu', hour=3),
    # a latency quantile
    sample("latency_seconds", 0.25, {"monitor": "operations", "quantile": "0.99"}, hour=1,
           status=Status.BREACH),
]


def expected_row(given: MetricSample) -> dict[str, object]:
    row: dict[str, object] = {
        "model": given.model,
        "name": given.name,
        "window_start": given.window_start,
        "window_end": given.window_end,
        "value": given.value,
        "status": given.status.value,
    }
    row.update({column: given.labels.get(column) for column in LABEL_COLUMNS})
    return row


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_round_trip(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"metrics.{fmt}"
    assert export_metrics(SAMPLES, path, fmt) == len(SAMPLES)  # type: ignore[arg-type]
    table = read_metrics(path, fmt)
    assert table.schema == SCHEMA
    rows = table.to_pylist()
    for given, row in zip(SAMPLES, rows, strict=True):
        expected = expected_row(given)
        got = {key: row[key] for key in expected}
        if math.isnan(given.value):
            assert math.isnan(got.pop("value"))
            expected.pop("value")
        assert got == expected
        assert json.loads(row["labels_json"]) == dict(given.labels)
    details = [json.loads(row["details_json"]) for row in rows]
    assert details[0] == {"bins": 1024, "threshold": 0.1}
    assert details[1] == {"curve": [0.5, 1.0], "labels": 0, "z": None}
    assert list(json.loads(rows[0]["labels_json"])) == sorted(SAMPLES[0].labels)


def generate(count: int) -> Iterator[MetricSample]:
    for hour in range(count):
        yield sample("accuracy", hour / 100, {"monitor": "performance"}, hour=hour)


def test_an_iterator_is_streamed_in_batches(tmp_path: Path) -> None:
    path = tmp_path / "stream.parquet"
    assert export_metrics(generate(10), path, batch_rows=3) == 10
    assert pq.ParquetFile(path).metadata.num_row_groups == 4
    assert read_metrics(path).column("value").to_pylist() == [h / 100 for h in range(10)]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_no_samples_still_write_the_schema(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"empty.{fmt}"
    assert export_metrics([], path, fmt) == 0  # type: ignore[arg-type]
    table = read_metrics(path, fmt)
    assert table.num_rows == 0
    assert table.schema == SCHEMA


def test_an_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        export_metrics(SAMPLES, tmp_path / "x.xlsx", "xlsx")  # type: ignore[arg-type]
    assert error.value.key == "format"
    assert not (tmp_path / "x.xlsx").exists()


def test_every_column_is_documented() -> None:
    doc = bi.__doc__ or ""
    for field in SCHEMA:
        assert field.name in doc, f"column {field.name} is not documented"
