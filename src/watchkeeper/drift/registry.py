"""The built-in drift tests, registered through the same :class:`Registry` a user's test uses.

>>> "ks" in default_registry().names()
True
"""

from __future__ import annotations

from watchkeeper.drift.base import DriftTest, Registry
from watchkeeper.drift.chi_square import CHI_SQUARE
from watchkeeper.drift.jensen_shannon import JENSEN_SHANNON
from watchkeeper.drift.ks import KS
from watchkeeper.drift.wasserstein import WASSERSTEIN

BUILTIN_TESTS: tuple[DriftTest, ...] = (
    KS,
    WASSERSTEIN,
    CHI_SQUARE,
    JENSEN_SHANNON,
)


def default_registry() -> Registry:
    """A fresh registry holding every built-in test (add your own with ``register``)."""
    return Registry(BUILTIN_TESTS)
