"""Running every check: broken data becomes findings, never an exception; clean data stays quiet."""

from __future__ import annotations

import inspect
import json
import pkgutil
from importlib import import_module

import numpy as np
import pyarrow as pa
import pytest
from quality_helpers import keys, profiles

import watchkeeper.quality as quality_package
from watchkeeper.profiles.dataset import build_profile
from watchkeeper.quality.base import Severity
from watchkeeper.quality.run import CHECKS, QualityReport, run_checks

ROWS = 200


def reference_table() -> pa.Table:
    return pa.table(
        {
            "age": [float(20 + i % 60) for i in range(ROWS)],
            "income": [1000.0 * (i % 37) for i in range(ROWS)],
            "plan": ["basic", "pro"] * (ROWS // 2),
            "country": ["US", "DE", "FR", "IT"] * (ROWS // 4),
            "score": [i / ROWS for i in range(ROWS)],
            "height": [str(150 + i % 40) for i in range(ROWS)],
            "zip": [f"z{i % 7}" for i in range(ROWS)],
        }
    )


def broken_table() -> pa.Table:
    return pa.table(
        {
            "age": [None] * 80 + [float(20 + i % 60) for i in range(ROWS - 80)],  # 40% missing
            "income": [float("inf")] * 3 + [1000.0 * (i % 37) for i in range(ROWS - 3)],  # new inf
            "plan": ["gold"] * 20 + ["basic", "pro"] * ((ROWS - 20) // 2),  # 10% unseen
            "country": ["US"] * ROWS,  # constant
            "score": [float("nan")] * ROWS,  # empty
            "height": ["n/a"] * 10 + [str(150 + i % 40) for i in range(ROWS - 10)],  # mixed types
            "channel": ["web"] * ROWS,  # not in the schema; "zip" is gone
        }
    )


def test_broken_data_becomes_findings() -> None:
    ref = build_profile(reference_table())
    cur = build_profile(broken_table(), reference=ref)
    report = run_checks(ref, cur, current_duplicates=5, reference_duplicates=0)
    assert keys(report.findings) == [
        ("empty_columns", "critical", "score"),
        ("missing_values", "high", "age"),
        ("type_errors", "high", "height"),
        ("unseen_categories", "high", "plan"),
        ("schema_changes", "high", "zip"),
        ("duplicate_rows", "warning", None),
        ("constant_columns", "warning", "country"),
        ("non_finite", "warning", "income"),
        ("schema_changes", "info", "channel"),
    ]
    assert report.counts == {"critical": 1, "high": 4, "warning": 3, "info": 1}
    assert report.worst is Severity.CRITICAL
    assert report.to_dict()["missing_columns"] == ["zip"]
    assert report.to_dict()["added_columns"] == ["channel"]


def test_clean_data_has_no_findings() -> None:
    table = reference_table()
    ref = build_profile(table)
    report = run_checks(
        ref, build_profile(table.slice(0, 100), reference=ref), current_duplicates=0
    )
    assert report.findings == ()
    assert report.worst is None
    assert report.counts == {"critical": 0, "high": 0, "warning": 0, "info": 0}


@pytest.mark.parametrize(
    ("reference", "current"),
    [
        # no rows at all on either side
        (pa.table({"x": pa.array([], pa.float64())}), pa.table({"x": pa.array([], pa.float64())})),
        # all NaN reference, infinite current
        (pa.table({"x": [float("nan")] * 3}), pa.table({"x": [float("inf"), float("-inf")]})),
        # all-null column of the null type
        (
            pa.table({"x": [1.0, 2.0], "c": ["a", "b"]}),
            pa.table({"x": pa.nulls(3), "c": pa.nulls(3)}),
        ),
        # a numeric column that became a column of lists, a categorical one of numbers
        (
            pa.table({"x": [1.0, 2.0], "c": ["a", "b"]}),
            pa.table({"x": pa.array([[1.0]]), "c": pa.array([1.5])}),
        ),
        # constant everywhere
        (pa.table({"x": [3.0] * 5, "c": ["a"] * 5}), pa.table({"x": [3.0] * 5, "c": ["a"] * 5})),
    ],
)
def test_degenerate_columns_never_raise(reference: pa.Table, current: pa.Table) -> None:
    ref = build_profile(reference)
    report = run_checks(
        ref, build_profile(current, reference=ref), current_duplicates=0, reference_duplicates=0
    )
    # every number of the report is plain JSON (no NaN, no numpy scalars)
    json.dumps(report.to_dict(), allow_nan=False)
    json.dumps(dict(report.columns), allow_nan=False)


def test_findings_sort_by_severity_then_column() -> None:
    ref, cur = profiles(
        {"b": [1.0, 2.0], "a": [1.0, 2.0], "c": ["x", "y"]},
        {"b": [float("nan")] * 2, "a": [float("nan")] * 2, "c": ["x", "x"]},
    )
    report = run_checks(ref, cur)
    assert keys(report.findings) == [
        ("empty_columns", "critical", "a"),
        ("empty_columns", "critical", "b"),
        ("constant_columns", "warning", "c"),
    ]


def test_column_numbers() -> None:
    ref, cur = profiles(
        {"x": [0.0, 10.0, 5.0, 5.0], "c": ["a", "b", "a", "b"], "e": [[1.0, 2.0]] * 4},
        {
            "x": [None, float("nan"), float("inf"), 20.0],
            "c": ["a", "z", None, "y"],
            "e": [[1.0], None, [1.0, 2.0], [3.0, 4.0]],
        },
    )
    columns = run_checks(ref, cur).columns
    assert columns["x"] == {
        "rows": 4,
        "missing": 2,
        "missing_share": 0.5,
        "reference_missing_share": 0.0,
        "constant": False,
        "nan": 1,
        "inf": 1,
        "type_errors": 0,
        "out_of_range_share": 1.0,
    }
    assert columns["c"] == {
        "rows": 4,
        "missing": 1,
        "missing_share": 0.25,
        "reference_missing_share": 0.0,
        "constant": False,
        "distinct": 3,
        "unseen_categories": ["y", "z"],
        "unseen_share": pytest.approx(2 / 3),
    }
    assert columns["e"] == {
        "rows": 4,
        "missing": 2,
        "missing_share": 0.5,
        "reference_missing_share": 0.0,
        "constant": False,
        "type_errors": 1,
    }


def test_unseen_categories_listed_are_capped() -> None:
    ref, cur = profiles({"c": ["a"] * 5}, {"c": [f"n{i:02d}" for i in range(30)]})
    assert run_checks(ref, cur).columns["c"]["unseen_categories"] == [
        f"n{i:02d}" for i in range(10)
    ]


def test_to_dict_shape() -> None:
    ref, cur = profiles({"x": [1.0, 2.0]}, {"x": [1.0, 1.0, 1.0]})
    data = run_checks(ref, cur, current_duplicates=2, reference_duplicates=None).to_dict()
    assert data["duplicate_rows"] == 2
    assert data["reference_duplicate_rows"] is None
    assert data["counts"] == {"critical": 0, "high": 0, "warning": 2, "info": 0}
    assert [f["check"] for f in data["findings"]] == ["duplicate_rows", "constant_columns"]
    assert set(data) == {
        "findings",
        "counts",
        "duplicate_rows",
        "reference_duplicate_rows",
        "missing_columns",
        "added_columns",
    }


def test_every_check_module_is_run_through_the_one_tuple() -> None:
    modules = [
        import_module(f"watchkeeper.quality.{info.name}")
        for info in pkgutil.iter_modules(quality_package.__path__)
        if not info.name.startswith("_")
    ]
    checks = {m.CHECK: getattr(m, m.CHECK) for m in modules if hasattr(m, "CHECK")}
    assert set(checks.values()) == set(CHECKS)
    assert len(CHECKS) == len(checks) == 9
    for check in CHECKS:  # one signature for all
        assert list(inspect.signature(check).parameters) == ["reference", "current", "context"]


def test_a_custom_tuple_of_checks_is_honoured() -> None:
    ref, cur = profiles({"x": [1.0, 2.0]}, {"x": [float("nan")] * 3})
    report = run_checks(ref, cur, checks=())
    assert report == QualityReport((), report.columns, None, None, (), ())
    assert np.isclose(report.columns["x"]["missing_share"], 1.0)
