"""Why a window looks the way it does: drift drivers and performance slices, per window.

A model's :class:`ModelInsight` keeps a bounded sample of its reference rows (features, the
prediction and the label) and learns from it, once and only when first needed:

* feature **importances** — ``root_cause.importances`` from the config, else the mean absolute
  per-row attribution of ``root_cause.attributions`` columns of the reference, else a surrogate
  model of the numeric prediction with permutation importance (``root_cause.surrogate``);
* numeric **slice edges** — each numeric feature's reference deciles.

After the monitors of a window, :func:`insight_samples` adds:

* ``drift_drivers`` (monitor ``drift``) when the window's own feature drift breaches: the drifted
  features ranked by importance-weighted drift, each with the share of the surrogate's
  prediction change it explains and its impact (``low`` for unimportant features); the value
  is the number of drifted features that are not low impact, ``details`` the ranking
  (:func:`watchkeeper.rootcause.describe.drivers_to_dict`) and the importances' source;
* ``performance_slices`` (monitor ``performance``) on windows whose main metric (ROC AUC,
  accuracy, RMSE), realized or estimated, is at least ``DROP`` (5 %) worse than on the
  reference, with at least ``MIN_LABELLED`` labelled predictions: per-row correctness
  (classification) or absolute error (regression) of the labelled predictions, cut by feature
  values, reference-decile bins, ``model_version`` and segments, ranked by impact = (slice
  metric − overall metric) × slice share, the worse first; the value is the top slice's
  impact.

* ``estimated_<metric>`` (monitor ``estimated_performance``) on every window: the task's
  metrics estimated without labels (:mod:`watchkeeper.performance`; binary: accuracy,
  precision, recall, F1, ROC AUC from the calibrated score; multiclass the same from the class
  scores; regression MAE and RMSE from the expected errors), with the band holding the realized
  value (``lower`` / ``upper``) and the range the estimate keeps while the model performs as on
  the reference (``reference_lower`` / ``reference_upper``, centred on ``reference``) in
  details; ``ci_low`` / ``ci_high`` repeat the band, so a rule's change against the reference
  must be clear of it. Status ``breach`` when the estimate leaves the reference range,
  ``insufficient_data`` under ``MIN_ESTIMATED`` predictions.
  Once the window's realized metric is final (``ok``), details carry it and the estimation
  error (estimate − realized), and ``estimation_error{metric}`` records the error as a series.
  The estimate assumes no concept drift (P(label | inputs) as on the reference); ``details``
  says so.

* ``multivariate_drift{method}`` (monitor ``drift``) on every window, for each method of
  ``drift.multivariate``: ``pca`` (reconstruction error against the reference's principal
  components; fitted once) and ``domain_classifier`` (cross-validated AUC of telling the
  window from the reference, on ≤ 10,000 rows of each; about a second per window), see
  :mod:`watchkeeper.drift.multivariate`. Status ``breach`` on drift, ``insufficient_data``
  under 50 rows.

Without labels (fewer than ``MIN_LABELLED``), a classifier's slices rank the *expected*
correctness of each prediction from its calibrated score (metric ``expected_accuracy``), so
an estimated drop is traced too.

Drivers, slices and estimates work on bounded, seeded samples (``SAMPLE_ROWS`` current rows for
drivers, ``SLICE_ROWS`` labelled rows for slices, ``ESTIMATE_ROWS`` rows for estimates), so
their cost does not grow with the window. The samples are breakdown-free (the window as a whole)
and never change a monitor's status; their details feed the evidence of alerts and incidents.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.drift.multivariate.domain_classifier import domain_classifier_drift
from watchkeeper.drift.multivariate.pca_reconstruction import (
    PcaReference,
    fit_pca_reference,
    pca_drift,
)
from watchkeeper.errors import WatchkeeperError
from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.monitors.performance import _binary_labels, _encode, join_labels
from watchkeeper.monitors.scope import Scope
from watchkeeper.performance.estimate import Estimator
from watchkeeper.profiles.convert import to_float
from watchkeeper.rootcause.describe import drivers_to_dict, slices_to_dict
from watchkeeper.rootcause.drivers import FeatureDrift, rank_drivers
from watchkeeper.rootcause.importance import (
    Importances,
    attribution_importances,
    user_importances,
)
from watchkeeper.rootcause.slices import rank_slices
from watchkeeper.rootcause.surrogate import Surrogate, fit_surrogate
from watchkeeper.settings import ModelConfig

log = logging.getLogger(__name__)

REFERENCE_ROWS = 50_000  # reference rows kept for fitting
SAMPLE_ROWS = 2_000  # current rows the drivers' explained shares are computed on
SLICE_ROWS = 50_000  # labelled rows the slices are computed on
MIN_LABELLED = 100
DROP = 0.05  # slices are traced on windows whose main metric is this much worse (relative)
TOP_SLICES = 5
SURROGATE_ROWS = 20_000
ESTIMATE_ROWS = 100_000
MIN_ESTIMATED = 50
ESTIMATED = {"monitor": "estimated_performance"}


@dataclass(frozen=True)
class _Learned:
    importances: Importances | None
    surrogate: Surrogate | None
    edges: Mapping[str, np.ndarray]
    note: str  # why there are no importances, or where they came from


class ModelInsight:
    """What one model's reference rows teach about drift drivers and slices (learned lazily)."""

    def __init__(
        self,
        config: ModelConfig,
        reference: pa.Table,
        features: Sequence[str],
        categorical: Sequence[str] = (),
        seed: int = 0,
    ) -> None:
        self.config = config
        self.features = [f for f in features if f in reference.column_names]
        self.categorical = set(categorical)
        self.seed = seed
        rng = np.random.default_rng(seed)
        if reference.num_rows > REFERENCE_ROWS:
            rows = np.sort(rng.choice(reference.num_rows, REFERENCE_ROWS, replace=False))
            reference = reference.take(pa.array(rows))
        self.reference = reference
        self._lock = threading.Lock()
        self._learned: _Learned | None = None
        self._estimator: Estimator | None = None
        self._estimator_tried = False
        self._pca: PcaReference | None = None
        self._pca_tried = False

    def pca(self) -> PcaReference | None:
        """The PCA reference of multivariate drift, fitted on first use (None if it cannot)."""
        with self._lock:
            if not self._pca_tried:
                self._pca_tried = True
                try:
                    self._pca = fit_pca_reference(self.reference, self.features, seed=self.seed)
                except WatchkeeperError as exc:
                    log.warning("no multivariate drift (pca): %s", exc)
            return self._pca

    def estimator(self) -> Estimator | None:
        """The label-free estimator, fitted on first use; None when the reference cannot fit
        one (no label, no scores for a multiclass model, a ranking model)."""
        with self._lock:
            if not self._estimator_tried:
                self._estimator_tried = True
                try:
                    self._estimator = _fit_estimator(self.config, self.reference, self.features)
                except WatchkeeperError as exc:
                    log.warning("no performance estimation: %s", exc)
            return self._estimator

    def learned(self) -> _Learned:
        with self._lock:
            if self._learned is None:
                self._learned = self._learn()
            return self._learned

    def _learn(self) -> _Learned:
        edges = {
            name: _deciles(self.reference.column(name))
            for name in self.features
            if name not in self.categorical and _numeric(self.reference.column(name).type)
        }
        settings = self.config.root_cause
        try:
            if settings.importances:
                imp = user_importances(settings.importances, self.features)
                return _Learned(imp, None, edges, "importances from the config")
            if settings.attributions:
                imp = attribution_importances(self.reference, settings.attributions)
                return _Learned(imp, None, edges, "mean absolute attribution on the reference")
            return self._surrogate(edges)
        except WatchkeeperError as exc:  # e.g. a constant prediction: rank without importances
            log.warning("no feature importances for drift drivers: %s", exc)
            return _Learned(None, None, edges, str(exc))

    def _surrogate(self, edges: Mapping[str, np.ndarray]) -> _Learned:
        target = self.config.prediction
        if not self.config.root_cause.surrogate:
            return _Learned(None, None, edges, "root_cause.surrogate is off")
        if target not in self.reference.column_names or not _numeric(
            self.reference.column(target).type
        ):
            return _Learned(None, None, edges, f"the reference has no numeric {target!r}")
        fit = fit_surrogate(
            self.reference, self.features, target, categorical=self.categorical,
            max_rows=SURROGATE_ROWS, seed=self.seed,
        )  # fmt: skip
        note = f"surrogate of {target!r} (held-out R² {fit.fidelity:.2f})"
        return _Learned(fit.importances, fit.surrogate, edges, note)


def insight_samples(
    insight: ModelInsight,
    scope: Scope,
    features: pa.Table,
    meta: pa.Table,
    labels: pa.Table,
    samples: Sequence[MetricSample],
) -> list[MetricSample]:
    """The window's drift drivers, estimates, slices and multivariate drift samples (each when
    it applies; see the module docstring)."""
    seed = int(scope.start.timestamp()) % (2**32)  # the same window: the same sample
    out = []
    drivers = _drivers(insight, scope, features, samples, seed)
    if drivers is not None:
        out.append(drivers)
    if insight.config.estimation:
        out += _estimated(insight, scope, features, meta, samples, seed)
    if insight.config.root_cause.slices and _dropped(insight.config, [*samples, *out]):
        sliced = _slices(insight, scope, features, meta, labels, seed)
        if sliced is not None:
            out.append(sliced)
    out += _multivariate(insight, scope, features, seed)
    return out


def _dropped(config: ModelConfig, samples: Sequence[MetricSample]) -> bool:
    """Whether the window's main metric, realized or estimated, is at least ``DROP`` worse than
    on the reference: the windows whose performance is worth tracing to slices."""
    from watchkeeper.rules.defaults import MAIN_METRIC

    if config.task not in MAIN_METRIC:
        return False
    metric, worse = MAIN_METRIC[config.task]
    for sample in samples:
        if sample.name not in (metric, f"estimated_{metric}") or not _overall(sample):
            continue
        reference = sample.details.get("reference")
        usable = sample.status in (Status.OK, Status.PROVISIONAL, Status.BREACH)
        if not usable or not isinstance(reference, int | float) or not reference:
            continue
        change = (sample.value - reference) / abs(reference)
        if (change <= -DROP) if worse == "down" else (change >= DROP):
            return True
    return False


def _multivariate(
    insight: ModelInsight, scope: Scope, features: pa.Table, seed: int
) -> list[MetricSample]:
    out = []
    current = features.select([f for f in insight.features if f in features.column_names])
    if current.num_columns < len(insight.features):
        return []  # a feature never sent: the data-quality monitor reports it
    for method in insight.config.drift.multivariate:
        try:
            if method == "pca":
                fitted = insight.pca()
                if fitted is None:
                    continue
                found: Any = pca_drift(fitted, current, seed=seed)
                value, lower, upper = found.statistic, found.lower, found.upper
                extra = {"components": found.components, "rows": found.n_scored}
            else:
                found = domain_classifier_drift(
                    insight.reference, current, insight.features, seed=seed
                )
                value, lower, upper = found.auc, None, found.threshold
                extra = {"rows": found.n_current}
        except WatchkeeperError as exc:
            log.warning("multivariate drift (%s) failed: %s", method, exc)
            continue
        status = Status.BREACH if found.drift_detected else Status.OK
        if not math.isfinite(value):
            status = Status.INSUFFICIENT
        details = {"lower": lower, "upper": upper, "threshold": upper, "note": found.note, **extra}
        labels = {"monitor": "drift", "method": method}
        out.append(scope.sample("multivariate_drift", labels, value, status, details))
    return out


def _fit_estimator(
    config: ModelConfig, reference: pa.Table, features: Sequence[str]
) -> Estimator | None:
    from watchkeeper.performance.estimate import fit_estimator

    if config.label is None or config.task == "ranking":
        return None
    if config.task == "binary_classification":  # the prediction is the positive class's score
        return fit_estimator(
            reference, config.task, None, [config.prediction], config.label,
            threshold=config.performance.threshold,
        )  # fmt: skip
    if config.task == "multiclass_classification":
        if not config.scores:
            return None
        return fit_estimator(reference, config.task, config.prediction, config.scores, config.label)
    return fit_estimator(reference, config.task, config.prediction, [], config.label, features)


def _estimated(
    insight: ModelInsight,
    scope: Scope,
    features: pa.Table,
    meta: pa.Table,
    samples: Sequence[MetricSample],
    seed: int,
) -> list[MetricSample]:
    estimator = insight.estimator()
    if estimator is None or "prediction" not in meta.column_names:
        return []
    config = insight.config
    rows = np.arange(meta.num_rows)
    if rows.size > ESTIMATE_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, ESTIMATE_ROWS, replace=False))
    table = _estimation_table(config, features, meta, pa.array(rows))
    if table is None:
        return []
    realized = {
        s.name: s.value
        for s in samples
        if s.labels.get("monitor") == "performance" and _overall(s) and s.status is Status.OK
    }
    if table.num_rows < MIN_ESTIMATED:
        return [
            scope.sample(
                f"estimated_{m}", ESTIMATED, math.nan, Status.INSUFFICIENT, {"rows": table.num_rows}
            )
            for m in estimator.metrics
        ]
    chunk = estimator.estimate(table)
    out = []
    for metric in estimator.metrics:
        value = chunk.estimated[metric]
        low, high = chunk.reference_lower[metric], chunk.reference_upper[metric]
        details: dict[str, Any] = {
            "rows": chunk.rows,
            "lower": chunk.lower[metric],
            "upper": chunk.upper[metric],
            "reference_lower": low,
            "reference_upper": high,
            # what rules compare with: the estimate on reference data, and the band around
            # this one (as a realized metric's interval), so a change must be clear to count
            "reference": (low + high) / 2,
            "ci_low": chunk.lower[metric],
            "ci_high": chunk.upper[metric],
            "assumption": estimator.assumption,
        }
        if metric in realized and np.isfinite(realized[metric]):
            details["realized"] = realized[metric]
            details["error"] = value - realized[metric]
            out.append(scope.sample("estimation_error", {**ESTIMATED, "metric": metric},
                                    value - realized[metric], Status.OK))  # fmt: skip
        status = Status.BREACH if metric in chunk.left else Status.OK
        if not np.isfinite(value):
            status = Status.INSUFFICIENT
        out.append(scope.sample(f"estimated_{metric}", ESTIMATED, value, status, details))
    return out


def _estimation_table(
    config: ModelConfig, features: pa.Table, meta: pa.Table, rows: pa.Array
) -> pa.Table | None:
    """The window's rows as the estimator reads them: the reference's column names."""
    prediction = meta.column("prediction").take(rows)
    if config.task == "binary_classification":
        return pa.table({config.prediction: to_float(prediction).values})
    if config.task == "multiclass_classification":
        if "scores" not in meta.column_names:
            return None
        lists = meta.column("scores").take(rows).combine_chunks()
        width = len(config.scores)
        lengths = pc.list_value_length(lists).to_numpy(zero_copy_only=False)
        keep = np.flatnonzero(np.isfinite(lengths) & (lengths == width))
        flat = pc.list_flatten(lists.take(pa.array(keep)))
        matrix = flat.to_numpy(zero_copy_only=False).astype(np.float64).reshape(-1, width)
        columns: dict[str, Any] = {config.prediction: prediction.take(pa.array(keep))}
        columns.update({name: matrix[:, i] for i, name in enumerate(config.scores)})
        return pa.table(columns)
    table = features.take(rows)
    return table.append_column(config.prediction, pa.chunked_array([to_float(prediction).values]))


def _overall(sample: MetricSample) -> bool:
    return not sample.labels.get("model_version") and not sample.labels.get("segment")


def _drivers(
    insight: ModelInsight,
    scope: Scope,
    features: pa.Table,
    samples: Sequence[MetricSample],
    seed: int,
) -> MetricSample | None:
    drift = [s for s in samples if s.name == "feature_drift" and _overall(s)]
    if not any(s.status is Status.BREACH for s in drift):
        return None
    learned = insight.learned()
    if learned.importances is None:
        return None
    drifts = [
        FeatureDrift.distance(
            s.labels["feature"],
            s.value,
            float(s.details.get("threshold") or np.nan),
            s.status is Status.BREACH,
        )
        for s in drift
        if s.status in (Status.OK, Status.BREACH) and s.labels.get("feature") in insight.features
    ]
    usable = learned.surrogate is not None and features.num_rows > 0
    summary = rank_drivers(
        drifts, learned.importances,
        surrogate=learned.surrogate if usable else None,
        reference=insight.reference if usable else None,
        current=features if usable else None,
        sample_rows=SAMPLE_ROWS, seed=seed,
    )  # fmt: skip
    details: dict[str, Any] = {
        **drivers_to_dict(summary),
        "importance_source": learned.importances.source,
        "importance_note": learned.note,
    }
    details["drivers"] = details["drivers"][:10]
    mattering = sum(1 for d in summary.drifted if d.impact != "low")
    return scope.sample("drift_drivers", {"monitor": "drift"}, float(mattering), Status.OK, details)


def _slices(
    insight: ModelInsight,
    scope: Scope,
    features: pa.Table,
    meta: pa.Table,
    labels: pa.Table,
    seed: int,
) -> MetricSample | None:
    if meta.num_rows == 0:
        return None
    if labels.num_rows < MIN_LABELLED:
        return _expected_slices(insight, scope, features, meta, seed)
    if labels.num_rows > SLICE_ROWS:  # a sample of the labels: the join costs its size
        chosen = np.random.default_rng(seed).choice(labels.num_rows, SLICE_ROWS, replace=False)
        labels = labels.take(pa.array(np.sort(chosen)))
    join = join_labels(meta, labels)
    loss, metric, higher_is_better = _row_loss(insight.config, meta, labels, join)
    if loss is None:
        return None
    usable = np.flatnonzero(np.isfinite(loss))
    if usable.size < MIN_LABELLED:
        return None
    return _ranked_slices(
        insight, scope, features, meta, join.rows[usable], loss[usable], metric, higher_is_better
    )


def _expected_slices(
    insight: ModelInsight, scope: Scope, features: pa.Table, meta: pa.Table, seed: int
) -> MetricSample | None:
    """Slices by the expected correctness of each prediction (classifiers, before labels)."""
    estimator = insight.estimator() if insight.config.estimation else None
    if estimator is None or estimator.task == "regression" or "prediction" not in meta.column_names:
        return None
    rows = np.arange(meta.num_rows)
    if rows.size > SLICE_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, SLICE_ROWS, replace=False))
    table = _estimation_table(insight.config, features, meta, pa.array(rows))
    if table is None or table.num_rows < MIN_LABELLED or table.num_rows != rows.size:
        return None
    scored = estimator.rows(table)
    p = scored.probability  # type: ignore[attr-defined]
    predicted = scored.predicted  # type: ignore[attr-defined]
    if p.ndim == 1:
        expected = np.where(predicted == 1, p, 1.0 - p)
    else:
        expected = p[np.arange(predicted.size), predicted]
    return _ranked_slices(
        insight, scope, features, meta, rows, expected, "expected_accuracy", True
    )


def _ranked_slices(
    insight: ModelInsight,
    scope: Scope,
    features: pa.Table,
    meta: pa.Table,
    rows: np.ndarray,
    loss: np.ndarray,
    metric: str,
    higher_is_better: bool,
) -> MetricSample:
    """``performance_slices`` of the predictions at ``rows`` with one loss value each."""
    index = pa.array(rows)
    columns = [f for f in insight.features if f in features.column_names]
    table = features.select(columns).take(index)
    for name in meta.column_names:
        if name == "model_version" or name.startswith("segment."):
            table = table.append_column(name, meta.column(name).take(index))
    learned = insight.learned()
    found = rank_slices(
        loss, table, higher_is_better=higher_is_better,
        edges={k: v.tolist() for k, v in learned.edges.items() if k in columns},
        categorical=[c for c in columns if c in insight.categorical], top=TOP_SLICES,
    )  # fmt: skip
    details = {
        "metric": metric,
        "higher_is_better": higher_is_better,
        "rows": int(rows.size),
        **slices_to_dict(found),
    }
    value = found[0].impact if found else 0.0
    return scope.sample("performance_slices", {"monitor": "performance"}, value, Status.OK, details)


def _row_loss(
    config: ModelConfig, meta: pa.Table, labels: pa.Table, join: Any
) -> tuple[np.ndarray | None, str, bool]:
    """Per labelled prediction (``join.rows`` order): 1/0 correct, or the absolute error."""
    if "prediction" not in meta.column_names:
        return None, "", True
    prediction = meta.column("prediction")
    if config.task == "binary_classification":
        score = to_float(prediction).values[join.rows]
        y = _binary_labels(labels.column("label"), config.performance.positive_label)
        y = y[join.label_rows]
        correct = ((score >= config.performance.threshold) == (y == 1)).astype(np.float64)
        return np.where((y >= 0) & np.isfinite(score), correct, np.nan), "accuracy", True
    if config.task == "multiclass_classification":
        predicted_codes, predicted_names = _encode(prediction)
        label_codes, label_names = _encode(labels.column("label"))
        predicted = np.array([*predicted_names, ""], dtype=object)[predicted_codes][join.rows]
        true = np.array([*label_names, ""], dtype=object)[label_codes][join.label_rows]
        correct = (predicted == true).astype(np.float64)
        return np.where((predicted != "") & (true != ""), correct, np.nan), "accuracy", True
    if config.task == "regression":
        predicted = to_float(prediction).values[join.rows]
        y = to_float(labels.column("label")).values[join.label_rows]
        return np.abs(y - predicted), "absolute_error", False
    return None, "", True


def _numeric(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind))


def _deciles(column: pa.ChunkedArray) -> np.ndarray:
    values = to_float(column).values
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.zeros(0)
    return np.unique(np.quantile(values, np.linspace(0.1, 0.9, 9)))
