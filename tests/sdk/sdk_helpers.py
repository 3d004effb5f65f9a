"""Small test doubles of the SDK tests: a clock that moves on demand, a quick retry policy."""

from __future__ import annotations

from watchkeeper.sdk import RetryPolicy

# fast retries: 1, 2, 4 ... ms, so retry tests take milliseconds
QUICK_RETRY = RetryPolicy(base=0.001, cap=0.01, max_retries=4)


class FakeClock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self, now: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self.now = now

    def __call__(self) -> float:
        return self.now
