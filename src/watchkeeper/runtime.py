"""Per-model runtime state derived from ``watchkeeper.yaml``: schema and reference profiles.

The reference file holds features plus the prediction, score and label columns; monitors need
them apart: feature drift and data quality compare the *features*, prediction drift compares the
prediction column, and the label column is ground truth, not an input.

A reference learned from production (``reference: {production: 7d}``) has no file: the features
and their types come from ``schema.columns``, the prediction is numeric (categorical for
multiclass models) and the label categorical (numeric for regression and ranking) unless
``schema.columns`` names them too. Until it is learned the runtime has no reference profiles;
once the evaluator has learned it, it is saved under ``<store>/references/<model>.wkprofile``
and read from there on every later start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.config import ReportConfig
from watchkeeper.data import read_table
from watchkeeper.errors import ConfigError
from watchkeeper.ingest.layout import feature_type
from watchkeeper.monitors.insight import ModelInsight
from watchkeeper.monitors.reference_performance import reference_performance
from watchkeeper.profiles.dataset import ColumnProfile, DatasetProfile, build_profile
from watchkeeper.profiles.serialize import SUFFIX, load_profile
from watchkeeper.report.compute import reference_profile
from watchkeeper.schema import ColumnSchema, ColumnType, Schema
from watchkeeper.settings import ModelConfig, ProductionReference, ServiceConfig

# columns of a reference file that are never features
RESERVED = ("id", "timestamp", "model_version")
REFERENCES_DIR = "references"  # under the store directory: references learned from production


@dataclass(frozen=True)
class ModelRuntime:
    """What the service knows about one model before any traffic arrives."""

    name: str
    config: ModelConfig
    schema: Schema  # the features
    reference: DatasetProfile | None  # features only; None when no reference is configured
    prediction_reference: ColumnProfile | None = None
    full_reference: DatasetProfile | None = None  # features, prediction and label together
    # where the reference learned from production is saved; None: the reference is a file
    learned_path: Path | None = None
    # the task's metrics on the reference rows (prediction vs label), for PerformanceDrop
    reference_performance: Mapping[str, float] = field(default_factory=dict)
    # drift drivers and performance slices, learned from the reference rows (a data file)
    insight: ModelInsight | None = None

    @property
    def feature_names(self) -> list[str]:
        return self.schema.names


def non_feature_columns(config: ModelConfig) -> set[str]:
    """Columns of the reference that describe the model's output or the ground truth."""
    names = {config.prediction, *config.scores, *RESERVED, *config.root_cause.attributions.values()}
    if config.label:
        names.add(config.label)
    return names


def split_reference(
    profile: DatasetProfile, config: ModelConfig
) -> tuple[DatasetProfile, ColumnProfile | None]:
    """The features-only profile and the prediction column's profile (if the reference has it).

    >>> import pyarrow as pa
    >>> from watchkeeper.profiles.dataset import build_profile
    >>> from watchkeeper.settings import parse_service_config
    >>> model = parse_service_config({"models": {"m": {"task": "regression", "prediction": "y_hat",
    ...                                                 "label": "y"}}}).models["m"]
    >>> whole = build_profile(pa.table({"x": [1.0, 2.0], "y_hat": [0.5, 0.7], "y": [0.4, 0.9]}))
    >>> features, prediction = split_reference(whole, model)
    >>> features.schema.names, prediction is whole["y_hat"]
    (['x'], True)
    """
    drop = non_feature_columns(config)
    columns = tuple(c for c in profile.schema if c.name not in drop)
    schema = replace(profile.schema, columns=columns)
    features = DatasetProfile(
        schema,
        profile.rows,
        {c.name: profile.columns[c.name] for c in columns if c.name in profile.columns},
    )
    return features, profile.columns.get(config.prediction)


def with_reference(runtime: ModelRuntime, whole: DatasetProfile) -> ModelRuntime:
    """``runtime`` comparing against ``whole`` (features, prediction and label)."""
    features, prediction = split_reference(whole, runtime.config)
    return replace(
        runtime, reference=features, prediction_reference=prediction, full_reference=whole
    )


def reference_schema(config: ModelConfig) -> Schema:
    """Features, prediction and label of a model whose reference is learned from production.

    >>> from watchkeeper.settings import parse_service_config
    >>> model = parse_service_config({"models": {"m": {"task": "binary_classification",
    ...     "prediction": "score", "label": "y", "reference": {"production": "1d"},
    ...     "schema": {"columns": {"age": "numeric"}}}}}).models["m"]
    >>> [(c.name, c.type.value) for c in reference_schema(model)]
    [('age', 'numeric'), ('score', 'numeric'), ('y', 'categorical')]
    """
    given = {name: ColumnType(kind) for name, kind in config.schema.columns.items()}
    targets = non_feature_columns(config)
    ignored = set(config.schema.ignore)
    columns = [
        ColumnSchema(name, kind, "set in config")
        for name, kind in given.items()
        if name not in targets and name not in ignored
    ]
    numeric_prediction = config.task != "multiclass_classification"
    numeric_label = config.task in ("regression", "ranking")
    for name, numeric in ((config.prediction, numeric_prediction), (config.label, numeric_label)):
        if name is None:
            continue
        kind = given.get(name, ColumnType.NUMERIC if numeric else ColumnType.CATEGORICAL)
        reason = "set in config" if name in given else f"output of a {config.task} model"
        columns.append(ColumnSchema(name, kind, reason))
    return Schema(tuple(columns), tuple((name, "ignored in config") for name in ignored))


def empty_reference(config: ModelConfig) -> DatasetProfile:
    """The stand-in while a production reference is being learned: every column, no rows, so
    drift tests say ``insufficient_data`` and the other monitors run as usual."""
    schema = reference_schema(config)
    table = pa.table({c.name: pa.array([], feature_type(c.type)) for c in schema})
    return build_profile(table, schema, workers=1)


def learn_reference(
    config: ModelConfig, features: pa.Table, meta: pa.Table, labels: pa.Table
) -> DatasetProfile:
    """The reference profile of stored traffic: ``features`` and ``meta`` as the store's
    ``window()`` gives them, ``labels`` as its ``labels_for()`` (latest label per id)."""
    schema = reference_schema(config)
    rows = meta.num_rows
    columns: dict[str, pa.ChunkedArray | pa.Array] = {}
    for column in schema:
        if column.name == config.prediction and "prediction" in meta.column_names:
            columns[column.name] = meta.column("prediction")
        elif column.name == config.label:
            where = pc.index_in(meta.column("id"), value_set=labels.column("id"))
            columns[column.name] = labels.column("label").take(where)
        elif column.name in features.column_names:
            columns[column.name] = features.column(column.name)
        else:  # never sent: the reference says it is always missing
            columns[column.name] = pa.nulls(rows, feature_type(column.type))
    return build_profile(pa.table(columns), schema)


def load_runtimes(config: ServiceConfig) -> Mapping[str, ModelRuntime]:
    """Read every model's reference (data file or saved profile) once."""
    runtimes: dict[str, ModelRuntime] = {}
    for name, model in config.models.items():
        if isinstance(model.reference, ProductionReference):
            runtimes[name] = _production_runtime(config, name, model)
            continue
        if model.reference is None:
            raise ConfigError(
                f"models.{name}.reference",
                None,
                "a reference (data file or .wkprofile) is required",
            )
        report_config = ReportConfig(schema=model.schema, drift=model.drift)
        path = config.path(model.reference)
        if not path.exists():
            raise ConfigError(
                f"models.{name}.reference", model.reference, f"file {path} does not exist"
            )
        table = None if path.suffix == SUFFIX else read_table(path, "reference")
        whole, _ = reference_profile(path if table is None else table, report_config)
        features, prediction = split_reference(whole, model)
        runtimes[name] = ModelRuntime(
            name, model, features.schema, features, prediction, whole,
            reference_performance=_reference_performance(table, model),
            insight=None
            if table is None
            else _insight(table, model, features.schema, f"models.{name}.root_cause"),
        )  # fmt: skip
    return runtimes


def _reference_performance(table: pa.Table | None, model: ModelConfig) -> dict[str, float]:
    """Metrics of the reference's own predictions (a data file; a saved profile has none)."""
    if table is None or model.label is None:
        return {}
    wanted = [c for c in (model.prediction, model.label, *model.scores) if c in table.column_names]
    return reference_performance(table.select(wanted), model)


def _insight(
    table: pa.Table, model: ModelConfig, schema: Schema, key: str = "root_cause"
) -> ModelInsight:
    """What drift drivers and slices learn from (see ``watchkeeper.monitors.insight``); the
    ``root_cause`` keys must name features of the schema and columns of the reference."""
    for name in model.root_cause.importances:
        if name not in schema.names:
            raise ConfigError(f"{key}.importances.{name}", name, "not a feature of the model")
    for name, column in model.root_cause.attributions.items():
        if name not in schema.names:
            raise ConfigError(f"{key}.attributions.{name}", name, "not a feature of the model")
        if column not in table.column_names:
            raise ConfigError(
                f"{key}.attributions.{name}", column, "no such column in the reference file"
            )
    usable = [c for c in schema if c.type in _EXPLAINED]
    names = [*(c.name for c in usable), model.prediction, *model.root_cause.attributions.values()]
    if model.label:
        names.append(model.label)
    kept = [n for n in dict.fromkeys(names) if n in table.column_names]
    categorical = [c.name for c in usable if c.type is not ColumnType.NUMERIC]
    return ModelInsight(model, table.select(kept), [c.name for c in usable], categorical)


# feature types drivers and slices use (text, embeddings and datetimes have no one value a
# surrogate or a slice could use)
_EXPLAINED = (ColumnType.NUMERIC, ColumnType.CATEGORICAL, ColumnType.BOOLEAN)


def _production_runtime(config: ServiceConfig, name: str, model: ModelConfig) -> ModelRuntime:
    """A model learning its reference from production; a reference learned earlier is read
    from the store directory (never learned twice)."""
    path = config.path(config.store) / REFERENCES_DIR / f"{name}{SUFFIX}"
    schema = reference_schema(model)
    features = Schema(
        tuple(c for c in schema if c.name not in non_feature_columns(model)), schema.ignored
    )
    runtime = ModelRuntime(name, model, features, None, learned_path=path)
    if not path.exists():
        return runtime
    learned = load_profile(path)
    if _types(learned.schema) != _types(schema):
        raise ConfigError(
            f"models.{name}.schema.columns",
            model.schema.columns,
            f"differs from the columns of the reference learned earlier ({path}); "
            "delete that file to learn the reference again",
        )
    return with_reference(runtime, learned)


def _types(schema: Schema) -> list[tuple[str, ColumnType]]:
    return [(c.name, c.type) for c in schema]
