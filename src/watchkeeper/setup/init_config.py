"""``watchkeeper init``: a commented ``watchkeeper.yaml`` for a model and the stack around it.

:func:`plan_init` is pure — reference table + options + detected :class:`Stack` -> the text
and what it chose, with reasons; :func:`write_init` does the I/O: refuses to overwrite
without ``force``, copies the built-in playbooks next to the config for the team to edit,
checks the text against the service's config schema and writes it.

>>> import pyarrow as pa
>>> from watchkeeper.setup.stack import Stack
>>> table = pa.table({"x": [1.5, 2.5, 3.5], "prediction": [0.1, 0.8, 0.3], "label": [0, 1, 0]})
>>> plan = plan_init(table, InitOptions(Path("ref.parquet"), "churn"), Stack(()))
>>> plan.data["models"]["churn"]["task"], plan.receivers
('binary_classification', {'team': ['webhook']})
>>> "# Schema: inferred from the reference" in plan.text
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from watchkeeper.errors import InputError
from watchkeeper.setup.init_alerting import alerting_section, export_section
from watchkeeper.setup.init_model import BINARY, ModelPlan, plan_model
from watchkeeper.setup.stack import Stack
from watchkeeper.setup.yamltext import Block, Comment, Entry, render, to_data

PLAYBOOKS_DIR = "playbooks"
WINDOWS = ["1h", "1d"]
TOKEN_ENV = "WATCHKEEPER_TOKEN"


@dataclass(frozen=True)
class InitOptions:
    reference: Path
    model: str
    target: str | None = None
    prediction: str | None = None
    task: str | None = None
    output: Path = Path("watchkeeper.yaml")
    force: bool = False


@dataclass(frozen=True)
class InitPlan:
    """The file's text, the data it loads as, and every choice behind it."""

    text: str
    data: dict[str, Any]
    model: ModelPlan
    receivers: dict[str, list[str]]
    route: str
    exports: list[str]
    notes: list[str] = field(default_factory=list)  # what is left to the user


@dataclass(frozen=True)
class InitResult:
    plan: InitPlan
    config: Path
    playbooks: Path
    copied: list[str]  # playbook files written
    kept: list[str]  # playbook files already there, left as they were


def plan_init(table: pa.Table, options: InitOptions, stack: Stack) -> InitPlan:
    model = plan_model(
        table,
        options.model,
        target=options.target,
        prediction=options.prediction,
        task=options.task,
    )
    alerting = alerting_section(stack)
    export = export_section(stack)
    reference = _relative(options.reference, options.output.parent)
    document = Block(
        [
            Comment(_header(model, reference)),
            Entry(
                "store",
                "./wk-data",
                comment="The embedded store: event log, DuckDB file, learned references. "
                "Relative paths\nare relative to this file.",
            ),
            Entry("server", _server(), comment="The HTTP API, /metrics and the dashboard."),
            *_prometheus(stack),
            Entry(
                "models",
                Block([Entry(model.name, _model(model, reference, stack), comment=_monitors())]),
                comment="Models and what they are compared with. Each runs every monitor on "
                "every window.",
            ),
            alerting.entry,
            export.item,
        ]
    )
    notes = [*_model_notes(model), *alerting.notes, *export.notes]
    return InitPlan(
        render(document),
        to_data(document),
        model,
        alerting.receivers,
        alerting.route,
        export.targets,
        notes,
    )


def _relative(reference: Path, config_dir: Path) -> str:
    try:
        return Path(os.path.relpath(reference.resolve(), config_dir.resolve())).as_posix()
    except ValueError:  # another drive
        return reference.resolve().as_posix()


def _header(model: ModelPlan, reference: str) -> str:
    return (
        f"watchkeeper.yaml for model {model.name!r}, written by `watchkeeper init` from "
        f"{reference}.\n"
        "Edit freely: `watchkeeper check --config FILE` validates every key and the reference\n"
        "without starting anything. Secrets never go in this file: receivers and exporters "
        "name\nthe environment variables that hold them."
    )


def _server() -> Block:
    return Block(
        [
            Entry("host", "127.0.0.1", note="loopback only; set a token before binding 0.0.0.0"),
            Entry("port", 8000),
            Entry(
                "token_env",
                [TOKEN_ENV],
                note="variables holding bearer tokens for writes (unset: writes are open)",
            ),
            Entry("evaluate_every", "1m", note="how often closed windows are evaluated"),
        ]
    )


def _prometheus(stack: Stack) -> list[Comment]:
    found = stack.get("prometheus")
    if found is None:
        return []
    seen = "; ".join(e.describe() for e in found.evidence)
    return [
        Comment(
            f"Prometheus found ({seen}).\n"
            "It can scrape the watchkeeper_* series from /metrics; in prometheus.yml:\n"
            "  scrape_configs:\n"
            "    - job_name: watchkeeper\n"
            '      static_configs: [{targets: ["127.0.0.1:8000"]}]'
        )
    ]


def _monitors() -> str:
    return (
        "Monitors (always on): data quality, feature and prediction drift on every window;\n"
        "multivariate drift (PCA); performance once labels arrive (joined by prediction id)\n"
        "and estimated before they do; drift drivers and the worst slices when drift or a drop\n"
        "needs explaining; latency, throughput and errors; business KPIs for the outcomes\n"
        "listed under `kpis`."
    )


def _model(model: ModelPlan, reference: str, stack: Stack) -> Block:
    entries: list[Entry | Comment] = [
        Entry("task", model.task, note=model.task_reason),
        Entry("reference", reference, note=f"{model.rows:,} rows: the baseline"),
        Entry("prediction", model.prediction, note=model.prediction_reason),
    ]
    if model.label is not None:
        entries.append(Entry("label", model.label, note=f"ground truth; {model.label_reason}"))
    else:
        entries.append(Comment(f"label: COL  # {model.label_reason}; performance needs it"))
    entries += [
        Entry("windows", WINDOWS, note="event-time windows; default rules watch the shortest"),
        Entry("retention", "90d", note="older events, labels and samples are deleted"),
        Entry("unknown_features", "ignore", note="unknown features: dropped and counted"),
        Comment(_schema_listing(model)),
    ]
    if model.ignore:
        ignore = Entry(
            "ignore",
            [name for name, _ in model.ignore],
            comment="\n".join(f"{name}: {why}" for name, why in model.ignore),
        )
        entries.append(Entry("schema", Block([Entry("columns", {}), ignore])))
    entries += [_drift(stack), _performance(model)]
    entries.append(
        Comment(
            "Optional: segments: [country] (metrics per segment value), scores: [p_a, p_b]\n"
            "(class probabilities), kpis: {conversion: {outcome: converted, aggregate: rate}},\n"
            "drift_breakdown: [model_version], root_cause: {importances: {age: 0.3}} (else a\n"
            "surrogate model learns them), estimation: false (no estimates without labels)."
        )
    )
    return Block(entries)


def _schema_listing(model: ModelPlan) -> str:
    width = max([len(c.name) for c in model.features] + [len(n) for n, _ in model.features.ignored])
    lines = ["Schema: inferred from the reference each time the service starts; now:"]
    lines += [
        f"  {c.name:<{width}}  {c.type.value:<11}  {c.reason}".rstrip() for c in model.features
    ]
    lines += [f"  {name:<{width}}  {'skipped':<11}  {why}" for name, why in model.features.ignored]
    lines += [
        "Set a type under schema.columns (numeric, categorical, boolean, datetime, text,",
        "embedding) or leave a column out with schema.ignore.",
    ]
    return "\n".join(lines)


def _drift(stack: Stack) -> Entry:
    comment = (
        "A column drifts when the change is real (p-value, Holm-corrected across columns)\n"
        "and large enough to matter (effect size at or above 0.1)."
    )
    evidently = stack.get("evidently")
    if evidently is not None:
        version = evidently.evidence[0].shown
        comment += f"\nEvidently {version} is installed: method: evidently keeps its test choice."
    block = Block(
        [
            Entry("method", "default", note="or evidently"),
            Entry("alpha", 0.05, note="chance of any false alarm in one window's tests"),
            Entry("correction", "holm", note="or bh, none"),
            Entry("dataset_drift_share", 0.5, note="dataset drift: this share of columns drifted"),
            Entry("multivariate", ["pca"], note="and/or domain_classifier (about 1 s a window)"),
        ]
    )
    return Entry("drift", block, comment=comment)


def _performance(model: ModelPlan) -> Entry:
    entries: list[Entry | Comment] = [
        Entry("min_label_coverage", 0.5, note="below this labelled share: provisional"),
    ]
    if model.task == BINARY:
        entries.append(Entry("threshold", 0.5, note="a score at or above it is positive"))
    if model.positive_label is not None:
        value, why = model.positive_label
        entries.append(Entry("positive_label", value, note=why))
    return Entry("performance", Block(entries))


def _model_notes(model: ModelPlan) -> list[str]:
    notes: list[str] = []
    if model.label is None:
        notes.append(f"no target column ({model.label_reason}): add label: COL for performance")
    if model.positive_label is not None:
        notes.append(f"check performance.positive_label: {model.positive_label[1]}")
    if model.ignore:
        names = ", ".join(name for name, _ in model.ignore)
        notes.append(f"schema.ignore leaves out {names}: set their types to monitor them")
    return notes


def write_init(options: InitOptions, stack: Stack) -> InitResult:
    """Write the config and the playbooks; nothing is written when the plan is not valid."""
    from watchkeeper.data import read_table
    from watchkeeper.profiles.serialize import SUFFIX

    output = options.output
    if output.is_dir():
        raise InputError(f"{output} is a directory; give the config file's path with -o")
    if output.exists() and not options.force:
        raise InputError(f"{output} exists; pass --force to overwrite it")
    if options.reference.suffix == SUFFIX:
        raise InputError(
            f"{options.reference}: init reads the reference data (Parquet, CSV, JSON lines), "
            "not a saved profile"
        )
    plan = plan_init(read_table(options.reference, "reference"), options, stack)
    _check(plan, output.parent)
    output.parent.mkdir(parents=True, exist_ok=True)
    directory = output.parent / PLAYBOOKS_DIR
    copied, kept = copy_playbooks(directory, overwrite=options.force)
    output.write_text(plan.text, encoding="utf-8")
    return InitResult(plan, output, directory, copied, kept)


def _check(plan: InitPlan, base_dir: Path) -> None:
    """The text loads as the planned data and is a valid service config (the playbooks
    directory is created afterwards, so its existence is not checked here)."""
    from watchkeeper.settings import parse_service_config

    data = yaml.safe_load(plan.text)
    if data != plan.data:
        raise AssertionError("the generated YAML does not read back as planned")  # a bug
    alerting = {**data["alerting"], "playbooks": None}
    parse_service_config({**data, "alerting": alerting}, str(base_dir))


def copy_playbooks(directory: Path, *, overwrite: bool = False) -> tuple[list[str], list[str]]:
    """Copy the built-in playbook templates into ``directory``; existing files are kept
    unless ``overwrite`` (they may hold the team's edits)."""
    directory.mkdir(parents=True, exist_ok=True)
    source = resources.files("watchkeeper.alerting").joinpath(PLAYBOOKS_DIR)
    copied: list[str] = []
    kept: list[str] = []
    for template in sorted(source.iterdir(), key=lambda t: t.name):
        if not template.name.endswith(".md"):
            continue
        target = directory / template.name
        if target.exists() and not overwrite:
            kept.append(template.name)
            continue
        target.write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
        copied.append(template.name)
    return copied, kept
