"""An :class:`EstimationResult` as JSON, Markdown or a self-contained HTML page.

JSON keeps the result's shape; undefined values (NaN) are ``null``, and ``realized`` appears
only on chunks of data with labels. The HTML page has no scripts and loads nothing: per
metric an inline SVG chart (the estimate with its shaded band, the realized value when known,
the reference range dashed, alerting chunks marked red) above a table.

>>> chunk = ChunkEstimate(0, 500, 500, {"mae": 1.2}, {"mae": 1.0}, {"mae": 1.4}, None,
...                       {"mae": 0.9}, {"mae": 1.1}, ("mae",))
>>> result = EstimationResult("regression", "no concept drift", ("mae",), (chunk,))
>>> to_json(result)["chunks"][0]["alert"]
True
>>> print(to_markdown(result).splitlines()[-1])
| 0–500 | 500 | **1.2** | 1 – 1.4 | – | 0.9 – 1.1 | left |
>>> to_html(result).count("<svg")
1
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from watchkeeper.performance.estimate import ChunkEstimate, EstimationResult

WIDTH, HEIGHT, PAD = 720, 200, 36
_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 960px; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 2rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.alert td { background: #fde8e8; }
.note { color: #555; }
svg text { font-size: 11px; fill: #555; }
"""


def to_json(result: EstimationResult) -> dict[str, Any]:
    return {
        "task": result.task,
        "assumption": result.assumption,
        "metrics": list(result.metrics),
        "chunks": [_chunk_json(c) for c in result.chunks],
    }


def _chunk_json(chunk: ChunkEstimate) -> dict[str, Any]:
    data: dict[str, Any] = {
        "start": chunk.start,
        "end": chunk.end,
        "rows": chunk.rows,
        "estimated": _values(chunk.estimated),
        "lower": _values(chunk.lower),
        "upper": _values(chunk.upper),
    }
    if chunk.realized is not None:
        data["realized"] = _values(chunk.realized)
    data["alert"] = chunk.alert
    data["reference_lower"] = _values(chunk.reference_lower)
    data["reference_upper"] = _values(chunk.reference_upper)
    return data


def _values(values: Mapping[str, float]) -> dict[str, float | None]:
    return {k: (v if math.isfinite(v) else None) for k, v in values.items()}


def to_markdown(result: EstimationResult) -> str:
    lines = [f"# Estimated performance: {result.task}", "", *_summary(result), ""]
    for metric in result.metrics:
        lines += [
            f"## {metric}",
            "",
            "| chunk | rows | estimated | band | realized | reference range | alert |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for chunk in result.chunks:
            lines.append("| " + " | ".join(_row(chunk, metric, bold="**")) + " |")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _summary(result: EstimationResult) -> list[str]:
    alerting = [c for c in result.chunks if c.alert]
    left = sorted({m for c in alerting for m in c.left})
    verdict = (
        f"{len(alerting)} of {len(result.chunks)} chunks left the reference range "
        f"({', '.join(left)})."
        if alerting
        else f"All {len(result.chunks)} chunks stay within the reference range."
    )
    return [f"Assumption: {result.assumption}.", "", verdict]


def _row(chunk: ChunkEstimate, metric: str, bold: str = "") -> list[str]:
    left = metric in chunk.left
    estimate = _number(chunk.estimated[metric])
    realized = chunk.realized.get(metric, math.nan) if chunk.realized is not None else math.nan
    return [
        chunk_label(chunk),
        f"{chunk.rows:,}",
        f"{bold}{estimate}{bold}" if left and bold else estimate,
        f"{_number(chunk.lower[metric])} – {_number(chunk.upper[metric])}",
        _number(realized),
        f"{_number(chunk.reference_lower[metric])} – {_number(chunk.reference_upper[metric])}",
        "left" if left else "",
    ]


def chunk_label(chunk: ChunkEstimate) -> str:
    """``0–5000`` for a row range, ``2026-03-01 10:00–11:00`` (UTC) for a time window."""
    if isinstance(chunk.start, int) and isinstance(chunk.end, int):
        return f"{chunk.start}–{chunk.end}"
    start, end = str(chunk.start)[:16].replace("T", " "), str(chunk.end)[:16].replace("T", " ")
    return f"{start}–{end[11:] if end[:10] == start[:10] else end}"


def _number(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else "–"


def to_html(result: EstimationResult) -> str:
    title = f"Estimated performance: {escape(result.task)}"
    body = [f"<h1>{title}</h1>"]
    body += [f'<p class="note">{escape(line)}</p>' for line in _summary(result) if line]
    head = ("chunk", "rows", "estimated", "band", "realized", "reference range", "alert")
    for metric in result.metrics:
        body += [f"<h2>{escape(metric)}</h2>", chart(result.chunks, metric), "<table>"]
        body.append("<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>")
        for chunk in result.chunks:
            cells = "".join(f"<td>{escape(cell)}</td>" for cell in _row(chunk, metric))
            alert = ' class="alert"' if metric in chunk.left else ""
            body.append(f"<tr{alert}>{cells}</tr>")
        body.append("</table>")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def chart(chunks: Sequence[ChunkEstimate], metric: str) -> str:
    """An inline SVG of one metric over the chunks."""
    series = {
        "estimated": [c.estimated[metric] for c in chunks],
        "lower": [c.lower[metric] for c in chunks],
        "upper": [c.upper[metric] for c in chunks],
        "realized": [c.realized.get(metric, math.nan) if c.realized else math.nan for c in chunks],
        "reference_lower": [c.reference_lower[metric] for c in chunks],
        "reference_upper": [c.reference_upper[metric] for c in chunks],
    }
    finite = [v for values in series.values() for v in values if math.isfinite(v)]
    if not finite:
        return '<p class="note">no values to chart</p>'
    low, high = min(finite), max(finite)
    span = (high - low) or 1.0
    low, high = low - 0.05 * span, high + 0.05 * span

    def x(i: int) -> float:
        return PAD + (WIDTH - 2 * PAD) * (i / (len(chunks) - 1) if len(chunks) > 1 else 0.5)

    def y(v: float) -> float:
        return HEIGHT - PAD / 2 - (HEIGHT - PAD) * (v - low) / (high - low)

    def points(values: Sequence[float]) -> list[tuple[float, float]]:
        return [(x(i), y(v)) for i, v in enumerate(values) if math.isfinite(v)]

    def line(values: Sequence[float], style: str) -> str:
        text = " ".join(f"{a:.1f},{b:.1f}" for a, b in points(values))
        return f'<polyline points="{text}" fill="none" {style}/>' if text else ""

    both = [i for i in range(len(chunks)) if _finite(series["lower"][i], series["upper"][i])]
    outline = [(x(i), y(series["upper"][i])) for i in both]
    outline += [(x(i), y(series["lower"][i])) for i in reversed(both)]
    band = " ".join(f"{a:.1f},{b:.1f}" for a, b in outline)
    alerts = "".join(
        f'<circle cx="{x(i):.1f}" cy="{y(c.estimated[metric]):.1f}" r="4" fill="#d62728"/>'
        for i, c in enumerate(chunks)
        if c.alert and metric in c.left
    )
    dashed = 'stroke="#888" stroke-dasharray="4 3"'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(metric)} by chunk">'
        f'<polygon points="{band}" fill="#1f77b4" fill-opacity="0.15"/>'
        + line(series["reference_lower"], dashed)
        + line(series["reference_upper"], dashed)
        + line(series["estimated"], 'stroke="#1f77b4" stroke-width="2"')
        + line(series["realized"], 'stroke="#ff7f0e" stroke-width="2"')
        + alerts
        + f'<text x="2" y="{y(high) + 10:.1f}">{high:.4g}</text>'
        + f'<text x="2" y="{y(low) - 2:.1f}">{low:.4g}</text>'
        + f'<text x="{PAD}" y="{HEIGHT - 2}">estimated (blue, band shaded), realized '
        "(orange), reference range (dashed), alert (red)</text></svg>"
    )


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)
