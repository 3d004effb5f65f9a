"""Sample builders and the system binaries (promtool, prometheus) the export tests run."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from watchkeeper.export.health import ServiceHealth
from watchkeeper.monitors.base import MetricSample, Status

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def sample(
    name: str,
    value: float,
    labels: Mapping[str, str] | None = None,
    *,
    model: str = "credit",
    hour: int = 0,
    status: Status = Status.OK,
    details: Mapping[str, Any] | None = None,
) -> MetricSample:
    """A sample of the one-hour window starting ``hour`` hours after T0."""
    start = T0 + hour * HOUR
    return MetricSample(
        model, name, dict(labels or {}), start, start + HOUR, value, status, dict(details or {})
    )


def full_health() -> ServiceHealth:
    """A health reading with every field set to a distinct value."""
    return ServiceHealth(
        up_since=T0,
        events_accepted_total={"predictions": 1200, "labels": 300, "outcomes": 7},
        events_rejected_total=4,
        drops_total={"sdk": 2, "intake": 1},
        ingest_queue_depth=17,
        wal_lag_frames=3,
        wal_lag_seconds=0.25,
        apply_duration_seconds=0.012,
        evaluation_duration_seconds=0.4,
        evaluations_total=60,
        store_bytes=1_048_576,
    )


def system_binary(name: str) -> str:
    """Path of a Debian-packaged binary; skipped when absent outside CI, a failure in CI."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} not found on PATH (install with scripts/install-system-deps.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def promtool_check(exposition: bytes) -> subprocess.CompletedProcess[str]:
    """``promtool check metrics`` on an exposition; returncode 0 means no problems."""
    return subprocess.run(
        [system_binary("promtool"), "check", "metrics"],
        input=exposition.decode(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
