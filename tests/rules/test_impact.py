"""FeatureDrift on a feature the model hardly uses starts at info instead of paging."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watchkeeper.alerting.model import Alert, AlertStatus
from watchkeeper.monitors.base import MetricSample
from watchkeeper.rules.impact import lower_low_impact_drift

T0, T1 = datetime(2026, 3, 1, 11, tzinfo=UTC), datetime(2026, 3, 1, 12, tzinfo=UTC)
DRIVERS = [
    {"feature": "income", "impact": "high", "importance": 0.6, "explained_share": 0.9},
    {"feature": "zip", "impact": "low", "importance": 0.01, "explained_share": 0.02},
]


def drivers(window: str = "1h", model: str = "credit") -> MetricSample:
    labels = {"monitor": "drift", "window": window}
    return MetricSample(model, "drift_drivers", labels, T0, T1, 1.0, details={"drivers": DRIVERS})


def drift(feature: str, severity: str = "warning", name: str = "FeatureDrift") -> Alert:
    labels = {"alertname": name, "severity": severity, "model": "credit", "feature": feature,
              "window": "1h"}  # fmt: skip
    return Alert(labels, {}, AlertStatus.FIRING, T1, T1)


@pytest.mark.parametrize(
    ("alert", "samples", "firing", "severity"),
    [
        # a low-impact feature: info, with the reason annotated
        (drift("zip"), [drivers()], set(), "info"),
        # an important feature keeps its warning
        (drift("income"), [drivers()], set(), "warning"),
        # raised to high while performance drops: left alone
        (drift("zip", "high"), [drivers()], set(), "high"),
        # another rule on the same feature: left alone
        (drift("zip", name="MyDrift"), [drivers()], set(), "warning"),
        # no drivers for the alert's window or model: unchanged
        (drift("zip"), [drivers("1d"), drivers(model="other")], set(), "warning"),
        # an episode that started at warning stays at warning
        (drift("zip"), [drivers()], {drift("zip").fingerprint}, "warning"),
        # ... and one that started at info stays at info
        (drift("zip"), [drivers()], {drift("zip", "info").fingerprint}, "info"),
    ],
)
def test_severity(
    alert: Alert, samples: list[MetricSample], firing: set[str], severity: str
) -> None:
    [out] = lower_low_impact_drift([alert], samples, firing)
    assert out.severity.value == severity
    assert ("impact" in out.annotations) == (severity == "info")
