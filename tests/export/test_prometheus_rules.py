"""Prometheus rules generated from watchkeeper rules: the PromQL of each condition, windows,
``for`` / ``of`` / ``resolve_after``, labels and annotations, what is skipped and why — and the
real ``promtool check rules`` and ``promtool test rules`` on the generated files, including
that the generated tests fail when a rule is broken."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from export_helpers import system_binary

from watchkeeper.export import alert_templates
from watchkeeper.export.prometheus_rules import (
    RULES_FILE,
    AlertRule,
    RuleGroup,
    render_rules,
    rule_groups,
)
from watchkeeper.export.rule_tests import TESTS_FILE, render_tests, series_plan
from watchkeeper.rules.defaults import default_rules
from watchkeeper.settings import ServiceConfig, parse_service_config

MINIMAL = {
    "models": {"credit": {"task": "binary_classification", "label": "y", "windows": ["1h"]}},
    "alerting": {"receivers": {"oncall": {"webhook": {"url": "http://127.0.0.1:9/hook"}}},
                 "route": {"receiver": "oncall"}},
}  # fmt: skip
W1H = ["window=1h"]
RULES: list[dict[str, Any]] = [
    {"name": "Band", "metric": "error_rate", "match": W1H, "above": 0.2, "below": 0.01},
    {"name": "OfRule", "metric": "prediction_drift", "match": W1H, "above": 0.2, "for": 2,
     "of": 3, "resolve_after": 3, "resolve_below": 0.1},
    {"name": "Provisional", "metric": "roc_auc", "match": ["window=~1h"], "below": 0.7,
     "include_provisional": True},
    {"name": "ChangeUp", "metric": "latency_seconds", "match": [*W1H, "quantile=0.5"],
     "change": {"baseline": "1d", "above": 0.5}, "for": 3},
    {"name": "Mad", "metric": "error_rate", "match": W1H,
     "anomaly": {"detector": "mad", "direction": "both", "history": "2d", "threshold": 4}},
    {"name": "Cusum", "metric": "latency_seconds", "match": [*W1H, "quantile=0.99"],
     "anomaly": {"detector": "cusum", "direction": "up", "history": "2d"}},
    {"name": "PageHinkley", "metric": "throughput_per_second", "match": W1H,
     "anomaly": {"detector": "page_hinkley", "direction": "down", "history": "1d"}},
    {"name": "Adwin", "metric": "prediction_count", "match": W1H,
     "anomaly": {"detector": "adwin", "history": "1d"}},
    {"name": "Ewma", "metric": "label_coverage", "match": W1H,
     "anomaly": {"detector": "ewma", "direction": "down", "history": "2d",
                 "params": {"lambda": 0.2}}},
    {"name": "Trend", "metric": "accuracy", "match": W1H,
     "anomaly": {"detector": "trend", "direction": "down", "history": "2d"}},
    {"name": "BurnDown", "metric": "accuracy", "match": W1H,
     "anomaly": {"detector": "burn_rate", "direction": "down", "params": {"objective": 0.99}}},
    {"name": "SeasonalMad", "metric": "kpi", "match": W1H,
     "anomaly": {"detector": "mad", "direction": "down", "history": "1d", "season": "1d"}},
    {"name": "SeasonalTrend", "metric": "kpi", "match": W1H,
     "anomaly": {"detector": "trend", "history": "1d", "season": "6h"}},
    {"name": "MissingAge", "metric": "missing_share", "match": [*W1H, "feature=age"],
     "above": 0.1, "severity": "high", "labels": {"team": "data"},
     "annotations": {"summary": "{labels[feature]} missing in {value:.1%} of {model}",
                     "runbook_url": "https://runbooks.example.com/{metric}"}},
    {"name": "VersionDrift", "metric": "feature_drift", "match": [*W1H, "model_version=~v.+"],
     "status": "breach"},
    {"name": "EveryWindow", "metric": "error_rate", "above": 0.5, "for": 2, "resolve_after": 2},
]  # fmt: skip
RICH = {
    "models": {"credit": {
        "task": "binary_classification", "label": "y", "windows": ["1h", "1d"],
        "segments": ["region"], "kpis": {"revenue": {"outcome": "revenue", "aggregate": "sum"}},
    }, "eta": {"task": "regression", "windows": ["30m"]}},
    "alerting": {**MINIMAL["alerting"],
                 "rules": [{**rule, "models": ["credit"]} for rule in RULES]},
}  # fmt: skip


def config(data: dict[str, Any]) -> ServiceConfig:
    return parse_service_config(data)


def rules_of(data: dict[str, Any], model: str = "credit") -> dict[str, list[AlertRule]]:
    group = next(g for g in rule_groups(config(data)) if g.model == model)
    out: dict[str, list[AlertRule]] = {}
    for rule in group.alerting:
        out.setdefault(rule.name, []).append(rule)
    return out


def one(data: dict[str, Any], name: str) -> AlertRule:
    [rule] = rules_of(data)[name]
    return rule


def flat(expr: str) -> str:
    return re.sub(r"\s+", " ", expr)


def test_every_default_rule_becomes_an_alert() -> None:
    data = config(MINIMAL)
    [group] = rule_groups(data)
    defaults = default_rules("credit", data.models["credit"])
    assert [r.name for r in group.alerting] == [r.name for r in defaults]
    assert group.skipped == ()
    rules = {r.name: r for r in group.alerting}
    # against the metric on the reference rows, exported as its own gauge
    reference = 'watchkeeper_reference_metric{model="credit", metric="roc_auc"}'
    assert f"- on(model) group_left() {reference}) / on(model) group_left() abs({reference})" in (
        flat(rules["PerformanceDrop"].expr)
    )
    assert "< -0.1" in rules["PerformanceDrop"].expr
    # settled rules read the series exported again at its newest day-old window
    for name in ("LabelsStopped", "LabelsDelayed"):
        assert 'settled="1d"' in rules[name].selector
        assert rules[name].labels["settled"] == "1d"
    assert "watchkeeper_label_drift_detected" in rules["LabelDrift"].expr
    assert [r.record for r in group.recording] == [
        "model_window:watchkeeper_feature_drift_detected:mean",
        "model_window:watchkeeper_feature_drift_detected:sum",
        "model_window:watchkeeper_data_quality_findings:serious",
        "model_window:watchkeeper_prediction_error_ratio:avg1d",
        "model_window:watchkeeper_prediction_latency_seconds:p99",
        "model_window:watchkeeper_predictions_per_second:avg1d",
    ]


OVERALL_1H = 'model="credit", window="1h", model_version="", segment=""'
EXPRESSIONS = [
    # status: breach reads the 0/1 verdict and keeps the statistic as the value
    ("FeatureDrift", MINIMAL,
     f"watchkeeper_feature_drift_statistic{{{OVERALL_1H}}} and "
     f"(watchkeeper_feature_drift_detected{{{OVERALL_1H}}} == 1)"),
    # data-quality findings breach on a critical or high finding
    ("DataQualityBreak", MINIMAL,
     'watchkeeper_data_quality_findings{model="credit", window="1h", '
     'finding_severity=~"critical|high"} > 0'),
    # relative change against the mean of the baseline span before the window
    ("NoTraffic", MINIMAL,
     f"watchkeeper_window_predictions{{{OVERALL_1H}}} and "
     f"((watchkeeper_window_predictions{{{OVERALL_1H}}} - "
     f"avg_over_time(watchkeeper_window_predictions{{{OVERALL_1H}}}[1d] offset 1h)) / "
     f"abs(avg_over_time(watchkeeper_window_predictions{{{OVERALL_1H}}}[1d] offset 1h)) "
     "< -0.95)"),
    # mad: a z-score against the history before the window, the quantile renamed
    ("LatencySpike", MINIMAL, "> 10)"),
    # a band fires on either side
    ("Band", RICH,
     'watchkeeper_prediction_error_ratio{model="credit", window="1h"} > 0.2 or '
     'watchkeeper_prediction_error_ratio{model="credit", window="1h"} < 0.01'),
    # 2 of 3 windows: breaching windows counted at window-aligned steps
    ("OfRule", RICH,
     'watchkeeper_prediction_drift_statistic{model="credit", window="1h"} and '
     '(count_over_time((watchkeeper_prediction_drift_statistic{model="credit", window="1h"} '
     "> 0.2)[3h:1h]) >= 2)"),
    # both directions: the absolute z-score, the baseline offset by the `for` windows
    ("Mad", RICH, "abs((watchkeeper_prediction_error_ratio{model=\"credit\", window=\"1h\"} - "
     'avg_over_time(watchkeeper_prediction_error_ratio{model="credit", window="1h"}[2d] '
     "offset 1h))"),
    # cusum as a level shift of the mean of ceil(h/k) = 20 windows, sqrt-scaled, z > 4
    ("Cusum", RICH, "[20h]) - avg_over_time("),
    ("Cusum", RICH, "* 4.472135955 > 4)"),
    # ewma: n = (2 - lambda) / lambda = 9 windows, its own L = 4, downwards
    ("Ewma", RICH, "* 3 < -4)"),
    # trend: deriv times the history in seconds over the spread
    ("Trend", RICH, "deriv(watchkeeper_model_accuracy_ratio{model=\"credit\", window=\"1h\"}"
     "[2d]) * 172800 / stddev_over_time("),
    # burn rate on the good ratio: its shortfall over the long and the short span
    ("BurnDown", RICH,
     '(1 - avg_over_time(watchkeeper_model_accuracy_ratio{model="credit", window="1h"}[2h])) '
     "/ 0.01 > 14.4"),
    # seasonal: differenced against one season ago, statistics over a per-window subquery
    ("SeasonalMad", RICH, '- watchkeeper_business_kpi{model="credit", window="1h"} offset 1d)'
     "[1d:1h] offset 1h)"),
    # the matcher on the model version and the verdict with the same labels
    ("VersionDrift", RICH, '(watchkeeper_feature_drift_detected{model="credit", window="1h", '
     'model_version=~"v.+"} == 1)'),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "expected"), EXPRESSIONS)
def test_each_condition_has_its_promql(name: str, data: dict[str, Any], expected: str) -> None:
    assert expected in flat(rules_of(data)[name][0].expr)


def test_performance_metrics_skip_provisional_windows_unless_asked() -> None:
    guarded = flat(one(RICH, "Trend").expr)
    assert guarded.endswith(
        "unless on(model, monitor, model_version, segment, segment_value, window) "
        '(watchkeeper_monitor_status{model="credit", monitor="performance", '
        'status="provisional"} == 1)'
    )
    assert "unless" not in one(RICH, "Provisional").expr  # include_provisional: true
    assert "unless" not in one(RICH, "Band").expr  # not a performance metric


def test_a_rule_without_window_matcher_watches_every_window() -> None:
    rules = rules_of(RICH)["EveryWindow"]
    assert [(r.fixed["window"], r.for_.total_seconds(), r.keep_firing_for.total_seconds())
            for r in rules] == [("1h", 3600, 3600), ("1d", 86400, 86400)]  # fmt: skip
    assert [r.labels["window"] for r in rules] == ["1h", "1d"]  # keeps the two rules apart


def test_for_of_and_resolve_after() -> None:
    of = one(RICH, "OfRule")
    assert (of.for_.total_seconds(), of.keep_firing_for.total_seconds()) == (0, 7200)
    change = one(RICH, "ChangeUp")
    assert change.for_.total_seconds() == 2 * 3600  # for: 3 windows -> the 2 after the first


def test_labels_and_annotations_are_translated() -> None:
    rule = one(RICH, "MissingAge")
    assert dict(rule.labels) == {
        "team": "data", "severity": "high", "metric": "missing_share", "model": "credit",
        "window": "1h",
    }  # fmt: skip
    go = {k: alert_templates.to_go(v) for k, v in rule.annotations.items()}
    assert go == {
        "summary": "{{ $labels.feature }} missing in {{ humanizePercentage $value }} of "
        "{{ $labels.model }}",
        "runbook_url": "https://runbooks.example.com/missing_share",
    }
    default = one(MINIMAL, "LatencySpike")
    assert default.annotations["runbook_url"] == (("text", "playbook:LatencySpike"),)
    assert "median and MAD" not in str(default.annotations)
    assert "z-score" in alert_templates.to_go(default.annotations["approximation"])
    # no summary configured: watchkeeper's default one, with the series' distinguishing label
    assert alert_templates.to_go(one(RICH, "Cusum").annotations["summary"]).endswith(
        "(percentile={{ $labels.percentile }})"
    )


def test_untranslatable_rules_are_skipped_with_the_reason() -> None:
    data = {**RICH, "alerting": {**RICH["alerting"], "rules": [
        {"name": "OnTest", "metric": "label_coverage", "match": ["test=ks"], "above": 0.1},
        {"name": "NoWindow", "metric": "error_rate", "match": ["window=5m"], "above": 0.1},
        {"name": "ShortHistory", "metric": "error_rate", "match": ["window=1d"],
         "anomaly": {"detector": "mad", "history": "2d"}},
    ]}}  # fmt: skip
    group = next(g for g in rule_groups(config(data)) if g.model == "credit")
    reasons = {s.name: s.reason for s in group.skipped}
    assert "label 'test', which /metrics does not export for label_coverage" in reasons["OnTest"]
    assert "no window of the model matches" in reasons["NoWindow"]
    assert "history: must span at least 4 windows" in reasons["ShortHistory"]
    text = render_rules([group])
    assert "  # skipped OnTest: window 1h: matches on label 'test'" in text
    promtool_check(text)


def test_every_alerting_rule_gets_a_breaching_and_a_quiet_test() -> None:
    groups = rule_groups(config(RICH))
    plans = [series_plan(r) for g in groups for r in g.alerting]
    assert all(p.quiet is not None for p in plans)
    assert [p.rule.name for p in plans if p.bad is None] == []


def promtool_check(rules: str, tmp: Path | None = None) -> None:
    target = (tmp or Path("/tmp")) / f"check-{abs(hash(rules))}.yml"
    target.write_text(rules)
    try:
        result = run_promtool("check", "rules", str(target))
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        target.unlink()


def run_promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [system_binary("promtool"), *args],
        capture_output=True, text=True, timeout=300, check=False, cwd=cwd,
    )  # fmt: skip


def write(groups: list[RuleGroup], directory: Path) -> None:
    (directory / RULES_FILE).write_text(render_rules(groups))
    (directory / TESTS_FILE).write_text(render_tests(groups))


@pytest.mark.parametrize("data", [MINIMAL, RICH], ids=["minimal", "rich"])
def test_promtool_checks_the_rules_and_runs_their_tests(
    data: dict[str, Any], tmp_path: Path
) -> None:
    groups = rule_groups(config(data))
    write(groups, tmp_path)
    check = run_promtool("check", "rules", RULES_FILE, cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    count = sum(len(g.recording) + len(g.alerting) for g in groups)
    assert f"SUCCESS: {count} rules found" in check.stdout
    tests = run_promtool("test", "rules", TESTS_FILE, cwd=tmp_path)
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-4000:]


def test_the_generated_tests_catch_broken_rules(tmp_path: Path) -> None:
    """Every "fires" test fails when its rule never fires, every "stays quiet" test when it
    always fires: none passes by accident."""
    groups = rule_groups(config(RICH))
    write(groups, tmp_path)
    tests = yaml.safe_load((tmp_path / TESTS_FILE).read_text())["tests"]
    original = yaml.safe_load((tmp_path / RULES_FILE).read_text())
    selectors = {(r.model, r.name, r.fixed["window"]): r.selector for g in groups
                 for r in g.alerting}  # fmt: skip
    for mode, suffix in (("never", "fires"), ("always", "stays quiet")):
        broken = yaml.safe_load(yaml.safe_dump(original))
        for group in broken["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    key = (rule["labels"]["model"], rule["alert"], rule["labels"]["window"])
                    rule["expr"] = "vector(1) == 0" if mode == "never" else selectors[key]
                    rule.pop("for", None)
        (tmp_path / RULES_FILE).write_text(yaml.safe_dump(broken))
        result = run_promtool("test", "rules", TESTS_FILE, cwd=tmp_path)
        failed = set(re.findall(r"name: (.+),\n", result.stdout + result.stderr))
        expected = {t["name"] for t in tests if t["name"].endswith(suffix)}
        assert expected and failed == expected, (mode, sorted(expected - failed))


TEMPLATES = [
    # (watchkeeper annotation, Go template, rendered for feature=age, value 0.4213)
    ("{value}", "{{ $value }}", "0.4213"),
    ("{value:.2f} {value:.3g} {value:d}", '{{ printf "%.2f" $value }} {{ printf "%.3g" $value }} '
     '{{ printf "%.0f" $value }}', "0.42 0.421 0"),
    ("{value:.1%}", "{{ humanizePercentage $value }}", "42.13%"),  # 4 significant digits
    ("{value:>10}", "{{ $value }}", "0.4213"),  # alignment: printed as is
    ("{labels[feature]} {labels[quantile]}", "{{ $labels.feature }} {{ $labels.percentile }}",
     "age "),  # quantile is exported as percentile; a missing label is empty
    ("{metric} on {model}", "missing_share on {{ $labels.model }}", "missing_share on "),
    ("{unknown} {{braces}}", "{unknown} {braces}", "{unknown} {braces}"),  # kept as written
    ("a {{{{ b", 'a {{ "{{" }} b', "a {{ b"),  # a literal {{ is escaped for Go
    ("{value", "{value", "{value"),  # unbalanced: kept as written, as watchkeeper does
]  # fmt: skip


@pytest.mark.parametrize(("text", "go", "rendered"), TEMPLATES)
def test_annotation_templates(text: str, go: str, rendered: str) -> None:
    tokens = alert_templates.parse(text, "missing_share")
    assert alert_templates.to_go(tokens) == go
    assert alert_templates.render(tokens, {"feature": "age"}, 0.4213) == rendered
