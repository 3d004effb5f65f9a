"""The demo, shortened to its first 39 simulated hours: the service starts, traffic streams
through the HTTP API, the data-quality break of day 2 is paged to the local sink and opens an
incident, and the service stops cleanly."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from watchkeeper.demo.run import free_port, run_demo

pytestmark = pytest.mark.slow


def test_the_demo_pages_the_quality_break_of_day_two(tmp_path: Path) -> None:
    out = io.StringIO()
    port = free_port()
    summary = run_demo(
        port,
        tmp_path / "demo",
        None,
        pace=0,
        per_hour=150,
        hours=39,
        linger=False,
        console=Console(file=out, width=120),
    )
    paged = [e["labels"]["alertname"] for e in summary["episodes"]]
    assert "DataQualityBreak" in paged, out.getvalue()
    assert summary["incidents"], out.getvalue()
    text = out.getvalue()
    assert f"http://127.0.0.1:{port}/" in text and "What watchkeeper paged" in text
    assert (tmp_path / "demo" / "watchkeeper.yaml").exists()
    with pytest.raises(httpx.TransportError):  # stopped cleanly: nothing listens any more
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
