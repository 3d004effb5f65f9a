"""The report as GitHub-flavoured Markdown, short enough for a pull-request comment.

Column names go in code spans and every other piece of text is escaped, so a name or a
message cannot open a link, a tag or a new table cell.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from watchkeeper.drift.selection import ColumnDrift
from watchkeeper.quality.base import Finding, Severity
from watchkeeper.report._format import (
    clip,
    decision_rule,
    multivariate_line,
    num,
    p_value,
    percent,
    rows,
)
from watchkeeper.report.model import Report

MAIN_ROWS = 25  # drift-table rows shown before the rest fold into a <details> block
MESSAGE_CHARS = 300  # the JSON report keeps every message whole
_SPECIAL = re.compile(r"([\\`*\[\]<>|~&])")
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")  # intraword _ is plain text
_DRIFT_HEAD = (
    "| column | type | test | statistic | threshold | p-value | verdict | reason "
    "| worst quality finding |\n"
    "|---|---|---|--:|--:|--:|---|---|---|"
)


def text(value: object) -> str:
    r"""Plain text for a table cell: Markdown punctuation escaped, one line.

    >>> text("a|b <i>*c*</i>")
    'a\\|b \\<i\\>\\*c\\*\\</i\\>'
    >>> text("cat_1 _x_")
    'cat_1 \\_x\\_'
    """
    escaped = _SPECIAL.sub(r"\\\1", " ".join(str(value).split()))
    return _UNDERSCORE.sub(r"\\_", escaped)


def code(value: object) -> str:
    r"""A code span that holds ``value`` literally, safe inside a table cell.

    >>> code("x`y"), code("a|b")
    ('``x`y``', '`a\\|b`')
    """
    body = " ".join(str(value).split()).replace("|", "\\|")
    runs = [len(r) for r in re.findall(r"`+", body)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def _severity(severity: Severity) -> str:
    return f"**{severity.value}**" if severity.rank <= Severity.HIGH.rank else severity.value


def _verdict(c: ColumnDrift) -> str:
    if c.skipped:
        return "not tested"
    return "**drift**" if c.drift_detected else "no drift"


def _summary(report: Report) -> list[str]:
    drift = report.drift
    headline = "Dataset drift detected" if report.dataset_drift else "No dataset drift"
    counts = report.quality.counts
    quality = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no findings"
    skipped = len(drift.columns) - len(drift.tested)
    not_tested = f" ({skipped} not tested)" if skipped else ""
    return [
        f"## {headline}",
        "",
        f"**{len(report.drifted_columns)} of {len(drift.tested)}** tested columns drifted "
        f"({text(percent(drift.drifted_share))}){not_tested} · "
        f"reference **{rows(report.reference.rows)}** rows ({code(report.reference_source)}) · "
        f"current **{rows(report.current.rows)}** rows ({code(report.current_source)})",
        "",
        f"Data quality: {quality}. Decision rule: {text(decision_rule(drift.settings))}.",
        *([""] + [text(multivariate_line(m)) for m in report.multivariate]
          if report.multivariate else []),
        *(["", text(f"Multivariate: {report.multivariate_note}")]
          if report.multivariate_note else []),
    ]  # fmt: skip


def _findings(findings: Sequence[Finding]) -> list[str]:
    lines = ["", f"### Data quality ({len(findings)} findings)", ""]
    if not findings:
        return [*lines, "No data-quality findings."]
    lines += ["| severity | check | column | finding |", "|---|---|---|---|"]
    for f in sorted(findings, key=lambda f: f.severity.rank):
        where = code(f.column) if f.column is not None else "whole dataset"
        message = text(clip(f.message, MESSAGE_CHARS))
        lines.append(f"| {_severity(f.severity)} | {code(f.check)} | {where} | {message} |")
    return lines


def _drift_row(c: ColumnDrift, found: Sequence[Finding]) -> str:
    worst = "–"
    if found:
        first = min(found, key=lambda f: f.severity.rank)
        worst = f"{_severity(first.severity)}: {text(clip(first.message, MESSAGE_CHARS))}"
    threshold = "–" if c.skipped else num(c.threshold)
    return (
        f"| {code(c.name)} | {c.type.value} | {text(c.test or '–')} | {num(c.statistic)} | "
        f"{threshold} | {text(p_value(c.p_value))} | {_verdict(c)} | {text(c.reason)} | {worst} |"
    )


def _drift(order: Sequence[ColumnDrift], by_column: Mapping[str, list[Finding]]) -> list[str]:
    lines = ["", "### Drift by column", "", _DRIFT_HEAD]
    lines += [_drift_row(c, by_column.get(c.name, [])) for c in order[:MAIN_ROWS]]
    rest = order[MAIN_ROWS:]
    if rest:
        lines += ["", f"<details><summary>{len(rest)} more columns</summary>", "", _DRIFT_HEAD]
        lines += [_drift_row(c, by_column.get(c.name, [])) for c in rest]
        lines += ["", "</details>"]
    return lines


def render_markdown(report: Report) -> str:
    """Summary, data-quality findings (most severe first) and the drift table."""
    by_column: dict[str, list[Finding]] = {}
    for f in report.quality.findings:
        if f.column is not None:
            by_column.setdefault(f.column, []).append(f)
    lines = _summary(report) + _findings(report.quality.findings)
    lines += _drift(report.column_order(), by_column)
    return "\n".join(lines) + "\n"
