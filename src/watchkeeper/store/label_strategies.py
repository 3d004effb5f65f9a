"""How the labelling queue ranks candidate predictions: one SQL ordering per strategy.

A :class:`Ranking` is SQL over one candidate prediction row (the stored columns, see
``ingest/layout.py``); :mod:`.label_queue` runs it inside DuckDB, so only the ``n`` picked rows
leave the database. Smallest ``order`` first; ties, and ``random``, go by a seeded hash of the
id (the same seed over the same candidates picks the same rows).

- ``uncertainty``: binary — the score closest to ``performance.threshold`` (the last class
  score when scores were sent, else the prediction); multiclass — the smallest margin between
  the two highest class scores (predictions without two scores are skipped). Regression and
  ranking have no such notion: :class:`QueueParameterError`.
- ``random``: a uniform sample, seeded.
- ``drifted``: the rows most unusual against the reference profile: per numeric feature
  ``|x - mean| / std`` of the reference, per categorical feature :data:`UNSEEN` for a category
  the reference never saw; summed, highest first.
- ``stratified``: an equal share per predicted class (binary: score at or above the threshold)
  or, for regression and ranking, per prediction decile; random within each. A stratum with
  fewer candidates than its share leaves the rest to the others.

Each ranking explains a picked row (:meth:`Ranking.explain`) with the numbers it was picked on.

>>> from watchkeeper.settings import parse_service_config
>>> model = parse_service_config({"models": {"m": {"task": "regression"}}}).models["m"]
>>> ranking(Strategy.STRATIFIED, model, {}, None).stratum
'ntile(10) OVER (ORDER BY prediction)'
>>> ranking(Strategy.UNCERTAINTY, model, {}, None)
Traceback (most recent call last):
...
watchkeeper.store.label_strategies.QueueParameterError: strategy: uncertainty is not supported for \
task regression: it needs class scores; use random, drifted or stratified (got 'uncertainty')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from watchkeeper.errors import InputError
from watchkeeper.ingest.layout import storage_name
from watchkeeper.profiles.categorical import CategoricalProfile
from watchkeeper.profiles.dataset import DatasetProfile
from watchkeeper.profiles.numeric import NumericProfile
from watchkeeper.schema import ColumnType
from watchkeeper.settings import ModelConfig
from watchkeeper.store.schema import quote

UNSEEN = 3.0  # an unseen category (or any change of a constant feature) counts as |z| = 3
SHOWN = 3  # features named in a drifted row's reason
DECILES = 10
PREFIX = "__wk_"  # the ranking's own columns, next to the stored ones


class Strategy(StrEnum):
    UNCERTAINTY = "uncertainty"
    RANDOM = "random"
    DRIFTED = "drifted"
    STRATIFIED = "stratified"


class QueueParameterError(InputError):
    """A labelling-queue parameter is invalid; names the parameter and its value."""

    def __init__(self, name: str, value: object, problem: str) -> None:
        self.name = name
        self.value = value
        self.problem = problem
        super().__init__(f"{name}: {problem} (got {value!r})")

    def details(self) -> list[dict[str, Any]]:
        return [{"field": self.name, "value": self.value, "error": self.problem}]


Explain = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class Ranking:
    """SQL over a candidate row ``c``: ``columns`` are computed first (named ``__wk_...``),
    ``where`` keeps the rows the strategy can rank, ``stratum`` groups them (a window function
    may be used), ``order`` ranks them (it may use ``__wk_stratum``); ``params`` fill the
    ``$name`` placeholders."""

    order: str
    explain: Explain
    columns: Mapping[str, str] = field(default_factory=dict)
    where: str = "TRUE"
    stratum: str = "NULL"
    params: Mapping[str, Any] = field(default_factory=dict)


def ranking(
    strategy: Strategy,
    config: ModelConfig,
    stored: Mapping[str, str],
    reference: DatasetProfile | None,
) -> Ranking:
    """The ranking of ``strategy`` for a model; ``stored`` maps the predictions table's
    columns to their DuckDB types. ``reference`` (features) is needed by ``drifted`` only."""
    if strategy is Strategy.RANDOM:
        return Ranking("0", lambda row: "random sample")
    if strategy is Strategy.STRATIFIED:
        return _stratified(config)
    if strategy is Strategy.UNCERTAINTY:
        return _uncertainty(config)
    if reference is None:
        raise QueueParameterError("strategy", strategy.value, "the model has no reference profile")
    return _drifted(stored, reference)


def _uncertainty(config: ModelConfig) -> Ranking:
    threshold = config.performance.threshold
    if config.task == "binary_classification":
        score = f"{PREFIX}score"

        def explain(row: Mapping[str, Any]) -> str:
            value = float(row[score])
            distance = abs(value - threshold)
            return f"score {value:.4g} is {distance:.4g} from the threshold {threshold:g}"

        return Ranking(
            f"abs({score} - $threshold)",
            explain,
            columns={score: "coalesce(c.scores[-1], c.prediction)"},
            where=f"isfinite({score})",
            params={"threshold": threshold},
        )
    if config.task == "multiclass_classification":
        margin = f"{PREFIX}margin"
        top = "list_reverse_sort(c.scores)"
        return Ranking(
            margin,
            lambda row: f"top two class scores {float(row[margin]):.4g} apart",
            columns={margin: f"{top}[1] - {top}[2]"},
            where=f"isfinite({margin})",
        )
    raise QueueParameterError(
        "strategy",
        Strategy.UNCERTAINTY.value,
        f"uncertainty is not supported for task {config.task}: it needs class scores; "
        "use random, drifted or stratified",
    )


def _stratified(config: ModelConfig) -> Ranking:
    stratum = f"{PREFIX}stratum"
    rank = f"row_number() OVER (PARTITION BY {stratum} ORDER BY hash(id, $seed), id)"
    if config.task == "binary_classification":
        return Ranking(
            rank,
            lambda row: f"stratified: predicted class {row[stratum]}",
            stratum="CASE WHEN prediction >= $threshold THEN 1 ELSE 0 END",
            params={"threshold": config.performance.threshold},
        )
    if config.task == "multiclass_classification":
        return Ranking(
            rank,
            lambda row: f"stratified: predicted class {row[stratum]}",
            stratum="prediction",
        )
    return Ranking(
        rank,
        lambda row: f"stratified: prediction decile {row[stratum]} of {DECILES}",
        stratum=f"ntile({DECILES}) OVER (ORDER BY prediction)",
        where="isfinite(prediction)",
    )


def _drifted(stored: Mapping[str, str], reference: DatasetProfile) -> Ranking:
    columns: dict[str, str] = {}
    params: dict[str, Any] = {"unseen": UNSEEN}
    shown: dict[str, tuple[str, str]] = {}  # ranking column -> (feature, how to show it)
    for column in reference.schema:
        name, profile = column.name, reference.columns.get(column.name)
        stored_as = storage_name(name)
        value, i = f"c.{quote(stored_as)}", len(columns)
        if column.type is ColumnType.NUMERIC and isinstance(profile, NumericProfile):
            if stored.get(stored_as) != "DOUBLE" or not math.isfinite(profile.mean):
                continue
            params[f"mean{i}"], std = profile.mean, profile.std
            if math.isfinite(std) and std > 0:
                params[f"std{i}"] = std
                distance = f"abs({value} - $mean{i}) / $std{i}"
            else:  # constant in the reference: any other value is as unusual as unseen
                distance = f"CASE WHEN {value} = $mean{i} THEN 0 ELSE $unseen END"
            columns[f"{PREFIX}{i}"] = (
                f"CASE WHEN {value} IS NULL OR isnan({value}) THEN 0 "
                f"WHEN isinf({value}) THEN $unseen ELSE {distance} END"
            )
            shown[f"{PREFIX}{i}"] = (name, f"mean {profile.mean:.4g} ± {std:.3g}")
        elif (
            column.type in (ColumnType.CATEGORICAL, ColumnType.BOOLEAN)
            and isinstance(profile, CategoricalProfile)
            and profile.other == 0  # else the reference's category list is incomplete
            and stored.get(stored_as) == "VARCHAR"
        ):
            params[f"categories{i}"] = list(profile.categories)
            seen = f"{value} IN (SELECT unnest($categories{i}))"
            columns[f"{PREFIX}{i}"] = f"CASE WHEN {value} IS NULL OR {seen} THEN 0 ELSE $unseen END"
            shown[f"{PREFIX}{i}"] = (name, "unseen in the reference")
    if not stored:  # nothing stored yet: nothing to rank
        return Ranking("0", lambda row: "")
    if not columns:
        raise QueueParameterError(
            "strategy",
            Strategy.DRIFTED.value,
            "the reference profiles no numeric or categorical feature the predictions carry",
        )

    def explain(row: Mapping[str, Any]) -> str:
        parts = sorted(((float(row[k]), k) for k in shown), reverse=True)
        named = [_part(shown[k], row, v) for v, k in parts[:SHOWN] if v > 0]
        score = f"unusual vs the reference: score {sum(v for v, _ in parts):.3g}"
        return score + (": " + "; ".join(named) if named else "")

    return Ranking(f"-({' + '.join(columns)})", explain, columns=columns, params=params)


def _part(shown: tuple[str, str], row: Mapping[str, Any], value: float) -> str:
    feature, how = shown
    sent = row[storage_name(feature)]
    if how.startswith("mean"):
        return f"{feature} {sent!r}: |z| {value:.3g} ({how})"
    return f"{feature} {sent!r} {how}"
