"""``watchkeeper estimate`` through its own parser: arguments, outputs and exit codes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from estimation_data import binary, regression

from watchkeeper import cli_estimate
from watchkeeper.errors import InputError, WatchkeeperError

BINARY = ["--task", "binary_classification", "--prediction", "prediction", "--scores", "score",
          "--label", "label"]  # fmt: skip


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="watchkeeper")
    cli_estimate.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["estimate", *argv])
    code: int = args.run(args)
    return code


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str]:
    """A binary reference and current data that moves towards the boundary halfway."""
    rng = np.random.default_rng(0)
    reference = binary(rng, 4000, (1.5, 0.0, 0.0))
    current = pa.concat_tables([binary(rng, 2000, (1.5, 0.0, 0.0)), binary(rng, 2000, (0, 0, 0))])
    hours = np.repeat(np.arange(4), 1000) * np.timedelta64(3600, "s")
    moments = np.datetime64("2026-03-01T00:00", "us") + hours
    current = current.append_column("t", pa.array(moments, pa.timestamp("us", "UTC")))
    pq.write_table(reference, tmp_path / "reference.parquet")
    pq.write_table(current, tmp_path / "current.parquet")
    return str(tmp_path / "reference.parquet"), str(tmp_path / "current.parquet")


def test_default_is_a_table_on_the_terminal(
    files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(*files, *BINARY, "--chunk-size", "1000") == 0
    out = capsys.readouterr().out
    assert "estimated binary_classification" in out and "roc_auc" in out
    assert "0–1000" in out and "3000–4000" in out
    assert "assumption: no concept drift" in out


def test_json_to_stdout_and_fail_on_alert(
    files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(*files, *BINARY, "--chunk-size", "1000", "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["alert"] for c in data["chunks"]] == [False, False, True, True]
    assert "realized" in data["chunks"][0]  # current has the label column
    assert _run(*files, *BINARY, "--chunk-size", "1000", "--format", "json", "--fail-on-alert") == 1


def test_output_file_format_follows_the_suffix(
    files: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, start in (("out.html", "<!doctype html>"), ("out.md", "# Estimated performance")):
        assert _run(*files, *BINARY, "--chunk-size", "2000", "-o", str(tmp_path / name)) == 0
        assert (tmp_path / name).read_text(encoding="utf-8").startswith(start)
        assert f"2 chunks, 1 alerting -> {tmp_path / name}" in capsys.readouterr().out


def test_time_windows(files: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(*files, *BINARY, "--window", "2h", "--timestamp", "t", "--format", "json") == 0
    chunks = json.loads(capsys.readouterr().out)["chunks"]
    assert [(c["start"], c["rows"]) for c in chunks] == [
        ("2026-03-01T00:00:00+00:00", 2000),
        ("2026-03-01T02:00:00+00:00", 2000),
    ]


def test_regression_from_csv_with_features(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(1)
    pacsv.write_csv(regression(rng, 3000, 0.0, 0.3), tmp_path / "reference.csv")
    pacsv.write_csv(regression(rng, 2000, 1.0, 0.3).drop_columns(["label"]), tmp_path / "cur.csv")
    argv = [str(tmp_path / "reference.csv"), str(tmp_path / "cur.csv"), "--task", "regression",
            "--prediction", "prediction", "--label", "label", "--features", "x3", "segment",
            "--format", "json", "--chunk-size", "1000"]  # fmt: skip
    assert _run(*argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["metrics"] == ["mae", "rmse"]
    assert [c["rows"] for c in data["chunks"]] == [1000, 1000]
    assert all("realized" not in c for c in data["chunks"])  # no labels in the current file


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--window", "1h"], "--window and --timestamp go together"),
        (["--timestamp", "t"], "--window and --timestamp go together"),
        (["--chunk-size", "-5"], "--chunk-size must be a positive number of rows"),
        (["--label", "outcome"], "reference: column 'outcome' not found"),
    ],
)
def test_bad_options_are_input_errors(
    files: tuple[str, str], extra: list[str], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        _run(*files, *BINARY, *extra)


def test_chunk_size_and_window_exclude_each_other(files: tuple[str, str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        _run(*files, *BINARY, "--chunk-size", "10", "--window", "1h", "--timestamp", "t")
    assert stopped.value.code == 2


def test_window_must_be_a_duration(files: tuple[str, str]) -> None:
    with pytest.raises(WatchkeeperError, match="--window: not a duration like 30m, 1h or 1d"):
        _run(*files, *BINARY, "--window", "1 hour", "--timestamp", "t")
