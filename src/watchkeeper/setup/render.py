"""``watchkeeper detect`` output: a terminal table or JSON, both from a :class:`Stack`.

>>> from watchkeeper.setup.stack import Evidence, Finding, Stack, Status
>>> stack = Stack((Finding("slack", "Slack", Status.ON, (Evidence("env", "SLACK_WEBHOOK_URL",
...     "set"),), "reason", "slack receiver", "alerting.receivers.team.slack"),), ("grafana",))
>>> data = json.loads(render_json(stack))
>>> data["findings"][0]["found_how"], data["missing"]
(['env SLACK_WEBHOOK_URL (set)'], ['grafana'])
"""

from __future__ import annotations

import json
from typing import TextIO

from watchkeeper.setup.stack import Stack, Status

_STATUS_TEXT = {
    Status.ON: "[green]on[/]",
    Status.AVAILABLE: "[cyan]available[/]",
    Status.INCOMPLETE: "[yellow]incomplete[/]",
    Status.INFO: "[dim]info[/]",
}


def render_json(stack: Stack) -> str:
    return json.dumps(stack.to_dict(), indent=2) + "\n"


def print_table(stack: Stack, file: TextIO | None = None) -> None:
    """One row per component found (evidence, what watchkeeper turns on, the config key),
    then each finding's reason."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=file, width=None if file is None else 120)
    if not stack.findings:
        console.print("No monitoring stack found (environment, /etc, PATH, packages).")
    else:
        table = Table(title="Monitoring stack")
        table.add_column("component")
        table.add_column("found how", overflow="fold")
        table.add_column("watchkeeper will turn on", overflow="fold")
        table.add_column("config key", overflow="fold")
        for finding in stack.findings:
            will = finding.integration if finding.on else finding.integration or "-"
            table.add_row(
                escape(finding.label),
                "\n".join(escape(e.describe()) for e in finding.evidence),
                f"{_STATUS_TEXT[finding.status]} {escape(will)}",
                escape(finding.config_key or "-"),
            )
        console.print(table)
        for finding in stack.findings:
            console.print(f"[bold]{escape(finding.label)}[/]: {escape(finding.reason)}")
    if stack.missing:
        console.print(f"[dim]not found: {', '.join(stack.missing)}[/]")
    if not stack.probed:
        console.print("[dim]no ports probed (--probe asks 127.0.0.1:9090, 9093, 3000, 4318)[/]")
    console.print(
        "Next: `watchkeeper init --reference FILE --model NAME` writes a watchkeeper.yaml "
        "with these integrations."
    )
