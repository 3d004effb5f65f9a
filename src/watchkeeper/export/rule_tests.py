"""A ``promtool test rules`` file for the generated alerting rules: per rule, a synthetic series
that breaches it (the alert fires, with its labels and rendered annotations) and one that does
not (no alert).

Series are sampled every minute. The labels are the rule's selector made concrete (a value that
passes every matcher; example values for ``feature``, ``test``, ``kpi`` ...). Values, with ``W``
the window in minutes, ``N`` the rule's ``for`` (or the ``for`` of ``of``) and the alert judged
2 minutes after it should fire:

- threshold: a value past the limit (quiet: inside it); ``status``: the verdict 1 (quiet: 0);
- change: the level 100, then the changed level for ``(N − 1)·W + 2`` minutes; against the
  reference: the reference metric at 100 and the series changed from the start (quiet: 100);
- z-score and level shift: 100, 101, 100, ... (quiet), then a jump far past the threshold;
- trend: a steep line (quiet: the same alternation, whose fitted slope is zero);
- burn rate: twice the budget's burn (quiet: no errors);
- seasonal rules start one season earlier (their differenced series is then zero: quiet
  gives no statistic, a jump an infinite one).

A rule whose breach cannot be shown this way (a baseline too short for its ``for``, a matcher
no value passes, a condition nothing breaches) gets only its quiet test, and a comment says why.

>>> from watchkeeper.settings import parse_service_config
>>> from watchkeeper.export.prometheus_rules import rule_groups
>>> config = parse_service_config({"models": {"m": {"task": "regression", "windows": ["1h"]}}})
>>> [group] = rule_groups(config)
>>> plan = series_plan(group.alerting[1])  # FeatureDrift
>>> plan.labels, plan.bad, plan.quiet
({'model': 'm', 'window': '1h', 'monitor': 'drift', 'feature': 'age', 'test': 'ks'}, \
'0.42x60', '0.42x60')
>>> plan.verdict
('1x60', '0x60')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from watchkeeper.alerting.matchers import Matcher
from watchkeeper.export import alert_templates
from watchkeeper.export.prometheus_rules import RULES_FILE, AlertRule, RuleGroup, dump_yaml
from watchkeeper.export.promql import MONITOR_OF, duration, selector

TESTS_FILE = "watchkeeper-rules.test.yml"
SETTLE = 0  # steps between when the alert should fire and when the test looks (promtool
# evaluates the rules at the eval time before it checks)
LEVEL = 100.0
MAX_STEPS = 2880  # promtool evaluates every rule at every step: keep tests short
EXAMPLES = {"feature": "age", "test": "ks", "kpi": "conversion", "percentile": "0.99", "k": "10"}


@dataclass(frozen=True)
class SeriesPlan:
    """The input series of one rule's two tests (promtool ``values`` notation, one value per
    step)."""

    rule: AlertRule
    labels: dict[str, str]
    steps: int  # when the test looks
    bad: str | None  # None: no breaching test (``why`` says why)
    quiet: str | None
    value: float = math.nan  # the series' value when the breaching test looks
    verdict: tuple[str, str] | None = None  # status rules: the verdict series (bad, quiet)
    constant: tuple[str, str] | None = None  # another series both tests hold: selector, values
    why: tuple[str, ...] = field(default=())


def step_of(groups: Sequence[RuleGroup]) -> timedelta:
    """The tests' sampling and evaluation step: the largest that divides every window and
    season, so each evaluation lands on a sample (no staleness) and a window is whole steps."""
    seconds = [
        int(length.total_seconds())
        for group in groups
        for rule in group.alerting
        for length in (rule.window, rule.condition.season)
        if length
    ]
    return timedelta(seconds=math.gcd(*seconds) if seconds else 60)


def series_plan(rule: AlertRule, step: timedelta = timedelta(minutes=1)) -> SeriesPlan:
    plan = _plan(rule, step)
    if plan.steps > MAX_STEPS:
        why = f"its test would take {plan.steps} evaluation steps (at most {MAX_STEPS})"
        return SeriesPlan(rule, plan.labels, plan.steps, None, None, why=(why,))
    return plan


def _plan(rule: AlertRule, step: timedelta) -> SeriesPlan:
    labels = _labels(rule)
    if labels is None:
        return SeriesPlan(rule, {}, 0, None, None, why=("no label value passes its matchers",))
    c = rule.condition
    w = max(1, round(c.window / step))
    sustain = (rule.count - 1) * w + SETTLE
    if c.shape == "threshold":
        return _threshold(rule, labels, sustain)
    if c.shape == "status":
        n = sustain + 1
        if c.verdict is None:  # data-quality findings: the count is the verdict
            return SeriesPlan(rule, labels, sustain, _const(2, n), _const(0, n), 2.0)
        return SeriesPlan(rule, labels, sustain, _const(0.42, n), _const(0.42, n), 0.42,
                        (_const(1, n), _const(0, n)))  # fmt: skip
    if c.shape == "change":
        return _change(rule, labels, w, sustain, round(c.span / step))
    if c.shape == "reference":
        return _reference(rule, labels, sustain)
    if c.shape == "burn":
        return _burn(rule, labels, sustain)
    season = round(c.season / step) if c.season else 0
    if c.shape == "trend":
        return _trend(rule, labels, w, sustain, round(c.span / step), season)
    return _jump(rule, labels, w, sustain, season)


def _labels(rule: AlertRule) -> dict[str, str] | None:
    """Concrete labels passing the rule's selector."""
    labels = dict(rule.fixed)
    by_name: dict[str, list[Matcher]] = {}
    for m in rule.matchers:
        by_name.setdefault(m.name, []).append(m)
    if "monitor" not in by_name:
        labels["monitor"] = MONITOR_OF.get(rule.target.sample, "performance")
    for name in sorted(rule.target.labels - set(labels)):
        matchers = by_name.get(name, [])
        candidates = [m.value for m in matchers if m.op == "="]
        candidates += [m.value.split("|")[0].strip("()^$") for m in matchers if m.op == "=~"]
        candidates += [EXAMPLES.get(name, ""), "", "x"]
        chosen = next((v for v in candidates if all(m({name: v}) for m in matchers)), None)
        if chosen is None:
            return None
        if chosen:
            labels[name] = chosen
    return labels


def _threshold(rule: AlertRule, labels: dict[str, str], sustain: int) -> SeriesPlan:
    above, below = rule.condition.above, rule.condition.below
    if above is not None:
        bad = round(above + max(1.0, abs(above)), 9)
        quiet = round(above - max(1.0, abs(above)), 9) if below is None else None
        if below is not None and below < above:  # a band: inside it is quiet
            quiet = (above + below) / 2
    else:
        assert below is not None
        bad = round(below - max(1.0, abs(below)), 9)
        quiet = round(below + max(1.0, abs(below)), 9)
    n = sustain + 1
    return SeriesPlan(
        rule, labels, sustain, _const(bad, n), None if quiet is None else _const(quiet, n), bad,
        why=() if quiet is not None else ("no value is inside the limits",),
    )  # fmt: skip


def _change(rule: AlertRule, labels: dict[str, str], w: int, sustain: int, base: int) -> SeriesPlan:
    c = rule.condition
    # breaching steps inside the baseline when the test looks (its end is one window back,
    # and included)
    seen_bad = max(0, sustain - w + 1)
    quiet_steps = 2 * w
    bad = None
    while bad is None and quiet_steps <= MAX_STEPS:
        bad = _changed(c.above, c.below, seen_bad / min(base, quiet_steps + seen_bad))
        quiet_steps = quiet_steps if bad is not None else 2 * quiet_steps
    total = quiet_steps + sustain
    quiet_breaches = (c.above is not None and c.above < 0) or (c.below is not None and c.below > 0)
    why = [] if bad is not None else ["a baseline too short for its `for`"]
    if quiet_breaches:
        why.append("no change is inside the limits")
    return SeriesPlan(
        rule, labels, total,
        None if bad is None else f"{_const(LEVEL, quiet_steps)} {_const(bad, sustain + 1)}",
        None if quiet_breaches else _const(LEVEL, total + 1),
        bad if bad is not None else math.nan, why=tuple(why),
    )  # fmt: skip


def _reference(rule: AlertRule, labels: dict[str, str], sustain: int) -> SeriesPlan:
    """The reference metric at 100; the series changed past the limit (quiet: at 100)."""
    c = rule.condition
    assert c.verdict is not None  # the reference metric's selector
    n = sustain + 1
    bad = _changed(c.above, c.below, 0.0)
    quiet_breaches = (c.above is not None and c.above < 0) or (c.below is not None and c.below > 0)
    why = [] if bad is not None else ["no level breaches its limits"]
    if quiet_breaches:
        why.append("no change is inside the limits")
    return SeriesPlan(
        rule, labels, sustain, None if bad is None else _const(bad, n),
        None if quiet_breaches else _const(LEVEL, n), math.nan if bad is None else bad,
        constant=(c.verdict, _const(LEVEL, n)), why=tuple(why),
    )  # fmt: skip


def _changed(above: float | None, below: float | None, share: float) -> float | None:
    """A level whose relative change breaches even with ``share`` of the baseline at it."""
    if above is not None:
        r = 2 * above + 1 if above >= 0 else above / 2
        seen = r * (1 - share) / (1 + r * share)
        return round(LEVEL * (1 + r), 6) if seen > above + 0.05 * abs(above) + 1e-9 else None
    if below is not None and below > -1:
        r = (below - 1) / 2
        seen = (1 + r) / (1 + r * share) - 1
        return round(LEVEL * (1 + r), 6) if seen < below - 1e-9 else None
    return None


def _burn(rule: AlertRule, labels: dict[str, str], sustain: int) -> SeriesPlan:
    c = rule.condition
    burn = min(1.0, 2 * c.threshold * c.budget)
    if c.threshold * c.budget >= 1:
        return SeriesPlan(rule, labels, sustain, None, _const(0, sustain + 1),
                        why=("its burn rate needs more than every event bad",))  # fmt: skip
    down = c.direction == "down"
    bad, quiet = (round(1 - burn, 9), 1.0) if down else (round(burn, 9), 0.0)
    n = sustain + 1
    return SeriesPlan(rule, labels, sustain, _const(bad, n), _const(quiet, n), bad)


def _trend(
    rule: AlertRule, labels: dict[str, str], w: int, sustain: int, history: int, season: int
) -> SeriesPlan:
    c = rule.condition
    points = 2 * w if season else 0  # a seasonal fit runs on one point per window
    ramp = _round_up(max(sustain, points) + 2, 2)  # a line needs two points to have a slope
    sign = "-" if c.direction == "down" else "+"
    # a line over n of the history's steps reads 3.46·history/n standard deviations
    limit = 2.8 * history / c.threshold if c.threshold > 0 else math.inf
    quiet = _alternating(season + ramp + 1)
    if ramp >= min(history, limit):
        return SeriesPlan(rule, labels, season + ramp, None, quiet,
                        why=("its history is too short for a breaching line",))  # fmt: skip
    prefix = _alternating(season) + " " if season else ""
    value = LEVEL + (ramp if sign == "+" else -ramp)
    return SeriesPlan(rule, labels, season + ramp, f"{prefix}{LEVEL:g}{sign}1x{ramp}", quiet, value)


def _jump(rule: AlertRule, labels: dict[str, str], w: int, sustain: int, season: int) -> SeriesPlan:
    """Spike (z-score) and level-shift rules: alternation, then a jump past the threshold."""
    c = rule.condition
    quiet_steps = _round_up(c.offset * w + max(30, 2 * w), w) + season
    # a level shift over n windows sees 1/(n·w) of the jump on its first step, times √n: this
    # height reads twice the threshold from the first step on
    height = math.ceil(c.threshold * math.sqrt(c.recent) * w + 10)
    bad = LEVEL - height if c.direction == "down" else LEVEL + height
    total = quiet_steps + sustain
    return SeriesPlan(
        rule, labels, total,
        f"{_alternating(quiet_steps)} {_const(bad, sustain + 1)}", _alternating(total + 1), bad,
    )  # fmt: skip


def _const(value: float, samples: int) -> str:
    return f"{value!r}x{samples - 1}"


def _alternating(samples: int) -> str:
    """100 101 100 ... (``samples`` values, even steps at 100)."""
    return " ".join("100" if i % 2 == 0 else "101" for i in range(samples))


def _round_up(steps: int, multiple: int) -> int:
    return -(-steps // multiple) * multiple


def render_tests(groups: Sequence[RuleGroup], rules_file: str = RULES_FILE) -> str:
    """The ``promtool test rules`` file for the rules file ``rules_file`` (same directory)."""
    step = step_of(groups)
    tests: list[dict[str, Any]] = []
    notes = []
    for group in groups:
        for rule in group.alerting:
            plan = series_plan(rule, step)
            title = f"{rule.model} {rule.name} ({rule.fixed['window']})"
            notes += [f"# {title}: no breaching test: {why}" for why in plan.why]
            if plan.bad is not None:
                tests.append(_test(plan, step, f"{title} fires", plan.bad, 0))
            if plan.quiet is not None:
                tests.append(_test(plan, step, f"{title} stays quiet", plan.quiet, 1))
    header = [
        "# promtool tests generated by `watchkeeper export prometheus-rules`:",
        f"#   promtool test rules {TESTS_FILE}",
        *notes,
    ]
    body = {"rule_files": [rules_file], "evaluation_interval": duration(step), "tests": tests}
    return "\n".join(header) + "\n" + dump_yaml(body)


def _test(plan: SeriesPlan, step: timedelta, name: str, values: str, side: int) -> dict[str, Any]:
    """One test: side 0 breaches (the alert fires), side 1 does not."""
    rule = plan.rule
    series = [{"series": selector(rule.target.metric, plan.labels), "values": values}]
    if plan.verdict is not None and rule.target.verdict is not None:
        series.append(
            {"series": selector(rule.target.verdict, plan.labels), "values": plan.verdict[side]}
        )
    if plan.constant is not None:
        series.append({"series": plan.constant[0], "values": plan.constant[1]})
    expected: list[dict[str, Any]] = []
    if side == 0:
        labels = {**plan.labels, **rule.labels}
        annotations = {
            key: alert_templates.render(template, plan.labels, plan.value)
            for key, template in rule.annotations.items()
        }
        expected.append({"exp_labels": labels, "exp_annotations": annotations})
    when = duration(step * plan.steps)
    check = {"eval_time": when, "alertname": rule.name, "exp_alerts": expected}
    return {
        "name": name,
        "interval": duration(step),
        "input_series": series,
        "alert_rule_test": [check],
    }
