"""The first and last stages: take in the reported alerts, write down what was sent.

``ingest_stage`` merges the reported alerts into the state's known alerts (by fingerprint; a
report older than the known version is ignored) and passes every known firing alert on. An
alert not reported keeps its last known status, so a timer run may report nothing. Pending
alerts are not notified; a resolved alert nobody was told about is dropped. Expired silences
are kept :data:`SILENCE_RETENTION`, then dropped.

``record_stage`` writes each notification into the notification log (which alerts each
receiver now believes fire, since when, and when it last heard), then forgets the resolved
alerts every receiver has heard about, and the groups with nothing firing and nothing to tell.
"""

from __future__ import annotations

from dataclasses import replace

from watchkeeper.alerting.model import AlertStatus, Decision, iso
from watchkeeper.alerting.silences import SILENCE_RETENTION
from watchkeeper.alerting.stages import Flow, StageResult, Tick
from watchkeeper.alerting.state import ReceiverLog


def ingest_stage(flow: Flow, tick: Tick) -> StageResult:
    known, decisions = tick.state.alerts, []
    for alert in flow.reported:
        fp = alert.fingerprint
        before = known.get(fp)
        if alert.status is AlertStatus.PENDING:
            reason = "pending: not notified until it fires"
        elif before is not None and alert.updated_at < before.updated_at:
            reason = f"stale: updated {iso(alert.updated_at)}, known {iso(before.updated_at)}"
        elif alert.status is AlertStatus.RESOLVED and before is None:
            reason = "resolved, and no receiver was told it fired: nothing to say"
        else:
            if alert.status is AlertStatus.RESOLVED and alert.ends_at is None:
                alert = replace(alert, ends_at=alert.updated_at)
            known[fp] = alert
            continue
        decisions.append(Decision("receive", False, reason, fp))
    silences = tick.state.silences
    for sid, silence in list(silences.items()):
        if silence.ends_at + SILENCE_RETENTION <= tick.now:
            del silences[sid]
    firing = sorted(
        (a for a in known.values() if a.status is AlertStatus.FIRING), key=lambda a: a.fingerprint
    )
    return StageResult(replace(flow, alerts=tuple(firing)), tuple(decisions))


def record_stage(flow: Flow, tick: Tick) -> StageResult:
    state, now = tick.state, tick.now
    for out in flow.outgoing:
        for cover in out.covers:
            log = state.groups.get(cover.group_key)
            if log is None:
                continue
            entry = log.receivers.setdefault(cover.receiver, ReceiverLog(level=cover.level))
            for fp in cover.firing:
                entry.open.setdefault(fp, now)
            for fp in cover.resolved:
                entry.open.pop(fp, None)
            entry.last_sent = now
            if cover.firing:  # the next thing due is the repeat
                state.timers[f"notify {cover.group_key} {cover.receiver}"] = (
                    now + out.route.repeat_interval
                )
    for log in state.groups.values():
        for entry in log.receivers.values():
            for fp in [fp for fp in entry.open if fp not in state.alerts]:
                del entry.open[fp]  # unknown (a hand-edited state): nothing can be said of it
    told = {fp for g in state.groups.values() for r in g.receivers.values() for fp in r.open}
    decisions = []
    for fp, alert in sorted(state.alerts.items()):
        if alert.status is AlertStatus.RESOLVED and fp not in told:
            del state.alerts[fp]
            state.acks.pop(fp, None)
            reason = "resolved, and no receiver is still to hear of it: forgotten"
            decisions.append(Decision("record", True, reason, fp))
    for key, log in list(state.groups.items()):
        if not log.members and not any(r.open for r in log.receivers.values()):
            del state.groups[key]
    for fp in [fp for fp in state.acks if fp not in state.alerts]:
        del state.acks[fp]
    return StageResult(flow, tuple(decisions))
