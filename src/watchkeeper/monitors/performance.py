"""Model performance on a window whose labels arrive late, or only for some predictions.

Predictions are joined to labels by id (one Arrow hash lookup). Per window, and per model
version when there are versions:

* ``label_coverage`` — labelled / predictions, with how long the unlabelled ones have waited
  at ``now``; ``label_delay_seconds{quantile=0.5|0.9|0.99}`` — label time minus prediction
  time over labelled predictions.
* the task's metrics (``accuracy``, ``precision``, ``recall``, ``f1``, ``roc_auc``,
  ``log_loss``, ``calibration_error`` for binary; ``accuracy``, macro ``precision`` /
  ``recall`` / ``f1`` and ``log_loss`` for multiclass; ``mae``, ``rmse``, ``mape``, ``r2`` for
  regression; ``ndcg{k}``, ``precision_at_k{k}``, ``recall_at_k{k}``, ``mrr`` and ``map`` for
  ranking, see :mod:`.ranking`), each with ``n_labelled`` and a 95% interval (see
  :mod:`.intervals`) in details. Status: ``insufficient_data`` when not computable or on fewer
  than ``MIN_LABELLED`` rows (ranking: labelled queries), ``provisional`` while coverage is
  below ``performance.min_label_coverage``, else ``ok``.

Binary labels are positive when equal to ``performance.positive_label`` (any other value is
negative) or, without one, when ``1``/``true``/``yes`` (``0``/``false``/``no`` negative, other
values unusable); case and surrounding spaces are ignored. Multiclass class scores are read in
the order of the sorted class names (those in labels, predictions and ``classes``).

Ranking predictions carry their query id in the segment ``ranking.query``; the prediction is
the item's score and the label its relevance grade. The items one model version served for a
query form one ranked list, so a version's metrics are those of its own lists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.monitors.classification import binary_metrics, multiclass_metrics
from watchkeeper.monitors.intervals import Estimate, undefined
from watchkeeper.monitors.ranking import metric_names, ranking_metrics, score_queries
from watchkeeper.monitors.regression import regression_metrics
from watchkeeper.monitors.scope import Groups, Scope, row_index
from watchkeeper.profiles.convert import to_float, to_strings
from watchkeeper.settings import ModelConfig

MIN_LABELLED = 20
DELAY_QUANTILES = (0.5, 0.9, 0.99)
POSITIVE = frozenset({"1", "1.0", "true", "yes"})
NEGATIVE = frozenset({"0", "0.0", "false", "no"})
LABELS = {"monitor": "performance"}

# labelled-row selection (None: all labelled predictions) -> estimates
Metrics = Callable[[np.ndarray | None], dict[str, Estimate]]


@dataclass(frozen=True, eq=False)
class LabelJoin:
    """Predictions joined to their labels.

    Metric inputs are gathered once onto the labelled predictions (``rows``), so breakdowns
    select within those rather than masking every prediction again.
    """

    predictions: int
    rows: np.ndarray  # prediction rows that have a label, ascending
    label_rows: np.ndarray  # the labels-table row of each
    delay: np.ndarray  # seconds from prediction to label, per labelled prediction (NaN: unknown)
    unlabelled: np.ndarray  # prediction rows without a label
    unlabelled_at: np.ndarray  # their prediction times, seconds since the epoch


def join_labels(meta: pa.Table, labels: pa.Table) -> LabelJoin:
    predictions = meta.num_rows
    if labels.num_rows and predictions:
        label_row = row_index(meta.column("id"), labels.column("id"))
    else:
        label_row = np.full(predictions, -1, dtype=np.int64)
    has = label_row >= 0
    rows, unlabelled = np.flatnonzero(has), np.flatnonzero(~has)
    label_rows = label_row[rows]
    predicted_at = _seconds(meta, "timestamp")
    labelled_at = _seconds(labels, "timestamp")[label_rows]
    delay = labelled_at - predicted_at[rows]
    return LabelJoin(predictions, rows, label_rows, delay, unlabelled, predicted_at[unlabelled])


def _seconds(table: pa.Table, name: str) -> np.ndarray:
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan)
    return to_float(table.column(name)).values


@dataclass(frozen=True)
class _Part:
    """The predictions one set of samples covers: all of them, or one breakdown group."""

    scope: Scope
    predictions: int
    select: np.ndarray | None  # which labelled predictions belong to it (None: all)
    first_unlabelled: float  # earliest prediction time without a label (NaN: none)


def performance_samples(
    scope: Scope,
    config: ModelConfig,
    meta: pa.Table,
    labels: pa.Table,
    now: datetime,
    versions: Groups | None = None,
    classes: Sequence[str] = (),
) -> list[MetricSample]:
    """Label coverage, label delay and the task's metrics, overall and per model version."""
    join = join_labels(meta, labels)
    metrics = _task_metrics(config, meta, labels, join, classes, versions)
    # fmin skips predictions without a timestamp
    first = float(np.fmin.reduce(join.unlabelled_at)) if join.unlabelled.size else float("nan")
    parts = [_Part(scope, join.predictions, None, first)]
    if versions is not None:
        groups = len(versions.names)
        firsts = np.full(groups, np.inf)
        np.fmin.at(firsts, versions.codes[join.unlabelled], join.unlabelled_at)
        labelled_codes = versions.codes[join.rows]
        for g in range(groups):
            child = scope.child(**versions.labels(g))
            first_g = float(firsts[g]) if np.isfinite(firsts[g]) else float("nan")
            parts.append(_Part(child, int(versions.sizes[g]), labelled_codes == g, first_g))
    now_s = now.timestamp()
    return [s for part in parts for s in _samples(part, join, metrics, config, now_s)]


def _samples(
    part: _Part, join: LabelJoin, metrics: Metrics, config: ModelConfig, now_s: float
) -> list[MetricSample]:
    scope, predictions = part.scope, part.predictions
    delays = join.delay if part.select is None else join.delay[part.select]
    labelled = int(delays.size)
    coverage = labelled / predictions if predictions else float("nan")
    details = {
        "labelled": labelled,
        "predictions": predictions,
        "min_label_coverage": config.performance.min_label_coverage,
        "oldest_unlabelled_seconds": now_s - part.first_unlabelled
        if np.isfinite(part.first_unlabelled)
        else None,
    }
    status = Status.OK if predictions else Status.INSUFFICIENT
    out = [scope.sample("label_coverage", LABELS, coverage, status, details)]
    delays = delays[np.isfinite(delays)]
    values = np.quantile(delays, DELAY_QUANTILES) if delays.size else [np.nan] * 3
    status = Status.OK if delays.size else Status.INSUFFICIENT
    for q, value in zip(DELAY_QUANTILES, values, strict=True):
        labels = {**LABELS, "quantile": str(q)}
        out.append(scope.sample("label_delay_seconds", labels, value, status, {"n": delays.size}))
    minimum = config.performance.min_label_coverage
    for name, estimate in metrics(part.select).items():
        if not estimate.computable or estimate.n < MIN_LABELLED:
            status = Status.INSUFFICIENT
        elif coverage < minimum:
            status = Status.PROVISIONAL
        else:
            status = Status.OK
        details = {**estimate.details(), "n_labelled": labelled, "label_coverage": coverage}
        metric, _, k = name.partition("@")  # ranking: "ndcg@5" is ndcg{k="5"}
        if config.task == "ranking":
            details["n_queries"] = estimate.n
        labels = {**LABELS, "k": k} if k else LABELS
        out.append(scope.sample(metric, labels, estimate.value, status, details))
    return out


def _task_metrics(
    config: ModelConfig,
    meta: pa.Table,
    labels: pa.Table,
    join: LabelJoin,
    classes: Sequence[str],
    versions: Groups | None,
) -> Metrics:
    task = config.task
    if task == "binary_classification":
        return _binary(config, meta, labels, join)
    if task == "multiclass_classification":
        return _multiclass(meta, labels, join, classes)
    if task == "regression":
        return _regression(meta, labels, join)
    return _ranking(config, meta, labels, join, versions)


def _prediction(meta: pa.Table) -> pa.ChunkedArray:
    if "prediction" in meta.column_names:
        return meta.column("prediction")
    return pa.chunked_array([pa.nulls(meta.num_rows, pa.float64())])


def _binary(config: ModelConfig, meta: pa.Table, labels: pa.Table, join: LabelJoin) -> Metrics:
    score = to_float(_prediction(meta)).values[join.rows]
    positive = config.performance.positive_label
    if labels.num_rows:
        y = _binary_labels(labels.column("label"), positive)[join.label_rows]
    else:
        y = np.zeros(0, dtype=np.int8)
    usable = (y >= 0) & np.isfinite(score)
    threshold = config.performance.threshold

    def metrics(select: np.ndarray | None) -> dict[str, Estimate]:
        use = usable if select is None else usable & select
        return binary_metrics(y[use] == 1, score[use], threshold)

    return metrics


def _binary_labels(column: pa.ChunkedArray, positive: str | None) -> np.ndarray:
    """1 / 0 per label row, -1 where the label is missing or neither positive nor negative."""
    codes, names = _encode(column)
    normal = [name.strip().lower() for name in names]
    if positive is not None:
        target = positive.strip().lower()
        lookup = [1 if v == target else 0 for v in normal]
    else:
        lookup = [1 if v in POSITIVE else 0 if v in NEGATIVE else -1 for v in normal]
    mapped: np.ndarray = np.array([*lookup, -1], dtype=np.int8)[codes]
    return mapped


def _encode(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Dictionary codes of a column's text (null -> -1) and the distinct texts."""
    encoded = pc.dictionary_encode(to_strings(column)).combine_chunks()
    names = [str(v) for v in encoded.dictionary.to_pylist()]
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, names


def _multiclass(meta: pa.Table, labels: pa.Table, join: LabelJoin, known: Sequence[str]) -> Metrics:
    pred_codes, pred_names = _encode(_prediction(meta))
    if labels.num_rows:
        label_codes, label_names = _encode(labels.column("label"))
    else:
        label_codes, label_names = np.zeros(0, dtype=np.int64), []
    classes = sorted({*pred_names, *label_names, *known})
    index = {name: i for i, name in enumerate(classes)}

    def recode(codes: np.ndarray, names: list[str]) -> np.ndarray:
        mapped: np.ndarray = np.array([*(index[n] for n in names), -1], dtype=np.int64)[codes]
        return mapped

    predicted = recode(pred_codes, pred_names)[join.rows]
    true = recode(label_codes, label_names)[join.label_rows]
    scores, note = _score_matrix(meta, len(classes))
    scores = scores[join.rows] if scores is not None else None
    usable = (true >= 0) & (predicted >= 0)

    def metrics(select: np.ndarray | None) -> dict[str, Estimate]:
        use = usable if select is None else usable & select
        subset = scores[use] if scores is not None else None
        return multiclass_metrics(true[use], predicted[use], len(classes), subset, note)

    return metrics


def _score_matrix(meta: pa.Table, classes: int) -> tuple[np.ndarray | None, str]:
    """Class scores as a rows x classes matrix (NaN rows where missing), or why there is none."""
    if "scores" not in meta.column_names or meta.column("scores").null_count == meta.num_rows:
        return None, "no class scores sent with the predictions"
    lists = meta.column("scores").combine_chunks()
    lengths = pc.list_value_length(lists).to_numpy(zero_copy_only=False)
    present = np.isfinite(lengths)
    widths = np.unique(lengths[present])
    if widths.size != 1 or int(widths[0]) != classes:
        shown = ", ".join(str(int(w)) for w in widths[:5])
        return None, f"class scores have {shown} entries but {classes} classes are known"
    matrix = np.full((meta.num_rows, classes), np.nan)
    flat = pc.list_flatten(lists).to_numpy(zero_copy_only=False).astype(np.float64)
    matrix[present] = flat.reshape(-1, classes)
    return matrix, ""


def _regression(meta: pa.Table, labels: pa.Table, join: LabelJoin) -> Metrics:
    predicted = to_float(_prediction(meta)).values[join.rows]
    per_label = to_float(labels.column("label")).values if labels.num_rows else np.zeros(0)
    y = per_label[join.label_rows]
    usable = np.isfinite(y) & np.isfinite(predicted)

    def metrics(select: np.ndarray | None) -> dict[str, Estimate]:
        use = usable if select is None else usable & select
        return regression_metrics(y[use], predicted[use])

    return metrics


def _ranking(
    config: ModelConfig,
    meta: pa.Table,
    labels: pa.Table,
    join: LabelJoin,
    versions: Groups | None,
) -> Metrics:
    ks = sorted(set(config.ranking.k))
    column = f"segment.{config.ranking.query}" if config.ranking.query else ""
    if column not in meta.column_names:
        note = "no query ids: set ranking.query to the segment key that holds them"
        return lambda select: {name: undefined(0, note) for name in metric_names(ks)}
    query, _ = _encode(meta.column(column))
    if versions is not None:  # one ranked list per query and model version
        query = np.where(query >= 0, query * len(versions.names) + versions.codes, -1)
    score = to_float(_prediction(meta)).values
    relevance = np.full(meta.num_rows, np.nan)
    if labels.num_rows:
        relevance[join.rows] = to_float(labels.column("label")).values[join.label_rows]
    scores = score_queries(query, score, relevance, ks)
    # the query of each labelled prediction, to select a breakdown group's queries
    at = np.searchsorted(scores.keys, query[join.rows])
    at = np.minimum(at, max(scores.keys.size - 1, 0))
    counted = scores.keys.size > 0
    found = (scores.keys[at] == query[join.rows]) if counted else np.zeros(at.size, dtype=bool)

    def metrics(select: np.ndarray | None) -> dict[str, Estimate]:
        if select is None:
            return ranking_metrics(scores)
        chosen = np.zeros(scores.keys.size, dtype=bool)
        chosen[at[select & found]] = True
        return ranking_metrics(scores, chosen)

    return metrics
