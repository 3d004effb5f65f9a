"""CloudWatch Embedded Metric Format: monitor samples as structured log lines CloudWatch turns
into metrics.

One JSON document per (labels, window): the ``_aws`` metadata holds ``Timestamp`` (the window's
end in milliseconds) and one metric directive (``Namespace``, one dimension set made of the
series labels, ``Metrics`` with ``Name`` and ``Unit``); the dimension values and metric values
are top-level members. Metric names are the catalogue's names without unit suffix
(``model_accuracy``), since the unit travels in ``Unit``: ratios are sent as ``Percent``
(x100), seconds as ``Seconds``, counts as ``Count``, rates as ``Count/Second``, scores as
``None``. Dimensions are the same bounded label set as in Prometheus (at most 8, well under
the 30 allowed); every sample given is written (history too, each at its own timestamp), and
non-finite values are skipped because EMF values must be JSON numbers. ``WindowStart``,
``WindowEnd`` and ``Status`` (metric name -> sample status) ride along as plain members.

>>> from datetime import UTC, datetime
>>> from watchkeeper.monitors.base import MetricSample
>>> t0, t1 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC)
>>> doc, = render_emf([MetricSample("credit", "accuracy", {"monitor": "perf"}, t0, t1, 0.93)])
>>> doc["_aws"]["Timestamp"], doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
(1767229200000, [{'Name': 'model_accuracy', 'Unit': 'Percent'}])
>>> doc["model"], doc["monitor"], doc["model_accuracy"]
('credit', 'perf', 93.0)
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from watchkeeper.errors import ConfigError
from watchkeeper.export.catalog import LabelPairs, Unit, exported_values, series_labels
from watchkeeper.monitors.base import MetricSample

NAMESPACE = "watchkeeper"
MAX_DIMENSIONS = 30
MAX_DIMENSION_VALUE = 1024
EMF_UNITS = {
    Unit.NONE: "None",
    Unit.RATIO: "Percent",
    Unit.SECONDS: "Seconds",
    Unit.BYTES: "Bytes",
    Unit.COUNT: "Count",
    Unit.PER_SECOND: "Count/Second",
}
_UNIT_FACTOR = {Unit.RATIO: 100.0}
_NAMESPACE = re.compile(r"^[A-Za-z0-9._#:/-]{1,255}$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

GroupKey = tuple[LabelPairs, datetime, datetime]


def render_emf(
    samples: Iterable[MetricSample], *, namespace: str = NAMESPACE
) -> list[dict[str, Any]]:
    """EMF documents for the samples, grouped by labels and window, in first-seen order."""
    if not _NAMESPACE.match(namespace):
        raise ConfigError("emf.namespace", namespace, "1-255 of letters, digits and ._#:/-")
    groups: dict[GroupKey, dict[str, tuple[float, str, str]]] = {}
    for sample in samples:
        for spec, raw in exported_values(sample):
            value = raw * _UNIT_FACTOR.get(spec.unit, 1.0)
            if not math.isfinite(value):
                continue
            labels = tuple(
                (key, text[:MAX_DIMENSION_VALUE]) for key, text in series_labels(sample, spec)
            )[:MAX_DIMENSIONS]
            metrics = groups.setdefault((labels, sample.window_start, sample.window_end), {})
            metrics[spec.base] = (value, EMF_UNITS[spec.unit], sample.status.value)
    # a document holds at most one value per catalogue entry, fewer than the 100 metrics allowed
    return [_document(namespace, *key, metrics) for key, metrics in groups.items()]


def write_emf(
    samples: Iterable[MetricSample], file: TextIO, *, namespace: str = NAMESPACE
) -> int:
    """Write one EMF document per line to ``file``; returns the number of lines."""
    documents = render_emf(samples, namespace=namespace)
    for document in documents:
        file.write(json.dumps(document, separators=(",", ":"), allow_nan=False) + "\n")
    return len(documents)


def _document(
    namespace: str,
    labels: LabelPairs,
    start: datetime,
    end: datetime,
    metrics: dict[str, tuple[float, str, str]],
) -> dict[str, Any]:
    directive = {
        "Namespace": namespace,
        "Dimensions": [[key for key, _ in labels]],
        "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit, _) in metrics.items()],
    }
    document: dict[str, Any] = {
        "_aws": {"Timestamp": _milliseconds(end), "CloudWatchMetrics": [directive]},
        "WindowStart": start.isoformat(),
        "WindowEnd": end.isoformat(),
        "Status": {name: status for name, (_, _, status) in metrics.items()},
    }
    document.update(labels)
    document.update({name: value for name, (value, _, _) in metrics.items()})
    return document


def _milliseconds(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)
