"""Fixtures of the SDK tests: a fresh loopback ingest server and clients closed after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sdk_helpers import QUICK_RETRY
from sdk_loopback import LoopbackServer

from watchkeeper.sdk import Client


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    loopback = LoopbackServer().start()
    yield loopback
    loopback.stop()


@pytest.fixture
def make_client() -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(url: str, **options: Any) -> Client:
        options.setdefault("retry", QUICK_RETRY)
        options.setdefault("exit_timeout", 2.0)
        client = Client(url, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close(timeout=2.0)
