"""Per-model runtime state derived from ``watchkeeper.yaml``: schema and reference profiles.

The reference file holds features plus the prediction, score and label columns; monitors need
them apart: feature drift and data quality compare the *features*, prediction drift compares the
prediction column, and the label column is ground truth, not an input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from watchkeeper.config import ReportConfig
from watchkeeper.errors import ConfigError
from watchkeeper.profiles.dataset import ColumnProfile, DatasetProfile
from watchkeeper.report.compute import reference_profile
from watchkeeper.schema import Schema
from watchkeeper.settings import ModelConfig, ServiceConfig

# columns of a reference file that are never features
RESERVED = ("id", "timestamp", "model_version")


@dataclass(frozen=True)
class ModelRuntime:
    """What the service knows about one model before any traffic arrives."""

    name: str
    config: ModelConfig
    schema: Schema  # the features
    reference: DatasetProfile | None  # features only; None when no reference is configured
    prediction_reference: ColumnProfile | None = None
    full_reference: DatasetProfile | None = None  # features, prediction and label together

    @property
    def feature_names(self) -> list[str]:
        return self.schema.names


def non_feature_columns(config: ModelConfig) -> set[str]:
    """Columns of the reference that describe the model's output or the ground truth."""
    names = {config.prediction, *config.scores, *RESERVED}
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


def load_runtimes(config: ServiceConfig) -> Mapping[str, ModelRuntime]:
    """Read every model's reference (data file or saved profile) once."""
    runtimes: dict[str, ModelRuntime] = {}
    for name, model in config.models.items():
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
        whole, _ = reference_profile(path, report_config)
        features, prediction = split_reference(whole, model)
        runtimes[name] = ModelRuntime(name, model, features.schema, features, prediction, whole)
    return runtimes
