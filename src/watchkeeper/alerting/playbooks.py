"""Playbooks: what to look at and what to do for an incident, as Markdown.

Each alert type has a template (``playbooks/<kind>.md`` in this package): ``data_quality``,
``feature_drift``, ``prediction_drift``, ``performance``, ``label`` (coverage and delay),
``ground_truth`` (invalid labels, annotator disagreement), ``latency``, ``error_rate``,
``throughput``, ``business_kpi`` and ``default``. An alert's kind
comes from, in order: its ``playbook`` label (any template name, so a rule can name a
playbook of its own), its ``metric`` label, keywords in its ``alertname``, its ``monitor``
label, else ``default``. An incident's playbook has one section per kind among its alerts,
upstream causes first (a data-quality break explains drift, which explains a performance drop).

Templates are Markdown with :class:`string.Template` placeholders (``$model``, ``${feature}``;
``$$`` is a literal dollar). A placeholder without a value renders as "not available", never
an error. Each template has ``### Investigate`` and ``### Remediate`` sections; the remediation
list items become the postmortem's follow-ups. User templates (``alerting.playbooks``: a
directory) replace the built-in file of the same name, or add new names.

Placeholders: ``incident_id title severity status owner model opened_at base_url`` (the
incident); ``alertname monitor metric value window feature model_version segment
segment_value kpi quantile summary description runbook_url`` (the worst alert of the section's
kind); ``window_start window_end baseline_start`` (ISO 8601, the evidence window and 7 days
before it); ``top_feature top_features dataset_drift prediction_drift quality_findings
segments worst_segment versions worst_version version_changes new_versions
rollback_version label_coverage label_delay coverage_history`` (the evidence, one line each);
``drift_table quality_list segments_list versions_list`` (the same as Markdown blocks, for a
line of their own).

>>> from datetime import UTC, datetime
>>> from watchkeeper.alerting.incidents import IncidentBook
>>> from watchkeeper.alerting.model import Alert, AlertStatus
>>> t = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> alert = Alert({"alertname": "TrafficStopped", "severity": "critical", "model": "credit",
...                "metric": "prediction_count"}, {}, AlertStatus.FIRING, t, t)
>>> book = IncidentBook()
>>> _ = book.observe([alert], t)
>>> text = render_playbook(book.incidents()[0])
>>> text.splitlines()[0]
'# Playbook: TrafficStopped on credit'
>>> "## No traffic: credit" in text, "### Remediate" in text
(True, True)
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from watchkeeper.alerting import incidents_format as fmt
from watchkeeper.alerting.incidents_model import Incident
from watchkeeper.alerting.model import Alert
from watchkeeper.errors import InputError

DEFAULT_URL = "http://127.0.0.1:8000"
# upstream causes first: the order of the sections of an incident's playbook
KINDS = (
    "data_quality",
    "throughput",
    "error_rate",
    "latency",
    "label",
    "ground_truth",
    "feature_drift",
    "prediction_drift",
    "performance",
    "business_kpi",
    "default",
)
METRIC_KINDS = {
    "data_quality_findings": "data_quality",
    "missing_share": "data_quality",
    "unseen_category_share": "data_quality",
    "feature_drift": "feature_drift",
    "dataset_drift_share": "feature_drift",
    "multivariate_drift": "feature_drift",
    "prediction_drift": "prediction_drift",
    "label_drift": "performance",  # the ground truth changed: concept drift
    "label_coverage": "label",
    "label_delay_seconds": "label",
    "label_invalid_count": "ground_truth",
    "label_invalid_ratio": "ground_truth",
    "label_duplicate_count": "ground_truth",
    "label_agreement_rate": "ground_truth",
    "latency_seconds": "latency",
    "error_rate": "error_rate",
    "prediction_count": "throughput",
    "throughput_per_second": "throughput",
    "kpi": "business_kpi",
}
PERFORMANCE = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "calibration_error")
METRIC_KINDS.update(dict.fromkeys((*PERFORMANCE, "mae", "rmse", "mape", "r2"), "performance"))
METRIC_KINDS.update(
    {f"estimated_{m}": "performance" for m in (*PERFORMANCE, "mae", "rmse", "mape", "r2")}
)
# alertname keywords (lower case, letters and digits only), first match wins
NAME_KINDS = (
    (("labeldrift", "conceptdrift"), "performance"),
    (("labelsinvalid", "invalidlabel", "disagree", "agreement", "annotator"), "ground_truth"),
    (("label", "groundtruth", "coverage"), "label"),
    (("quality", "missing", "schema", "unseen", "null"), "data_quality"),
    (("latency", "slow"), "latency"),
    (("error", "failure", "exception"), "error_rate"),
    (("traffic", "throughput", "volume", "pipelinedown", "nodata", "count"), "throughput"),
    (("kpi", "business", "conversion", "revenue"), "business_kpi"),
    (("predictiondrift", "scoredrift", "scoreshift", "outputdrift"), "prediction_drift"),
    (("drift", "shift"), "feature_drift"),
    (
        ("accuracy", "auc", "f1", "precision", "recall", "performance", "rmse", "mae", "r2"),
        "performance",
    ),
)
MONITOR_KINDS = {
    "quality": "data_quality",
    "drift": "feature_drift",
    "performance": "performance",
    "ground_truth": "ground_truth",
    "business": "business_kpi",
}
_NAME = re.compile(r"^[a-z0-9_-]+$")


def playbook_kind(alert: Alert, overrides_dir: str | Path | None = None) -> str:
    """The template name for ``alert`` (see the module docstring).

    >>> from datetime import UTC, datetime
    >>> from watchkeeper.alerting.model import AlertStatus
    >>> t = datetime(2026, 3, 1, tzinfo=UTC)
    >>> [playbook_kind(Alert(labels, {}, AlertStatus.FIRING, t, t)) for labels in (
    ...     {"alertname": "X", "metric": "roc_auc"}, {"alertname": "ScoreShift"},
    ...     {"alertname": "X", "monitor": "quality"}, {"alertname": "X"})]
    ['performance', 'prediction_drift', 'data_quality', 'default']
    """
    chosen = alert.labels.get("playbook", "")
    if _NAME.match(chosen) and _template_text(chosen, overrides_dir) is not None:
        return chosen
    metric = alert.labels.get("metric", "")
    if metric in METRIC_KINDS:
        return METRIC_KINDS[metric]
    name = re.sub(r"[^a-z0-9]", "", alert.name.lower())
    for words, kind in NAME_KINDS:
        if any(w in name for w in words):
            return kind
    return MONITOR_KINDS.get(alert.labels.get("monitor", ""), "default")


def render_playbook(
    incident: Incident, overrides_dir: str | Path | None = None, *, base_url: str = DEFAULT_URL
) -> str:
    """The incident's playbook: a header, then one filled-in template per alert kind."""
    parts = [f"# Playbook: {incident.title}", "", _header(incident)]
    for kind, alert in sections(incident, overrides_dir):
        template = _template_text(kind, overrides_dir) or _template_text("default", None) or ""
        values = placeholders(incident, alert, base_url)
        parts += ["", string.Template(template).safe_substitute(values).strip()]
    return "\n".join(parts) + "\n"


def sections(
    incident: Incident, overrides_dir: str | Path | None = None
) -> list[tuple[str, Alert | None]]:
    """(kind, the worst alert of that kind) per kind among the incident's alerts, in playbook
    order (user-named playbooks first, then :data:`KINDS`)."""
    worst: dict[str, Alert] = {}
    ranked = sorted(incident.alerts.values(), key=lambda a: (-a.severity.rank, a.starts_at))
    for alert in ranked:
        worst.setdefault(playbook_kind(alert, overrides_dir), alert)
    order = {kind: i for i, kind in enumerate(KINDS)}
    kinds = sorted(worst, key=lambda k: (k in order, order.get(k, 0), k))
    return [(k, worst[k]) for k in kinds] or [("default", None)]


def remediation_steps(markdown: str) -> list[str]:
    """The list items under each ``Remediate`` heading of a rendered playbook.

    >>> remediation_steps("### Investigate\\n1. look\\n### Remediate\\n- roll back\\n2. retrain\\n")
    ['roll back', 'retrain']
    """
    steps, inside = [], False
    for line in markdown.splitlines():
        if line.startswith("#"):
            inside = "remediat" in line.lower()
            continue
        item = re.match(r"^\s*(?:[-*+]|\d+[.)])\s+(.*\S)", line)
        if inside and item:
            steps.append(item.group(1))
    return steps


def placeholders(incident: Incident, alert: Alert | None, base_url: str) -> dict[str, str]:
    """The values of every placeholder; the mapping answers "not available" for any other."""
    evidence = incident.evidence
    labels: Mapping[str, str] = alert.labels if alert else {}
    window = fmt.part(evidence, "window")
    features = fmt.rows(evidence, "drifted_features")
    segments = fmt.rows(evidence, "segments")
    versions = fmt.rows(evidence, "model_versions")
    changes = fmt.part(evidence, "version_changes")
    known: dict[str, Any] = {
        "incident_id": incident.id,
        "title": incident.title,
        "severity": incident.severity.value,
        "status": incident.status.value,
        "owner": incident.owner,
        "model": incident.model,
        "opened_at": fmt.when(incident.opened_at),
        "base_url": base_url.rstrip("/"),
        **{k: labels.get(k) for k in ("alertname", "monitor", "window", "feature", "kpi")},
        **{k: labels.get(k) for k in ("model_version", "segment", "segment_value", "quantile")},
        **{k: alert.annotations.get(k) if alert else None for k in ("summary", "description")},
        "runbook_url": alert.annotations.get("runbook_url") if alert else None,
        "metric": labels.get("metric") or evidence.get("metric"),
        "value": fmt.number(alert.value) if alert and alert.value == alert.value else None,
        "window_start": _utc(window.get("start")),
        "window_end": _utc(window.get("end")),
        "baseline_start": _utc(window.get("start"), timedelta(days=-7)),
        "top_feature": next((f.get("feature") for f in features if f.get("drifted")), None),
        "top_features": fmt.features_text(evidence),
        "drift_table": fmt.features_md(evidence),
        "dataset_drift": fmt.dataset_text(evidence),
        "prediction_drift": fmt.verdict_text(fmt.part(evidence, "prediction_drift")),
        "quality_findings": fmt.inline(fmt.findings_md(evidence)),
        "quality_list": fmt.findings_md(evidence),
        "segments": fmt.inline(fmt.groups_md(evidence, "segments")),
        "segments_list": fmt.groups_md(evidence, "segments"),
        "worst_segment": fmt.group_name(segments[0]) if segments else None,
        "versions": fmt.inline(fmt.groups_md(evidence, "model_versions")),
        "versions_list": fmt.groups_md(evidence, "model_versions"),
        "worst_version": fmt.group_name(versions[0]) if versions else None,
        "version_changes": fmt.versions_text(evidence),
        "new_versions": ", ".join(map(str, changes.get("new") or [])) or None,
        "rollback_version": _rollback(changes),
        "label_coverage": fmt.coverage_text(evidence),
        "label_delay": fmt.delay_text(evidence),
        "coverage_history": fmt.history_text(evidence),
    }
    values = _Values({k: str(v) for k, v in known.items() if v not in (None, "")})
    return values


class _Values(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return fmt.NOT_AVAILABLE


def _header(incident: Incident) -> str:
    alerts = ", ".join(
        f"{a.name} ({a.severity.value}, {a.status.value})" for a in incident.alerts.values()
    )
    return (
        f"Incident `{incident.id}` · model `{incident.model}` · severity "
        f"**{incident.severity.value}** · {incident.status.value} · owner {incident.owner} · "
        f"opened {fmt.when(incident.opened_at)}\n\nAlerts: {alerts or 'none'}"
    )


def _rollback(changes: Mapping[str, Any]) -> str | None:
    """A version to roll back to: one served before this window that is gone now (else any
    earlier one), the last in name order — a hint; the model registry has the answer."""
    earlier = changes.get("earlier")
    if not isinstance(earlier, list):
        return None
    gone = [str(v) for v in changes.get("gone") or []]
    kept = gone or [str(v) for v in earlier if v not in (changes.get("new") or [])]
    return sorted(kept)[-1] if kept else None


def _utc(text: Any, shift: timedelta = timedelta(0)) -> str | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text) + shift
    except ValueError:
        return None
    return moment.isoformat().replace("+00:00", "Z")


def _template_text(kind: str, overrides_dir: str | Path | None) -> str | None:
    """The template named ``kind``: the user's file first, then the built-in one."""
    if overrides_dir is not None:
        directory = Path(overrides_dir)
        if not directory.is_dir():
            raise InputError(f"alerting.playbooks: not a directory: {directory}")
        path = directory / f"{kind}.md"
        if path.is_file():
            try:
                return path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise InputError(f"playbook template {path}: cannot read it ({error})") from None
    built_in = resources.files("watchkeeper.alerting").joinpath("playbooks").joinpath(f"{kind}.md")
    return built_in.read_text(encoding="utf-8") if built_in.is_file() else None
