"""The rules every model gets without writing any (``alerting.default_rules: true``).

They watch the model's shortest window and its overall series (not the per-version or
per-segment breakdowns, which the incident evidence uses to attribute a change instead):

============================  =========  =====================================================
alert                         severity   condition
============================  =========  =====================================================
``DataQualityBreak``          critical   a critical or high data-quality finding
``FeatureDrift``              warning    a feature's drift test breaches 2 windows in a row (one
                                         alert per feature);
                                         high when it starts while PerformanceDrop fires
``PredictionDrift``           warning    the prediction distribution drifts, 2 windows in a row
``MultivariateDrift``         warning    the features taken together drift (e.g. a changed
                                         correlation), 2 windows in a row (one per method)
``PerformanceDrop``           high       the task's main metric 10 % worse than on the reference
                                         (its own validation rows), 2 of 3 windows, only on
                                         windows with enough labels
``EstimatedPerformanceDrop``  warning    the main metric *estimated without labels* 10 %
                                         worse than its estimate on the reference, clear of
                                         its band, 2 of 3 windows (models whose reference
                                         has the label)
``LatencySpike``              critical   p99 latency: robust z-score ≥ 10 (a spike, not noise)
``ErrorRateSpike``            critical   error rate: robust z-score ≥ detector default, up
``NoTraffic``                 critical   predictions 95 % below their 1-day mean
``KpiDrop``                   high       a KPI 20 % below its 7-day mean, 3 windows in a row,
                                         judged once its outcomes can have arrived (``delay``)
``LabelsStopped``             warning    label coverage under 5 % on windows that ended a day
                                         ago or more, 2 in a row (models with a ``label``)
``LabelsDelayed``             warning    p90 label delay twice its 7-day mean, 2 windows in a row
``LabelDrift``                warning    the arrived labels' distribution drifts from the
                                         reference's (ground truth changed)
``LabelsInvalid``             warning    over 1 % of a window's labels outside the label set
``LabelDisagreement``         warning    annotators agree on under 80 % of the ids labelled
                                         more than once (judged from 10 such ids on)
============================  =========  =====================================================

A configured rule with the same name replaces the default one.

>>> from watchkeeper.settings import parse_service_config
>>> config = parse_service_config({"models": {"credit": {
...     "task": "binary_classification", "windows": ["1d", "1h"]}}})
>>> rules = default_rules("credit", config.models["credit"], "http://127.0.0.1:8000")
>>> [r.name for r in rules][:3], rules[0].match
(['DataQualityBreak', 'FeatureDrift', 'PredictionDrift'], ['window=1h'])
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from watchkeeper.alerting.config import AlertingSection, AnomalySpec, ChangeSpec, RuleSpec
from watchkeeper.alerting.model import Alert, AlertStatus
from watchkeeper.monitors.windows import duration_label
from watchkeeper.settings import ModelConfig

OVERALL = ["model_version=", "segment="]  # the model-wide series, not a breakdown
# (metric, worse direction) judged by PerformanceDrop, per task
MAIN_METRIC = {
    "binary_classification": ("roc_auc", "down"),
    "multiclass_classification": ("accuracy", "down"),
    "regression": ("rmse", "up"),
    "ranking": ("ndcg", "down"),
}


def default_rules(model: str, config: ModelConfig, external_url: str = "") -> list[RuleSpec]:
    window = f"window={duration_label(min(config.window_lengths(f'models.{model}')))}"
    base = external_url.rstrip("/")

    def rule(name: str, metric: str, severity: str, summary: str, **spec: object) -> RuleSpec:
        match = [window, *spec.pop("match", [])]  # type: ignore[misc]
        annotations = {
            "summary": summary,
            "description": str(spec.pop("description", "")),
            "runbook_url": f"{base}/playbooks/{name}" if base else f"playbook:{name}",
        }
        return RuleSpec(
            name=name,
            metric=metric,
            severity=severity,  # type: ignore[arg-type]
            models=[model],
            match=match,
            annotations=annotations,
            **spec,  # type: ignore[arg-type]
        )

    metric, worse = MAIN_METRIC[config.task]
    performance_change = (
        ChangeSpec(baseline="reference", below=-0.1)
        if worse == "down"
        else ChangeSpec(baseline="reference", above=0.1)
    )
    rules = [
        rule(
            "DataQualityBreak",
            "data_quality_findings",
            "critical",
            "Data-quality break on {model}: {value:.0f} serious finding(s)",
            status="breach",
            description="Input data broke (missing values, types, ranges or schema); drift and "
            "performance alerts it explains are muted until it is fixed.",
        ),
        rule(
            "FeatureDrift",
            "feature_drift",
            "warning",
            "Feature {labels[feature]} drifted on {model} ({labels[test]} {value:.3g})",
            status="breach",
            for_=2,
            match=OVERALL,
        ),
        rule(
            "PredictionDrift",
            "prediction_drift",
            "warning",
            "Prediction distribution of {model} drifted ({labels[test]} {value:.3g})",
            status="breach",
            for_=2,
            match=OVERALL,
        ),
        rule(
            "MultivariateDrift",
            "multivariate_drift",
            "warning",
            "Features of {model} drifted together ({labels[method]} {value:.3g})",
            status="breach",
            for_=2,
            match=OVERALL,
            description="No single feature may show it: compare the features' correlations "
            "between the reference and the window.",
        ),
        rule(
            "PerformanceDrop",
            metric,
            "high",
            f"{metric} of {{model}} fell to {{value:.3g}}"
            if worse == "down"
            else f"{metric} of {{model}} rose to {{value:.3g}}",
            change=performance_change,
            for_=2,
            of=3,
            resolve_after=2,
            match=OVERALL,
            description="Measured on windows whose label coverage passed "
            "performance.min_label_coverage.",
        ),
        rule(
            "LatencySpike",
            "latency_seconds",
            "critical",
            "p99 latency of {model} spiked to {value:.3g} s",
            anomaly=AnomalySpec(detector="mad", direction="up", history="7d", threshold=10),
            match=["quantile=0.99", *OVERALL],
        ),
        rule(
            "ErrorRateSpike",
            "error_rate",
            "critical",
            "Error rate of {model} spiked to {value:.1%}",
            anomaly=AnomalySpec(detector="mad", direction="up", history="7d"),
            match=OVERALL,
        ),
        rule(
            "NoTraffic",
            "prediction_count",
            "critical",
            "{model} received {value:.0f} predictions in a window (near zero)",
            change=ChangeSpec(baseline="1d", below=-0.95),
            match=OVERALL,
        ),
    ]
    for kpi_name, kpi in sorted(config.kpis.items()):
        rules.append(
            rule(
                "KpiDrop",
                "kpi",
                "high",
                "KPI {labels[kpi]} of {model} fell to {value:.4g}",
                change=ChangeSpec(baseline="7d", below=-0.2),
                for_=3,
                settle=kpi.delay,
                match=[f"kpi={kpi_name}", *OVERALL],
                description="Compare the KPI by model_version and segment (incident evidence) "
                "to see whether one version or segment carries the drop.",
            )
        )
    if config.label and config.task != "ranking":  # estimates need a labelled reference
        rules.append(
            rule(
                "EstimatedPerformanceDrop",
                f"estimated_{metric}",
                "warning",
                f"Estimated {metric} of {{model}} fell to {{value:.3g}} (no labels needed)"
                if worse == "down"
                else f"Estimated {metric} of {{model}} rose to {{value:.3g}} (no labels needed)",
                change=performance_change,
                for_=2,
                of=3,
                resolve_after=2,
                match=OVERALL,
                description="Estimated from the calibrated scores (regression: expected errors), "
                "assuming no concept drift; labels, when they arrive, confirm it.",
            )
        )
    if config.label:
        rules.append(
            rule(
                "LabelsStopped",
                "label_coverage",
                "warning",
                "Labels stopped arriving for {model}: {value:.1%} of a day-old window labelled",
                below=0.05,
                settle="1d",
                for_=2,
                match=OVERALL,
                description="Performance cannot be judged without ground truth; check the "
                "label pipeline (GET /v1/models/{model} shows label counts).",
            )
        )
        rules.append(
            rule(
                "LabelsDelayed",
                "label_delay_seconds",
                "warning",
                "Labels for {model} arrive later: p90 delay {value:.0f} s",
                change=ChangeSpec(baseline="7d", above=1.0),
                for_=2,
                settle="1d",
                match=["quantile=0.9", *OVERALL],
            )
        )
        rules.append(
            rule(
                "LabelDrift",
                "label_drift",
                "warning",
                "Label distribution of {model} drifted ({value:.3g})",
                status="breach",
                match=OVERALL,
                description="The ground truth itself changed: base rates moved, or the "
                "labelling changed; check the label source before retraining on it.",
            )
        )
        rules.append(
            rule(
                "LabelsInvalid",
                "label_invalid_ratio",
                "warning",
                "{value:.1%} of the labels of {model} are outside the label set",
                above=0.01,
                match=OVERALL,
                description="Labels the model cannot have produced (unknown classes, "
                "non-numbers): performance and label drift are computed on bad ground truth.",
            )
        )
        rules.append(
            rule(
                "LabelDisagreement",
                "label_agreement_rate",
                "warning",
                "Annotators of {model} agree on only {value:.0%} of the ids labelled twice",
                below=0.8,
                match=OVERALL,
                description="Ids with several labels disagree: the labelling guideline is "
                "ambiguous or an annotator or label source is off.",
            )
        )
    return rules


def model_rules(model: str, config: ModelConfig, alerting: AlertingSection) -> list[RuleSpec]:
    """The rules that apply to ``model``: configured ones, plus the defaults they do not
    replace (by name) when ``default_rules`` is on."""
    configured = [r for r in alerting.rules if not r.models or model in r.models]
    if not alerting.default_rules:
        return configured
    names = {r.name for r in configured}
    defaults = default_rules(model, config, alerting.external_url)
    return [*configured, *(r for r in defaults if r.name not in names)]


def raise_drift_severity(alerts: list[Alert], firing: Collection[str] = ()) -> list[Alert]:
    """``FeatureDrift`` starts at high instead of warning while the same model's
    ``PerformanceDrop`` fires: the drift visibly costs accuracy. ``firing`` are the
    fingerprints firing before this evaluation: an episode keeps the severity it started with,
    so a flapping performance alert does not make the drift alert flap between severities.
    """
    dropping = {
        a.model for a in alerts if a.name == "PerformanceDrop" and a.status is AlertStatus.FIRING
    }
    out = []
    for alert in alerts:
        if alert.name == "FeatureDrift" and alert.severity.value == "warning":
            raised = replace(
                alert,
                labels={**alert.labels, "severity": "high"},
                reason=f"{alert.reason}; high: PerformanceDrop fires on {alert.model}",
            )
            started_high = raised.fingerprint in firing
            if started_high or (alert.model in dropping and alert.fingerprint not in firing):
                alert = raised
        out.append(alert)
    return out
