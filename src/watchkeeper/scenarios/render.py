"""Show scenario verdicts and replays: rich tables for people, JSON for machines.

Free functions over the results (nothing here computes a verdict).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from rich import box
from rich.console import Console
from rich.table import Table

from watchkeeper.scenarios.expect import Verdict, when
from watchkeeper.scenarios.results import RunResult

WIDE = 160  # table width when stdout is not a terminal (pipes, files, CI logs)
_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "warning": "yellow", "info": "dim"}


@dataclass(frozen=True)
class ScenarioOutcome:
    """One scenario's run and the verdicts on it."""

    name: str
    config: str
    step: str
    run: RunResult
    verdicts: tuple[Verdict, ...]

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "config": self.config,
            "step": self.step,
            "passed": self.passed,
            "seconds": round(self.run.seconds, 3),
            "checks": [v.to_dict() for v in self.verdicts],
            "run": self.run.to_dict(),
        }


def console(file: IO[str] | None = None) -> Console:
    """A console on stdout; wide when it is not a terminal, so rows do not fold much."""
    out = file or sys.stdout
    wide = not out.isatty() and "COLUMNS" not in os.environ
    return Console(file=out, width=WIDE if wide else None, highlight=False)


def tests_to_dict(outcomes: Sequence[ScenarioOutcome]) -> dict[str, Any]:
    return {
        "passed": all(o.passed for o in outcomes),
        "scenarios": [o.to_dict() for o in outcomes],
    }


def print_tests(outcomes: Sequence[ScenarioOutcome], out: Console, quiet: bool = False) -> None:
    """A table per scenario (with ``quiet``: only the failed checks of failed scenarios),
    then one summary line."""
    for outcome in outcomes:
        if quiet and outcome.passed:
            continue
        run = outcome.run
        mark = "[green]PASS[/]" if outcome.passed else "[bold red]FAIL[/]"
        out.print(f"{mark} [bold]{outcome.name}[/]")
        out.print(
            f"  [dim]{outcome.config}: {run.steps} steps of {outcome.step}, "
            f"{run.predictions:,} predictions, {run.labels:,} labels, {run.seconds:.1f} s[/]"
        )
        table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("", no_wrap=True, width=1)
        table.add_column("expectation", overflow="fold")
        table.add_column("observed", overflow="fold")
        for verdict in outcome.verdicts:
            if quiet and verdict.passed:
                continue
            table.add_row(
                "[green]✓[/]" if verdict.passed else "[bold red]✗[/]",
                verdict.check,
                verdict.observed,
            )
        out.print(table)
        if run.rejected:
            out.print(f"[yellow]{run.rejected:,} records rejected[/]: {'; '.join(run.errors[:3])}")
        out.print()
    failed = [o for o in outcomes if not o.passed]
    checks = sum(len(o.verdicts) for o in outcomes)
    bad = sum(not v.passed for o in outcomes for v in o.verdicts)
    summary = "[bold red]FAILED[/]" if failed else "[green]passed[/]"
    out.print(
        f"{summary}: {len(outcomes) - len(failed)} of {len(outcomes)} scenarios passed "
        f"({checks - bad} of {checks} checks)"
    )


def print_replay(result: RunResult, model: str, step: str, out: Console) -> None:
    """What would have fired, when, and who would have heard of it."""
    out.print(
        f"[bold]replay of {model}[/] from {when(result.start)} to {when(result.end)}: "
        f"{result.steps} steps of {step}, {result.predictions:,} predictions, "
        f"{result.labels:,} labels ({result.seconds:.1f} s)"
    )
    if result.rejected:
        out.print(
            f"[yellow]{result.rejected:,} records rejected[/]: {'; '.join(result.errors[:3])}"
        )
    episodes = result.episodes()
    if not episodes:
        out.print("no alert would have fired")
        return
    table = Table(header_style="bold")
    for name in ("alert", "severity", "model", "labels", "fired at", "resolved at"):
        table.add_column(name, overflow="fold", no_wrap=name.endswith(" at"))
    table.add_column("notified", overflow="fold")
    for episode in episodes:
        style = _SEVERITY_STYLE.get(episode.severity, "")
        table.add_row(
            episode.alertname,
            f"[{style}]{episode.severity}[/]" if style else episode.severity,
            episode.model,
            episode.series,
            when(episode.fired_at),
            when(episode.resolved_at) if episode.resolved_at else "still firing",
            _notified(result, episode.fingerprint)
            if episode.notified
            else f"[yellow]no[/]: {episode.why_not}",
        )
    out.print(table)
    firing = sum(s.status == "firing" for s in result.sent)
    out.print(
        f"{len(episodes)} alert(s) fired; {len(result.sent)} notification(s) would have been "
        f"sent ({firing} firing, {len(result.sent) - firing} resolved)"
    )


def _notified(result: RunResult, fingerprint: str) -> str:
    receivers = sorted(
        {f"{s.receiver} ({s.integration})" for s in result.sent if s.names(fingerprint)}
    )
    return "yes: " + ", ".join(receivers) if receivers else "yes"
