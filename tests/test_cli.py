"""The command line as a user meets it: outputs, exit codes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper.cli import main

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_REF = REPO / "examples" / "credit_reference.parquet"
EXAMPLE_CUR = REPO / "examples" / "credit_current.csv"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(0)
    ref = pa.table({"x": rng.normal(0, 1, 3000), "c": rng.choice(["a", "b"], 3000)})
    same = pa.table({"x": rng.normal(0, 1, 3000), "c": rng.choice(["a", "b"], 3000)})
    shifted = pa.table({"x": rng.normal(0.5, 1, 3000), "c": rng.choice(["a", "b"], 3000)})
    paths = tmp_path / "ref.parquet", tmp_path / "same.parquet", tmp_path / "shifted.parquet"
    for table, path in zip((ref, same, shifted), paths, strict=True):
        pq.write_table(table, path)
    return paths


def test_json_output_follows_the_contract(files: tuple[Path, Path, Path], tmp_path: Path) -> None:
    ref, _, shifted = files
    out = tmp_path / "r.json"
    assert main(["report", str(ref), str(shifted), "-o", str(out), "-q"]) == 0
    data = json.loads(out.read_text())
    assert data["reference"]["rows"] == 3000 and data["current"]["rows"] == 3000
    assert data["dataset_drift"] is True and data["drifted_columns"] == ["x"]
    x = next(c for c in data["columns"] if c["name"] == "x")
    assert {
        "name",
        "type",
        "test",
        "statistic",
        "threshold",
        "p_value",
        "drift_detected",
        "quality",
    } <= set(x)
    assert "findings" in data["data_quality"]


@pytest.mark.parametrize(
    ("which", "fail_on", "code"),
    [
        ("shifted", "drift", 1),  # drift found and asked to fail on it
        ("same", "drift", 0),  # nothing drifted
        ("shifted", None, 0),  # drift found but no --fail-on
        ("shifted", "quality", 0),  # no quality problem
        ("shifted", "any", 1),
    ],
)
def test_fail_on_exit_codes(
    files: tuple[Path, Path, Path], which: str, fail_on: str | None, code: int
) -> None:
    ref, same, shifted = files
    args = [
        "report",
        str(ref),
        str(shifted if which == "shifted" else same),
        "-q",
        "--format",
        "json",
    ]
    if fail_on:
        args += ["--fail-on", fail_on]
    assert main(args) == code


def test_bad_inputs_get_one_line_errors_and_exit_2(
    files: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref, same, _ = files
    other = tmp_path / "other.parquet"
    pq.write_table(pa.table({"y": [1.0]}), other)
    broken = tmp_path / "broken.parquet"
    broken.write_text("not parquet")
    weird = tmp_path / "data.xlsx"
    weird.write_text("x")
    bad_config = tmp_path / "c.yaml"
    bad_config.write_text("drift:\n  alpah: 0.1\n")
    cases = [
        (["report", str(tmp_path / "nope.parquet"), str(same)], "does not exist"),
        (["report", str(ref), str(broken)], "as Parquet"),
        (["report", str(ref), str(weird)], "unknown format '.xlsx'"),
        (["report", str(ref), str(other)], "none of the reference's columns"),
        (["report", str(ref), str(same), "--config", str(bad_config)], "drift.alpah: unknown key"),
    ]
    for args, message in cases:
        assert main([*args, "-q"]) == 2, args
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err, err


def test_profile_then_report_from_the_saved_profile(
    files: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    ref, _, shifted = files
    saved = tmp_path / "ref.wkprofile"
    assert main(["profile", str(ref), "-o", str(saved), "-q"]) == 0
    assert saved.stat().st_size < 200_000
    out = tmp_path / "r.json"
    assert main(["report", str(saved), str(shifted), "-o", str(out), "-q"]) == 0
    assert json.loads(out.read_text())["drifted_columns"] == ["x"]


def test_bundled_example_runs_and_finds_its_story(tmp_path: Path) -> None:
    out = tmp_path / "example.json"
    assert main(["report", str(EXAMPLE_REF), str(EXAMPLE_CUR), "-o", str(out), "-q"]) == 0
    data = json.loads(out.read_text())
    drifted = set(data["drifted_columns"])
    assert {"income", "employment", "loan_purpose"} <= drifted
    assert "region" not in drifted and "age" not in drifted
    checks = {(f["check"], f["column"]) for f in data["data_quality"]["findings"]}
    assert ("unseen_categories", "employment") in checks
    assert ("type_errors", "debt_to_income") in checks
    assert ("missing_values", "credit_utilisation") in checks
    assert data["schema"]["ignored"] == {"application_id": "identifier: every value is distinct"}
