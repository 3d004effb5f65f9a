"""Evidence for an alert: what the model's metric samples say about why it fired.

:func:`gather_evidence` takes the alert and ``samples`` — every metric sample of the alert's
model for the last N windows up to and including the window it fired on (the caller reads
them from the store; N = 1 is enough for everything but ``version_changes`` and the label
coverage history). The *current* window is the one ending last (the shortest of those ending
last, or the alert's ``window`` label's length when it has one); earlier windows of the same
length are *history*. The result is JSON-safe (NaN and infinities become ``None``), has the
same keys every time, and lists are in a deterministic order:

* ``drifted_features``: top 10 features by drift score (statistic / threshold), drifted first;
* ``prediction_drift`` and ``dataset_drift``: the verdicts of that window, or ``None``;
* ``data_quality``: findings of the data-quality checks, most severe first;
* ``segments`` / ``model_versions``: breakdown groups of the alert's metric that breach or are
  worse than the whole window (``deviation``: relative, positive = worse), worst first;
* ``labels``: label coverage, delay quantiles and the coverage of the history windows;
* ``version_changes``: model versions seen now against those seen in the history windows;
* ``drivers``: the window's drift drivers — drifted features ranked by importance-weighted
  drift, each with the share of the prediction change it explains and its impact (``low`` for
  unimportant features) — or ``None`` (see :mod:`watchkeeper.monitors.insight`);
* ``slices``: the window's worst performance slices (feature values, bins, versions, segments
  ranked by (slice metric − overall) × share), or ``None``.

>>> from datetime import UTC, datetime
>>> from watchkeeper.alerting.model import AlertStatus
>>> t0, t1 = datetime(2026, 3, 1, 11, tzinfo=UTC), datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> def s(name, labels, value, status=Status.OK, **details):
...     return MetricSample("credit", name, {"window": "1h", **labels}, t0, t1, value, status,
...                         details)
>>> samples = [
...     s("feature_drift", {"feature": "age", "test": "psi"}, 0.31, Status.BREACH,
...       threshold=0.2, p_value=None),
...     s("feature_drift", {"feature": "income", "test": "ks"}, 0.05, threshold=0.1),
...     s("accuracy", {}, 0.80), s("accuracy", {"model_version": "v2"}, 0.70),
...     s("accuracy", {"model_version": "v1"}, 0.85),
... ]
>>> alert = Alert({"alertname": "AccuracyDrop", "model": "credit", "metric": "accuracy"}, {},
...               AlertStatus.FIRING, t1, t1)
>>> e = gather_evidence(alert, samples)
>>> [(f["feature"], f["score"], f["drifted"]) for f in e["drifted_features"]]
[('age', 1.55, True), ('income', 0.5, False)]
>>> [(v["model_version"], v["value"], v["deviation"]) for v in e["model_versions"]]
[('v2', 0.7, 0.125)]
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from watchkeeper.alerting.model import Alert
from watchkeeper.monitors.base import MetricSample, Status

TOP_FEATURES = 10
TOP_GROUPS = 10
TOP_FINDINGS = 20
COVERAGE_HISTORY = 12
BREAKDOWN = ("model_version", "segment", "segment_value")
# metrics where a lower value is the bad direction (everything else: higher is worse)
HIGHER_IS_BETTER = frozenset(
    {"accuracy", "precision", "recall", "f1", "roc_auc", "r2", "kpi", "label_coverage"}
    | {"prediction_count", "throughput_per_second"}
    | {"ndcg", "precision_at_k", "recall_at_k", "mrr", "map"}  # ranking
)
_SEVERITY_ORDER = {"critical": 0, "high": 1, "warning": 2, "info": 3}


def gather_evidence(
    alert: Alert, samples: Sequence[MetricSample], *, metric: str | None = None
) -> dict[str, Any]:
    """Evidence for ``alert`` from its model's recent ``samples`` (see the module docstring).

    ``metric`` is the alert's metric series name; default: the alert's ``metric`` label.
    Without one, ``segments`` and ``model_versions`` list breaching breakdown samples of any
    metric.
    """
    metric = metric or alert.labels.get("metric") or None
    own = [s for s in samples if not alert.model or s.model == alert.model]
    length = alert.labels.get("window")
    if length is not None:
        own = [s for s in own if s.labels.get("window", length) == length]
    current: list[MetricSample] = []
    history: list[MetricSample] = []
    window = None
    if own:
        end = max(s.window_end for s in own)
        start = max(s.window_start for s in own if s.window_end == end)  # shortest ending last
        current = [s for s in own if (s.window_start, s.window_end) == (start, end)]
        history = [s for s in own if s.window_end - s.window_start == end - start]
        history = [s for s in history if s.window_end <= start]
        window = {"start": start.isoformat(), "end": end.isoformat()}
    return {
        "model": alert.model,
        "metric": metric,
        "window": window,
        "history_windows": len({s.window_end for s in history}),
        "drifted_features": _drifted_features(current),
        "prediction_drift": _verdict(current, "prediction_drift"),
        "dataset_drift": _dataset_drift(current),
        "data_quality": _findings(current),
        "segments": _breakdown(current, alert, metric, "segment"),
        "model_versions": _breakdown(current, alert, metric, "model_version"),
        "labels": _labels(current, history),
        "version_changes": _versions(current, history),
        "drivers": _details(current, "drift_drivers"),
        "slices": _details(current, "performance_slices"),
    }


def _details(current: Iterable[MetricSample], name: str) -> dict[str, Any] | None:
    """The details of the window's ``name`` sample (drivers, slices), JSON-safe, or None."""
    found = [s for s in current if s.name == name]
    if not found:
        return None
    safe: dict[str, Any] = json.loads(json.dumps(dict(found[0].details), default=str))
    return safe


def _drifted_features(current: Iterable[MetricSample]) -> list[dict[str, Any]]:
    return ranked(
        "drifted_features",
        (
            {"feature": s.labels["feature"], **_drift(s)}
            for s in current
            if s.name == "feature_drift" and "feature" in s.labels and _usable(s)
        ),
    )


def _drift(s: MetricSample) -> dict[str, Any]:
    statistic, threshold = _num(s.value), _num(s.details.get("threshold"))
    score = None
    if statistic is not None and threshold is not None and threshold > 0:
        score = round(statistic / threshold, 4)
    return {
        "test": s.labels.get("test", ""),
        "statistic": statistic,
        "p_value": _num(s.details.get("p_value")),
        "threshold": threshold,
        "score": score,
        "drifted": s.status is Status.BREACH,
    }


def _verdict(current: Iterable[MetricSample], name: str) -> dict[str, Any] | None:
    found = [s for s in current if s.name == name and _usable(s)]
    return _drift(min(found, key=lambda s: s.series_key)) if found else None


def _dataset_drift(current: Iterable[MetricSample]) -> dict[str, Any] | None:
    for s in current:
        if s.name == "dataset_drift_share" and _usable(s):
            return {
                "share": _num(s.value),
                "threshold": _num(s.details.get("threshold")),
                "drifted": s.status is Status.BREACH,
                "drifted_columns": sorted(str(c) for c in s.details.get("drifted_columns", [])),
            }
    return None


def _findings(current: Iterable[MetricSample]) -> list[dict[str, Any]]:
    rows = [
        {
            "check": str(f.get("check", "")),
            "feature": None if f.get("column") is None else str(f["column"]),
            "severity": s.labels.get("severity", ""),
            "value": _num(f.get("value")),
            "message": str(f.get("message", "")),
        }
        for s in current
        if s.name == "data_quality_findings"
        for f in s.details.get("findings", [])
        if isinstance(f, Mapping)
    ]
    return ranked("data_quality", rows)


def _breakdown(
    current: Sequence[MetricSample], alert: Alert, metric: str | None, kind: str
) -> list[dict[str, Any]]:
    """Groups (``kind``: ``segment`` or ``model_version``) of the alert's metric that breach
    or are worse than the whole window's value of the same series."""
    series = [s for s in current if _matches(s, alert, metric)]
    whole = {_base(s): s for s in series if _whole(s)}
    rows = []
    for s in series:
        if not _usable(s) or kind not in s.labels:
            continue
        if kind == "model_version" and "segment" in s.labels:
            continue
        base = whole.get(_base(s))
        deviation = _deviation(s.name, s.value, base.value if base else math.nan)
        if s.status is not Status.BREACH and (deviation is None or deviation <= 0):
            continue
        group = {k: s.labels[k] for k in BREAKDOWN if k in s.labels}
        rows.append(
            {
                "metric": s.name,
                "labels": dict(_base(s)),
                **group,
                "value": _num(s.value),
                "overall": _num(base.value) if base else None,
                "deviation": deviation,
                "status": s.status.value,
                "n": _count(s.details, "predictions", "n_labelled", "n"),
            }
        )
    return ranked("segments" if kind == "segment" else "model_versions", rows)


def _matches(s: MetricSample, alert: Alert, metric: str | None) -> bool:
    """A sample of the alert's series (any breakdown); without a metric, any breach."""
    if metric is None:
        return s.status is Status.BREACH
    same = (alert.labels.get(k, v) == v for k, v in s.labels.items() if k not in BREAKDOWN)
    return s.name == metric and all(same)


def _whole(s: MetricSample) -> bool:
    """Whether ``s`` is about the whole window (not a version or segment)."""
    return not any(k in s.labels for k in BREAKDOWN)


def _base(s: MetricSample) -> tuple[tuple[str, str], ...]:
    """The series labels of a breakdown sample without the breakdown (and constant) labels."""
    skip = {*BREAKDOWN, "monitor", "window"}
    return tuple(sorted((k, v) for k, v in s.labels.items() if k not in skip))


def _deviation(metric: str, value: float, overall: float) -> float | None:
    """Relative distance from the whole window's value, positive in the bad direction
    (absolute when the whole window's value is 0)."""
    if not (math.isfinite(value) and math.isfinite(overall)):
        return None
    worse = (overall - value) if metric in HIGHER_IS_BETTER else (value - overall)
    return round(worse / abs(overall) if overall else worse, 4)


def _count(details: Mapping[str, Any], *keys: str) -> int | None:
    """The first of ``keys`` in ``details`` holding a number, as an int."""
    for key in keys:
        number = _num(details.get(key))
        if number is not None:
            return int(number)
    return None


def _labels(
    current: Sequence[MetricSample], history: Sequence[MetricSample]
) -> dict[str, Any] | None:
    coverage = [s for s in current if s.name == "label_coverage" and _whole(s)]
    if not coverage:
        return None
    now = min(coverage, key=lambda s: s.series_key)
    delays = {
        s.labels.get("quantile", ""): _num(s.value)
        for s in current
        if s.name == "label_delay_seconds" and _whole(s)
    }
    past = {s.window_end: s for s in history if s.name == "label_coverage" and _whole(s)}
    past[now.window_end] = now
    trend = [
        {"window_end": end.isoformat(), "coverage": _num(past[end].value)}
        for end in sorted(past)[-COVERAGE_HISTORY:]
    ]
    return {
        "coverage": _num(now.value),
        "labelled": _count(now.details, "labelled"),
        "predictions": _count(now.details, "predictions"),
        "min_label_coverage": _num(now.details.get("min_label_coverage")),
        "oldest_unlabelled_seconds": _num(now.details.get("oldest_unlabelled_seconds")),
        "delay_seconds": dict(sorted(delays.items())),
        "history": trend,
    }


def _versions(
    current: Sequence[MetricSample], history: Sequence[MetricSample]
) -> dict[str, Any] | None:
    now = {s.labels["model_version"] for s in current if "model_version" in s.labels}
    before = {s.labels["model_version"] for s in history if "model_version" in s.labels}
    if not now and not before:
        return None
    seen_before = bool(history)
    return {
        "current": sorted(now),
        "earlier": sorted(before) if seen_before else None,
        "new": sorted(now - before) if seen_before else [],
        "gone": sorted(before - now) if seen_before else [],
    }


def _num(value: Any) -> float | None:
    """A finite float, else ``None`` (JSON has no NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _usable(s: MetricSample) -> bool:
    return s.status is not Status.INSUFFICIENT


def _rank(value: Any) -> float:
    number = _num(value)
    return -number if number is not None else math.inf


def _feature_order(row: Mapping[str, Any]) -> tuple[bool, float, str]:
    return not row.get("drifted"), _rank(row.get("score")), str(row.get("feature"))


def _finding_order(row: Mapping[str, Any]) -> tuple[int, str, str, str]:
    severity = _SEVERITY_ORDER.get(str(row.get("severity")), len(_SEVERITY_ORDER))
    return severity, str(row.get("check")), str(row.get("feature") or ""), str(row.get("message"))


def _group_order(row: Mapping[str, Any]) -> tuple[bool, float, str, str]:
    group = "/".join(str(row.get(k, "")) for k in BREAKDOWN)
    return row.get("status") != "breach", _rank(row.get("deviation")), str(row.get("metric")), group


def _identity(row: Mapping[str, Any], fields: Sequence[str]) -> str:
    return json.dumps([row.get(f) for f in fields], sort_keys=True, default=str)


# How each evidence list is ranked and cut: key fields (an entry's identity when merging the
# evidence of several alerts), sort key, length.
RANKINGS: dict[str, tuple[tuple[str, ...], Callable[[Mapping[str, Any]], Any], int]] = {
    "drifted_features": (("feature",), _feature_order, TOP_FEATURES),
    "data_quality": (("severity", "check", "feature", "message"), _finding_order, TOP_FINDINGS),
    "segments": (("metric", "labels", "segment", "segment_value"), _group_order, TOP_GROUPS),
    "model_versions": (("metric", "labels", "model_version"), _group_order, TOP_GROUPS),
}


def ranked(name: str, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` of the evidence list ``name`` without duplicates (the last of each identity
    wins), ranked and cut as :func:`gather_evidence` does.

    >>> ranked("drifted_features", [{"feature": "age", "score": 2.0, "drifted": True},
    ...                             {"feature": "zip", "score": 5.0, "drifted": True},
    ...                             {"feature": "age", "score": 3.0, "drifted": True}])
    [{'feature': 'zip', 'score': 5.0, 'drifted': True},
     {'feature': 'age', 'score': 3.0, 'drifted': True}]
    """
    fields, order, cap = RANKINGS[name]
    unique = {_identity(row, fields): dict(row) for row in rows}
    return sorted(unique.values(), key=order)[:cap]
