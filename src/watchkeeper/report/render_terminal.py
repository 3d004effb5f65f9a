"""A short summary of a report for the terminal (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from watchkeeper.report._format import multivariate_line
from watchkeeper.report.model import Report

_STYLE = {"critical": "bold red", "high": "red", "warning": "yellow", "info": "dim"}
MAX_ROWS = 15


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    if value != value:  # NaN
        return "–"
    if value == 0:
        return "0" if value == 0 else "–"
    return f"{value:.2e}" if 0 < abs(value) < 1e-3 else f"{value:.3g}"


def print_summary(
    report: Report, output: str | None = None, console: Console | None = None
) -> None:
    console = console or Console()
    drift = report.drift
    tested = len(drift.tested)
    verdict = "[bold red]DATASET DRIFT[/]" if report.dataset_drift else "[green]no dataset drift[/]"
    console.print(
        f"{verdict}: {len(report.drifted_columns)} of {tested} columns drifted "
        f"(threshold {drift.settings.dataset_drift_share:.0%}); "
        f"reference {report.reference.rows:,} rows, current {report.current.rows:,} rows"
    )
    for joint in report.multivariate:
        style = "bold red" if joint.drift_detected else "green"
        console.print(f"[{style}]{escape(multivariate_line(joint))}[/]")
    if report.multivariate_note:
        console.print(f"[dim]multivariate: {escape(report.multivariate_note)}[/]")
    table = Table(show_lines=False, header_style="bold")
    for name in ("column", "type", "test", "statistic", "threshold", "p-value", "drift"):
        table.add_column(name, overflow="fold")
    for c in report.column_order()[:MAX_ROWS]:
        table.add_row(
            c.name,
            c.type.value,
            c.test or "–",
            _fmt(c.statistic),
            _fmt(c.threshold) if not c.skipped else "–",
            _fmt(c.p_value),
            "[bold red]yes[/]" if c.drift_detected else ("skipped" if c.skipped else "no"),
        )
    console.print(table)
    if len(report.drift.columns) > MAX_ROWS:
        console.print(f"… and {len(report.drift.columns) - MAX_ROWS} more columns")
    findings = report.quality.findings
    if findings:
        console.print(f"[bold]data quality[/]: {len(findings)} findings")
        for f in findings[:MAX_ROWS]:
            console.print(f"  [{_STYLE[f.severity.value]}]{f.severity.value:<8}[/] {f.message}")
    else:
        console.print("[bold]data quality[/]: no findings")
    if output:
        console.print(f"report written to {output}")
