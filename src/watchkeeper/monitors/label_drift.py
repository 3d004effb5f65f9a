"""Label drift: the distribution of the ground truth that has arrived for a window, against the
reference's label column (class balance for classification, the target for regression).

A change in the label distribution with unchanged inputs is the signature of concept drift
(or of a changed labelling process). Labels trickle in, and the ones that arrive first are
rarely a random subset, so a verdict is ``provisional`` until the window's label coverage
reaches ``performance.min_label_coverage``.

>>> from datetime import UTC, datetime
>>> import pyarrow as pa
>>> from watchkeeper.monitors.scope import Scope
>>> from watchkeeper.profiles.dataset import build_profile
>>> from watchkeeper.settings import parse_service_config
>>> config = parse_service_config({"models": {"m": {"task": "binary_classification",
...                                                  "label": "y"}}}).models["m"]
>>> reference = build_profile(pa.table({"y": [0] * 700 + [1] * 300}))
>>> labels = pa.table({"id": [str(i) for i in range(1000)], "label": ["1"] * 700 + ["0"] * 300})
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> [s.status.value for s in label_samples(Scope("m", t, t), config, reference, labels, 1000)]
['breach']
"""

from __future__ import annotations

import pyarrow as pa

from watchkeeper.config import ReportConfig
from watchkeeper.drift.selection import evaluate_drift
from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.monitors.data import _drift_sample, _view
from watchkeeper.monitors.scope import Scope
from watchkeeper.profiles.dataset import DatasetProfile, build_profile
from watchkeeper.settings import ModelConfig


def label_samples(
    scope: Scope,
    config: ModelConfig,
    reference: DatasetProfile,
    labels: pa.Table,
    predictions: int,
) -> list[MetricSample]:
    """One ``label_drift`` sample, or none without a label column or labels."""
    name = config.label
    if name is None or name not in reference.columns or labels.num_rows == 0:
        return []
    ref = _view(reference, [name])
    current = build_profile(pa.table({name: labels.column("label")}), reference=ref, workers=1)
    settings = ReportConfig(drift=config.drift).drift_settings()
    [verdict] = evaluate_drift(ref, current, settings).columns
    sample = _drift_sample(scope, "label_drift", verdict, {})
    coverage = labels.num_rows / predictions if predictions else 0.0
    if sample.status is Status.BREACH and coverage < config.performance.min_label_coverage:
        sample = MetricSample(
            sample.model,
            sample.name,
            sample.labels,
            sample.window_start,
            sample.window_end,
            sample.value,
            Status.PROVISIONAL,
            {**sample.details, "label_coverage": coverage},
        )
    return [sample]
