"""The batch report's multivariate tests: a correlation flips while every column keeps its
values, so every univariate test passes and the multivariate ones (PCA reconstruction, domain
classifier) catch it — the report shows both."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from multivariate_data import correlated, repaired
from watchkeeper.cli import main
from watchkeeper.config import parse_config
from watchkeeper.profiles.serialize import save_profile
from watchkeeper.report.compute import compute_report

BOTH = parse_config({"drift": {"multivariate": ["pca", "domain_classifier"]}})


def test_a_flipped_correlation_is_caught_only_by_the_multivariate_tests() -> None:
    reference = correlated(4000, 0.9, seed=1)
    current = repaired(correlated(4000, 0.9, seed=2), -0.9, seed=3)
    report = compute_report(reference, current, BOTH)
    data = report.to_dict()
    # every univariate test, per column: nothing drifted
    assert data["dataset_drift"] is False and data["drifted_columns"] == []
    assert all(not c["drift_detected"] for c in data["columns"])
    # taken together: both methods see the flip
    joint = data["multivariate"]
    assert joint["drift_detected"] is True
    assert {m["method"]: m["drift_detected"] for m in joint["methods"]} == {
        "pca": True,
        "domain_classifier": True,
    }
    assert report.failed("drift")


def test_same_distribution_passes_and_the_default_runs_pca_only() -> None:
    report = compute_report(correlated(4000, 0.9, seed=1), correlated(4000, 0.9, seed=5))
    joint = report.to_dict()["multivariate"]
    assert [m["method"] for m in joint["methods"]] == ["pca"]
    assert joint["drift_detected"] is False and joint["note"] == ""


def test_a_saved_reference_profile_says_why_there_is_no_multivariate_test(tmp_path: Path) -> None:
    reference = correlated(2000, 0.9, seed=1)
    path = tmp_path / "reference.wkprofile"
    save_profile(compute_report(reference, reference).reference, path)
    report = compute_report(path, correlated(2000, 0.9, seed=2))
    assert report.multivariate == ()
    assert "saved profile" in report.multivariate_note


def test_the_cli_fails_on_multivariate_drift(tmp_path: Path) -> None:
    reference = correlated(4000, 0.9, seed=1)
    flipped = repaired(correlated(4000, 0.9, seed=2), -0.9, seed=3)
    pq.write_table(reference, tmp_path / "ref.parquet")
    pq.write_table(flipped, tmp_path / "cur.parquet")
    out = tmp_path / "report.md"
    code = main(["report", str(tmp_path / "ref.parquet"), str(tmp_path / "cur.parquet"),
                 "--format", "md", "-o", str(out), "--fail-on", "drift"])  # fmt: skip
    assert code == 1
    text = out.read_text()
    assert "No dataset drift" in text
    assert "Multivariate drift (PCA reconstruction error)" in text and "— drift" in text


def test_a_column_whose_values_changed_kind_is_left_out_and_named() -> None:
    reference = correlated(3000, 0.9, seed=1)
    current = correlated(3000, 0.9, seed=2)
    as_text = pa.array([f"{v:.3f}" for v in current.column("x3").to_numpy()])
    report = compute_report(reference, current.set_column(2, "x3", as_text))
    assert report.multivariate_note == "left out (type changed): x3"
    [pca] = report.multivariate
    assert pca.method == "pca" and not pca.drift_detected
