"""ServiceHealth: validation at construction and the readings every exporter renders."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import datetime
from typing import Any

import pytest
from export_helpers import T0, full_health

from watchkeeper.export.health import HEALTH_METRICS, ServiceHealth, health_readings


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"events_rejected_total": -1}, "events_rejected_total"),  # a counter below zero
        ({"wal_lag_seconds": float("nan")}, "wal_lag_seconds"),  # not a number
        ({"store_bytes": True}, "store_bytes"),  # a bool is not a count
        ({"drops_total": {"sdk": -3}}, "drops_total['sdk']"),  # a bad value in a mapping
        ({"up_since": datetime(2026, 1, 1)}, "timezone-aware"),  # a naive start time
    ],
)
def test_bad_readings_are_refused_with_the_field_name(
    changes: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        ServiceHealth(**{"up_since": T0, **changes})


def test_every_field_is_exported_exactly_once() -> None:
    exported = [metric.attribute for metric in HEALTH_METRICS]
    assert sorted(exported) == sorted(f.name for f in fields(ServiceHealth))


def test_readings_carry_labels_for_mapping_fields() -> None:
    readings = {(m.name, labels): value for m, labels, value in health_readings(full_health())}
    assert readings[("events_accepted_total", (("kind", "labels"),))] == 300
    assert readings[("events_dropped_total", (("source", "intake"),))] == 1
    assert readings[("start_time_seconds", ())] == T0.timestamp()
    assert readings[("apply_duration_seconds", ())] == 0.012
    assert len(readings) == 16
