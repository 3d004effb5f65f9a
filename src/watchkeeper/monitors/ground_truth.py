"""Ground-truth validation: are the labels that arrived for a window usable at all?

Performance is only as good as its labels. Per window (monitor ``ground_truth``), over the
latest label of each labelled prediction (the labels table as the store's ``labels_for``
gives it):

* ``label_invalid_count`` / ``label_invalid_ratio`` — labels outside the label set:
  classification, a value the reference's label column never holds (without a categorical
  reference label column: binary labels that are neither positive nor negative as
  :mod:`.performance` reads them; multiclass cannot be judged); regression and ranking, a
  value that is not a finite number. Details list up to :data:`MAX_EXAMPLES` ids and values.
* ``label_duplicate_count`` — labelled ids with more than one label.
* ``label_agreement_rate`` — among the ids with several labels, the share whose labels all
  hold the same value (annotator agreement); ``insufficient_data`` when no id has two labels,
  ``provisional`` while fewer than :data:`MIN_REPEATED` have.

A window without labels gives all four as ``insufficient_data``: there is nothing to validate.

The label distribution against the reference is :mod:`.label_drift`'s.

>>> from datetime import UTC, datetime
>>> import pyarrow as pa
>>> from watchkeeper.monitors.scope import Scope
>>> from watchkeeper.profiles.dataset import build_profile
>>> from watchkeeper.settings import parse_service_config
>>> config = parse_service_config({"models": {"m": {"task": "binary_classification",
...                                                  "label": "y"}}}).models["m"]
>>> reference = build_profile(pa.table({"y": [0, 1, 1]}))  # categories "0" and "1"
>>> labels = pa.table({"id": ["a", "b", "c", "d"], "label": ["1", "0", "yes", "1"],
...                    "labels": [1, 2, 1, 3], "label_values": [1, 1, 1, 2]})
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> samples = ground_truth_samples(Scope("m", t, t), config, reference, labels)
>>> [(s.name, s.value, s.status.value) for s in samples]  # doctest: +NORMALIZE_WHITESPACE
[('label_invalid_count', 1.0, 'ok'), ('label_invalid_ratio', 0.25, 'ok'),
 ('label_duplicate_count', 2.0, 'ok'), ('label_agreement_rate', 0.5, 'provisional')]
>>> samples[0].details["examples"]
[{'id': 'c', 'label': 'yes'}]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.monitors.performance import NEGATIVE, POSITIVE
from watchkeeper.monitors.scope import Scope
from watchkeeper.profiles.categorical import CategoricalProfile
from watchkeeper.profiles.convert import to_float
from watchkeeper.profiles.dataset import DatasetProfile
from watchkeeper.settings import ModelConfig

LABELS = {"monitor": "ground_truth"}
MAX_EXAMPLES = 10
MIN_REPEATED = 10  # ids with several labels before agreement is judged (below: provisional)
SHOWN_CATEGORIES = 20  # of the label set, in the details
NAMES = (
    "label_invalid_count",
    "label_invalid_ratio",
    "label_duplicate_count",
    "label_agreement_rate",
)


def ground_truth_samples(
    scope: Scope, config: ModelConfig, reference: DatasetProfile, labels: pa.Table
) -> list[MetricSample]:
    """Invalid labels, duplicate labels and annotator agreement of one window's labels."""
    if labels.num_rows == 0:
        nothing = {"labelled": 0, "reason": "no labels"}
        return [
            scope.sample(name, LABELS, float("nan"), Status.INSUFFICIENT, nothing) for name in NAMES
        ]
    return [
        *_invalid(scope, config, reference, labels),
        *_repeated(scope, labels),
    ]


def _invalid(
    scope: Scope, config: ModelConfig, reference: DatasetProfile, labels: pa.Table
) -> list[MetricSample]:
    labelled = labels.num_rows
    bad, rule = _invalid_mask(config, reference, labels)
    if bad is None:
        details = {"labelled": labelled, "reason": rule}
        return [
            scope.sample(name, LABELS, float("nan"), Status.INSUFFICIENT, details)
            for name in ("label_invalid_count", "label_invalid_ratio")
        ]
    rows = np.flatnonzero(bad)
    shown = labels.select(["id", "label"]).take(pa.array(rows[:MAX_EXAMPLES])).to_pylist()
    details = {"labelled": labelled, "label_set": rule, "examples": shown}
    return [
        scope.sample("label_invalid_count", LABELS, rows.size, Status.OK, details),
        scope.sample("label_invalid_ratio", LABELS, rows.size / labelled, Status.OK, details),
    ]


def _invalid_mask(
    config: ModelConfig, reference: DatasetProfile, labels: pa.Table
) -> tuple[np.ndarray | None, str]:
    """Which labels are outside the label set (None: it cannot be told), and the set."""
    column = labels.column("label")
    if config.task in ("regression", "ranking"):
        return ~np.isfinite(to_float(column).values), "finite numbers"
    profile = reference.columns.get(config.label) if config.label else None
    if isinstance(profile, CategoricalProfile) and profile.other == 0:
        known = pa.array(profile.categories, pa.string())
        inside = pc.is_in(column.cast(pa.string()), value_set=known).to_numpy(zero_copy_only=False)
        shown = ", ".join(sorted(profile.categories)[:SHOWN_CATEGORIES])
        return ~np.asarray(inside, dtype=bool), f"the reference's labels: {shown}"
    if config.task == "binary_classification":
        if config.performance.positive_label is not None:  # any other value is negative
            return np.zeros(labels.num_rows, dtype=bool), "any value (positive_label is set)"
        text = pc.utf8_lower(pc.utf8_trim_whitespace(column.cast(pa.string())))
        known = pa.array(sorted(POSITIVE | NEGATIVE), pa.string())
        inside = pc.is_in(text, value_set=known).to_numpy(zero_copy_only=False)
        return ~np.asarray(inside, dtype=bool), "1/0, true/false, yes/no"
    return None, "the reference has no categorical label column to take the label set from"


def _repeated(scope: Scope, labels: pa.Table) -> list[MetricSample]:
    """Duplicate labels and, among the ids that have them, how often all agree."""
    counts, values = _column(labels, "labels"), _column(labels, "label_values")
    if counts is None or values is None:  # a labels table that does not count labels per id
        unknown = {"labelled": labels.num_rows, "reason": "labels per id are not counted"}
        return [
            scope.sample(name, LABELS, float("nan"), Status.INSUFFICIENT, unknown)
            for name in ("label_duplicate_count", "label_agreement_rate")
        ]
    repeated = np.flatnonzero(counts > 1)
    duplicates = {"labelled": labels.num_rows, "examples": _ids(labels, repeated)}
    split = repeated[values[repeated] > 1]
    agreement: dict[str, Any] = {
        "repeated": int(repeated.size),
        "agreeing": int(repeated.size - split.size),
        "min_repeated": MIN_REPEATED,
        "examples": _ids(labels, split),
    }
    if repeated.size == 0:
        rate, status = float("nan"), Status.INSUFFICIENT
        agreement["reason"] = "no id has two labels"
    else:
        rate = (repeated.size - split.size) / repeated.size
        status = Status.OK if repeated.size >= MIN_REPEATED else Status.PROVISIONAL
    return [
        scope.sample("label_duplicate_count", LABELS, repeated.size, Status.OK, duplicates),
        scope.sample("label_agreement_rate", LABELS, rate, status, agreement),
    ]


def _ids(labels: pa.Table, rows: np.ndarray) -> list[str]:
    """The ids of the first :data:`MAX_EXAMPLES` of ``rows``."""
    return [str(i) for i in labels.column("id").take(pa.array(rows[:MAX_EXAMPLES])).to_pylist()]


def _column(table: pa.Table, name: str) -> np.ndarray | None:
    if name not in table.column_names:
        return None
    values = table.column(name).fill_null(0).to_numpy()
    return np.asarray(values, dtype=np.int64)
