"""``init``: the model section from a reference table — columns, task and schema, with reasons.

The prediction and target columns are the ones given, else the first conventional name the
table has (``prediction``, ``score``, ... / ``label``, ``target``, ...). The task, unless given,
follows from the target with the project's schema inference: two distinct values → binary
classification; a categorical target (strings, booleans, integers with few values) →
multiclass; a numeric one → regression. The features' types are inferred exactly as the
service will (:func:`~watchkeeper.schema.infer_schema` on the whole reference); only columns
inference cannot handle well are written out (ignored), each with its reason.

>>> import pyarrow as pa
>>> table = pa.table({"age": [30.0, 41.5, 52.0, 38.0], "plan": ["a", "b", "a", "c"],
...                   "score": [0.2, 0.7, 0.4, 0.9], "label": [0, 1, 0, 1]})
>>> plan = plan_model(table, "credit")
>>> plan.task, plan.task_reason
('binary_classification', 'label has 2 values (0, 1)')
>>> plan.prediction, plan.label, plan.features.names
('score', 'label', ['age', 'plan'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import get_args

import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import InputError
from watchkeeper.runtime import RESERVED
from watchkeeper.schema import ColumnType, Schema, infer_schema
from watchkeeper.settings import Task

TASKS: tuple[str, ...] = get_args(Task)
BINARY, MULTICLASS, REGRESSION = "binary_classification", "multiclass_classification", "regression"
PREDICTION_NAMES = ("prediction", "score", "pred", "y_pred", "predicted", "probability", "proba")
TARGET_NAMES = ("label", "target", "y", "y_true", "actual", "ground_truth", "truth", "outcome")
_BINARY_WORDS = {"0", "1", "true", "false", "yes", "no"}  # read as negative / positive as is
_IDENTIFIER_MIN_DISTINCT = 100
_IDENTIFIER_MIN_SHARE = 0.5


@dataclass(frozen=True)
class ModelPlan:
    """What ``init`` writes for the model, each choice with its reason."""

    name: str
    rows: int
    task: str
    task_reason: str
    prediction: str
    prediction_reason: str
    label: str | None
    label_reason: str
    features: Schema  # as the service will infer them
    ignore: tuple[tuple[str, str], ...] = ()  # (column, why inference needs help)
    positive_label: tuple[str, str] | None = None  # (value, why) when not 1/true/yes


def plan_model(
    table: pa.Table,
    name: str,
    *,
    target: str | None = None,
    prediction: str | None = None,
    task: str | None = None,
) -> ModelPlan:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise InputError(f"--model {name!r}: use letters, digits, '_', '-' and '.'")
    if task is not None and task not in TASKS:
        raise InputError(f"--task {task!r}: one of {', '.join(TASKS)}")
    columns = table.column_names
    predicted, prediction_reason = _pick(columns, prediction, PREDICTION_NAMES, "--prediction")
    if predicted is None:
        raise InputError(
            "no prediction column: give --prediction COL (the reference has "
            f"{', '.join(columns[:12])}; none is named {', '.join(PREDICTION_NAMES)})"
        )
    label, label_reason = _pick(columns, target, TARGET_NAMES, "--target")
    if label == predicted:
        raise InputError(f"the prediction and the target are the same column ({label!r})")
    if task is not None:
        chosen, task_reason = task, "given with --task"
    else:
        chosen, task_reason = infer_task(table, label, predicted)
    schema = infer_schema(table)
    outputs = {predicted, label, *RESERVED}
    features = Schema(tuple(c for c in schema if c.name not in outputs), schema.ignored)
    positive = _positive_label(table.column(label), label) if label and chosen == BINARY else None
    return ModelPlan(
        name,
        table.num_rows,
        chosen,
        task_reason,
        predicted,
        prediction_reason,
        label,
        label_reason,
        features,
        tuple(_needs_help(table, features)),
        positive,
    )


def _pick(
    columns: list[str], given: str | None, conventional: tuple[str, ...], option: str
) -> tuple[str | None, str]:
    if given is not None:
        if given not in columns:
            raise InputError(
                f"{option} {given!r}: the reference has no such column "
                f"(columns: {', '.join(columns[:12])})"
            )
        return given, f"given with {option}"
    found = next((c for c in conventional if c in columns), None)
    if found is None:
        return None, f"no column named {', '.join(conventional[:4])}, ... (give {option})"
    return found, "the conventional name"


def infer_task(table: pa.Table, label: str | None, prediction: str) -> tuple[str, str]:
    """The task from the target column (or, without one, a categorical prediction)."""
    column = label or prediction
    values = _decoded(table.column(column))
    if len(values) == 0:
        raise InputError(f"column {column!r} has no values in the reference: give --task")
    distinct = pc.unique(values)
    if len(distinct) == 2:
        shown = ", ".join(str(v) for v in sorted(distinct.to_pylist(), key=str))
        return BINARY, f"{column} has 2 values ({shown})"
    kind = infer_schema(pa.table({column: values}))[column].type
    if label is None and kind is ColumnType.NUMERIC:
        raise InputError(
            "no target column to tell the task from (a numeric prediction may be a score or "
            "a regression): give --target COL or --task"
        )
    if len(distinct) < 2:
        raise InputError(f"column {column!r} has a single value in the reference: give --task")
    if kind in (ColumnType.CATEGORICAL, ColumnType.BOOLEAN):
        return MULTICLASS, f"{column} has {len(distinct)} categories"
    if kind is ColumnType.NUMERIC:
        return REGRESSION, f"{column} is numeric ({len(distinct)} distinct values)"
    raise InputError(f"cannot tell the task from {kind.value} column {column!r}: give --task")


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The non-null values, dictionary-encoded columns (Parquet strings) decoded."""
    values = column.drop_null()
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    return values


def _positive_label(column: pa.ChunkedArray, name: str) -> tuple[str, str] | None:
    """The positive class when the labels are not 1/true/yes vs 0/false/no: the rarer one."""
    counts = pc.value_counts(_decoded(column)).to_pylist()
    values = {str(c["values"]).lower() for c in counts}
    if values <= _BINARY_WORDS:
        return None
    counts.sort(key=lambda c: (c["counts"], str(c["values"])))
    rarer = str(counts[0]["values"])
    shown = " and ".join(repr(str(c["values"])) for c in counts)
    return rarer, f"{name}'s values are {shown}: the rarer, {rarer!r}, is taken as positive"


def _needs_help(table: pa.Table, features: Schema) -> list[tuple[str, str]]:
    """Feature columns to leave out, and why inference alone would get them wrong."""
    help_: list[tuple[str, str]] = []
    for column in features:
        lowered = column.name.lower()
        values = _decoded(table.column(column.name))
        if len(values) == 0:
            help_.append((column.name, "every value is missing: set its type to monitor it"))
        elif lowered == "id" or lowered.endswith("_id"):
            help_.append((column.name, "named like an identifier (values repeat)"))
        elif column.type is ColumnType.CATEGORICAL:
            distinct = pc.count_distinct(values).as_py()
            share = distinct / len(values)
            if distinct >= _IDENTIFIER_MIN_DISTINCT and share > _IDENTIFIER_MIN_SHARE:
                help_.append(
                    (column.name, f"{distinct:,} distinct values ({share:.0%}): an identifier?")
                )
    return help_
