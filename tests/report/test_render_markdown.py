"""The Markdown report: summary, findings by severity, the drift table in report order."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pyarrow as pa
import pytest
from report_tables import wide_tables

from watchkeeper.quality.base import Severity
from watchkeeper.report import Report, compute_report, render_markdown
from watchkeeper.report.render_markdown import MAIN_ROWS, code, text

DRIFT_HEADER = (
    "| column | type | test | statistic | threshold | p-value | verdict | reason "
    "| worst quality finding |"
)


def _cells(line: str) -> list[str]:
    """The cells of a table row, splitting on pipes that are not escaped."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]


def _table(md: str, header: str) -> list[list[str]]:
    lines = md.splitlines()
    start = lines.index(header) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(_cells(line))
    return rows


def _assert_escaped(md: str) -> None:
    """Outside code spans and the folding tags every ``<`` is escaped."""
    for line in md.splitlines():
        if line.startswith(("<details>", "</details>")):
            continue
        cells = _cells(line) if line.startswith("|") else [line]
        for cell in cells:
            if cell.startswith("`"):  # a code span shows its text literally
                assert cell.endswith("`")
            else:
                assert not re.search(r"(?<!\\)<", cell), cell


@pytest.fixture(scope="module")
def md(mixed_report: Report) -> str:
    return render_markdown(mixed_report)


def test_summary_states_the_verdict_and_counts(mixed_report: Report, md: str) -> None:
    first = md.splitlines()[0]
    assert first == (
        "## Dataset drift detected" if mixed_report.dataset_drift else "## No dataset drift"
    )
    drifted, tested = len(mixed_report.drifted_columns), len(mixed_report.drift.tested)
    assert f"**{drifted} of {tested}** tested columns drifted" in md
    assert "reference **3,000** rows" in md
    assert "current **2,000** rows" in md
    assert "method default, alpha 0.05, Holm correction" in md


def test_drift_table_follows_report_order(mixed_report: Report, md: str) -> None:
    rows = _table(md, DRIFT_HEADER)
    assert [r[0] for r in rows] == [code(c.name) for c in mixed_report.column_order()]
    assert all(len(r) == 9 for r in rows)
    _assert_escaped(md)  # p-values below 1e-300 read "< 1e-300"
    verdicts = {r[0]: r[6] for r in rows}
    assert verdicts["`shifted`"] == "**drift**"
    assert verdicts["`stable`"] == "no drift"
    assert verdicts["`empty`"] == "not tested"


def test_findings_are_listed_most_severe_first(mixed_report: Report) -> None:
    least_first = tuple(reversed(mixed_report.quality.findings))
    shuffled = replace(mixed_report, quality=replace(mixed_report.quality, findings=least_first))
    rows = _table(render_markdown(shuffled), "| severity | check | column | finding |")
    assert len(rows) == len(mixed_report.quality.findings)
    ranks = [Severity(r[0].strip("*")).rank for r in rows]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) >= 2


def test_names_cannot_break_the_table_or_inject_html() -> None:
    names = ["a|b", "<script>alert(1)</script>", "x`y"]
    ref = pa.table({n: np.arange(300.0) for n in names})
    cur = pa.table({n: np.arange(300.0) + 100 for n in names})
    md = render_markdown(compute_report(ref, cur))
    rows = _table(md, DRIFT_HEADER)
    assert sorted(r[0] for r in rows) == sorted(code(n) for n in names)
    assert all(len(r) == 9 for r in rows)
    _assert_escaped(md)


def test_long_tables_fold_the_rest_away() -> None:
    md = render_markdown(compute_report(*wide_tables(40, 300)))
    assert md.count(DRIFT_HEADER) == 2
    assert f"<details><summary>{40 - MAIN_ROWS} more columns</summary>" in md
    names = re.findall(r"^\| `([xc]\d{3})` \|", md, flags=re.MULTILINE)
    assert len(names) == 40 == len(set(names))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),  # nothing to escape
        ("a|b", r"a\|b"),  # a pipe would end the cell
        ("*x* _y_", r"\*x\* \_y\_"),  # emphasis
        ("cat_1", "cat_1"),  # an underscore inside a word cannot start emphasis
        ("__init__", r"\_\_init\_\_"),  # around a word it can
        ("[l](u)", r"\[l\](u)"),  # a link
        ("two\nlines", "two lines"),  # a newline would end the row
    ],
)
def test_text_escaping(value: str, expected: str) -> None:
    assert text(value) == expected
