"""From a series' window verdicts to the alert's state: inactive, pending, firing, resolved.

Replayed over the series' history on every evaluation (oldest window first), so the state is a
pure function of the stored samples: a restart recomputes exactly the same alerts.

* inactive → pending on a breach; pending → firing once ``for`` of the last ``of`` judged
  windows (default: ``for`` in a row) breached — ``starts_at`` is the end of that window;
  pending → inactive once no breach is left among those windows.
* firing → resolved after ``resolve_after`` clear windows in a row (``hold`` windows, in the
  hysteresis band, neither clear nor breach); ``ends_at`` is the end of the last clear window.
* ``unknown`` windows (no value, too few labels) are skipped: they neither fire nor resolve.

>>> from watchkeeper.rules.verdicts import Kind, Verdict
>>> from datetime import UTC, datetime, timedelta
>>> ends = [datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=h) for h in range(1, 7)]
>>> kinds = ["clear", "breach", "breach", "breach", "clear", "clear"]
>>> v = [Verdict(Kind(k), k) for k in kinds]
>>> t = replay(v, ends, for_=2, of=None, resolve_after=2)
>>> t.state, t.starts_at.hour, t.ends_at.hour
(<State.RESOLVED: 'resolved'>, 3, 6)
>>> replay(v[:3], ends[:3], for_=2, of=None, resolve_after=2).state
<State.FIRING: 'firing'>
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from watchkeeper.rules.verdicts import Kind, Verdict


class State(StrEnum):
    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Track:
    """Where the alert stands after the newest window, and why."""

    state: State
    starts_at: datetime | None  # pending: first breach; firing/resolved: when it fired
    ends_at: datetime | None  # resolved only
    index: int  # the window that decided the state (-1: none)
    reason: str


def replay(
    verdicts: Sequence[Verdict],
    window_ends: Sequence[datetime],
    *,
    for_: int,
    of: int | None,
    resolve_after: int,
) -> Track:
    need, span = for_, of or for_
    recent: deque[bool] = deque(maxlen=span)
    state, starts, ends, index, reason = State.INACTIVE, None, None, -1, "no breach"
    clear_run = 0
    for i, verdict in enumerate(verdicts):
        if verdict.kind is Kind.UNKNOWN:
            continue
        at = window_ends[i]
        if state is State.FIRING:
            clear_run = clear_run + 1 if verdict.kind is Kind.CLEAR else 0
            if verdict.kind is Kind.BREACH:
                index, reason = i, verdict.reason
            if clear_run >= resolve_after:
                state, ends, index = State.RESOLVED, at, i
                reason = f"clear for {clear_run} window(s): {verdict.reason}"
            continue
        if verdict.kind is Kind.HOLD:
            continue
        if state is State.RESOLVED and verdict.kind is Kind.BREACH:
            state, starts, ends = State.INACTIVE, None, None  # a new episode
            recent.clear()
        if of is None and verdict.kind is Kind.CLEAR:  # ``for`` in a row: a clear restarts
            recent.clear()
        recent.append(verdict.kind is Kind.BREACH)
        breaches = sum(recent)
        if verdict.kind is Kind.BREACH and state is State.INACTIVE:
            state, starts = State.PENDING, at
        if state is State.PENDING:
            if breaches >= need:
                state, starts, index, clear_run = State.FIRING, at, i, 0
                reason = (
                    verdict.reason
                    if need == 1
                    else (f"{verdict.reason} ({breaches} of the last {len(recent)} windows)")
                )
            elif breaches == 0:
                state, starts = State.INACTIVE, None
            else:
                index, reason = i, f"{verdict.reason} ({breaches} of {need} windows so far)"
    return Track(state, starts, ends, index, reason)
