"""The routing tree: which routes (and so which receivers and timings) an alert goes to.

The walk is Alertmanager's: depth first, the root matches every alert, the first matching
child wins unless it says ``continue: true`` (then its later siblings are tried too), and a
node none of whose children match keeps the alert itself. Unset settings inherit from the
parent; the root's defaults are ``group_by: [model, alertname]``, ``group_wait: 0s`` (all
alerts of one evaluation arrive together, so there is nothing to wait for),
``group_interval: 5m``, ``repeat_interval: 4h``, no budget and no escalation.
``group_by: ["..."]`` groups by every label. A route's ``id`` is its path ("0" the root,
"0.1" its second child); its ``key`` is the chain of its matchers, as Alertmanager writes it.

>>> from watchkeeper.alerting.config import RouteSpec
>>> root = compile_route(RouteSpec(receiver="team", routes=[
...     RouteSpec(match=["severity=critical"], receiver="pager", continue_=True),
...     RouteSpec(match=["model=credit"], receiver="credit-team", group_by=["model"])]))
>>> [(r.id, r.receiver) for r in root.match({"severity": "critical", "model": "credit"})]
[('0.0', 'pager'), ('0.1', 'credit-team')]
>>> [(r.id, r.key, r.group_wait.seconds) for r in root.match({"model": "fraud"})]
[('0', '{}', 0)]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from watchkeeper.alerting.config import RouteSpec
from watchkeeper.alerting.matchers import Matcher, matches, parse_matchers
from watchkeeper.alerting.model import Decision
from watchkeeper.alerting.stages import Flow, StageResult, Tick
from watchkeeper.settings import parse_duration

ALL_LABELS = "..."
DEFAULT_GROUP_BY = ("model", "alertname")
DEFAULT_GROUP_WAIT = timedelta(0)
DEFAULT_GROUP_INTERVAL = timedelta(minutes=5)
DEFAULT_REPEAT_INTERVAL = timedelta(hours=4)
Matchers = tuple[Matcher, ...]


@dataclass(frozen=True)
class Route:
    """A node of the routing tree with its effective (inherited) settings."""

    id: str
    key: str
    receiver: str | None
    matchers: Matchers
    group_by: tuple[str, ...]
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta
    max_per_hour: int  # 0: no budget
    escalation: str | None
    continue_: bool = False
    routes: tuple[Route, ...] = ()

    def match(self, labels: Mapping[str, str]) -> tuple[Route, ...]:
        """The routes an alert with ``labels`` goes to, in tree order."""
        found: list[Route] = []
        for child in self.routes:
            if not matches(child.matchers, labels):
                continue
            found.extend(child.match(labels))
            if not child.continue_:
                break
        return tuple(found) or (self,)

    def walk(self) -> Iterator[Route]:
        """This route and every route below it, depth first."""
        yield self
        for child in self.routes:
            yield from child.walk()

    def group_labels(self, labels: Mapping[str, str]) -> dict[str, str]:
        """The values of this route's ``group_by`` labels that ``labels`` has."""
        if ALL_LABELS in self.group_by:
            return dict(sorted(labels.items()))
        return {name: labels[name] for name in sorted(self.group_by) if name in labels}


def duration(text: str, key: str) -> timedelta:
    """Like :func:`parse_duration`, but ``0`` (``0s``, ``0m``, ...) is allowed."""
    if text.strip().rstrip("smhdw") == "0":
        return timedelta(0)
    return parse_duration(text, key)


# what the root inherits: the root defaults
_DEFAULTS = Route(
    id="",
    key="",
    receiver=None,
    matchers=(),
    group_by=DEFAULT_GROUP_BY,
    group_wait=DEFAULT_GROUP_WAIT,
    group_interval=DEFAULT_GROUP_INTERVAL,
    repeat_interval=DEFAULT_REPEAT_INTERVAL,
    max_per_hour=0,
    escalation=None,
)


def compile_route(spec: RouteSpec, key: str = "alerting.route") -> Route:
    """The root route of ``spec`` with the root defaults filled in (raises ConfigError)."""
    return _compile(spec, _DEFAULTS, "0", "{}", (), key)  # the root matches every alert


def _compile(
    spec: RouteSpec, parent: Route, route_id: str, route_key: str, matchers: Matchers, key: str
) -> Route:
    node = Route(
        id=route_id,
        key=route_key,
        receiver=parent.receiver if spec.receiver is None else spec.receiver,
        matchers=matchers,
        group_by=parent.group_by if spec.group_by is None else tuple(spec.group_by),
        group_wait=_setting(spec.group_wait, parent.group_wait, f"{key}.group_wait"),
        group_interval=_setting(
            spec.group_interval, parent.group_interval, f"{key}.group_interval"
        ),
        repeat_interval=_setting(
            spec.repeat_interval, parent.repeat_interval, f"{key}.repeat_interval"
        ),
        max_per_hour=parent.max_per_hour if spec.max_per_hour is None else spec.max_per_hour,
        escalation=spec.escalation or parent.escalation,
        continue_=spec.continue_,
    )
    children: list[Route] = []
    for i, child in enumerate(spec.routes):
        child_key = f"{key}.routes.{i}"
        child_matchers = parse_matchers(child.match, f"{child_key}.match")
        text = route_key + "/{" + ",".join(f'{m.name}{m.op}"{m.value}"' for m in child_matchers)
        text += "}"
        if any(c.key == text for c in children):  # same matchers as a sibling: tell apart
            text += f"#{i}"
        children.append(_compile(child, node, f"{route_id}.{i}", text, child_matchers, child_key))
    return replace(node, routes=tuple(children))


def _setting(text: str | None, inherited: timedelta, key: str) -> timedelta:
    return inherited if text is None else duration(text, key)


def route_stage(flow: Flow, tick: Tick) -> StageResult:
    """Pair each firing alert with every route it goes to; a route without receiver drops it."""
    routed = []
    decisions = []
    for alert in flow.alerts:
        found = tick.plan.root.match(alert.labels)
        names = ", ".join(f"{r.id} ({r.receiver or 'no receiver'})" for r in found)
        for route in found:
            if route.receiver is None:
                reason = f"route {route.id} has no receiver: not notified"
                decisions.append(Decision("route", False, reason, alert.fingerprint, route.id))
            else:
                routed.append((alert, route))
        if any(r.receiver for r in found):
            reason = f"matched route{'s' if len(found) > 1 else ''} {names}"
            ids = ",".join(r.id for r in found)
            decisions.append(Decision("route", True, reason, alert.fingerprint, ids))
    return StageResult(replace(flow, routed=tuple(routed)), tuple(decisions))
