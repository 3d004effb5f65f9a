"""The report as one self-contained HTML page: inline CSS, inline SVG, a few lines of script.

The page makes no request of its own (no fonts, scripts or images from elsewhere), so it
opens offline and can be attached to a ticket or an e-mail. Its size depends on the number
of columns, not rows: every chart is drawn from a profile's counts re-binned for display.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from watchkeeper.drift.selection import ColumnDrift
from watchkeeper.quality.base import Finding, Severity
from watchkeeper.report._charts import column_chart, column_summary
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

DEFAULT_TITLE = "watchkeeper report"
_DETAIL_CHARS = 160
_MESSAGE_CHARS = 400  # the JSON report keeps every message whole

_CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f5f6f8;color:#1f2937;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main,header,footer{max-width:1240px;margin:0 auto;padding:0 20px}
header{padding-top:20px}h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px}
h3{font-size:15px;margin:0 0 4px;display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.muted,.src,.note,.rule{color:#4b5563}.src{margin:0 0 14px}
.verdict{background:#fff;border:1px solid #d1d5db;border-left:8px solid #15803d;border-radius:6px;
padding:14px 18px}
.verdict.drift{border-left-color:#b91c1c}.verdict.some{border-left-color:#b45309}.big{font-size:24px;font-weight:700}
.verdict.drift .big{color:#b91c1c}.verdict.ok .big{color:#166534}
.verdict.some .big{color:#92400e}
.facts{display:flex;flex-wrap:wrap;gap:8px 28px;margin:8px 0}.facts b{font-size:17px}
.rule{margin:4px 0 0;font-size:13px}
table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{background:#eef0f3;position:sticky;top:0;font-weight:600;white-space:nowrap}
#drift-table th{cursor:pointer}#drift-table th:hover{background:#e2e5ea}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.why{max-width:330px;color:#374151}td.wf{max-width:300px}
.scroll{max-height:80vh;overflow:auto;border:1px solid #d1d5db;border-radius:6px}
.sev,.v,.type{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;
white-space:nowrap}
.sev-critical{background:#7f1d1d;color:#fff}.sev-high{background:#c2410c;color:#fff}
.sev-warning{background:#fde68a;color:#422006}.sev-info{background:#dbeafe;color:#1e3a8a}
.v-drift{background:#b91c1c;color:#fff}.v-ok{background:#dcfce7;color:#14532d}
.v-skip{background:#e5e7eb;color:#374151}.type{background:#eef0f3;color:#374151;font-weight:500}
.chips{display:flex;gap:6px;align-items:center;flex-wrap:wrap}
.controls{display:flex;gap:16px;align-items:center;margin:0 0 8px}
.controls input[type=search]{padding:5px 8px;border:1px solid #9ca3af;border-radius:4px;width:260px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:14px}
.card{background:#fff;border:1px solid #d1d5db;border-radius:6px;padding:12px 14px;min-width:0}
.card.drift{border-top:4px solid #b91c1c}.card .reason{margin:0 0 6px;font-size:13px;color:#374151}
.card svg{display:block;max-width:100%;height:auto}.note{font-size:12px;margin:2px 0 8px}
.nochart{padding:24px;text-align:center;background:#f9fafb;color:#4b5563;border-radius:4px}
.row{display:flex;gap:18px;flex-wrap:wrap;align-items:flex-start}
.mini{width:auto;font-size:12px}.mini td,.mini th{padding:2px 8px}
.stats{font-size:12px;color:#374151;margin:0;padding:0;list-style:none}
.card ul.f{margin:8px 0 0;padding:0;list-style:none;font-size:12px}.card ul.f li{margin:2px 0}
a{color:#1d4ed8}code{font-size:12px}[hidden]{display:none!important}
footer{color:#6b7280;font-size:12px;padding:24px 20px}
svg text{font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#374151}
svg .xl{text-anchor:middle}svg .yl,svg .cl{text-anchor:end}svg .n{fill:#b45309;font-weight:700}
svg .r{fill:#0072b2;fill-opacity:.38;stroke:#0072b2;stroke-width:1}
svg .c{fill:#d55e00;fill-opacity:.12;stroke:#d55e00;stroke-width:2}
svg rect.c{fill-opacity:.85;stroke-width:0}svg rect.r{fill-opacity:.75;stroke-width:0}
svg .g{stroke:#e5e7eb}svg .a{stroke:#6b7280}svg .p{fill:#d55e00}svg .m{fill:#0072b2}
"""

_SCRIPT = """
const q=document.getElementById('q'),only=document.getElementById('only-drift');
function filter(){const s=q.value.toLowerCase();
document.querySelectorAll('[data-name]').forEach(e=>{
e.hidden=!(e.dataset.name.includes(s)&&(!only.checked||e.dataset.drift==='1'))})}
q.oninput=filter;only.onchange=filter;
document.querySelectorAll('#drift-table th').forEach((h,i)=>h.onclick=()=>{
const body=h.closest('table').tBodies[0],key=r=>r.cells[i].dataset.v??r.cells[i].textContent;
const up=h.dataset.dir!=='a';h.dataset.dir=up?'a':'d';const list=[...body.rows].sort((a,b)=>{
const x=key(a),y=key(b),o=isNaN(x)||isNaN(y)?x.localeCompare(y):x-y;return up?o:-o});
list.forEach(r=>body.appendChild(r))});
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _badge(severity: Severity) -> str:
    return f'<span class="sev sev-{severity.value}">{severity.value}</span>'


def _verdict(c: ColumnDrift) -> tuple[str, int]:
    if c.skipped:
        return '<span class="v v-skip">not tested</span>', 2
    if c.drift_detected:
        return '<span class="v v-drift">drift</span>', 0
    return '<span class="v v-ok">no drift</span>', 1


def _detail_value(value: Any) -> str:
    if isinstance(value, float):
        return num(value)
    if isinstance(value, list | tuple):
        return ", ".join(_detail_value(v) for v in value)
    return str(value)


def _details(details: Mapping[str, Any]) -> str:
    if not details:
        return ""
    text = "; ".join(f"{k}: {_detail_value(v)}" for k, v in details.items())
    return f'<br><span class="muted">{_e(clip(text, _DETAIL_CHARS))}</span>'


def _message(f: Finding) -> str:
    return _e(clip(f.message, _MESSAGE_CHARS))


def _findings_by_column(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in sorted(findings, key=lambda f: f.severity.rank):
        if f.column is not None:
            out.setdefault(f.column, []).append(f)
    return out


def _header(report: Report, title: str, generated_at: str | None) -> str:
    generated = f" · generated {_e(generated_at)}" if generated_at else ""
    return (
        f"<header><h1>{_e(title)}</h1>"
        f'<p class="src">reference: <code>{_e(report.reference_source)}</code> · '
        f"current: <code>{_e(report.current_source)}</code>{generated}</p></header>"
    )


def _joint(report: Report) -> str:
    """The multivariate tests' verdicts (drift no single column shows)."""
    lines = [multivariate_line(m) for m in report.multivariate]
    if report.multivariate_note:
        lines.append(f"Multivariate: {report.multivariate_note}")
    return "".join(
        f'<p class="rule" id="multivariate-{i}">{_e(line)}</p>' for i, line in enumerate(lines)
    )


def _summary(report: Report) -> str:
    drift = report.drift
    tested = len(drift.tested)
    drifted = len(report.drifted_columns)
    skipped = len(drift.columns) - tested
    if report.dataset_drift:
        css, headline = "drift", "Dataset drift detected"
    else:  # amber while some columns drift, below the dataset-level share
        css, headline = ("some" if drifted else "ok"), "No dataset drift"
    counts = report.quality.counts
    chips = "".join(f"<span>{_badge(Severity(s))} {n}</span>" for s, n in counts.items() if n)
    not_tested = f"<div><b>{skipped}</b> not tested</div>" if skipped else ""
    return (
        f'<section class="verdict {css}" id="summary"><div class="big">{headline}</div>'
        f'<div class="facts"><div><b>{drifted}</b> of <b>{tested}</b> tested columns drifted '
        f"({_e(percent(drift.drifted_share))}; dataset drift at ≥ "
        f"{drift.settings.dataset_drift_share:.0%})</div>{not_tested}"
        f"<div><b>{rows(report.reference.rows)}</b> reference rows</div>"
        f"<div><b>{rows(report.current.rows)}</b> current rows</div>"
        f'<div class="chips">data quality: {chips or "no findings"}</div></div>'
        f'<p class="rule">Decision rule: {_e(decision_rule(drift.settings))}</p>'
        f"{_joint(report)}</section>"
    )


def _quality(findings: Sequence[Finding], anchors: Mapping[str, str]) -> str:
    head = (
        '<section id="quality"><h2>Data quality '
        f'<span class="muted">({len(findings)} findings)</span></h2>'
    )
    if not findings:
        return head + '<p class="muted">No data-quality findings.</p></section>'
    body = []
    for f in sorted(findings, key=lambda f: f.severity.rank):
        if f.column is None:
            where = '<span class="muted">whole dataset</span>'
        elif f.column in anchors:
            where = f'<a href="#{anchors[f.column]}">{_e(f.column)}</a>'
        else:
            where = _e(f.column)
        body.append(
            f'<tr><td data-v="{f.severity.rank}">{_badge(f.severity)}</td><td>{_e(f.check)}</td>'
            f"<td>{where}</td><td>{_message(f)}{_details(f.details)}</td></tr>"
        )
    return (
        head
        + '<div class="scroll"><table class="findings"><thead><tr><th>severity</th><th>check</th>'
        "<th>column</th><th>finding</th></tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table></div></section>"
    )


def _number_cell(text: str, value: float | None, attrs: str = "") -> str:
    """A right-aligned number whose sort key is ``value`` (missing values sort first)."""
    key = -1.0 if value is None or value != value else max(min(float(value), 1e308), -1e308)
    return f'<td class="n" data-v="{key!r}"{attrs}>{_e(text)}</td>'


def _worst_cell(found: Sequence[Finding]) -> str:
    if not found:
        return f'<td class="wf" data-v="{len(Severity)}"><span class="muted">–</span></td>'
    worst = found[0]
    more = f' <span class="muted">+{len(found) - 1} more</span>' if len(found) > 1 else ""
    return (
        f'<td class="wf" data-v="{worst.severity.rank}">{_badge(worst.severity)} '
        f"{_message(worst)}{more}</td>"
    )


def _drift_table(order: Sequence[ColumnDrift], by_column: Mapping[str, list[Finding]]) -> str:
    body = []
    for i, c in enumerate(order):
        verdict, rank = _verdict(c)
        p_title = (
            f' title="{_e(c.p_test)}; unadjusted p = {_e(p_value(c.p_value_raw))}"'
            if c.p_test
            else ""
        )
        p_cell = _number_cell(p_value(c.p_value), 2.0 if c.p_value is None else c.p_value, p_title)
        body.append(
            f'<tr data-name="{_e(c.name.lower())}" data-drift="{int(c.drift_detected)}">'
            f'<td><a href="#c-{i}">{_e(c.name)}</a></td><td>{_e(c.type.value)}</td>'
            f"<td>{_e(c.test or '–')}</td>{_number_cell(num(c.statistic), c.statistic)}"
            f"{_number_cell('–' if c.skipped else num(c.threshold), c.threshold)}"
            f"{p_cell}"
            f'<td data-v="{rank}">{verdict}</td><td class="why">{_e(c.reason)}</td>'
            f"{_worst_cell(by_column.get(c.name, []))}</tr>"
        )
    return (
        '<section id="drift"><h2>Drift by column</h2><div class="controls">'
        '<input id="q" type="search" placeholder="filter columns by name" '
        'aria-label="filter columns">'
        '<label><input id="only-drift" type="checkbox"> drifted only</label>'
        '<span class="muted">click a heading to sort</span></div>'
        '<div class="scroll"><table id="drift-table"><thead><tr>'
        "<th>column</th><th>type</th><th>test</th>"
        "<th>statistic</th><th>threshold</th><th>p-value</th><th>verdict</th><th>reason</th>"
        "<th>worst quality finding</th></tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table></div></section>"
    )


def _statistics(c: ColumnDrift) -> str:
    items = [f"{_e(k)} {num(v)}" for k, v in c.statistics.items()]
    if c.p_test and c.p_value_raw is not None:
        items.append(f"{_e(c.p_test)} p (unadjusted) {_e(p_value(c.p_value_raw))}")
    return f'<ul class="stats">{"".join(f"<li>{i}</li>" for i in items)}</ul>' if items else ""


def _card(report: Report, index: int, c: ColumnDrift, found: Sequence[Finding]) -> str:
    verdict, _ = _verdict(c)
    ref, cur = report.reference.columns.get(c.name), report.current.columns.get(c.name)
    if ref is None or cur is None:
        chart_html, summary = '<p class="nochart">column missing on one side</p>', ""
    else:
        chart = column_chart(c.type, ref, cur, c.name)
        figure = chart.svg if chart.svg is not None else f'<p class="nochart">{_e(chart.note)}</p>'
        chart_html = figure + (
            f'<p class="note">{_e(chart.note)}</p>' if chart.svg is not None else ""
        )
        lines = "".join(
            f"<tr><td>{_e(k)}</td><td class='n'>{_e(a)}</td><td class='n'>{_e(b)}</td></tr>"
            for k, a, b in column_summary(c.type, ref, cur)
        )
        summary = (
            '<table class="mini"><thead><tr><th></th>'
            "<th>reference</th><th>current</th></tr></thead>"
            f"<tbody>{lines}</tbody></table>"
        )
    findings = "".join(f"<li>{_badge(f.severity)} {_message(f)}</li>" for f in found)
    return (
        f'<article class="card{" drift" if c.drift_detected else ""}" id="c-{index}" '
        f'data-name="{_e(c.name.lower())}" data-drift="{int(c.drift_detected)}">'
        f'<h3><span>{_e(c.name)}</span><span class="type">{_e(c.type.value)}</span>{verdict}</h3>'
        f'<p class="reason">{_e(c.reason)}</p>{chart_html}'
        f'<div class="row">{summary}{_statistics(c)}</div>'
        + (f'<ul class="f">{findings}</ul>' if findings else "")
        + "</article>"
    )


def render_html(
    report: Report, *, title: str | None = None, generated_at: str | None = None
) -> str:
    """The whole report as one HTML document (``generated_at`` is shown as given)."""
    title = title or DEFAULT_TITLE
    order = report.column_order()
    anchors = {c.name: f"c-{i}" for i, c in enumerate(order)}
    by_column = _findings_by_column(report.quality.findings)
    cards = "".join(_card(report, i, c, by_column.get(c.name, [])) for i, c in enumerate(order))
    verdict = "dataset drift" if report.dataset_drift else "no dataset drift"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)} · {verdict}</title><style>{_CSS}</style></head><body>"
        f"{_header(report, title, generated_at)}<main>{_summary(report)}"
        f"{_quality(report.quality.findings, anchors)}{_drift_table(order, by_column)}"
        f'<section id="columns"><h2>Distributions</h2><p class="muted">Reference in blue (filled), '
        f"current in orange (outlined); columns in the order of the table.</p>"
        f'<div class="cards">{cards}</div></section></main>'
        "<footer>watchkeeper · drift and data-quality report</footer>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )
