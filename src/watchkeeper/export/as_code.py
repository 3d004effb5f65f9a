"""``watchkeeper export prometheus-rules|alertmanager|grafana``: monitoring as code for teams
that run Prometheus, Alertmanager and Grafana. Reads ``watchkeeper.yaml``, writes files to a
directory (created if missing) and prints what it wrote; a bad config or an unwritable
directory is a :class:`~watchkeeper.errors.WatchkeeperError` (exit 2).

- ``prometheus-rules``: ``DIR/watchkeeper-rules.yml`` (:mod:`.prometheus_rules`) and
  ``DIR/watchkeeper-rules.test.yml`` (:mod:`.rule_tests`, for ``promtool test rules``);
- ``alertmanager``: ``DIR/alertmanager.yml`` (:mod:`.alertmanager_config`);
- ``grafana``: ``DIR/grafana/engineering.json``, ``product.json``, ``business.json``
  (:mod:`.grafana`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from watchkeeper.errors import ConfigError, InputError
from watchkeeper.settings import ServiceConfig, load_service_config


def add_commands(what: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The three generator subcommands of ``watchkeeper export``."""
    commands: list[tuple[str, str, Callable[[argparse.Namespace], int]]] = [
        ("prometheus-rules", "Prometheus recording and alerting rules, with promtool tests",
         run_prometheus_rules),
        ("alertmanager", "an Alertmanager configuration: routes, receivers, inhibitions",
         run_alertmanager),
        ("grafana", "Grafana dashboards: engineering, product and business", run_grafana),
    ]  # fmt: skip
    for name, text, run in commands:
        parser = what.add_parser(
            name,
            help=text,
            description=f"Write {text} generated from "
            "the service's config (see 'Monitoring as code' in the README).",
        )
        parser.add_argument("--config", default="watchkeeper.yaml", help="the service's config")
        parser.add_argument("-o", "--output", metavar="DIR", required=True, help="directory")
        if name == "alertmanager":
            from watchkeeper.export.alertmanager_config import DEFAULT_SECRETS_DIR

            parser.add_argument(
                "--secrets-dir",
                default=DEFAULT_SECRETS_DIR,
                help="where Alertmanager finds the secret files, one per environment variable",
            )
        parser.set_defaults(run=run)


def run_prometheus_rules(args: argparse.Namespace) -> int:
    from watchkeeper.export.prometheus_rules import RULES_FILE, render_rules, rule_groups
    from watchkeeper.export.rule_tests import TESTS_FILE, render_tests

    config, source = _load(args.config)
    groups = rule_groups(config)
    rules = sum(len(g.recording) + len(g.alerting) for g in groups)
    skipped = sum(len(g.skipped) for g in groups)
    tests = render_tests(groups, RULES_FILE)
    _write(Path(args.output) / RULES_FILE, render_rules(groups, source))
    _write(Path(args.output) / TESTS_FILE, tests)
    print(
        f"{rules} rules in {len(groups)} group(s), {skipped} skipped (see the file's comments) "
        f"-> {Path(args.output) / RULES_FILE}; promtool tests -> {Path(args.output) / TESTS_FILE}"
    )
    return 0


def run_alertmanager(args: argparse.Namespace) -> int:
    from watchkeeper.export.alertmanager_config import (
        CONFIG_FILE,
        alertmanager_config,
        render_alertmanager,
    )

    config, source = _load(args.config)
    am = alertmanager_config(config.alerting, args.secrets_dir)
    path = Path(args.output) / CONFIG_FILE
    _write(path, render_alertmanager(am, source, args.secrets_dir))
    print(
        f"{len(am.config['receivers'])} receiver(s), {len(am.config['inhibit_rules'])} inhibit "
        f"rule(s), {len(am.notes)} note(s) -> {path}"
    )
    return 0


def run_grafana(args: argparse.Namespace) -> int:
    try:
        from watchkeeper.export.grafana import render_dashboard
    except ImportError as exc:  # an optional dependency
        raise InputError(
            f"export grafana needs the grafana-foundation-sdk package ({exc})"
        ) from None
    from watchkeeper.export.grafana_views import views

    config, _ = _load(args.config)
    directory = Path(args.output) / "grafana"
    for view in views(config):
        _write(directory / f"{view.name}.json", render_dashboard(view))
    print(f"3 dashboards -> {directory}")
    return 0


def _load(path: str) -> tuple[ServiceConfig, str]:
    try:
        return load_service_config(path), Path(path).name
    except ConfigError as exc:  # one line, even for a YAML parser's multi-line message
        raise ConfigError(exc.key, exc.value, " ".join(exc.problem.split())) from None


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
