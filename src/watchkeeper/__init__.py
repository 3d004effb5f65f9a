"""watchkeeper: catch the problems of machine-learning models in production before users do.

>>> import watchkeeper
>>> ref = {"age": [float(a % 50) for a in range(2000)], "plan": ["a", "b"] * 1000}
>>> cur = {"age": [float(a % 50) + 20 for a in range(2000)], "plan": ["a", "b"] * 1000}
>>> r = watchkeeper.report(ref, cur)
>>> r.drifted_columns
['age']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from watchkeeper.config import ReportConfig, load_config, parse_config
from watchkeeper.errors import ConfigError, InputError, ProfileError, WatchkeeperError
from watchkeeper.profiles.dataset import DatasetProfile, build_profile
from watchkeeper.profiles.serialize import load_profile, save_profile
from watchkeeper.report.compute import compute_report
from watchkeeper.report.model import Report
from watchkeeper.sdk import Client, ClientStats

__version__ = "0.1.0"


def report(
    reference: Any,
    current: Any,
    config: ReportConfig | dict[str, Any] | str | Path | None = None,
) -> Report:
    """Drift and data-quality report of ``current`` against ``reference``.

    Both may be file paths (Parquet, CSV, JSON lines), pandas / polars DataFrames or Arrow
    tables; the reference may also be a saved ``.wkprofile`` or a :class:`DatasetProfile`.
    ``config`` is a path to a YAML file, its decoded dict, or a :class:`ReportConfig`.
    """
    if isinstance(config, dict):
        config = parse_config(config)
    return compute_report(reference, current, config)


__all__ = [
    "Client",
    "ClientStats",
    "ConfigError",
    "DatasetProfile",
    "InputError",
    "ProfileError",
    "Report",
    "ReportConfig",
    "WatchkeeperError",
    "__version__",
    "build_profile",
    "load_config",
    "load_profile",
    "report",
    "save_profile",
]
