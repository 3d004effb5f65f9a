"""What a drift test is, and the registry built-in and user tests register through.

A drift test compares a reference column profile with a current one and returns a
:class:`TestResult`. Tests are either *p-value* tests (drift when ``p_value < threshold``) or
*distance* tests (drift when ``statistic >= threshold``). Numeric tests use the raw values when
both profiles kept them (small samples: exact) and the shared fine histogram otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from watchkeeper.errors import ConfigError

Kind = Literal["p_value", "distance"]


@dataclass(frozen=True)
class TestResult:
    """The outcome of one test on one column."""

    __test__ = False  # not a pytest test class

    statistic: float
    p_value: float | None = None


def in_units_of(distance: float, scale: float) -> float:
    """``distance`` divided by ``scale``; a scale of zero or unknown leaves it unscaled.

    >>> in_units_of(0.5, 2.0), in_units_of(0.5, 0.0), in_units_of(0.5, float("nan"))
    (0.25, 0.5, 0.5)
    """
    return distance / scale if math.isfinite(scale) and scale > 0 else distance


@dataclass(frozen=True)
class DriftTest:
    """A named two-sample test over column profiles.

    ``compute(reference, current)`` receives two profiles of the same column (numeric tests:
    :class:`~watchkeeper.profiles.numeric.NumericProfile` on the same edges; categorical tests:
    :class:`~watchkeeper.profiles.categorical.CategoricalProfile`).
    """

    name: str
    kind: Kind
    column_types: frozenset[str]
    default_threshold: float
    compute: Callable[[Any, Any], TestResult]
    description: str = ""

    def __call__(self, reference: Any, current: Any) -> TestResult:
        return self.compute(reference, current)

    def detected(self, result: TestResult, threshold: float) -> bool:
        """Whether ``result`` is drift at ``threshold``.

        >>> fixed = lambda r, c: TestResult(0.2)
        >>> t = DriftTest("demo", "distance", frozenset({"numeric"}), 0.1, fixed)
        >>> t.detected(t(None, None), 0.1), t.detected(t(None, None), 0.3)
        (True, False)
        """
        if self.kind == "p_value":
            return result.p_value is not None and result.p_value < threshold
        return result.statistic >= threshold


class Registry:
    """Drift tests by name. The built-ins are registered the same way a user's test is.

    >>> r = Registry()
    >>> zero = lambda a, b: TestResult(0.0)
    >>> r.register(DriftTest("demo", "distance", frozenset({"numeric"}), 0.1, zero))
    >>> r.names()
    ['demo']
    >>> r.get("nope")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: test: unknown drift test; known: demo (got 'nope')
    """

    def __init__(self, tests: Iterable[DriftTest] = ()) -> None:
        self._tests: dict[str, DriftTest] = {}
        for test in tests:
            self.register(test)

    def register(self, test: DriftTest) -> None:
        self._tests[test.name] = test

    def get(self, name: str) -> DriftTest:
        try:
            return self._tests[name]
        except KeyError:
            known = ", ".join(self.names())
            raise ConfigError("test", name, f"unknown drift test; known: {known}") from None

    def names(self) -> list[str]:
        return sorted(self._tests)

    def for_type(self, column_type: str) -> list[DriftTest]:
        return [t for t in self._tests.values() if column_type in t.column_types]
