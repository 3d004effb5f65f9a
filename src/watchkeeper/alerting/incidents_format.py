"""Markdown pieces of incident evidence, shared by playbooks and postmortems.

Each ``*_md`` / ``*_text`` function reads one part of an evidence mapping (the shape
:func:`watchkeeper.alerting.evidence.gather_evidence` returns) and gives Markdown, or ``None``
when that part is missing or empty — the callers say "not available". Evidence written by
hand or by an older version never makes them raise: unexpected values are skipped.

>>> evidence = {"drifted_features": [{"feature": "age", "test": "psi", "statistic": 0.31,
...     "threshold": 0.2, "p_value": None, "score": 1.55, "drifted": True}],
...     "labels": {"coverage": 0.42, "labelled": 420, "predictions": 1000,
...                "delay_seconds": {"0.5": 7200.0, "0.9": 18600.0}}}
>>> features_text(evidence)
'age (psi 0.31, threshold 0.2)'
>>> coverage_text(evidence), delay_text(evidence)
('42.0% (420 of 1,000 predictions labelled)', 'p50 2h 00m, p90 5h 10m')
>>> print(features_md(evidence))
| feature | test | statistic | threshold | p-value | score | drifted |
|---|---|---|---|---|---|---|
| age | psi | 0.31 | 0.2 | – | 1.55 | yes |
>>> findings_md({}) is None
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

NOT_AVAILABLE = "not available"


def number(value: Any) -> str:
    """A number for people: ``0.31``, ``1.2e-05``, ``12,345``; ``–`` when not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "–"
    if isinstance(value, int) or (abs(value) >= 1000 and value == int(value)):
        return f"{int(value):,}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def percent(value: Any) -> str:
    text = number(value)
    return text if text == "–" else f"{float(value) * 100:.1f}%"


def duration(seconds: Any) -> str:
    """``45s``, ``35m``, ``2h 05m``, ``1d 2h``."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return "–"
    if not math.isfinite(seconds):
        return "–"
    total = max(int(seconds), 0)
    if total < 60:
        return f"{total}s"
    days, rest = divmod(total // 60, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def when(moment: datetime | str | None) -> str:
    """``2026-03-01 12:00 UTC`` from a datetime or an ISO 8601 string."""
    if moment is None:
        return NOT_AVAILABLE
    try:
        parsed = moment if isinstance(moment, datetime) else datetime.fromisoformat(moment)
    except ValueError:
        return str(moment)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return f"{parsed.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def rows(evidence: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """The entries of one evidence list (anything that is not a mapping left out)."""
    value = evidence.get(key)
    return [r for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []


def part(evidence: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = evidence.get(key)
    return value if isinstance(value, Mapping) else {}


def table(header: Iterable[str], body: Iterable[Iterable[Any]]) -> str:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in body]
    return "\n".join(lines)


def features_text(evidence: Mapping[str, Any], limit: int = 5) -> str | None:
    """The top drifted features in one line."""
    found = [
        f"{f.get('feature')} ({f.get('test') or 'test'} {number(f.get('statistic'))}, "
        f"threshold {number(f.get('threshold'))})"
        for f in rows(evidence, "drifted_features")
        if f.get("drifted")
    ]
    return ", ".join(found[:limit]) or None


def features_md(evidence: Mapping[str, Any]) -> str | None:
    found = rows(evidence, "drifted_features")
    if not found:
        return None
    header = ["feature", "test", "statistic", "threshold", "p-value", "score", "drifted"]
    numbers = ("statistic", "threshold", "p_value", "score")
    body = [
        [
            f.get("feature"),
            f.get("test") or "–",
            *(number(f.get(k)) for k in numbers),
            "yes" if f.get("drifted") else "no",
        ]
        for f in found
    ]
    return table(header, body)


def verdict_text(verdict: Mapping[str, Any]) -> str | None:
    """A prediction-drift verdict in one line."""
    if not verdict:
        return None
    state = "drifted" if verdict.get("drifted") else "not drifted"
    return (
        f"{state}: {verdict.get('test') or 'test'} {number(verdict.get('statistic'))} "
        f"(threshold {number(verdict.get('threshold'))}, p-value {number(verdict.get('p_value'))})"
    )


def dataset_text(evidence: Mapping[str, Any]) -> str | None:
    drift = part(evidence, "dataset_drift")
    if not drift:
        return None
    columns = drift.get("drifted_columns")
    names = ", ".join(str(c) for c in columns) if isinstance(columns, list) and columns else "none"
    return (
        f"{percent(drift.get('share'))} of the features drifted "
        f"(dataset drift at {percent(drift.get('threshold'))}; drifted: {names})"
    )


def findings_md(evidence: Mapping[str, Any]) -> str | None:
    lines = []
    for f in rows(evidence, "data_quality"):
        where = f" on `{f['feature']}`" if f.get("feature") else ""
        value = f" (value {number(f['value'])})" if f.get("value") is not None else ""
        lines.append(
            f"- **{f.get('severity') or 'finding'}** `{f.get('check')}`{where}{value}: "
            f"{f.get('message') or ''}".rstrip(": ")
        )
    return "\n".join(lines) or None


def inline(block: str | None) -> str | None:
    """A Markdown list on one line: its items joined with ``; ``."""
    if block is None:
        return None
    return "; ".join(line.removeprefix("- ").strip() for line in block.splitlines() if line)


def group_name(row: Mapping[str, Any]) -> str:
    """``country=DE`` for a segment, ``v2`` for a model version."""
    if "segment" in row:
        return f"{row.get('segment')}={row.get('segment_value')}"
    return str(row.get("model_version", "?"))


def groups_md(evidence: Mapping[str, Any], key: str) -> str | None:
    """``segments`` or ``model_versions`` as a Markdown list."""
    lines = []
    for g in rows(evidence, key):
        series = part(g, "labels")
        labels = "".join(f", {k}={v}" for k, v in series.items())
        worse = g.get("deviation")
        how = f"{percent(worse)} worse" if isinstance(worse, int | float) else "no baseline"
        size = f", n={number(g['n'])}" if g.get("n") is not None else ""
        lines.append(
            f"- `{group_name(g)}`: {g.get('metric')}{labels} {number(g.get('value'))} vs "
            f"{number(g.get('overall'))} overall ({how}, {g.get('status')}{size})"
        )
    return "\n".join(lines) or None


def coverage_text(evidence: Mapping[str, Any]) -> str | None:
    labels = part(evidence, "labels")
    if not labels:
        return None
    text = f"{percent(labels.get('coverage'))}"
    if labels.get("predictions") is not None:
        text += (
            f" ({number(labels.get('labelled'))} of {number(labels.get('predictions'))} "
            "predictions labelled"
        )
        minimum = labels.get("min_label_coverage")
        text += f"; metrics need {percent(minimum)})" if minimum is not None else ")"
    return text


def delay_text(evidence: Mapping[str, Any]) -> str | None:
    delays = part(part(evidence, "labels"), "delay_seconds")
    found = [
        f"p{float(q) * 100:g} {duration(v)}"
        for q, v in delays.items()
        if v is not None and q.replace(".", "", 1).isdigit()
    ]
    return ", ".join(found) or None


def history_text(evidence: Mapping[str, Any]) -> str | None:
    """Label coverage of the recent windows, oldest first."""
    history = rows(part(evidence, "labels"), "history")
    found = [f"{when(h.get('window_end'))}: {percent(h.get('coverage'))}" for h in history]
    return "; ".join(found) or None


def versions_text(evidence: Mapping[str, Any]) -> str | None:
    changes = part(evidence, "version_changes")
    if not changes:
        return None
    text = f"serving {_names(changes.get('current'))}"
    if changes.get("earlier") is not None:
        text += f"; before: {_names(changes.get('earlier'))}; new: {_names(changes.get('new'))}"
    return text


def _names(values: Any) -> str:
    return ", ".join(str(v) for v in values) if isinstance(values, list) and values else "none"
