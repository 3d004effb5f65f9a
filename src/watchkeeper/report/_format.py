"""Number formatting shared by the HTML and Markdown renderers.

>>> num(1234.5678), num(0.012345), num(2.0), num(None), num(float("nan"))
('1,235', '0.0123', '2', '–', '–')
>>> p_value(1.234e-7), p_value(0.0412), p_value(0.0), p_value(None)
('1.2e-07', '0.0412', '< 1e-300', '–')
>>> percent(0.1234), percent(0.00042), percent(0.0), percent(1.0)
('12.3%', '0.042%', '0%', '100%')
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from watchkeeper.drift.multivariate import MultivariateResult
from watchkeeper.drift.selection import DriftSettings

DASH = "–"
_CORRECTION = {
    "holm": "Holm correction",
    "bh": "Benjamini–Hochberg correction",
    "none": "no correction",
}


def num(value: float | None) -> str:
    """Three significant digits; thousands separators from 1,000 to a million.

    >>> num(-0.000012345), num(3.2e9), num(float("inf"))
    ('-1.23e-05', '3.2e+09', '∞')
    """
    if value is None or math.isnan(value):
        return DASH
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    magnitude = abs(value)
    if 1000 <= magnitude < 1e6:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def p_value(value: float | None) -> str:
    """Two significant digits in scientific notation below 0.001, else three digits."""
    if value is None or math.isnan(value):
        return DASH
    if value == 0:
        return "< 1e-300"
    if value < 1e-3:
        return f"{value:.1e}"
    return f"{value:.3g}"


def percent(share: float | None) -> str:
    """A share in [0, 1] as a percentage with one decimal (no decimals at 0 and 100%).

    >>> percent(0.99999), percent(0.5), percent(0.000001)
    ('> 99.9%', '50.0%', '< 0.001%')
    """
    if share is None or math.isnan(share):
        return DASH
    if share == 0 or share == 1:
        return f"{share:.0%}"
    if share < 1e-5:
        return "< 0.001%"
    if share < 0.001:
        return f"{share * 100:.2g}%"
    if share > 0.999:
        return "> 99.9%"
    return f"{share:.1%}"


def rows(n: int) -> str:
    """A row count with thousands separators.

    >>> rows(1234567)
    '1,234,567'
    """
    return f"{n:,}"


def share(part: float, whole: float) -> float | None:
    """``part / whole`` for display, None when there is no whole."""
    return part / whole if whole else None


def timestamp(seconds: float, span: float) -> str:
    """Seconds since the epoch as a UTC date, with the time of day when ``span`` is short.

    >>> timestamp(86400.0 * 365, 86400.0 * 30), timestamp(3600.0, 7200.0)
    ('1971-01-01', '01-01 01:00')
    """
    if not math.isfinite(seconds):
        return num(seconds)
    try:
        moment = datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return num(seconds)
    return moment.strftime("%Y-%m-%d" if span > 2 * 86400 else "%m-%d %H:%M")


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut.

    >>> clip("abcdef", 4), clip("abc", 4)
    ('abc…', 'abc')
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def decision_rule(settings: DriftSettings) -> str:
    """The drift decision rule in one line.

    >>> decision_rule(DriftSettings())
    'method default, alpha 0.05, Holm correction; dataset drift when ≥ 50% of tested columns drift'
    """
    correction = _CORRECTION.get(settings.correction, settings.correction)
    return (
        f"method {settings.method}, alpha {settings.alpha:g}, {correction}; dataset drift when "
        f"≥ {settings.dataset_drift_share:.0%} of tested columns drift"
    )


def multivariate_line(result: MultivariateResult) -> str:
    """One multivariate test's verdict in one line.

    >>> from watchkeeper.drift.multivariate.pca_reconstruction import PcaResult
    >>> detail = PcaResult(1.4, 0.9, 1.1, True, 3, 0.7, 500, 400, 400, "")
    >>> print(multivariate_line(MultivariateResult("pca", 1.4, 0.9, 1.1, True, 1000, 400, "",
    ...                                            detail)))
    Multivariate drift (PCA reconstruction error): 1.4, outside 0.9–1.1 — drift
    """
    name = _JOINT_NAMES.get(result.method, result.method)
    verdict = "drift" if result.drift_detected else "no drift"
    if result.note and not math.isfinite(result.statistic):
        return f"Multivariate drift ({name}): not tested — {result.note}"
    if result.lower is None:
        return (
            f"Multivariate drift ({name}): {result.statistic:.3g}, threshold "
            f"{result.upper:.3g} — {verdict}"
        )
    place = "outside" if result.drift_detected else "within"
    return (
        f"Multivariate drift ({name}): {result.statistic:.3g}, {place} "
        f"{result.lower:.3g}–{result.upper:.3g} — {verdict}"
    )


_JOINT_NAMES = {"pca": "PCA reconstruction error", "domain_classifier": "domain classifier AUC"}
