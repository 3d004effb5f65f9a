"""Which test decides drift for each column, and how false alarms are kept down.

The default rule (``method="default"``) asks two questions of every column and calls it
drifted only when both answers are yes:

1. **Is the change real?** A p-value test (KS for numbers, chi-square for categories, the
   descriptor KS for text, MMD for embeddings), with the p-values of all columns corrected
   for multiple testing (Holm by default, which bounds the chance of *any* false alarm in a
   report by ``alpha``; Benjamini–Hochberg on request).
2. **Is it big enough to matter?** An effect size at or above a threshold (normalised
   Wasserstein ≥ 0.1 for numbers, Jensen–Shannon distance ≥ 0.1 for categories, the largest
   descriptor Wasserstein for text, mean distance for embeddings).

At small n the p-value gate does the work (random effect sizes are large there); at large n
every p-value is tiny and the effect-size gate does it, so the same mild shift does not become
"drift" merely because more rows arrived.

``method="evidently"`` reproduces Evidently's default choice for users who migrate: with at
most 1000 reference rows KS (numeric), chi-square (categorical, > 2 categories) or the Z-test
(binary) at p < 0.05, uncorrected; above that normalised Wasserstein ≥ 0.1 (numeric) and
Jensen–Shannon ≥ 0.1 (categorical). Its chi-square is watchkeeper's two-sample test with rare
categories pooled, not Evidently's goodness-of-fit test against the reference shares, so at small
sizes it raises fewer categorical alarms than Evidently.

A test named for a column or a column type in the settings replaces either rule for it: that
single test decides at its threshold (p-value tests uncorrected).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from watchkeeper.drift.base import DriftTest, Registry, TestResult
from watchkeeper.drift.registry import default_registry
from watchkeeper.profiles.dataset import ColumnProfile, DatasetProfile
from watchkeeper.profiles.numeric import NumericProfile
from watchkeeper.schema import ColumnType

Method = Literal["default", "evidently"]
Correction = Literal["holm", "bh", "none"]

# (effect-size test, p-value test) of the default rule, per column type
DEFAULT_PAIRS: Mapping[ColumnType, tuple[str, str]] = {
    ColumnType.NUMERIC: ("wasserstein", "ks"),
    ColumnType.DATETIME: ("wasserstein", "ks"),
    ColumnType.CATEGORICAL: ("jensen_shannon", "chi_square"),
    ColumnType.BOOLEAN: ("jensen_shannon", "chi_square"),
    ColumnType.TEXT: ("text_descriptors", "text_descriptors"),
    ColumnType.EMBEDDING: ("mean_distance", "mmd"),
}
# further statistics shown beside the decision, when the test is registered
DISPLAY_TESTS: Mapping[ColumnType, tuple[str, ...]] = {
    ColumnType.NUMERIC: ("ks", "wasserstein", "psi", "jensen_shannon"),
    ColumnType.CATEGORICAL: ("chi_square", "jensen_shannon", "psi", "l_infinity"),
    ColumnType.BOOLEAN: ("chi_square", "jensen_shannon", "psi", "z_test"),
}
EVIDENTLY_SMALL_REFERENCE = 1000


@dataclass(frozen=True)
class TestChoice:
    """A test (by registry name) and, optionally, its threshold."""

    __test__ = False  # not a pytest test class

    test: str
    threshold: float | None = None


@dataclass(frozen=True)
class DriftSettings:
    """How drift is decided; every field can be set from the config's ``drift`` section."""

    method: Method = "default"
    alpha: float = 0.05
    correction: Correction = "holm"
    effect_threshold: Mapping[str, float] = field(default_factory=dict)  # per column type
    dataset_drift_share: float = 0.5
    per_type: Mapping[str, TestChoice] = field(default_factory=dict)
    per_column: Mapping[str, TestChoice] = field(default_factory=dict)
    test_datetime: bool = False


@dataclass(frozen=True)
class ColumnDrift:
    """The drift verdict on one column, with the reason for it."""

    name: str
    type: ColumnType
    test: str
    statistic: float
    threshold: float
    drift_detected: bool
    reason: str
    p_value: float | None = None  # corrected for multiple testing where the rule says so
    p_value_raw: float | None = None
    p_test: str | None = None
    statistics: Mapping[str, float] = field(default_factory=dict)
    skipped: str | None = None  # why no test ran

    @property
    def score(self) -> float:
        """How far past its threshold the deciding statistic is (for sorting)."""
        if not np.isfinite(self.statistic) or self.threshold <= 0:
            return 0.0
        return float(self.statistic / self.threshold)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "type": self.type.value,
            "test": self.test,
            "statistic": _finite_or_none(self.statistic),
            "threshold": self.threshold,
            "drift_detected": self.drift_detected,
            "reason": self.reason,
        }
        if self.p_test is not None:
            data.update(p_value=self.p_value, p_value_raw=self.p_value_raw, p_test=self.p_test)
        if self.statistics:
            data["statistics"] = {k: _finite_or_none(v) for k, v in self.statistics.items()}
        if self.skipped:
            data["skipped"] = self.skipped
        return data


@dataclass(frozen=True)
class DriftSummary:
    """Per-column verdicts and the dataset-level one."""

    columns: tuple[ColumnDrift, ...]
    dataset_drift: bool
    drifted_share: float
    settings: DriftSettings

    @property
    def drifted_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.drift_detected]

    @property
    def tested(self) -> list[ColumnDrift]:
        return [c for c in self.columns if c.skipped is None]


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def adjust_p_values(p_values: Sequence[float], correction: Correction) -> list[float]:
    """Holm (family-wise) or Benjamini–Hochberg (false discovery rate) adjusted p-values.

    >>> adjust_p_values([0.01, 0.04, 0.03], "holm")
    [0.03, 0.06, 0.06]
    >>> [round(p, 3) for p in adjust_p_values([0.01, 0.04, 0.03], "bh")]
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0 or correction == "none":
        return [float(x) for x in p]
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if correction == "holm":
        adjusted = np.maximum.accumulate(np.minimum(1.0, ranked * (m - np.arange(m))))
    else:
        scaled = ranked * m / np.arange(1, m + 1)
        adjusted = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    out = np.empty(m)
    out[order] = adjusted
    return [float(x) for x in out.round(15)]


def _usable(profile: ColumnProfile) -> bool:
    if isinstance(profile, NumericProfile):
        return profile.finite > 0
    count = getattr(profile, "present", None)
    if count is None:
        count = getattr(profile, "valid", profile.count - profile.missing)
    return bool(count is not None and count > 0)


@dataclass
class _Pending:
    """A default-rule column waiting for its corrected p-value."""

    name: str
    type: ColumnType
    effect: DriftTest
    effect_result: TestResult
    threshold: float
    p_test: DriftTest
    p_result: TestResult
    statistics: dict[str, float]


def evaluate_drift(
    reference: DatasetProfile,
    current: DatasetProfile,
    settings: DriftSettings | None = None,
    registry: Registry | None = None,
) -> DriftSummary:
    """Drift verdicts for every column present in both profiles."""
    settings = settings or DriftSettings()
    registry = registry or default_registry()
    decided: dict[str, ColumnDrift] = {}
    pending: list[_Pending] = []
    order: list[str] = []
    for column in reference.schema:
        name = column.name
        if name not in current.columns or name not in reference.columns:
            continue
        order.append(name)
        ref, cur = reference.columns[name], current.columns[name]
        kind = column.type
        skip = _skip_reason(kind, ref, cur, settings, name)
        if skip:
            decided[name] = ColumnDrift(
                name, kind, "", float("nan"), 0.0, False, skip, skipped=skip
            )
            continue
        choice = settings.per_column.get(name) or settings.per_type.get(kind.value)
        if choice is None and settings.method == "evidently":
            choice = _evidently_choice(kind, ref)
        run = _ColumnTests(registry, ref, cur)
        statistics = {
            t: run(t).statistic for t in DISPLAY_TESTS.get(kind, ()) if t in registry.names()
        }
        if choice is not None:
            decided[name] = _single_test(name, kind, choice, run, statistics)
            continue
        effect_name, p_name = DEFAULT_PAIRS[kind]
        effect, p_test = registry.get(effect_name), registry.get(p_name)
        effect_result, p_result = run(effect_name), run(p_name)
        threshold = settings.effect_threshold.get(kind.value, effect.default_threshold)
        pending.append(
            _Pending(name, kind, effect, effect_result, threshold, p_test, p_result, statistics)
        )
    adjusted = adjust_p_values([_p_or_one(p.p_result) for p in pending], settings.correction)
    for item, p_adj in zip(pending, adjusted, strict=True):
        decided[item.name] = _default_verdict(item, p_adj, settings)
    columns = tuple(decided[n] for n in order)
    tested = [c for c in columns if c.skipped is None]
    share = sum(c.drift_detected for c in tested) / len(tested) if tested else 0.0
    return DriftSummary(
        columns, bool(tested) and share >= settings.dataset_drift_share, share, settings
    )


class _ColumnTests:
    """Runs registered tests on one column pair, each at most once."""

    def __init__(self, registry: Registry, ref: ColumnProfile, cur: ColumnProfile) -> None:
        self.registry, self.ref, self.cur = registry, ref, cur
        self.results: dict[str, TestResult] = {}

    def __call__(self, name: str) -> TestResult:
        if name not in self.results:
            self.results[name] = self.registry.get(name)(self.ref, self.cur)
        return self.results[name]


def _p_or_one(result: TestResult) -> float:
    p = result.p_value
    return 1.0 if p is None or not np.isfinite(p) else p


def _default_verdict(item: _Pending, p_adj: float, settings: DriftSettings) -> ColumnDrift:
    stat = item.effect_result.statistic
    significant = p_adj < settings.alpha
    large = bool(np.isfinite(stat) and stat >= item.threshold)
    correction = {"holm": "Holm-adjusted ", "bh": "BH-adjusted ", "none": ""}[settings.correction]
    p_text = _compare(f"{correction}{item.p_test.name} p", p_adj, significant, settings.alpha, "<")
    e_text = _compare(item.effect.name, stat, large, item.threshold, "≥")
    if significant and large:
        reason = f"drift: {e_text} and {p_text}"
    elif not significant:
        reason = f"no drift: {p_text} (not enough evidence)"
    else:
        reason = f"no drift: {e_text} (real but too small to matter)"
    return ColumnDrift(
        item.name,
        item.type,
        item.effect.name,
        stat,
        item.threshold,
        significant and large,
        reason,
        p_value=p_adj,
        p_value_raw=item.p_result.p_value,
        p_test=item.p_test.name,
        statistics=item.statistics,
    )


def _compare(label: str, value: float, holds: bool, threshold: float, sign: str) -> str:
    """``"ks p=0.01 < 0.05"``: the comparison that decided, with the sign that held."""
    negated = {"<": "≥", "≥": "<"}[sign]
    is_p = label.endswith(" p")
    # a p-value of 0 is below what a double can hold
    shown = "<1e-300" if is_p and value == 0 else ("=" if is_p else " ") + f"{value:.3g}"
    return f"{label}{shown} {sign if holds else negated} {threshold:g}"


def _single_test(
    name: str,
    kind: ColumnType,
    choice: TestChoice,
    run: _ColumnTests,
    statistics: dict[str, float],
) -> ColumnDrift:
    test = run.registry.get(choice.test)
    threshold = choice.threshold if choice.threshold is not None else test.default_threshold
    result = run(test.name)
    detected = test.detected(result, threshold)
    verdict = "drift" if detected else "no drift"
    if test.kind == "p_value":
        p = result.p_value if result.p_value is not None else float("nan")
        reason = f"{verdict}: {_compare(f'{test.name} p', p, detected, threshold, '<')}"
        return ColumnDrift(
            name,
            kind,
            test.name,
            result.statistic,
            threshold,
            detected,
            reason,
            p_value=result.p_value,
            p_value_raw=result.p_value,
            p_test=test.name,
            statistics=statistics,
        )
    reason = f"{verdict}: {_compare(test.name, result.statistic, detected, threshold, '≥')}"
    return ColumnDrift(
        name, kind, test.name, result.statistic, threshold, detected, reason, statistics=statistics
    )


def _skip_reason(
    kind: ColumnType, ref: ColumnProfile, cur: ColumnProfile, settings: DriftSettings, name: str
) -> str | None:
    if kind is ColumnType.DATETIME and not (
        settings.test_datetime or name in settings.per_column or kind.value in settings.per_type
    ):
        return "datetime columns move with time; not tested for drift (set drift.test_datetime)"
    if not _usable(ref):
        return "no usable values in the reference"
    if not _usable(cur):
        return "no usable values in the current data"
    return None


def _evidently_choice(kind: ColumnType, ref: ColumnProfile) -> TestChoice | None:
    if kind not in (ColumnType.NUMERIC, ColumnType.CATEGORICAL, ColumnType.BOOLEAN):
        return None
    numeric = kind is ColumnType.NUMERIC
    rows = ref.count
    if rows <= EVIDENTLY_SMALL_REFERENCE:
        if numeric:
            return TestChoice("ks", 0.05)
        binary = getattr(ref, "distinct", 0) <= 2
        return TestChoice("z_test" if binary else "chi_square", 0.05)
    return TestChoice("wasserstein" if numeric else "jensen_shannon", 0.1)
