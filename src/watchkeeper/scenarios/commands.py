"""``watchkeeper test`` and ``watchkeeper replay``: each a function of the parsed arguments
that returns the exit code (0 passed / done, 1 an expectation failed; bad input raises a
:class:`~watchkeeper.errors.WatchkeeperError`, which the CLI turns into exit 2)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from watchkeeper.errors import InputError
from watchkeeper.scenarios.expect import judge
from watchkeeper.scenarios.harness import Progress, run_harness
from watchkeeper.scenarios.render import (
    ScenarioOutcome,
    console,
    print_replay,
    print_tests,
    tests_to_dict,
)
from watchkeeper.scenarios.spec import load_scenarios, moment
from watchkeeper.scenarios.traffic import Columns, RecordedTraffic
from watchkeeper.settings import load_service_config, parse_duration


def run_test(args: argparse.Namespace) -> int:
    scenarios = load_scenarios(args.tests)  # every scenario is valid before any runs
    outcomes = []
    for scenario in scenarios:
        with progress_bar(not args.quiet, scenario.name) as advance:
            result = run_harness(
                scenario.config,
                scenario.traffic,
                scenario.step,
                start=scenario.start,
                end=scenario.end,
                silences=scenario.silences,
                progress=advance,
            )
        verdicts = judge(result, scenario.expect, scenario.quiet, scenario.never)
        outcomes.append(
            ScenarioOutcome(
                scenario.name,
                _shown(scenario.config_path),
                _duration(scenario.step.total_seconds()),
                result,
                tuple(verdicts),
            )
        )
    if args.json:
        print(json.dumps(tests_to_dict(outcomes), indent=2, ensure_ascii=False))
    else:
        print_tests(outcomes, console(), quiet=args.quiet)
    return 0 if all(o.passed for o in outcomes) else 1


def run_replay(args: argparse.Namespace) -> int:
    config = load_service_config(args.config)
    columns = Columns(
        id=args.id_column,
        timestamp=args.timestamp_column,
        prediction=args.prediction_column,
        label=args.label_column,
        features=tuple(args.features.split(",")) if args.features else None,
    )
    traffic = RecordedTraffic(args.data, args.labels, columns, args.model)
    step = parse_duration(args.step, "--step")
    start = moment(args.from_, "--from") if args.from_ else None
    end = moment(args.to, "--to") if args.to else None
    model = args.model or next(iter(config.models), "")
    with progress_bar(not args.quiet, f"replaying {Path(args.data).name}") as advance:
        result = run_harness(
            config, traffic, step, start=start, end=end, send=args.send, progress=advance
        )
    report = {"model": model, "step": args.step, **result.to_dict()}
    if args.output:
        try:
            Path(args.output).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise InputError(f"cannot write {args.output}: {exc}") from None
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    elif not (args.quiet and args.output):
        print_replay(result, model, args.step, console())
    return 0


@contextmanager
def progress_bar(enabled: bool, label: str) -> Iterator[Progress | None]:
    """A rich progress bar over the steps, on stderr when it is a terminal."""
    if not (enabled and sys.stderr.isatty()):
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as Bar

    with Bar(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def _shown(path: Path) -> str:
    """A path relative to the working directory when it is under it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _duration(seconds: float) -> str:
    """``21600`` -> ``6h`` (the largest unit that divides it)."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"
