"""The HTML report: verdict, findings by severity, the drift table, charts, size and escaping."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

import numpy as np
import pyarrow as pa
import pytest
from report_tables import wide_tables

from watchkeeper.profiles.numeric import profile_numeric
from watchkeeper.quality.base import Severity
from watchkeeper.report import Report, compute_report, render_html
from watchkeeper.report._charts import DISPLAY_BINS, display_edges

VOID = {"meta", "input", "br", "link", "img", "hr", "wbr"}
SVG_LEAVES = {"rect", "path", "line"}
MAX_BYTES = 2 * 1024 * 1024


class Page(HTMLParser):
    """Checks that every tag closes in order and collects the text of marked elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[str] = []
        self.badges: list[str] = []  # severity badges of the findings table, in order
        self.drift_rows: list[str] = []  # data-name of the drift-table rows, in order
        self.cards: list[str] = []  # data-name of the column cards, in order
        self._in_findings = False
        self._badge = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "table" and a.get("class") == "findings":
            self._in_findings = True
        if self._in_findings and tag == "span" and (a.get("class") or "").startswith("sev "):
            self._badge = True
        if tag == "tr" and "data-name" in a:
            self.drift_rows.append(a["data-name"] or "")
        if tag == "article" and "data-name" in a:
            self.cards.append(a["data-name"] or "")
        if tag in SVG_LEAVES:
            self.errors.append(f"<{tag}> must be self-closing")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_findings = False
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._badge:
            self.badges.append(data)
            self._badge = False


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


@pytest.fixture(scope="module")
def html(mixed_report: Report) -> str:
    return render_html(mixed_report, generated_at="2024-03-01 12:00 UTC")


def test_page_is_well_formed(html: str) -> None:
    page = parse(html)
    assert page.errors == []
    assert page.stack == []  # everything opened was closed
    assert html.startswith("<!DOCTYPE html>")
    assert {"svg", "table", "script", "style"} <= set(page.tags)
    assert not re.search(r"<(?![a-zA-Z/!])", html)  # every other < is escaped, e.g. "< 1e-300"


def test_header_states_the_verdict_rows_and_rule(mixed_report: Report, html: str) -> None:
    headline = "Dataset drift detected" if mixed_report.dataset_drift else "No dataset drift"
    assert f'<div class="big">{headline}</div>' in html
    drifted, tested = len(mixed_report.drifted_columns), len(mixed_report.drift.tested)
    assert f"<b>{drifted}</b> of <b>{tested}</b> tested columns drifted" in html
    assert "<b>3,000</b> reference rows" in html
    assert "<b>2,000</b> current rows" in html
    assert "method default, alpha 0.05, Holm correction" in html
    assert "generated 2024-03-01 12:00 UTC" in html


def test_every_column_appears_in_report_order_with_its_verdict(
    mixed_report: Report, html: str
) -> None:
    order = [c.name for c in mixed_report.column_order()]
    assert set(order) == {"shifted", "stable", "gappy", "plan", "note", "vec", "empty", "when"}
    page = parse(html)
    assert page.drift_rows == order
    assert page.cards == order
    assert {"shifted", "plan", "note", "vec"} <= set(mixed_report.drifted_columns)
    assert "stable" not in mixed_report.drifted_columns
    rows = {m.group(1): m.group(0) for m in re.finditer(r'<tr data-name="([^"]+)".*?</tr>', html)}
    assert 'class="v v-drift"' in rows["shifted"]
    assert 'class="v v-ok"' in rows["stable"]
    assert 'class="v v-skip"' in rows["empty"]  # nothing to test
    assert 'class="v v-skip"' in rows["when"]  # datetimes are not tested by default


def test_findings_are_listed_most_severe_first(mixed_report: Report, html: str) -> None:
    least_first = tuple(reversed(mixed_report.quality.findings))
    shuffled = replace(mixed_report, quality=replace(mixed_report.quality, findings=least_first))
    badges = parse(render_html(shuffled)).badges
    assert len(badges) == len(mixed_report.quality.findings)
    ranks = [Severity(b).rank for b in badges]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) >= 2  # the order is actually tested
    gappy_row = re.search(r'<tr data-name="gappy".*?</tr>', html)
    assert gappy_row is not None
    assert "sev-high" in gappy_row.group(0)  # its worst finding: 30% new missing values


def test_each_column_kind_gets_its_chart(html: str) -> None:
    cards = {
        m.group(1): m.group(0)
        for m in re.finditer(r'<article [^>]*data-name="([^"]+)".*?</article>', html)
    }
    for name in ("shifted", "stable", "gappy", "when"):
        assert cards[name].count('<path class="r"') == 1, name  # reference histogram
        assert cards[name].count('<path class="c"') == 1, name  # current histogram
    assert "(new)</text>" in cards["plan"]
    assert "enterprise" in cards["plan"]
    assert "length in characters" in cards["note"]
    assert "mean shift per dimension" in cards["vec"]
    assert cards["vec"].count('<rect class="p"') >= 3  # the three shifted dimensions
    assert '<p class="nochart">no finite values on either side</p>' in cards["empty"]
    assert "2024-0" in cards["when"]  # datetime axis labels are dates


def test_page_loads_nothing_from_elsewhere(html: str) -> None:
    assert not re.search(r"https?://", html)
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", html)


def test_names_and_messages_are_escaped() -> None:
    evil = "<script>alert(1)</script>"
    ref = pa.table({evil: np.arange(500.0), "ok": np.arange(500.0)})
    cur = pa.table({evil: np.r_[np.arange(400.0), [np.nan] * 100], "ok": np.arange(500.0) + 0.5})
    html = render_html(compute_report(ref, cur), title="<b>t</b>")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>t</b>" not in html
    assert "&lt;b&gt;t&lt;/b&gt;" in html
    assert parse(html).errors == []


def test_size_depends_on_columns_not_rows() -> None:
    small = render_html(compute_report(*wide_tables(20, 500)))
    large = render_html(compute_report(*wide_tables(20, 20_000)))
    assert abs(len(large) - len(small)) < 0.05 * len(small)
    wide = render_html(compute_report(*wide_tables(200, 2_000)))
    assert len(wide.encode()) < MAX_BYTES
    assert parse(wide).errors == []


def test_long_category_labels_keep_the_page_small() -> None:
    # 200 columns, 50 of them categorical with thousands of 300-character categories,
    # each of which also produces an unseen-categories finding that quotes examples
    label = "a-long-value-stored-as-a-category-" * 9  # one word: categorical, not text
    tables = wide_tables(200, 3_000, categories=3_000, label=label)
    report = compute_report(*tables)
    assert sum(c.type.value == "categorical" for c in report.drift.columns) == 50
    assert sum(f.check == "unseen_categories" for f in report.quality.findings) == 50
    html = render_html(report)
    assert len(html.encode()) < MAX_BYTES
    assert parse(html).errors == []


def test_display_edges_ignore_outliers_and_cover_both_sides() -> None:
    rng = np.random.default_rng(0)
    ref = profile_numeric(np.r_[rng.normal(0.0, 1.0, 5_000), [1e9]])
    cur = profile_numeric(np.r_[rng.normal(2.0, 1.0, 5_000), [-1e9]], ref.edges)
    edges = display_edges(ref, cur)
    assert edges is not None
    assert len(edges) == DISPLAY_BINS + 1
    assert -3.5 < edges[0] < -2.0  # the reference's 0.5% quantile, not the current outlier
    assert 4.0 < edges[-1] < 5.5  # the current's 99.5% quantile, not the reference outlier
    assert np.allclose(np.diff(edges), np.diff(edges)[0])


def test_whole_numbers_get_whole_number_bins() -> None:
    ref = profile_numeric(np.random.default_rng(1).poisson(50, 5000).astype(float))
    edges = display_edges(ref, ref)
    assert edges is not None
    assert np.all(edges == np.round(edges))
    assert len(set(np.diff(edges).tolist())) == 1
