"""Label drift: verdicts on the arrived labels, provisional while coverage is low."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from watchkeeper.monitors.label_drift import label_samples
from watchkeeper.monitors.scope import Scope
from watchkeeper.profiles.dataset import build_profile
from watchkeeper.settings import parse_service_config

T = datetime(2026, 1, 1, tzinfo=UTC)
REFERENCE = build_profile(pa.table({"x": [1.0] * 1000, "y": [0] * 700 + [1] * 300}))


def _config(label: str | None = "y"):  # type: ignore[no-untyped-def]
    spec = {"task": "binary_classification", "performance": {"min_label_coverage": 0.5}}
    if label:
        spec["label"] = label
    return parse_service_config({"models": {"m": spec}}).models["m"]


def _labels(positive: int, negative: int) -> pa.Table:
    values = ["1"] * positive + ["0"] * negative
    return pa.table({"id": [str(i) for i in range(len(values))], "label": values})


@pytest.mark.parametrize(
    ("labels", "predictions", "status"),
    [
        # class balance flipped, every prediction labelled: drift
        (_labels(700, 300), 1000, "breach"),
        # the same flip on 20% of the predictions: not judged yet
        (_labels(140, 60), 1000, "provisional"),
        # the reference's balance: no drift
        (_labels(300, 700), 1000, "ok"),
    ],
)
def test_label_drift(labels: pa.Table, predictions: int, status: str) -> None:
    [sample] = label_samples(Scope("m", T, T), _config(), REFERENCE, labels, predictions)
    assert sample.name == "label_drift" and sample.status.value == status


def test_no_label_column_or_no_labels_means_no_sample() -> None:
    assert label_samples(Scope("m", T, T), _config(None), REFERENCE, _labels(5, 5), 10) == []
    assert label_samples(Scope("m", T, T), _config(), REFERENCE, _labels(0, 0), 10) == []
