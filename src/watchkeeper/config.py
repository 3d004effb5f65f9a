"""The report configuration file (YAML), validated on load.

Unknown keys are errors, and every error names the key path and the bad value::

    schema:
      columns: {zip_code: categorical}   # override inferred types
      ignore: [request_id]               # never profiled
    drift:
      method: default          # or: evidently
      alpha: 0.05              # family-wise error rate of one report
      correction: holm         # or: bh, none
      dataset_drift_share: 0.5 # dataset drift when this share of columns drifted
      effect_threshold: {numeric: 0.1, categorical: 0.1}
      types:   {categorical: {test: psi, threshold: 0.2}}
      columns: {age: {test: ks, threshold: 0.01}}
      test_datetime: false
      exact: false             # exact statistics from raw values instead of fine histograms
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, get_args

import msgspec
import yaml

from watchkeeper.drift.registry import default_registry
from watchkeeper.drift.selection import DriftSettings, TestChoice
from watchkeeper.errors import ConfigError
from watchkeeper.schema import ColumnType

TypeName = Literal["numeric", "categorical", "boolean", "datetime", "text", "embedding"]


class DriftTestSpec(msgspec.Struct, forbid_unknown_fields=True):
    test: str
    threshold: float | None = None


class SchemaSection(msgspec.Struct, forbid_unknown_fields=True):
    columns: dict[str, TypeName] = {}
    ignore: list[str] = []


class DriftSection(msgspec.Struct, forbid_unknown_fields=True):
    method: Literal["default", "evidently"] = "default"
    alpha: float = 0.05
    correction: Literal["holm", "bh", "none"] = "holm"
    dataset_drift_share: float = 0.5
    effect_threshold: dict[TypeName, float] = {}
    types: dict[TypeName, DriftTestSpec] = {}
    columns: dict[str, DriftTestSpec] = {}
    test_datetime: bool = False
    exact: bool = False
    # drift that no single column shows (a changed correlation), on the numeric, categorical
    # and boolean columns taken together: "pca" (cheap) and/or "domain_classifier" (~1 s)
    multivariate: list[Literal["pca", "domain_classifier"]] = msgspec.field(
        default_factory=lambda: ["pca"]
    )


class ReportConfig(msgspec.Struct, forbid_unknown_fields=True):
    schema: SchemaSection = msgspec.field(default_factory=SchemaSection)
    drift: DriftSection = msgspec.field(default_factory=DriftSection)

    def drift_settings(self) -> DriftSettings:
        d = self.drift
        return DriftSettings(
            method=d.method,
            alpha=d.alpha,
            correction=d.correction,
            effect_threshold={str(k): v for k, v in d.effect_threshold.items()},
            dataset_drift_share=d.dataset_drift_share,
            per_type={k: TestChoice(v.test, v.threshold) for k, v in d.types.items()},
            per_column={k: TestChoice(v.test, v.threshold) for k, v in d.columns.items()},
            test_datetime=d.test_datetime,
        )

    def type_overrides(self) -> dict[str, ColumnType]:
        return {name: ColumnType(kind) for name, kind in self.schema.columns.items()}


def parse_config(data: Any, source: str = "config") -> ReportConfig:
    """Validate a decoded YAML document.

    >>> parse_config({"drift": {"alpha": 0.01}}).drift.alpha
    0.01
    >>> parse_config({"drift": {"alpah": 0.01}})
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: drift.alpah: unknown key (got 0.01)
    >>> parse_config({"drift": {"alpha": 3}})
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: drift.alpha: must be between 0 and 1 (got 3.0)
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, data, "the file must hold a mapping of sections")
    try:
        config = msgspec.convert(data, ReportConfig, strict=False)
    except msgspec.ValidationError as exc:
        raise config_error(exc, data, ReportConfig) from None
    _check_ranges(config)
    return config


def config_error(exc: msgspec.ValidationError, data: Any, schema: type) -> ConfigError:
    """A :class:`ConfigError` naming the key path of a msgspec validation error.

    msgspec writes mapping keys as ``[...]``; the key is found again by validating each entry
    of that mapping against the mapping's value type.
    """
    problem, _, where = str(exc).partition(" - at `$")
    parts = [a or b for a, b in re.findall(r"\.([^.\[`]+)|\[([^\]]+)\]", where)]
    path = _resolve(parts, data, schema)
    if problem.startswith("Object contains unknown field"):
        path.append(problem.split("`")[1])
        return ConfigError(".".join(path), _lookup(data, path), "unknown key")
    return ConfigError(".".join(path) or "config", _lookup(data, path), problem.rstrip("."))


def _resolve(parts: list[str], data: Any, schema: Any) -> list[str]:
    path: list[str] = []
    for part in parts:
        if part == "..." and isinstance(data, dict):
            value_type = get_args(schema)[1] if get_args(schema) else Any
            part = next((str(k) for k, v in data.items() if not _valid(v, value_type)), part)
            schema = value_type
        else:
            schema = _member_type(schema, part)
        path.append(part)
        data = _lookup(data, [part])
    return path


def _member_type(schema: Any, part: str) -> Any:
    if isinstance(schema, type) and issubclass(schema, msgspec.Struct):
        for f in msgspec.structs.fields(schema):
            if f.encode_name == part:
                return f.type
        return Any
    args = get_args(schema)
    return args[0] if part.isdigit() and args else Any


def _valid(value: Any, schema: Any) -> bool:
    try:
        msgspec.convert(value, schema, strict=False)
    except msgspec.ValidationError:
        return False
    return True


def _lookup(data: Any, path: list[str]) -> Any:
    for key in path:
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        else:
            return None
    return data


def _check_ranges(config: ReportConfig) -> None:
    d = config.drift
    for key, value in (
        ("drift.alpha", d.alpha),
        ("drift.dataset_drift_share", d.dataset_drift_share),
    ):
        if not 0 < value <= 1:
            raise ConfigError(key, value, "must be between 0 and 1")
    known = default_registry().names()
    for section, specs in (("types", d.types), ("columns", d.columns)):
        for key, spec in specs.items():
            if spec.test not in known:
                raise ConfigError(
                    f"drift.{section}.{key}.test",
                    spec.test,
                    f"unknown drift test; known: {', '.join(known)}",
                )
    for kind, threshold in d.effect_threshold.items():
        if threshold < 0:
            raise ConfigError(f"drift.effect_threshold.{kind}", threshold, "must not be negative")


def load_config(path: str | Path | None) -> ReportConfig:
    """Load and validate a YAML config file (no path: all defaults)."""
    if path is None:
        return ReportConfig()
    return parse_config(read_yaml(path), str(path))


def read_yaml(path: str | Path) -> Any:
    """The decoded YAML document at ``path``; a missing or malformed file is a ConfigError."""
    target = Path(path)
    if not target.exists():
        raise ConfigError("--config", str(target), "file does not exist")
    try:
        return yaml.safe_load(target.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(str(target), "", f"is not valid YAML: {exc}") from None
