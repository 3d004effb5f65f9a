"""Fixtures of the notifier tests: loopback vendor sinks, started fresh for each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from notify_helpers import Sink


@pytest.fixture
def sink() -> Iterator[Callable[[str], Sink]]:
    """``sink("pagerduty")`` starts a loopback server answering like that vendor."""
    started: list[Sink] = []

    def start(vendor: str) -> Sink:
        server = Sink(vendor)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()
