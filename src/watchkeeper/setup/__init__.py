"""Getting started on an existing stack: ``watchkeeper detect`` and ``watchkeeper init``.

:func:`detect_stack` finds the monitoring stack around watchkeeper (Prometheus, Alertmanager,
Grafana, StatsD / Datadog, CloudWatch, OTLP, Slack, PagerDuty, Opsgenie, email) from an injected
environment; :func:`plan_init` turns a reference data file and that stack into a commented
``watchkeeper.yaml``.
"""

from watchkeeper.setup.init_config import InitOptions, InitPlan, plan_init, write_init
from watchkeeper.setup.stack import (
    Environment,
    Evidence,
    Finding,
    Stack,
    Status,
    detect_stack,
    system_environment,
)

__all__ = [
    "Environment",
    "Evidence",
    "Finding",
    "InitOptions",
    "InitPlan",
    "Stack",
    "Status",
    "detect_stack",
    "plan_init",
    "system_environment",
    "write_init",
]
