"""Inline SVG charts for the HTML report, drawn from display-ready numbers.

Every function takes plain sequences (shares, shifts, edges) and returns one ``<svg>`` element
as text; styling comes from the page's CSS classes (``r`` reference, ``c`` current, ``g`` grid,
``a`` axis, ``n`` new category, ``p`` / ``m`` positive / negative shift).

>>> svg = histogram([0.0, 1.0, 2.0], [0.5, 0.5], [0.25, 0.75], title="x")
>>> svg.startswith("<svg") and svg.endswith("</svg>") and "<title>x</title>" in svg
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from watchkeeper.report._format import clip, num, percent

WIDTH = 580
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 12, 24, 30
_LABEL_CHARS = 22
_TITLE_CHARS = 120


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">'
        f"<title>{escape(title)}</title>"
    )


def _f(x: float) -> str:
    """A coordinate with one decimal, trailing zeros dropped (keeps the file small)."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick positions covering [low, high] with about ``count`` steps.

    >>> nice_ticks(0.0, 1.0)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    >>> nice_ticks(3.0, 3.0)
    [3.0]
    """
    span = high - low
    if not (math.isfinite(span) and span > 0):
        return [low]
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * 0.999)
    first = math.ceil(low / step - 1e-9)
    ticks = []
    k = first
    while k * step <= high + step * 1e-9:
        ticks.append(round(k * step, 12))
        k += 1
    return ticks


def _legend(x: float) -> str:
    return (
        f'<rect class="r" x="{_f(x)}" y="6" width="12" height="10"/>'
        f'<text x="{_f(x + 16)}" y="15">reference</text>'
        f'<rect class="c" x="{_f(x + 90)}" y="6" width="12" height="10"/>'
        f'<text x="{_f(x + 106)}" y="15">current</text>'
    )


def _share_axis(top: float, bottom: float, ticks: Sequence[float], width: float) -> str:
    parts = []
    for tick in ticks:
        y = bottom - (bottom - top) * tick / ticks[-1]
        parts.append(
            f'<line class="g" x1="{_LEFT}" x2="{_f(width - _RIGHT)}" y1="{_f(y)}" y2="{_f(y)}"/>'
        )
        parts.append(f'<text class="yl" x="{_LEFT - 4}" y="{_f(y + 4)}">{tick * 100:.3g}%</text>')
    return "".join(parts)


def share_ticks(peak: float) -> list[float]:
    """Round share ticks from 0 to at least ``peak`` (the last one is the top of the chart).

    >>> share_ticks(0.113)
    [0.0, 0.05, 0.1, 0.15]
    >>> share_ticks(0.0)
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    peak = peak if peak > 0 else 1.0
    ticks = nice_ticks(0.0, peak, 4)
    if ticks[-1] < peak * 0.999:
        ticks.append(round(ticks[-1] + (ticks[1] - ticks[0]), 12))
    return ticks


def _step(xs: Sequence[float], heights: Sequence[float], base: float, closed: bool) -> str:
    points = [f"M{_f(xs[0])} {_f(base)}"]
    for i, h in enumerate(heights):
        points.append(f"V{_f(base - h)}H{_f(xs[i + 1])}")
    points.append(f"V{_f(base)}")
    return "".join(points) + ("Z" if closed else "")


def histogram(
    edges: Sequence[float],
    reference: Sequence[float] | None,
    current: Sequence[float] | None,
    *,
    title: str,
    tick_label: Callable[[float], str] = num,
    height: int = 190,
) -> str:
    """Overlaid histograms: the reference filled, the current as an outlined step.

    ``reference`` / ``current`` are shares per bin between ``edges`` (None: that side has no
    values). Shares, not counts, so both sides are comparable whatever their row counts.
    """
    width = WIDTH
    top, bottom = _TOP + 4, height - _BOTTOM
    low, high = edges[0], edges[-1]
    sides = [s for s in (reference, current) if s is not None]
    ticks = share_ticks(max((max(s, default=0.0) for s in sides), default=0.0))
    peak = ticks[-1]
    span = (high - low) or 1.0

    def x(v: float) -> float:
        return _LEFT + (v - low) / span * (width - _LEFT - _RIGHT)

    xs = [x(e) for e in edges]
    out = [
        _open(width, height, title),
        _share_axis(top, bottom, ticks, width),
        _legend(width - 190),
    ]
    scale = (bottom - top) / peak
    if reference is not None:
        out.append(
            f'<path class="r" d="{_step(xs, [s * scale for s in reference], bottom, True)}"/>'
        )
    if current is not None:
        out.append(
            f'<path class="c" d="{_step(xs, [s * scale for s in current], bottom, False)}"/>'
        )
    out.append(
        f'<line class="a" x1="{_LEFT}" x2="{_f(width - _RIGHT)}" y1="{bottom}" y2="{bottom}"/>'
    )
    for tick in _x_ticks(low, high, tick_label):
        tx = x(tick)
        out.append(f'<line class="a" x1="{_f(tx)}" x2="{_f(tx)}" y1="{bottom}" y2="{bottom + 4}"/>')
        label = tick_label(tick)
        half = len(label) * 3.2  # about half the label's width at 11px
        anchor = ' style="text-anchor:end"' if tx + half > width else ""
        anchor = ' style="text-anchor:start"' if tx - half < 0 else anchor
        out.append(
            f'<text class="xl" x="{_f(tx)}" y="{bottom + 16}"{anchor}>{escape(label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _x_ticks(low: float, high: float, tick_label: Callable[[float], str]) -> list[float]:
    if tick_label is num:
        return nice_ticks(low, high, 6)
    return [low + (high - low) * i / 4 for i in range(5)]


@dataclass(frozen=True)
class Bar:
    """One category of a grouped bar chart: its shares on both sides, and whether it is new."""

    label: str
    reference: float
    current: float
    new: bool = False


def _short(label: str) -> str:
    """Long labels keep their start and their end, which is where names tend to differ.

    >>> _short("a rather long category label number 1213")
    'a rather lo…umber 1213'
    """
    if len(label) <= _LABEL_CHARS:
        return label
    tail = (_LABEL_CHARS - 1) // 2
    return label[: _LABEL_CHARS - 1 - tail] + "…" + label[-tail:]


def bars(rows: Sequence[Bar], *, title: str) -> str:
    """Horizontal grouped bars, one pair per category (reference above, current below)."""
    width, label_w, value_w, row_h = WIDTH, 176, 118, 24
    height = _TOP + 6 + row_h * len(rows) + 6
    peak = max((max(r.reference, r.current) for r in rows), default=0.0) or 1.0
    span = width - label_w - value_w - _RIGHT
    out = [_open(width, height, title), _legend(width - 190)]
    for i, row in enumerate(rows):
        y = _TOP + 6 + i * row_h
        short = _short(row.label)
        full = (
            f"<title>{escape(clip(row.label, _TITLE_CHARS))}</title>" if short != row.label else ""
        )
        out.append(
            f'<text class="cl{" n" if row.new else ""}" x="{label_w - 6}" y="{y + 15}">'
            f"{full}{escape(short)}{' (new)' if row.new else ''}</text>"
        )
        for offset, share, css in ((3, row.reference, "r"), (12, row.current, "c")):
            w = max(share / peak * span, 0.0)
            out.append(
                f'<rect class="{css}" x="{label_w}" y="{y + offset}" width="{_f(w)}" height="8"/>'
            )
        text = f"{percent(row.reference)} → {percent(row.current)}"
        out.append(f'<text x="{width - value_w - _RIGHT + 6}" y="{y + 15}">{escape(text)}</text>')
    out.append("</svg>")
    return "".join(out)


def shifts(values: Sequence[float], *, title: str, height: int = 190) -> str:
    """Bars of a signed shift per dimension around a zero line (up: larger, down: smaller)."""
    width = WIDTH
    top, bottom = _TOP + 4, height - _BOTTOM
    finite = [v for v in values if math.isfinite(v)]
    peak = max((abs(v) for v in finite), default=0.0) or 1.0
    mid = (top + bottom) / 2
    scale = (bottom - top) / 2 / peak
    slot = (width - _LEFT - _RIGHT) / max(len(values), 1)
    out = [_open(width, height, title)]
    for y, label in ((top, num(peak)), (mid, "0"), (bottom, num(-peak))):
        out.append(
            f'<line class="g" x1="{_LEFT}" x2="{_f(width - _RIGHT)}" y1="{_f(y)}" y2="{_f(y)}"/>'
        )
        out.append(f'<text class="yl" x="{_LEFT - 4}" y="{_f(y + 4)}">{label}</text>')
    for i, v in enumerate(values):
        if not math.isfinite(v):
            continue
        h = abs(v) * scale
        y = mid - h if v > 0 else mid
        css = "p" if v > 0 else "m"
        out.append(
            f'<rect class="{css}" x="{_f(_LEFT + i * slot + slot * 0.15)}" y="{_f(y)}" '
            f'width="{_f(slot * 0.7)}" height="{_f(max(h, 0.5))}"/>'
        )
    step = max(1, math.ceil(len(values) / 16))
    for i in range(0, len(values), step):
        out.append(
            f'<text class="xl" x="{_f(_LEFT + (i + 0.5) * slot)}" y="{bottom + 16}">{i}</text>'
        )
    out.append(f'<text x="{_LEFT}" y="15">current mean − reference mean, per dimension</text>')
    out.append("</svg>")
    return "".join(out)
