"""Backoff: capped exponential delays with jitter from the injected RNG, Retry-After honoured."""

from __future__ import annotations

import itertools
import random
import time

import httpx
import pytest

from watchkeeper.errors import ConfigError
from watchkeeper.sdk import Client, RetryPolicy
from watchkeeper.sdk.delivery import Verdict, deliver


def scripted(
    statuses: list[int], seen: list[float], headers: dict[str, str] | None = None
) -> httpx.MockTransport:
    """A transport answering ``statuses`` in turn (then 202), noting when each request came."""
    answers = iter(statuses)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(time.monotonic())
        status = next(answers, 202)
        body = {"accepted": 1} if status == 202 else {"error": "busy", "details": []}
        return httpx.Response(status, json=body, headers=headers if status != 202 else None)

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    ("retry", "low", "high"),
    [
        (0, 0.05, 0.1),  # first retry: between half the base and the base
        (1, 0.1, 0.2),
        (3, 0.4, 0.8),
        (5, 1.0, 2.0),  # 0.1 * 2**5 = 3.2 is capped at 2
        (200, 1.0, 2.0),  # no overflow far past the cap
    ],
)
def test_delays_grow_exponentially_up_to_the_cap(retry: int, low: float, high: float) -> None:
    policy = RetryPolicy(base=0.1, cap=2.0)
    rng = random.Random(3)
    delays = [policy.delay(retry, rng) for _ in range(200)]
    assert all(low <= d <= high for d in delays)
    assert max(delays) - min(delays) > (high - low) / 2  # jittered, not one fixed value


def test_the_same_seed_gives_the_same_delays() -> None:
    policy = RetryPolicy()
    first = [policy.delay(n, random.Random(42)) for n in range(6)]
    assert first == [policy.delay(n, random.Random(42)) for n in range(6)]
    assert first != [policy.delay(n, random.Random(43)) for n in range(6)]


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    policy = RetryPolicy(base=0.1, cap=5.0)
    assert policy.delay(0, random.Random(0), retry_after=3.0) == 3.0
    assert policy.delay(0, random.Random(0), retry_after=60.0) == 5.0


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"base": -1.0}, "retry.base"),
        ({"base": 2.0, "cap": 1.0}, "retry.cap"),
        ({"max_retries": -1}, "retry.max_retries"),
    ],
)
def test_a_nonsensical_policy_is_refused(options: dict[str, float], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        RetryPolicy(**options)  # type: ignore[arg-type]


def test_deliver_waits_the_policy_delays_drawn_from_the_injected_rng() -> None:
    policy = RetryPolicy(base=0.5, cap=4.0, max_retries=6)
    waits: list[float] = []

    def pause(seconds: float) -> bool:
        waits.append(seconds)
        return True  # go on retrying

    url = "http://wk/v1/models/m/labels"
    with httpx.Client(transport=scripted([503, 502, 429, 500], [])) as http:
        result = deliver(http, url, b"[]", policy, random.Random(11), pause)
    expected_rng = random.Random(11)
    assert waits == [policy.delay(n, expected_rng) for n in range(4)]
    assert (result.outcome, result.attempts, result.status) == (Verdict.DELIVERED, 5, 202)


def test_deliver_gives_up_after_max_retries_and_when_told_to_stop() -> None:
    policy = RetryPolicy(base=0.0, max_retries=3)
    with httpx.Client(transport=scripted([503] * 10, [])) as http:
        result = deliver(http, "http://wk/x", b"[]", policy, random.Random(0), lambda s: True)
        stopped = deliver(http, "http://wk/x", b"[]", policy, random.Random(0), lambda s: False)
    assert (result.outcome, result.attempts) == (Verdict.GAVE_UP, 4)
    assert result.reason == "503 Service Unavailable: busy"
    assert (stopped.outcome, stopped.attempts) == (Verdict.GAVE_UP, 1)


def test_the_client_sleeps_between_retries() -> None:
    seen: list[float] = []
    policy = RetryPolicy(base=0.04, cap=0.08, max_retries=5)
    transport = scripted([503, 503, 503], seen)
    with Client("http://wk", transport=transport, retry=policy, rng=random.Random(5)) as client:
        client.log_label("m", "r", 1)
        assert client.flush(5.0)
        assert client.stats.retries == 3
    rng = random.Random(5)
    for retry, (before, after) in enumerate(itertools.pairwise(seen)):
        wait = policy.delay(retry, rng)
        assert wait - 0.002 <= after - before < wait + 0.5


def test_the_client_waits_as_long_as_retry_after_asks() -> None:
    seen: list[float] = []
    transport = scripted([429], seen, headers={"Retry-After": "0.3"})
    policy = RetryPolicy(base=0.001, cap=1.0)
    with Client("http://wk", transport=transport, retry=policy) as client:
        client.log_label("m", "r", 1)
        assert client.flush(5.0)
    assert len(seen) == 2 and seen[1] - seen[0] >= 0.3 - 0.002
