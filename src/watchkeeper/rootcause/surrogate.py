"""A surrogate of the monitored model, and permutation importance measured on it.

When neither the user nor the prediction log says which features matter, watchkeeper learns it
from the reference: a gradient-boosted tree model
(``sklearn.ensemble.HistGradientBoostingRegressor``) is fitted to predict the monitored model's
own output (its score, or its prediction when that is a number) from the features. Its fit is
measured on held-out rows (``fidelity``, the R² of the surrogate against the model's output),
and permutation importance on those rows
(``sklearn.inspection.permutation_importance``: how much the squared error grows when one
feature's values are shuffled) says how much each feature drives the output. Negative
importances (shuffling helped, by chance) count as 0; the rest are normalised to sum 1.

The work is bounded: at most ``max_rows`` (50,000) reference rows, drawn with a seeded
generator, of which ``holdout`` (20%, at most 5,000 rows) are held out; the importance is the
mean of ``n_repeats`` (3) shuffles. On 50,000 rows × 20 features this takes about two seconds
on one core.

Numeric and boolean features are used as numbers (nulls as NaN, which the trees route on their
own). Strings, dictionary columns and the features named in ``categorical`` are categories:
coded by the reference's categories, the most frequent 254 kept (the trees' limit) and any
other value, unseen ones included, read as missing.

scikit-learn runs its trees on OpenMP threads; watchkeeper gives them ``threads`` (1) by
default. OpenMP threads wait for each other by spinning, and on cores shared with other work
(a server, a CI runner) a fit or prediction then runs 10–30× slower, while one thread costs at
most the speed-up of the cores on an idle machine.

The fitted :class:`Surrogate` is kept: ``drivers`` uses it to say how much of the change of the
model's output each drifted feature explains.

>>> import numpy as np, pyarrow as pa
>>> rng = np.random.default_rng(0)
>>> a, b = rng.normal(size=600), rng.normal(size=600)
>>> colour = rng.choice(["red", "blue"], size=600)
>>> ref = pa.table({"a": a, "b": b, "colour": colour, "score": 3 * a + 0.1 * b})
>>> fit = fit_surrogate(ref, ["a", "b", "colour"], "score", max_iter=50)
>>> fit.importances.source, fit.importances.of("a") > 0.9, fit.fidelity > 0.9
('surrogate', True, True)
>>> fit.surrogate.predict(ref.slice(0, 3)).shape
(3,)
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pyarrow as pa

from watchkeeper.errors import InputError, WatchkeeperError
from watchkeeper.rootcause._columns import (
    as_floats,
    category_codes,
    is_number,
    is_text,
    require_columns,
    sample_rows,
)
from watchkeeper.rootcause.importance import Importances, normalised

MAX_ROWS = 50_000
HOLDOUT = 0.2
MAX_HOLDOUT = 5_000
N_REPEATS = 3
MAX_ITER = 100
MAX_CATEGORIES = 254  # the trees bin a category per value, 255 bins at most, one for missing
MIN_ROWS = 20
_NO_SKLEARN = "surrogate importances need scikit-learn: pip install scikit-learn"


@dataclass(frozen=True)
class Surrogate:
    """A fitted model of the monitored model's output, over the features of a table."""

    features: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]]  # categorical feature -> category of each code
    target: str
    model: Any  # a fitted sklearn HistGradientBoostingRegressor
    threads: int = 1  # OpenMP threads for predictions

    def encode(self, table: pa.Table) -> np.ndarray:
        """The features of ``table`` as the float matrix the model reads (rows × features)."""
        require_columns(table, self.features, "surrogate features")
        matrix = np.empty((table.num_rows, len(self.features)), dtype=np.float64)
        for j, name in enumerate(self.features):
            column = table.column(name)
            if name in self.categories:
                matrix[:, j] = _category_positions(column, self.categories[name])
            else:
                matrix[:, j] = _numbers(column, name)
        return matrix

    def predict_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """Predictions for rows already encoded by :meth:`encode`."""
        if matrix.shape[0] == 0:
            return np.zeros(0, dtype=np.float64)
        with openmp_threads(self.threads):
            return np.asarray(self.model.predict(matrix), dtype=np.float64)

    def predict(self, table: pa.Table) -> np.ndarray:
        """The surrogate's prediction for every row of ``table``."""
        return self.predict_matrix(self.encode(table))


@dataclass(frozen=True)
class SurrogateFit:
    """A fitted surrogate, the importances measured on it and how well it mimics the model."""

    surrogate: Surrogate
    importances: Importances
    fidelity: float  # R² against the model's output on held-out rows; NaN if that is constant
    train_rows: int
    holdout_rows: int


def fit_surrogate(
    reference: pa.Table,
    features: Sequence[str],
    target: str,
    *,
    categorical: Collection[str] = (),
    max_rows: int = MAX_ROWS,
    holdout: float = HOLDOUT,
    max_holdout: int = MAX_HOLDOUT,
    n_repeats: int = N_REPEATS,
    max_iter: int = MAX_ITER,
    seed: int = 0,
    threads: int = 1,
) -> SurrogateFit:
    """Fit a surrogate of ``target`` (the model's score or numeric prediction) on ``reference``.

    Rows whose target is null or NaN are left out. Raises :class:`InputError` naming a missing
    column, a feature of an unusable type, a non-numeric target or too few rows.
    """
    features = list(dict.fromkeys(features))
    counts = {
        "n_repeats": n_repeats,
        "max_holdout": max_holdout,
        "max_iter": max_iter,
        "threads": threads,
    }
    _check_arguments(reference, features, target, categorical, max_rows, holdout, counts)
    rng = np.random.default_rng(seed)
    sample = sample_rows(reference.select([*features, target]), max_rows, rng)
    y = _target(sample.column(target), target)
    keep = np.isfinite(y)
    if int(keep.sum()) < MIN_ROWS:
        raise InputError(
            f"target: {int(keep.sum())} reference rows with a finite {target!r}; "
            f"a surrogate needs at least {MIN_ROWS}"
        )
    if not keep.all():
        sample, y = sample.filter(pa.array(keep)), y[keep]
    categories = _categories(sample, features, set(categorical))
    x = Surrogate(tuple(features), categories, target, None).encode(sample)
    order = rng.permutation(len(y))
    n_hold = max(1, min(max_holdout, round(holdout * len(y))))
    train, held = order[n_hold:], order[:n_hold]
    with openmp_threads(threads):
        mask = np.array([name in categories for name in features])
        model = _fit(x[train], y[train], mask, max_iter, seed)
        raw = _permutation_importance(model, x[held], y[held], n_repeats, seed)
    surrogate = Surrogate(tuple(features), categories, target, model, threads)
    importances = normalised(dict(zip(features, raw, strict=True)), "surrogate")
    fidelity = _r2(y[held], surrogate.predict_matrix(x[held]))
    return SurrogateFit(surrogate, importances, fidelity, int(train.size), int(held.size))


def _check_arguments(
    reference: pa.Table,
    features: list[str],
    target: str,
    categorical: Collection[str],
    max_rows: int,
    holdout: float,
    counts: Mapping[str, int],
) -> None:
    if not features:
        raise InputError("features: no features given for the surrogate")
    if target in features:
        raise InputError(f"features: the target {target!r} cannot also be a feature")
    stray = [c for c in categorical if c not in features]
    if stray:
        raise InputError(f"categorical: not among the features: {', '.join(stray)}")
    require_columns(reference, [*features, target], "reference")
    if max_rows < 2 * MIN_ROWS:
        raise InputError(f"max_rows: must be at least {2 * MIN_ROWS} (got {max_rows})")
    if not 0 < holdout < 1:
        raise InputError(f"holdout: must be between 0 and 1 (got {holdout})")
    for name, value in counts.items():
        if value < 1:
            raise InputError(f"{name}: must be at least 1 (got {value})")


def _target(column: pa.ChunkedArray, name: str) -> np.ndarray:
    if not is_number(column.type):
        raise InputError(
            f"target: column {name!r} must be numeric (a score or a numeric prediction), "
            f"got type {column.type}"
        )
    return as_floats(column, f"target {name}")


def _categories(
    sample: pa.Table, features: list[str], forced: set[str]
) -> Mapping[str, tuple[str, ...]]:
    """The categories kept for each categorical feature, most frequent first."""
    kept: dict[str, tuple[str, ...]] = {}
    for name in features:
        kind = sample.column(name).type
        if not (is_text(kind) or name in forced):
            if not is_number(kind):
                raise InputError(
                    f"features: column {name!r} has type {kind}, neither numeric nor categorical"
                )
            continue
        codes = category_codes(sample.column(name))
        counts = np.bincount(codes.codes, minlength=codes.null_code + 1)[: codes.null_code]
        top = np.argsort(-counts, kind="stable")[:MAX_CATEGORIES]
        kept[name] = tuple(codes.labels[i] for i in top if counts[i] > 0)
    return MappingProxyType(kept)


def _category_positions(column: pa.ChunkedArray, categories: tuple[str, ...]) -> np.ndarray:
    """Each row's position in ``categories``; NaN for nulls and categories not kept."""
    codes = category_codes(column)
    position = {label: float(i) for i, label in enumerate(categories)}
    lookup = np.array([position.get(label, np.nan) for label in codes.labels] + [np.nan])
    positions: np.ndarray = lookup[codes.codes]
    return positions


def _numbers(column: pa.ChunkedArray, name: str) -> np.ndarray:
    if not is_number(column.type):
        raise InputError(f"features: column {name!r} must be numeric, got type {column.type}")
    return as_floats(column, f"features.{name}")


@contextmanager
def openmp_threads(threads: int) -> Iterator[None]:
    """Run scikit-learn's OpenMP code on at most ``threads`` threads (raises
    :class:`WatchkeeperError` when scikit-learn is not installed)."""
    try:
        # scikit-learn's OpenMP runtime must be loaded before threadpoolctl looks for it
        import sklearn.ensemble  # noqa: F401
        from threadpoolctl import threadpool_limits
    except ImportError as err:
        raise WatchkeeperError(_NO_SKLEARN) from err
    with threadpool_limits(limits=threads, user_api="openmp"):
        yield


def _fit(x: np.ndarray, y: np.ndarray, mask: np.ndarray, max_iter: int, seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor

    model = HistGradientBoostingRegressor(
        categorical_features=mask if mask.any() else None,
        max_iter=max_iter,
        random_state=seed,
    )
    return model.fit(x, y)


def _permutation_importance(
    model: Any, x: np.ndarray, y: np.ndarray, n_repeats: int, seed: int
) -> list[float]:
    """Mean growth of the squared error when each feature is shuffled, at least 0."""
    from sklearn.inspection import permutation_importance

    result = permutation_importance(
        model, x, y, scoring="neg_mean_squared_error", n_repeats=n_repeats, random_state=seed
    )
    return [max(0.0, float(v)) for v in result.importances_mean]


def _r2(y: np.ndarray, predicted: np.ndarray) -> float:
    total = float(np.sum((y - y.mean()) ** 2)) if y.size else 0.0
    if total <= 0:
        return float("nan")
    return 1.0 - float(np.sum((y - predicted) ** 2)) / total
