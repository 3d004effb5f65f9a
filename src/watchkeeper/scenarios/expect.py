"""Judge a harness run against a scenario's expectations: one :class:`Verdict` per check,
saying what was observed — the time it fired or resolved, who was notified, or what fired
instead.

An alert *fires* when its status turns firing at an evaluation (the end of a step); *notified*
means a notification about it firing was queued for a receiver (after inhibition, silences
and routing). Each expectation entry gives up to three checks: that it fires (within
``fires_between`` if given), that it ``resolves_by`` a time, and whether it was ``notified``.

>>> from datetime import UTC, datetime, timedelta
>>> from watchkeeper.scenarios.results import RunResult, Transition
>>> from watchkeeper.scenarios.spec import Expectation
>>> t = datetime(2026, 3, 3, 12, tzinfo=UTC)
>>> labels = {"alertname": "NoTraffic", "severity": "critical", "model": "credit"}
>>> run = RunResult(t, t, 1, 0, 0, 0, (), (Transition(t, "fp", labels, "firing"),), ())
>>> expected = Expectation("NoTraffic", "critical", fires_between=(t - timedelta(hours=6), t),
...                        notified=True)
>>> [(v.check, v.passed, v.observed) for v in judge(run, [expected], [], [])]
[('NoTraffic critical fires in [2026-03-03 06:00Z, 2026-03-03 12:00Z]', True, \
'fired 2026-03-03 12:00Z'), ('NoTraffic critical is notified', False, \
'not notified: no notification was queued for it')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from watchkeeper.scenarios.results import Episode, RunResult, Transition
from watchkeeper.scenarios.spec import Expectation, Span


@dataclass(frozen=True)
class Verdict:
    check: str  # what was expected, in words
    passed: bool
    observed: str  # what happened instead, or when it happened

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "passed": self.passed, "observed": self.observed}


def judge(
    run: RunResult,
    expect: Sequence[Expectation],
    quiet: Sequence[Span],
    never: Sequence[str],
) -> list[Verdict]:
    episodes = run.episodes()
    fired = [t for t in run.transitions if t.status == "firing"]
    verdicts: list[Verdict] = []
    for expectation in expect:
        verdicts += _expectation(expectation, episodes, fired)
    for start, end in quiet:
        during = [t for t in fired if start <= t.at <= end]
        verdicts.append(
            Verdict(
                f"nothing fires in [{when(start)}, {when(end)}]",
                not during,
                _list(during) if during else "nothing fired",
            )
        )
    for name in never:
        mine = [t for t in fired if t.alertname == name]
        verdicts.append(
            Verdict(f"{name} never fires", not mine, _list(mine) if mine else "never fired")
        )
    return verdicts


def _expectation(
    e: Expectation, episodes: Sequence[Episode], fired: Sequence[Transition]
) -> list[Verdict]:
    mine = [ep for ep in episodes if _matches(e, ep.labels)]
    chosen = mine
    if e.fires_between is not None:
        start, end = e.fires_between
        chosen = [ep for ep in mine if start <= ep.fired_at <= end]
        check = f"{e.subject} fires in [{when(start)}, {when(end)}]"
    else:
        check = f"{e.subject} fires"
    if chosen:
        verdicts = [Verdict(check, True, f"fired {_firsts(chosen)}")]
    else:
        verdicts = [Verdict(check, False, _instead(e, mine, fired))]
    if e.resolves_by is not None:
        verdicts.append(_resolves(e, chosen, e.resolves_by))
    if e.notified is not None:
        verdicts.append(_notified(e, chosen))
    return verdicts


def _resolves(e: Expectation, chosen: Sequence[Episode], by: datetime) -> Verdict:
    check = f"{e.subject} resolves by {when(by)}"
    if not chosen:
        return Verdict(check, False, "it never fired")
    late = [ep for ep in chosen if ep.resolved_at is None or ep.resolved_at > by]
    if not late:
        last = max(ep.resolved_at for ep in chosen if ep.resolved_at is not None)
        return Verdict(check, True, f"resolved {when(last)}")
    first = late[0]
    if first.resolved_at is None:
        return Verdict(check, False, f"still firing at the end (since {when(first.fired_at)})")
    return Verdict(check, False, f"resolved {when(first.resolved_at)}, too late")


def _notified(e: Expectation, chosen: Sequence[Episode]) -> Verdict:
    wanted = bool(e.notified)
    check = f"{e.subject} is {'notified' if wanted else 'not notified'}"
    if not chosen:
        return Verdict(check, not wanted, "it never fired")
    told = [ep for ep in chosen if ep.notified]
    if told:
        return Verdict(check, wanted, f"notified when it fired {_firsts(told)}")
    return Verdict(check, not wanted, f"not notified: {chosen[0].why_not}")


def _matches(e: Expectation, labels: Any) -> bool:
    if labels.get("alertname") != e.alert:
        return False
    if e.severity is not None and labels.get("severity") != e.severity:
        return False
    if e.model is not None and labels.get("model") != e.model:
        return False
    return all(labels.get(k) == v for k, v in (e.labels or {}).items())


def _instead(e: Expectation, mine: Sequence[Episode], fired: Sequence[Transition]) -> str:
    """Why the expected firing was not seen: it fired at other times, with another severity,
    or not at all (and what fired in its span instead)."""
    if mine:
        return f"fired {_firsts(mine)} instead (outside the span)"
    named = [t for t in fired if t.alertname == e.alert]
    if named:
        return f"fired as {_list(named)}, not as expected"
    others = fired
    if e.fires_between is not None:
        start, end = e.fires_between
        others = [t for t in fired if start <= t.at <= end]
    if others:
        return f"never fired; fired instead: {_list(others)}"
    return "never fired (nothing else did either)"


def _firsts(items: Sequence[Episode], limit: int = 3) -> str:
    times = sorted({ep.fired_at for ep in items})
    shown = ", ".join(when(t) for t in times[:limit])
    return shown + (f" and {len(times) - limit} more" if len(times) > limit else "")


def _list(transitions: Sequence[Transition], limit: int = 3) -> str:
    seen: list[str] = []
    for t in transitions:
        text = f"{t.alertname} {t.severity}" + (f" {{{t.series}}}" if t.series else "")
        text += f" at {when(t.at)}"
        if text not in seen:
            seen.append(text)
    more = f"; and {len(seen) - limit} more" if len(seen) > limit else ""
    return "; ".join(seen[:limit]) + more


def when(moment: datetime) -> str:
    """A time as the output shows it: ``2026-03-03 06:00Z`` (UTC, minutes)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")
