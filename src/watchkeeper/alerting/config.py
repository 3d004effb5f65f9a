"""The ``alerting`` section of ``watchkeeper.yaml``: rules, receivers, the routing tree,
inhibition, escalation and retraining triggers. Validated on load like the rest of the file.

Matchers (routes, inhibition, silences, rule ``match``) are Alertmanager-style strings:
``label=value``, ``label!=value``, ``label=~regex``, ``label!~regex`` (regexes match whole
values). Secrets are never in the file: each receiver names the environment variable that holds
its URL, key or password (``*_env``).
"""

from __future__ import annotations

from typing import Literal

import msgspec

SeverityName = Literal["critical", "high", "warning", "info"]
Direction = Literal["up", "down", "both"]
DetectorName = Literal["mad", "cusum", "page_hinkley", "ewma", "trend", "burn_rate", "adwin"]


class ChangeSpec(msgspec.Struct, forbid_unknown_fields=True):
    """Relative change of the latest window against the mean of the ``baseline`` span before
    it (``"reference"``: against the same metric on the reference, where one exists).
    ``above: 0.5`` fires at +50 %, ``below: -0.2`` at -20 %."""

    baseline: str = "7d"
    above: float | None = None
    below: float | None = None


class AnomalySpec(msgspec.Struct, forbid_unknown_fields=True):
    """An anomaly detector over the series' history (``history`` span, newest last).

    Sudden changes: ``mad`` (robust z-score against a rolling median / MAD), ``cusum``,
    ``page_hinkley``, ``adwin``. Gradual ones: ``ewma`` (smoothed level against the baseline),
    ``trend`` (slope over the history), ``burn_rate`` (multi-window error-budget burn for
    SLO-like ratios). ``season`` (e.g. ``1w``) compares against the same time one season ago.
    ``threshold`` is the detector's sensitivity (z for mad, h for cusum, ...; each detector
    documents its default); ``params`` holds any other detector parameter.
    """

    detector: DetectorName
    direction: Direction = "both"
    history: str = "7d"
    season: str | None = None
    threshold: float | None = None
    params: dict[str, float] = {}


class RuleSpec(msgspec.Struct, forbid_unknown_fields=True):
    """One alert rule: a condition on a metric series, held long enough, with a severity.

    Exactly one condition: ``above`` / ``below`` (static thresholds, both may be given: a
    band), ``status: breach`` (the sample's own verdict, e.g. a drift test), ``change`` or
    ``anomaly``. ``for`` consecutive breaching windows fire it (``for: 2`` with ``of: 3``: 2 of
    the last 3); ``resolve_after`` consecutive clear windows resolve it, and ``resolve_above`` /
    ``resolve_below`` set a hysteresis level the value must cross back over to count as clear.
    Provisional and insufficient samples are skipped unless ``include_provisional``; with
    ``settle`` a window is judged only once it ended that long ago (e.g. label coverage, which
    late labels raise).
    Annotations may use ``{value}``, ``{model}``, ``{metric}`` and ``{labels[NAME]}``.
    """

    name: str
    metric: str
    severity: SeverityName = "warning"
    models: list[str] = []  # empty: every model
    match: list[str] = []  # matchers on the series' labels, e.g. ["window=1h"]
    above: float | None = None
    below: float | None = None
    status: Literal["breach"] | None = None
    change: ChangeSpec | None = None
    anomaly: AnomalySpec | None = None
    for_: int = msgspec.field(default=1, name="for")
    of: int | None = None
    resolve_after: int = 1
    resolve_above: float | None = None
    resolve_below: float | None = None
    include_provisional: bool = False
    settle: str | None = None  # judge a window only once it ended this long ago (late labels)
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}


class WebhookReceiver(msgspec.Struct, forbid_unknown_fields=True):
    url: str | None = None
    url_env: str | None = None
    headers_env: dict[str, str] = {}  # header name -> environment variable holding its value
    timeout: str = "10s"


class SlackReceiver(msgspec.Struct, forbid_unknown_fields=True):
    url: str | None = None  # the incoming-webhook URL (prefer url_env: it is a secret)
    url_env: str | None = None
    channel: str | None = None
    timeout: str = "10s"


class PagerDutyReceiver(msgspec.Struct, forbid_unknown_fields=True):
    routing_key_env: str
    url: str = "https://events.pagerduty.com/v2/enqueue"
    timeout: str = "10s"


class OpsgenieReceiver(msgspec.Struct, forbid_unknown_fields=True):
    api_key_env: str
    url: str = "https://api.opsgenie.com"
    responders: list[str] = []  # team names
    tags: list[str] = []
    timeout: str = "10s"


class EmailReceiver(msgspec.Struct, forbid_unknown_fields=True):
    to: list[str]
    sender: str = msgspec.field(name="from")
    host: str = "127.0.0.1"
    port: int = 587
    tls: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    timeout: str = "10s"


class AlertmanagerReceiver(msgspec.Struct, forbid_unknown_fields=True):
    url: str  # the Alertmanager base URL; alerts go to POST {url}/api/v2/alerts
    timeout: str = "10s"


class Receiver(msgspec.Struct, forbid_unknown_fields=True):
    """Where notifications go; one receiver may fan out to several integrations."""

    webhook: WebhookReceiver | None = None
    slack: SlackReceiver | None = None
    pagerduty: PagerDutyReceiver | None = None
    opsgenie: OpsgenieReceiver | None = None
    email: EmailReceiver | None = None
    alertmanager: AlertmanagerReceiver | None = None


class RouteSpec(msgspec.Struct, forbid_unknown_fields=True):
    """A node of the routing tree. Unset settings are inherited from the parent; the root's
    defaults are ``group_by: [model, alertname]``, ``group_wait: 0s`` (the alerts of one
    evaluation arrive together),
    ``group_interval: 5m``, ``repeat_interval: 4h``, no budget, no escalation."""

    receiver: str | None = None
    match: list[str] = []
    group_by: list[str] | None = None
    group_wait: str | None = None
    group_interval: str | None = None
    repeat_interval: str | None = None
    max_per_hour: int | None = None  # the alert budget; the excess folds into one summary
    escalation: str | None = None  # an escalation policy name
    continue_: bool = msgspec.field(default=False, name="continue")
    routes: list[RouteSpec] = []


class InhibitRuleSpec(msgspec.Struct, forbid_unknown_fields=True):
    """While an alert matching ``source`` fires, alerts matching ``target`` with equal values
    of the ``equal`` labels are muted."""

    source: list[str]
    target: list[str]
    equal: list[str] = []


class EscalationLevel(msgspec.Struct, forbid_unknown_fields=True):
    receiver: str
    after: str = "0m"  # since the alert started firing, unacknowledged


class EscalationPolicy(msgspec.Struct, forbid_unknown_fields=True):
    """Ordered levels; an unacknowledged alert moves to the next level after its delay.
    ``start`` maps a severity to the level it starts at (default 0)."""

    levels: list[EscalationLevel]
    start: dict[SeverityName, int] = {}


class RetrainingSpec(msgspec.Struct, forbid_unknown_fields=True):
    """Fire a retraining trigger when any of ``alerts`` (alert names) has been firing for
    ``for`` windows; the trigger posts to ``webhook`` and/or runs ``command`` with the
    evidence as JSON, and exports the recent labelled window (``export_window``) as Parquet."""

    name: str
    models: list[str] = []
    alerts: list[str] = []
    webhook: str | None = None
    command: list[str] = []
    export_window: str = "7d"
    cooldown: str = "1d"


class AlertingSection(msgspec.Struct, forbid_unknown_fields=True):
    external_url: str = ""  # the service's URL as users reach it, for links in notifications
    receivers: dict[str, Receiver] = {}
    route: RouteSpec = msgspec.field(default_factory=RouteSpec)
    inhibit_rules: list[InhibitRuleSpec] = []
    builtin_inhibitions: bool = True  # data-quality mutes drift; critical mutes warning
    escalation: dict[str, EscalationPolicy] = {}
    rules: list[RuleSpec] = []
    default_rules: bool = True  # the generated defaults for every model (see the README)
    playbooks: str | None = None  # a directory of Markdown templates overriding the built-ins
    max_retry_delay: str = "5m"  # failed deliveries retry with backoff up to this delay
    retraining: list[RetrainingSpec] = []
