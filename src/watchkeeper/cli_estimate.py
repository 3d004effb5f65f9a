"""``watchkeeper estimate``: a model's performance on current data without labels.

Fits the estimator on REFERENCE (which has the label column) and estimates the metrics on each
chunk of CURRENT: ``--chunk-size`` rows, or each ``--window`` of the ``--timestamp`` column
(default: chunks of as many rows as the reference chunks the uncertainty was measured on).
When CURRENT has the label column too, the realized metrics are shown next to the estimates.
Output: a table on the terminal, or ``--format json|md|html`` (to ``-o``, else stdout; with
``-o`` alone the format follows its suffix). Exit 0; 1 with ``--fail-on-alert`` when a chunk's
estimate left the reference range; 2 on bad input.

The command registers itself on the CLI's subcommands with :func:`add_parser`.

>>> parser = argparse.ArgumentParser(prog="watchkeeper")
>>> add_parser(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["estimate", "ref.parquet", "cur.parquet", "--task", "regression",
...                           "--prediction", "y_hat", "--label", "y", "--window", "1d"])
>>> args.run is run, args.window, args.timestamp
(True, '1d', None)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchkeeper.errors import InputError

if TYPE_CHECKING:
    from watchkeeper.performance.estimate import ChunkEstimate, EstimationResult

TASKS = ("binary_classification", "multiclass_classification", "regression")
FORMATS = ("json", "md", "html")
WIDE = 200  # columns of the table when stdout is not a terminal (pipes, files)
_SUFFIX_FORMAT = {".html": "html", ".htm": "html", ".json": "json", ".md": "md", ".markdown": "md"}


def add_parser(commands: Any) -> None:
    """Register ``estimate`` on the CLI's subcommands (``argparse`` subparsers)."""
    estimate = commands.add_parser(
        "estimate",
        help="estimate model performance on unlabelled current data (CBPE, DLE)",
        description="Estimate accuracy, precision, recall, F1 and ROC AUC of a classifier from "
        "its calibrated scores (CBPE), or MAE and RMSE of a regression model from its expected "
        "errors (DLE), per chunk of CURRENT, with an uncertainty band and the range the "
        "estimate keeps while the model performs as on REFERENCE. Assumes no concept drift: "
        "P(label | inputs) on CURRENT as on REFERENCE. Files: Parquet, CSV, JSON lines.",
    )
    estimate.add_argument("reference", help="reference data file with the label column")
    estimate.add_argument("current", help="current data file (labels optional)")
    estimate.add_argument("--task", choices=TASKS, required=True, help="the model's task")
    estimate.add_argument(
        "--prediction", metavar="COL", required=True, help="column of predicted classes or values"
    )
    estimate.add_argument(
        "--scores",
        metavar="COL",
        nargs="+",
        default=[],
        help="score columns: binary one (the positive class, the greater label value); "
        "multiclass one per class, in the sorted order of the label values",
    )
    estimate.add_argument("--label", metavar="COL", required=True, help="column of labels")
    estimate.add_argument(
        "--features",
        metavar="COL",
        nargs="+",
        help="regression model inputs (default: every numeric and text column but the "
        "prediction and label)",
    )
    chunks = estimate.add_mutually_exclusive_group()
    chunks.add_argument("--chunk-size", type=int, metavar="N", help="rows per chunk")
    chunks.add_argument("--window", metavar="DURATION", help="time chunks, e.g. 1h or 1d")
    estimate.add_argument("--timestamp", metavar="COL", help="event-time column for --window")
    estimate.add_argument(
        "--format", choices=FORMATS, help="output format (default: from -o's suffix, else a table)"
    )
    estimate.add_argument("-o", "--output", metavar="OUT", help="write the output here")
    estimate.add_argument(
        "--fail-on-alert",
        action="store_true",
        help="exit 1 when a chunk's estimate left the reference range",
    )
    estimate.add_argument("--seed", type=int, default=0, help="seed of the reference sampling")
    estimate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from watchkeeper.data import read_table
    from watchkeeper.performance.estimate import estimate_chunks, fit_estimator
    from watchkeeper.settings import parse_duration

    if (args.window is None) != (args.timestamp is None):
        raise InputError("--window and --timestamp go together: the length and the time column")
    window = parse_duration(args.window, "--window") if args.window else None
    if args.chunk_size is not None and args.chunk_size <= 0:
        raise InputError(f"--chunk-size must be a positive number of rows (got {args.chunk_size})")
    fmt = args.format
    if fmt is None and args.output:
        fmt = _SUFFIX_FORMAT.get(Path(args.output).suffix.lower(), "html")
    reference = read_table(args.reference, "reference")
    current = read_table(args.current, "current")
    estimator = fit_estimator(
        reference,
        args.task,
        args.prediction,
        args.scores,
        args.label,
        args.features,
        seed=args.seed,
    )
    result = estimate_chunks(estimator, current, args.chunk_size, window, args.timestamp)
    if fmt is None:
        print_table(result)
    else:
        text = render(result, fmt)
        if args.output:
            try:
                Path(args.output).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise InputError(f"cannot write {args.output}: {exc}") from None
            alerts = sum(c.alert for c in result.chunks)
            print(f"{len(result.chunks)} chunks, {alerts} alerting -> {args.output}")
        else:
            sys.stdout.write(text)
    return 1 if args.fail_on_alert and result.alerting else 0


def render(result: EstimationResult, fmt: str) -> str:
    from watchkeeper.performance import render_estimate

    if fmt == "json":
        return json.dumps(render_estimate.to_json(result), indent=2, ensure_ascii=False) + "\n"
    if fmt == "md":
        return render_estimate.to_markdown(result)
    return render_estimate.to_html(result)


def print_table(result: EstimationResult) -> None:
    """The estimates as a rich table: per metric the estimate with its band, the realized
    value when known; red where the estimate left the reference range."""
    from rich.console import Console
    from rich.table import Table

    from watchkeeper.performance.render_estimate import chunk_label

    table = Table(header_style="bold", title=f"estimated {result.task}", title_justify="left")
    table.add_column("chunk", no_wrap=True)
    table.add_column("rows", justify="right")
    for metric in result.metrics:
        table.add_column(metric, justify="right")
    table.add_column("alert")
    for chunk in result.chunks:
        cells = []
        for metric in result.metrics:
            cell = f"{_num(chunk.estimated[metric])} ±{_half(chunk, metric)}"
            if chunk.realized is not None:
                cell += f" ({_num(chunk.realized.get(metric, math.nan))})"
            cells.append(f"[bold red]{cell}[/]" if metric in chunk.left else cell)
        alert = ", ".join(chunk.left)
        table.add_row(chunk_label(chunk), f"{chunk.rows:,}", *cells, alert)
    wide = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    console = Console(file=sys.stdout, width=WIDE if wide else None, highlight=False)
    console.print(table)
    realized = " (realized in brackets)" if result.labelled else ""
    console.print(f"estimate ± half its band{realized}; assumption: {result.assumption}")


def _num(value: float) -> str:
    return f"{value:.3f}" if math.isfinite(value) else "–"


def _half(chunk: ChunkEstimate, metric: str) -> str:
    half = (chunk.upper[metric] - chunk.lower[metric]) / 2
    return f"{half:.3f}" if math.isfinite(half) else "–"
