"""POST one encoded batch to the HTTP API, retrying what may succeed later.

Shared by the SDK's background sender and the file backfill. 202 is delivered; 408, 429, 5xx
and connection errors are retried with capped exponential backoff and jitter; any other answer
rejects the batch (the API wrote none of it), so it is not sent again.

>>> import httpx, random
>>> answers = iter([503, 202])
>>> http = httpx.Client(transport=httpx.MockTransport(
...     lambda request: httpx.Response(next(answers), json={"accepted": 1})))
>>> d = deliver(http, "http://wk/v1/models/m/labels", b"[]", RetryPolicy(base=0.0),
...             random.Random(0), pause=lambda seconds: True)
>>> d.outcome, d.attempts
(<Verdict.DELIVERED: 'delivered'>, 2)
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

import httpx

from watchkeeper.errors import ConfigError, WatchkeeperError
from watchkeeper.sdk.records import Kind

RETRIABLE_STATUS = frozenset({408, 429})


class DeliveryError(WatchkeeperError):
    """Records could not be delivered to the watchkeeper service."""


class Verdict(StrEnum):
    DELIVERED = "delivered"  # 202: the service made the batch durable
    REJECTED = "rejected"  # a 4xx other than 408/429: the service wrote none of it; do not resend
    GAVE_UP = "gave_up"  # still failing after the last retry (or told to stop retrying)


@dataclass(frozen=True)
class Delivery:
    """What happened to one batch, and why."""

    outcome: Verdict
    attempts: int
    status: int | None  # HTTP status of the last answer; None after a connection error
    reason: str  # "" when delivered

    @property
    def retries(self) -> int:
        return self.attempts - 1


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with equal jitter: retry ``n`` (from 0) waits between ``d / 2`` and
    ``d`` where ``d = min(cap, base * 2**n)``; a batch is given up after ``max_retries``.

    >>> policy = RetryPolicy(base=0.5, cap=4.0)
    >>> [policy.ceiling(n) for n in range(5)]
    [0.5, 1.0, 2.0, 4.0, 4.0]
    >>> 0.25 <= policy.delay(0, random.Random(1)) <= 0.5
    True
    """

    base: float = 0.1
    cap: float = 10.0
    max_retries: int = 10

    def __post_init__(self) -> None:
        if not self.base >= 0:
            raise ConfigError("retry.base", self.base, "must be >= 0 seconds")
        if not self.cap >= self.base:
            raise ConfigError("retry.cap", self.cap, "must be >= retry.base")
        if self.max_retries < 0:
            raise ConfigError("retry.max_retries", self.max_retries, "must be >= 0")

    def ceiling(self, retry: int) -> float:
        return min(self.cap, self.base * 2.0 ** min(retry, 64))

    def delay(self, retry: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait before retry ``retry``; a server's Retry-After is honoured up to cap."""
        ceiling = self.ceiling(retry)
        wait = ceiling / 2 + rng.uniform(0.0, ceiling / 2)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.cap))
        return wait


def endpoint(url: str, model: str, kind: Kind) -> str:
    """``{url}/v1/models/{model}/{kind}``, the model name escaped as one path segment.

    >>> endpoint("http://127.0.0.1:8000/", "credit v2", Kind.LABELS)
    'http://127.0.0.1:8000/v1/models/credit%20v2/labels'
    """
    return f"{url.rstrip('/')}/v1/models/{quote(model, safe='')}/{kind.value}"


def deliver(
    http: httpx.Client,
    url: str,
    body: bytes,
    policy: RetryPolicy,
    rng: random.Random,
    pause: Callable[[float], bool],
) -> Delivery:
    """POST ``body`` until it is delivered, rejected or retries run out.

    ``pause(seconds)`` waits before a retry and returns False to stop retrying (shutdown).
    """
    headers = {"Content-Type": "application/json"}
    attempt = 0
    while True:
        attempt += 1
        status: int | None = None
        retry_after: float | None = None
        try:
            response = http.post(url, content=body, headers=headers)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            return Delivery(Verdict.REJECTED, attempt, None, f"bad url {url!r}: {exc}")
        except httpx.TransportError as exc:
            reason = f"{type(exc).__name__} posting to {url}: {exc or 'no detail'}"
        else:
            status = response.status_code
            if status == 202:
                return Delivery(Verdict.DELIVERED, attempt, status, "")
            reason = _answer(response)
            if status < 500 and status not in RETRIABLE_STATUS:
                return Delivery(Verdict.REJECTED, attempt, status, reason)
            retry_after = _retry_after(response)
        retry = attempt - 1
        if retry >= policy.max_retries or not pause(policy.delay(retry, rng, retry_after)):
            return Delivery(Verdict.GAVE_UP, attempt, status, reason)


def _answer(response: httpx.Response) -> str:
    """``"400 Bad Request: <error> [<details>]"`` from an API error body, or its raw text."""
    head = f"{response.status_code} {response.reason_phrase}".strip()
    try:
        payload = response.json()
    except ValueError:
        text = response.text.strip()
        return f"{head}: {text[:300]}" if text else head
    if isinstance(payload, dict) and "error" in payload:
        details = payload.get("details") or []
        if not isinstance(details, list):
            details = [details]
        shown = "; ".join(str(d) for d in details[:3])
        more = f" (+{len(details) - 3} more)" if len(details) > 3 else ""
        return f"{head}: {payload['error']}" + (f" [{shown}{more}]" if shown else "")
    return f"{head}: {str(payload)[:300]}"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        return None  # absent, or an HTTP date: the backoff alone decides
    return seconds if seconds >= 0 else None
