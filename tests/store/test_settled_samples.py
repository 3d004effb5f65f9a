"""The settled windows ``/metrics`` exports for rules with a ``settle``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from watchkeeper.monitors.base import MetricSample
from watchkeeper.store.duckdb_store import DuckDBStore

T0 = datetime(2026, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def coverage(hour: int, value: float, **labels: str) -> MetricSample:
    start = T0 + hour * HOUR
    return MetricSample("credit", "label_coverage", {"window": "1h", **labels}, start,
                        start + HOUR, value)  # fmt: skip


def test_the_newest_window_that_ended_a_settle_before_the_newest(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "store.duckdb")
    store.write_samples(
        [coverage(h, h / 100) for h in range(48)]  # newest window ends at hour 48
        + [coverage(h, 1 - h / 100, model_version="v2") for h in range(30)]  # ends at hour 30
        + [coverage(h, 0.5, model_version="v3") for h in range(10)]  # none a day before
    )
    settled = store.settled_samples([("credit", "label_coverage", timedelta(days=1))] * 2)
    by_version = {s.labels.get("model_version", ""): s for s in settled}
    assert sorted(by_version) == ["", "v2"]  # each series once, v3 has no settled window
    assert by_version[""].window_end == T0 + 24 * HOUR
    assert by_version[""].value == 0.23
    assert by_version["v2"].window_end == T0 + 6 * HOUR
    assert all(s.labels["settled"] == "1d" for s in settled)
    # another model or metric is not read
    assert store.settled_samples([("other", "label_coverage", timedelta(days=1))]) == []
    assert store.settled_samples([("credit", "accuracy", timedelta(days=1))]) == []
    store.close()
