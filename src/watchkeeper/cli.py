"""The ``watchkeeper`` command line: parses arguments and calls the library.

Exit codes: 0 ok; 1 a ``--fail-on`` condition held; 2 bad usage or bad input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from watchkeeper import cli_alerts, cli_estimate, cli_labels
from watchkeeper.errors import WatchkeeperError

FORMATS = ("html", "json", "md")
_SUFFIX_FORMAT = {".html": "html", ".htm": "html", ".json": "json", ".md": "md", ".markdown": "md"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="watchkeeper",
        description="Monitor machine-learning models: drift, data quality, performance, alerts.",
    )
    parser.add_argument("--version", action="version", version=f"watchkeeper {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    report = commands.add_parser(
        "report",
        help="drift and data-quality report of current data against a reference",
        description="Compare CURRENT data with REFERENCE data (or a saved .wkprofile) and report "
        "feature drift and data-quality findings. Files: Parquet, CSV, JSON lines.",
    )
    report.add_argument("reference", help="reference data file or saved .wkprofile")
    report.add_argument("current", help="current data file")
    report.add_argument(
        "--config", metavar="F", help="YAML config (schema overrides, drift tests, thresholds)"
    )
    report.add_argument(
        "--format", choices=FORMATS, help="output format (default: from -o's suffix, else html)"
    )
    report.add_argument(
        "-o", "--output", metavar="OUT", help="write the report here (default: a summary on stdout)"
    )
    report.add_argument(
        "--fail-on",
        choices=("drift", "quality", "any"),
        help="exit 1 when a column drifted (drift), a high or critical quality finding exists "
        "(quality), or either (any)",
    )
    report.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    report.set_defaults(run=_run_report)

    profile = commands.add_parser(
        "profile",
        help="save a reference profile to reuse in later reports",
        description="Profile DATA (Parquet, CSV, JSON lines) and save it as a compact .wkprofile.",
    )
    profile.add_argument("data", help="reference data file")
    profile.add_argument(
        "-o", "--output", metavar="OUT", required=True, help="profile file to write (.wkprofile)"
    )
    profile.add_argument(
        "--config", metavar="F", help="YAML config (schema overrides and ignored columns)"
    )
    profile.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    profile.set_defaults(run=_run_profile)
    check = commands.add_parser(
        "check",
        help="validate watchkeeper.yaml and the references it names, without starting anything",
        description="Validate the service configuration: keys and values, durations, and each "
        "model's reference (read and profiled once). Exit 0 when valid, 2 otherwise.",
    )
    check.add_argument(
        "--config", metavar="F", default="watchkeeper.yaml", help="service config file"
    )
    check.set_defaults(run=_run_check)

    demo = commands.add_parser(
        "demo",
        help="the whole loop on this machine: a simulated production model with incidents",
        description="Train a small model on generated data, start the service with its "
        "dashboard on 127.0.0.1 and an embedded store, stream five simulated days of traffic "
        "with a data-quality break, feature drift, a gradual performance decay, a latency "
        "spike and a business-KPI drop (labels arriving late), and print what it caught. "
        "Runs until Ctrl-C or --duration seconds.",
    )
    demo.add_argument("--port", type=int, help="port for the API and dashboard (default: free)")
    demo.add_argument("--dir", metavar="D", help="directory for the store (default: a temp dir)")
    demo.add_argument(
        "--duration", type=float, metavar="SECONDS", help="stop after this many seconds"
    )
    demo.add_argument(
        "--pace", type=float, default=0.3, help="seconds per simulated hour (default 0.3)"
    )
    demo.set_defaults(run=_run_demo)

    serve = commands.add_parser(
        "serve",
        help="run the service: HTTP intake, store, scheduled evaluation, /metrics",
        description="Run the monitoring service on the embedded store named in the config. "
        "Binds 127.0.0.1 unless told otherwise; SIGTERM drains the event log before exiting.",
    )
    serve.add_argument(
        "--config", metavar="F", default="watchkeeper.yaml", help="service config file"
    )
    serve.add_argument("--host", help="address to bind (default: server.host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: server.port, 8000)")
    serve.set_defaults(run=_run_serve)

    ingest = commands.add_parser(
        "ingest",
        help="backfill a data file of predictions (and labels) into a running service",
        description="Post every row of FILE to a running service as predictions of MODEL; with "
        "--label-column also as labels. Exit 0 when every record was accepted, 2 otherwise.",
    )
    ingest.add_argument("file", help="data file: one prediction per row")
    ingest.add_argument("--model", required=True, help="model name in the service's config")
    ingest.add_argument("--url", default="http://127.0.0.1:8000", help="service URL")
    ingest.add_argument(
        "--token-env", default="WATCHKEEPER_TOKEN", help="environment variable holding the token"
    )
    ingest.add_argument("--id-column", default="id", help="column of prediction ids")
    ingest.add_argument(
        "--timestamp-column", help="event-time column (default: 'timestamp' if present)"
    )
    ingest.add_argument("--prediction-column", default="prediction", help="column of predictions")
    ingest.add_argument("--label-column", help="column of labels, posted as label events")
    ingest.add_argument("--features", help="comma-separated feature columns (default: the rest)")
    ingest.add_argument("--batch-size", type=int, default=5000, help="records per request")
    ingest.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    ingest.set_defaults(run=_run_ingest)

    export = commands.add_parser(
        "export",
        help="export metric samples for BI tools, or Prometheus rules, Alertmanager config "
        "and Grafana dashboards generated from the config",
        description="Export metric samples from a running service to Parquet or CSV (the "
        "schema is documented in the README), or generate Prometheus rules, an Alertmanager "
        "config and Grafana dashboards from watchkeeper.yaml.",
    )
    what = export.add_subparsers(dest="what", metavar="WHAT", required=True)
    metrics = what.add_parser("metrics", help="metric samples of every (or one) model")
    metrics.add_argument("--url", default="http://127.0.0.1:8000", help="service URL")
    metrics.add_argument("--model", help="only this model (default: every model)")
    metrics.add_argument("--name", help="only this metric name")
    metrics.add_argument("--start", help="windows starting at or after this ISO 8601 time")
    metrics.add_argument("--end", help="windows ending at or before this ISO 8601 time")
    metrics.add_argument(
        "--format", choices=("parquet", "csv"), default="parquet", help="file format"
    )
    metrics.add_argument("-o", "--output", metavar="OUT", required=True, help="file to write")
    metrics.set_defaults(run=_run_export_metrics)
    from watchkeeper.export import as_code

    as_code.add_commands(what)  # prometheus-rules, alertmanager, grafana: monitoring as code
    cli_alerts.add_alert_parser(commands)
    cli_alerts.add_incident_parser(commands)
    cli_estimate.add_parser(commands)  # performance estimation without labels
    cli_labels.add_parser(commands)
    _add_scenario_commands(commands)
    _add_setup_commands(commands)
    return parser


def _add_scenario_commands(commands: Any) -> None:
    test = commands.add_parser(
        "test",
        help="run scenario files: a config over simulated or recorded traffic, expected alerts",
        description="Run each scenario of TESTS (a YAML file) in process on simulated time and "
        "check its expectations: which alerts fire, when, resolve and are notified. Exit 0 when "
        "every expectation holds, 1 when one fails, 2 on a bad file.",
    )
    test.add_argument("tests", metavar="TESTS", help="scenario file (YAML)")
    test.add_argument("--json", action="store_true", help="print the verdicts and runs as JSON")
    test.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar; only failed checks"
    )
    test.set_defaults(run=_run_test)

    replay = commands.add_parser(
        "replay",
        help="backtest a config over recorded history: which alerts would have fired, when",
        description="Replay HISTORY (Parquet, CSV, JSON lines; columns as for ingest) through "
        "the config's monitors and alert rules in process, evaluating every --step of event "
        "time, and report each alert that would have fired, when it resolved and whether it "
        "would have been notified (or why not). Nothing is sent unless --send.",
    )
    replay.add_argument(
        "--config", metavar="F", default="watchkeeper.yaml", help="service config file"
    )
    replay.add_argument("--data", metavar="HISTORY", required=True, help="predictions file")
    replay.add_argument(
        "--labels", metavar="FILE", help="labels file: id, label and (arrival) timestamp"
    )
    replay.add_argument("--model", help="the config's model the data belongs to")
    replay.add_argument(
        "--from", dest="from_", metavar="T", help="start (ISO 8601; default: first prediction)"
    )
    replay.add_argument("--to", metavar="T", help="end (ISO 8601; default: last prediction)")
    replay.add_argument("--step", default="1h", help="evaluate every this much event time")
    replay.add_argument("--id-column", default="id", help="column of prediction ids")
    replay.add_argument(
        "--timestamp-column", help="event-time column (default: 'timestamp')"
    )
    replay.add_argument("--prediction-column", default="prediction", help="column of predictions")
    replay.add_argument("--label-column", help="column of labels (known at prediction time)")
    replay.add_argument("--features", help="comma-separated feature columns (default: the rest)")
    replay.add_argument(
        "--send",
        action="store_true",
        help="deliver the notifications through the configured receivers",
    )
    replay.add_argument("--json", action="store_true", help="print the report as JSON")
    replay.add_argument("-o", "--output", metavar="OUT", help="also write the JSON report here")
    replay.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    replay.set_defaults(run=_run_replay)


def _run_test(args: argparse.Namespace) -> int:
    from watchkeeper.scenarios.commands import run_test

    return run_test(args)


def _run_replay(args: argparse.Namespace) -> int:
    from watchkeeper.scenarios.commands import run_replay

    return run_replay(args)


def _run_export_metrics(args: argparse.Namespace) -> int:
    import httpx

    from watchkeeper.errors import InputError
    from watchkeeper.export.bi import export_metrics
    from watchkeeper.monitors.base import MetricSample

    params = {k: v for k, v in (("name", args.name), ("start", args.start), ("end", args.end)) if v}
    try:
        with httpx.Client(base_url=args.url, timeout=60) as client:
            listed = _get(client, "/v1/models")["models"]
            models = [args.model] if args.model else [m["name"] for m in listed]
            samples = [
                MetricSample.from_dict(item)
                for model in models
                for item in _get(client, f"/v1/models/{model}/metrics", params)["samples"]
            ]
    except httpx.HTTPError as exc:
        raise InputError(f"cannot read metrics from {args.url}: {exc}") from None
    rows = export_metrics(samples, args.output, args.format)
    print(f"{rows:,} samples of {len(models)} model(s) -> {args.output}")
    return 0


def _get(client: object, path: str, params: dict[str, str] | None = None) -> Any:
    import httpx

    assert isinstance(client, httpx.Client)
    response = client.get(path, params=params)
    if response.status_code != 200:
        from watchkeeper.errors import InputError

        raise InputError(f"GET {path}: {response.status_code} {response.text[:200]}")
    return response.json()


def _run_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from watchkeeper.demo.run import run_demo

    try:
        run_demo(args.port, Path(args.dir) if args.dir else None, args.duration, pace=args.pace)
    except KeyboardInterrupt:
        print("watchkeeper demo: stopped", file=sys.stderr)
    return 0


def _run_serve(args: argparse.Namespace) -> int:
    from watchkeeper.server.run import serve

    serve(args.config, args.host, args.port)
    return 0


def _run_ingest(args: argparse.Namespace) -> int:
    import os

    from watchkeeper.ingest.backfill import ingest_file

    result = ingest_file(
        args.file,
        args.model,
        args.url,
        os.environ.get(args.token_env) or None,
        id_column=args.id_column,
        timestamp_column=args.timestamp_column,
        prediction_column=args.prediction_column,
        label_column=args.label_column,
        feature_columns=args.features.split(",") if args.features else None,
        batch_size=args.batch_size,
        progress=not args.quiet,
    )
    if not args.quiet:
        print(
            f"{result.rows:,} rows: {result.predictions:,} predictions and {result.labels:,} "
            f"labels accepted, {result.rejected:,} rejected"
        )
    for error in result.errors[:5]:
        print(f"watchkeeper: rejected: {error}", file=sys.stderr)
    return 0 if result.ok else 2


def _run_check(args: argparse.Namespace) -> int:
    from watchkeeper.runtime import load_runtimes
    from watchkeeper.settings import load_service_config

    config = load_service_config(args.config)
    runtimes = load_runtimes(config)
    print(f"{args.config}: valid; store {config.store}; {len(runtimes)} model(s)")
    for name, runtime in runtimes.items():
        model = runtime.config
        kinds: dict[str, int] = {}
        for column in runtime.schema:
            kinds[column.type.value] = kinds.get(column.type.value, 0) + 1
        summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        rows = runtime.reference.rows if runtime.reference else 0
        print(
            f"  {name}: {model.task}, windows {', '.join(model.windows)}; "
            f"reference {rows:,} rows; features: {summary or 'none'}"
        )
    _describe_alerting(config)
    return 0


def _describe_alerting(config: Any) -> None:
    """The alert rules per model, the receivers, and secrets the environment lacks (a warning:
    the file is valid, but ``serve`` would stop on them)."""
    import os

    from watchkeeper.errors import ConfigError
    from watchkeeper.notify.registry import build_notifiers
    from watchkeeper.rules.defaults import model_rules

    section = config.alerting
    for name, model in config.models.items():
        rules = model_rules(name, model, section)
        configured = sum(1 for r in section.rules if not r.models or name in r.models)
        print(f"  {name}: {len(rules)} alert rules ({configured} configured)")
    for name, receiver in section.receivers.items():
        kinds = [k for k in receiver.__struct_fields__ if getattr(receiver, k) is not None]
        print(f"  receiver {name}: {', '.join(kinds)}")
        try:
            build_notifiers(name, receiver, os.environ)
        except ConfigError as exc:
            print(f"watchkeeper: warning: {exc}", file=sys.stderr)


def _add_setup_commands(commands: Any) -> None:
    detect = commands.add_parser(
        "detect",
        help="report the monitoring stack found and the integrations init would turn on",
        description="Look for Prometheus, Alertmanager, Grafana, StatsD / Datadog, CloudWatch, "
        "OTLP, Slack, PagerDuty, Opsgenie and SMTP in the environment variables, /etc, PATH and "
        "installed packages. Secret values are never printed, only that they are set.",
    )
    detect.add_argument("--json", action="store_true", help="print the findings as JSON")
    detect.add_argument(
        "--probe",
        action="store_true",
        help="also ask 127.0.0.1's default ports (9090, 9093, 3000, 4318), 0.5 s each",
    )
    detect.set_defaults(run=_run_detect)
    init = commands.add_parser(
        "init",
        help="write a commented watchkeeper.yaml for a model and the stack detect finds",
        description="Infer the model's task and schema from its reference data, add receivers "
        "and exporters for the stack found, and copy the playbooks to ./playbooks.",
    )
    init.add_argument("--reference", metavar="FILE", required=True, help="reference data file")
    init.add_argument("--model", metavar="NAME", required=True, help="the model's name")
    init.add_argument("--target", metavar="COL", help="label column (default: label, target, ...)")
    init.add_argument(
        "--prediction", metavar="COL", help="prediction column (default: prediction, score, ...)"
    )
    init.add_argument(
        "--task",
        choices=("binary_classification", "multiclass_classification", "regression", "ranking"),
        help="default: inferred from the target column",
    )
    init.add_argument(
        "-o", "--output", metavar="FILE", default="watchkeeper.yaml", help="config file to write"
    )
    init.add_argument("--force", action="store_true", help="overwrite the config and playbooks")
    init.add_argument("--probe", action="store_true", help="probe loopback ports as detect does")
    init.set_defaults(run=_run_init)


def _run_detect(args: argparse.Namespace) -> int:
    from watchkeeper.setup.commands import run_detect

    return run_detect(args.json, args.probe)


def _run_init(args: argparse.Namespace) -> int:
    from watchkeeper.setup.commands import run_init
    from watchkeeper.setup.init_config import InitOptions

    options = InitOptions(
        Path(args.reference),
        args.model,
        target=args.target,
        prediction=args.prediction,
        task=args.task,
        output=Path(args.output),
        force=args.force,
    )
    return run_init(options, args.probe)


def _version() -> str:
    from watchkeeper import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except WatchkeeperError as exc:
        print(f"watchkeeper: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("watchkeeper: interrupted", file=sys.stderr)
        return 130
    return code


@contextmanager
def _progress(enabled: bool, total: int | None, label: str) -> Iterator[object]:
    """A column-by-column progress bar on stderr when it is a terminal."""
    if not (enabled and sys.stderr.isatty()):
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda _column: bar.advance(task)


def _run_report(args: argparse.Namespace) -> int:
    from watchkeeper.config import load_config
    from watchkeeper.report import compute_report

    fmt = args.format
    if fmt is None and args.output:
        fmt = _SUFFIX_FORMAT.get(Path(args.output).suffix.lower(), "html")
    config = load_config(args.config)
    with _progress(not args.quiet, None, "profiling columns") as advance:
        report = compute_report(args.reference, args.current, config, progress=advance)  # type: ignore[arg-type]
    if fmt is not None:
        text = _render(report, fmt)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    if (args.output or fmt is None) and not args.quiet:
        from watchkeeper.report.render_terminal import print_summary

        print_summary(report, args.output)
    return 1 if report.failed(args.fail_on) else 0


def _render(report: object, fmt: str) -> str:
    from watchkeeper.report import render_html, render_json, render_markdown

    renderers = {"json": render_json, "html": render_html, "md": render_markdown}
    return renderers[fmt](report)  # type: ignore[operator,no-any-return]


def _run_profile(args: argparse.Namespace) -> int:
    from watchkeeper.config import load_config
    from watchkeeper.data import read_table
    from watchkeeper.profiles.serialize import SUFFIX, save_profile
    from watchkeeper.report.compute import profile_reference_table

    output = Path(args.output)
    if output.suffix != SUFFIX:
        raise_usage = f"the profile file must end in {SUFFIX} (got '{output}')"
        print(f"watchkeeper: error: {raise_usage}", file=sys.stderr)
        return 2
    config = load_config(args.config)
    table = read_table(args.data, "data")
    with _progress(not args.quiet, table.num_columns, "profiling columns") as advance:
        profile = profile_reference_table(table, config, progress=advance)  # type: ignore[arg-type]
    save_profile(profile, output)
    if not args.quiet:
        size = output.stat().st_size
        shape = f"{profile.rows:,} rows × {len(profile.columns)} columns"
        print(f"profiled {shape} -> {output} ({size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
