"""The message text every human-facing notifier shares: title, summary and alert lines."""

from __future__ import annotations

import pytest
from notify_helpers import alert, notification

from watchkeeper.alerting.model import Alert
from watchkeeper.notify.common import alert_lines, summary, title


@pytest.mark.parametrize(
    ("alerts", "expected"),
    [
        # one alert: its name, its model, its severity
        ([alert()], "[FIRING:1] FeatureDrift credit (warning)"),
        # the worst severity of the group; both names
        (
            [alert(), alert("LatencySpike", severity="critical")],
            "[FIRING:2] FeatureDrift, LatencySpike credit (critical)",
        ),
        # no model shared: none shown
        ([alert(), alert(model="churn")], "[FIRING:2] FeatureDrift (warning)"),
        # only firing alerts are counted
        (
            [alert(), alert(feature="income", resolved=True)],
            "[FIRING:1] FeatureDrift credit (warning)",
        ),
        # all resolved
        ([alert(resolved=True)], "[RESOLVED] FeatureDrift credit (warning)"),
        # many names: the first three and how many more
        ([alert(name) for name in "EDCBA"], "[FIRING:5] A, B, C +2 credit (warning)"),
    ],
)
def test_title(alerts: list[Alert], expected: str) -> None:
    assert title(notification(*alerts)) == expected


def test_summary_prefers_a_firing_alert() -> None:
    group = notification(alert(summary="gone", resolved=True), alert(summary="now broken"))
    assert summary(group) == "now broken"
    assert summary(notification(alert(summary=""))) == "[FIRING:1] FeatureDrift credit (warning)"


def test_alert_lines_list_firing_first_and_mark_status_in_mixed_groups() -> None:
    group = notification(
        alert(feature="old", resolved=True), alert(feature="new", window="1h"), alert(feature="x")
    )
    lines, more = alert_lines(group, limit=2)
    assert lines == [
        "FeatureDrift feature=new window=1h: new drifted on credit [firing]",
        "FeatureDrift feature=x: x drifted on credit [firing]",
    ]
    assert more == 1
