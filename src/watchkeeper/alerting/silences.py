"""Silences and acknowledgements, kept in the pipeline state.

A silence mutes the firing alerts its matchers match while it is active
(``starts_at <= now < ends_at``); a silenced alert's :class:`Decision` names the silence id.
An acknowledgement says someone is on it: the alert is still notified when something changes,
but it is not repeated by ``repeat_interval``, it stops escalating, and its resolve is sent.
Every function here returns a new state and leaves the one passed in untouched.

>>> from datetime import UTC, datetime, timedelta
>>> at = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> s = new_silence(["model=credit"], at, at + timedelta(hours=2), "ana", "retraining")
>>> state = add_silence(PipelineState(), s)
>>> [x.status(at) for x in list_silences(state)], s.id
(['active'], '38f1c542bf1f8c63')
>>> state = expire_silence(state, s.id, at + timedelta(minutes=5))
>>> list_silences(state)[0].status(at + timedelta(minutes=5))
'expired'
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from watchkeeper.alerting.matchers import Matcher, matches, parse_matchers
from watchkeeper.alerting.model import AlertStatus, Decision, iso
from watchkeeper.alerting.stages import Flow, StageResult, Tick
from watchkeeper.alerting.state import Ack, PipelineState, Silence
from watchkeeper.errors import ConfigError, InputError

SILENCE_RETENTION = timedelta(days=5)  # expired silences stay listed this long
Matchers = tuple[Matcher, ...]


def new_silence(
    matchers: Sequence[str],
    starts_at: datetime,
    ends_at: datetime,
    created_by: str,
    comment: str = "",
) -> Silence:
    """A validated silence whose id is a hash of its content (so re-adding it is a no-op)."""
    if not matchers:
        raise InputError("silence.matchers: give at least one matcher (got [])")
    try:
        parse_matchers(matchers, "silence.matchers")
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    if ends_at <= starts_at:
        raise InputError(f"silence.ends_at: must be after starts_at (got {iso(ends_at)})")
    text = "\x00".join([*matchers, iso(starts_at), iso(ends_at), created_by, comment])
    sid = hashlib.sha256(text.encode()).hexdigest()[:16]
    return Silence(sid, tuple(matchers), starts_at, ends_at, created_by, comment)


def add_silence(state: PipelineState, silence: Silence) -> PipelineState:
    new = state.copy()
    new.silences[silence.id] = silence
    return new


def expire_silence(state: PipelineState, silence_id: str, now: datetime) -> PipelineState:
    """End a silence at ``now`` (it stays listed as expired); unknown ids raise InputError."""
    silence = state.silences.get(silence_id)
    if silence is None:
        raise InputError(f"silence {silence_id!r}: no such silence")
    new = state.copy()
    if silence.ends_at > now:
        new.silences[silence_id] = replace(
            silence, starts_at=min(silence.starts_at, now), ends_at=now
        )
    return new


def list_silences(state: PipelineState) -> tuple[Silence, ...]:
    """Every silence kept, newest start first."""
    return tuple(sorted(state.silences.values(), key=lambda s: (s.starts_at, s.id), reverse=True))


def ack(
    state: PipelineState, target: str, by: str, now: datetime, comment: str = ""
) -> PipelineState:
    """Acknowledge a firing alert (by fingerprint) or every firing alert of a group (by key)."""
    if target in state.alerts:
        fingerprints = [target]
    elif target in state.groups:
        group = state.groups[target]
        told = {fp for log in group.receivers.values() for fp in log.open}
        fingerprints = sorted(set(group.members) | told)
    else:
        raise InputError(f"ack {target!r}: no such alert fingerprint or alert group")
    firing = [fp for fp in fingerprints if _firing(state, fp)]
    if not firing:
        raise InputError(f"ack {target!r}: nothing firing to acknowledge")
    new = state.copy()
    for fp in firing:
        new.acks.setdefault(fp, Ack(fp, by, now, comment))
    return new


def _firing(state: PipelineState, fp: str) -> bool:
    alert = state.alerts.get(fp)
    return alert is not None and alert.status is AlertStatus.FIRING


def silencing(silences: Sequence[Silence], now: datetime) -> list[tuple[Silence, Matchers]]:
    """The active silences (by id) with their matchers compiled."""
    active = sorted((s for s in silences if s.status(now) == "active"), key=lambda s: s.id)
    return [(s, parse_matchers(s.matchers, f"silence {s.id}")) for s in active]


def silence_stage(flow: Flow, tick: Tick) -> StageResult:
    """Drop silenced alerts; say which of the rest are acknowledged (they still pass)."""
    active = silencing(list(tick.state.silences.values()), tick.now)
    survivors, decisions = [], []
    for alert in flow.alerts:
        silence = next((s for s, m in active if matches(m, alert.labels)), None)
        if silence is not None:
            reason = f"silenced by {silence.id} until {iso(silence.ends_at)}"
            reason += f" ({silence.created_by}: {silence.comment})" if silence.comment else ""
            decisions.append(Decision("silence", False, reason, alert.fingerprint, silence.id))
            continue
        survivors.append(alert)
        acked = tick.state.acks.get(alert.fingerprint)
        if acked is not None:
            reason = (
                f"acknowledged by {acked.by} at {iso(acked.at)}: not repeated or escalated, "
                "its resolve is still sent"
            )
            decisions.append(Decision("ack", True, reason, alert.fingerprint, acked.by))
    return StageResult(replace(flow, alerts=tuple(survivors)), tuple(decisions))
