"""PromQL building blocks shared by the rule, Alertmanager and Grafana generators: which
exported series a watchkeeper metric name becomes, its label selector, and quoting.

A rule or panel names a *sample* (``error_rate``, ``feature_drift``) with Alertmanager-style
matchers on the sample's labels. In ``/metrics`` that sample is a Prometheus metric of the
catalogue (:mod:`watchkeeper.export.catalog`) with a bounded label set, two labels renamed
(``quantile`` → ``percentile``, ``severity`` → ``finding_severity``) and an empty label left
out — so ``model_version=`` (the overall series) is ``model_version=""`` in PromQL too.

>>> target = exported("latency_seconds")
>>> target.metric, target.verdict
('watchkeeper_prediction_latency_seconds', None)
>>> series_selector(target, {"model": "credit"}, ["quantile=0.99", "model_version="])
'watchkeeper_prediction_latency_seconds{model="credit", percentile="0.99", model_version=""}'
>>> series_selector(exported("label_coverage"), {}, ["test=ks"])
Traceback (most recent call last):
...
watchkeeper.export.promql.UntranslatableError: matches on label 'test', which /metrics does not \
export for label_coverage
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from watchkeeper.alerting.matchers import Matcher, parse_matchers
from watchkeeper.export.catalog import COMMON_LABELS, ESTIMATED_METRICS, FALLBACK, spec_for

RENAMED = {"quantile": "percentile", "severity": "finding_severity"}
# the ``monitor`` label each sample name carries (the rest come from the performance monitor)
MONITOR_OF = {
    "feature_drift": "drift",
    "prediction_drift": "drift",
    "dataset_drift_share": "drift",
    "label_drift": "drift",
    "data_quality_findings": "quality",
    "missing_share": "quality",
    "unseen_category_share": "quality",
    "prediction_count": "operations",
    "throughput_per_second": "operations",
    "error_rate": "operations",
    "latency_seconds": "operations",
    "kpi": "business",
    "label_invalid_count": "ground_truth",
    "label_invalid_ratio": "ground_truth",
    "label_duplicate_count": "ground_truth",
    "label_agreement_rate": "ground_truth",
    "drift_drivers": "drift",
    "multivariate_drift": "drift",
    "estimation_error": "estimated_performance",
    **dict.fromkeys(ESTIMATED_METRICS, "estimated_performance"),
}
# metrics whose samples are ``provisional`` while a window has too few labels
PROVISIONAL_METRICS = frozenset(
    {
        "accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "calibration_error",
        "mae", "rmse", "mape", "r2", "ndcg", "precision_at_k", "recall_at_k", "mrr", "map",
    }
)  # fmt: skip
# the task's metrics, as the performance monitor computes them
TASK_METRICS = {
    "binary_classification": (
        "roc_auc", "accuracy", "precision", "recall", "f1", "log_loss", "calibration_error",
    ),
    "multiclass_classification": ("accuracy", "precision", "recall", "f1", "log_loss"),
    "regression": ("rmse", "mae", "mape", "r2"),
    "ranking": ("ndcg", "precision_at_k", "recall_at_k", "mrr", "map"),
}  # fmt: skip
OVERALL = {"model_version": "", "segment": ""}  # the model-wide series, not a breakdown


class UntranslatableError(Exception):
    """A watchkeeper rule has no faithful PromQL form; the message says why."""


@dataclass(frozen=True)
class Exported:
    """The Prometheus metrics of one sample name: its value and, if any, its 0/1 verdict."""

    sample: str
    metric: str
    verdict: str | None
    labels: frozenset[str]  # every label the exported series can carry (Prometheus names)


def exported(sample: str) -> Exported:
    spec = spec_for(sample)
    labels = frozenset(RENAMED.get(k, k) for k in ("model", *COMMON_LABELS, *spec.labels))
    verdict = spec.verdict.prometheus_name if spec.verdict is not None else None
    return Exported(sample, spec.prometheus_name, verdict, labels)


def fixed_labels(target: Exported) -> dict[str, str]:
    """Labels a selector of ``target`` always pins: the fallback metric names its sample."""
    return {"metric": target.sample} if spec_for(target.sample) is FALLBACK else {}


def translate_matchers(target: Exported, texts: Iterable[str]) -> list[Matcher]:
    """The matchers with Prometheus label names; a matcher on a label the export drops is left
    out when an absent label passes it, and is :class:`UntranslatableError` otherwise."""
    out = []
    for matcher in parse_matchers(list(texts), "match"):
        name = RENAMED.get(matcher.name, matcher.name)
        if name not in target.labels:
            if matcher({}):
                continue
            raise UntranslatableError(
                f"matches on label {matcher.name!r}, which /metrics does not export for "
                f"{target.sample}"
            )
        out.append(Matcher(name, matcher.op, matcher.value, matcher.pattern))
    return out


def selector(
    metric: str, fixed: Mapping[str, str] | None = None, matchers: Iterable[Matcher] = ()
) -> str:
    """``metric{label="value", ...}``: the ``fixed`` equalities, then the matchers (with
    Prometheus label names already, see :func:`translate_matchers`)."""
    parts = [f"{name}={quote(value)}" for name, value in (fixed or {}).items()]
    parts += [f"{m.name}{m.op}{quote(m.value)}" for m in matchers]
    return f"{metric}{{{', '.join(parts)}}}" if parts else metric


def series_selector(target: Exported, fixed: Mapping[str, str], match: Iterable[str]) -> str:
    """The selector of ``target``'s value metric for a rule's ``match`` strings."""
    labels = {**fixed_labels(target), **fixed}
    return selector(target.metric, labels, translate_matchers(target, match))


def quote(value: str) -> str:
    """A double-quoted PromQL / Alertmanager string (Go escapes).

    >>> print(quote('a"b\\\\c'))
    "a\\"b\\\\c"
    """
    return json.dumps(value, ensure_ascii=False)


def duration(length: timedelta) -> str:
    """A Prometheus duration in its largest whole unit up to days.

    >>> duration(timedelta(days=7)), duration(timedelta(minutes=90)), duration(timedelta(0))
    ('7d', '90m', '0s')
    """
    seconds = int(length.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def number(value: float) -> str:
    """A PromQL number literal without float noise: ``0.2``, ``-0.95``, ``6``."""
    text = f"{value:.12g}"
    return text if "e" not in text else repr(value)
