"""Drift that cannot matter is not a warning: ``FeatureDrift`` on a low-impact feature is ``info``.

The window's ``drift_drivers`` sample (:mod:`watchkeeper.monitors.insight`) labels each drifted
feature's impact from its importance to the model and the share of the prediction change it
explains. A ``FeatureDrift`` alert at ``warning`` whose feature is ``low`` impact there starts
at ``info`` instead, with an ``impact`` annotation saying why. A route that pages on warning and
above only (``match: ["severity=~critical|high|warning"]``) keeps it on the dashboard and in the
API; a single catch-all route still delivers it, marked ``info``. As with
:func:`~.defaults.raise_drift_severity`, an episode keeps the severity it started with
(``firing``: fingerprints firing before this evaluation), so an importance estimate near the
limit does not make the alert flap.

>>> from datetime import UTC, datetime
>>> from watchkeeper.alerting.model import Alert, AlertStatus
>>> from watchkeeper.monitors.base import MetricSample
>>> t0, t1 = datetime(2026, 3, 1, 11, tzinfo=UTC), datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> drivers = MetricSample("credit", "drift_drivers", {"monitor": "drift", "window": "1h"},
...     t0, t1, 1.0, details={"drivers": [
...         {"feature": "zip", "impact": "low", "importance": 0.004, "explained_share": 0.01}]})
>>> drift = Alert({"alertname": "FeatureDrift", "severity": "warning", "model": "credit",
...                "feature": "zip", "window": "1h"}, {}, AlertStatus.FIRING, t1, t1)
>>> [lowered] = lower_low_impact_drift([drift], [drivers])
>>> lowered.severity.value
'info'
>>> print(lowered.annotations["impact"])
low: zip carries 0.4% of the model's importance and explains 1% of the prediction change
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from watchkeeper.alerting.model import Alert
from watchkeeper.monitors.base import MetricSample


def lower_low_impact_drift(
    alerts: list[Alert], drivers: Sequence[MetricSample], firing: Collection[str] = ()
) -> list[Alert]:
    """The alerts, each ``FeatureDrift`` at warning on a low-impact feature at ``info``."""
    newest: dict[tuple[str, str], MetricSample] = {}
    for sample in sorted(drivers, key=lambda s: s.window_end):
        newest[(sample.model, sample.labels.get("window", ""))] = sample
    out = []
    for alert in alerts:
        if alert.name == "FeatureDrift" and alert.severity.value == "warning":
            found = newest.get((alert.model, alert.labels.get("window", "")))
            driver = _driver(found.details, alert.labels.get("feature", "")) if found else None
            if driver is not None and driver.get("impact") == "low":
                lowered = replace(
                    alert,
                    labels={**alert.labels, "severity": "info"},
                    annotations={**alert.annotations, "impact": _why(driver)},
                    reason=f"{alert.reason}; info: the feature has low impact on the model",
                )
                if lowered.fingerprint in firing or alert.fingerprint not in firing:
                    alert = lowered
        out.append(alert)
    return out


def _driver(details: Mapping[str, Any], feature: str) -> Mapping[str, Any] | None:
    for driver in details.get("drivers") or ():
        if isinstance(driver, Mapping) and driver.get("feature") == feature:
            return driver
    return None


def _why(driver: Mapping[str, Any]) -> str:
    importance, share = driver.get("importance"), driver.get("explained_share")
    text = f"low: {driver.get('feature')} carries "
    text += f"{importance:.1%}" if isinstance(importance, float) else "little"
    text += " of the model's importance"
    if isinstance(share, float):
        text += f" and explains {share:.0%} of the prediction change"
    return text
