"""The built-in drift tests, registered through the same :class:`Registry` a user's test uses.

>>> "ks" in default_registry().names()
True
"""

from __future__ import annotations

from watchkeeper.drift.anderson_darling import ANDERSON_DARLING
from watchkeeper.drift.base import DriftTest, Registry
from watchkeeper.drift.chi_square import CHI_SQUARE
from watchkeeper.drift.cramer_von_mises import CRAMER_VON_MISES
from watchkeeper.drift.g_test import G_TEST
from watchkeeper.drift.hellinger import HELLINGER
from watchkeeper.drift.jensen_shannon import JENSEN_SHANNON
from watchkeeper.drift.ks import KS
from watchkeeper.drift.l_infinity import L_INFINITY
from watchkeeper.drift.mean_distance import MEAN_DISTANCE
from watchkeeper.drift.mmd import MMD
from watchkeeper.drift.psi import PSI
from watchkeeper.drift.text_descriptors import TEXT_DESCRIPTORS
from watchkeeper.drift.wasserstein import WASSERSTEIN
from watchkeeper.drift.z_test import Z_TEST

BUILTIN_TESTS: tuple[DriftTest, ...] = (
    KS,
    WASSERSTEIN,
    CHI_SQUARE,
    JENSEN_SHANNON,
    CRAMER_VON_MISES,
    ANDERSON_DARLING,
    PSI,
    HELLINGER,
    G_TEST,
    Z_TEST,
    L_INFINITY,
    TEXT_DESCRIPTORS,
    MEAN_DISTANCE,
    MMD,
)


def default_registry() -> Registry:
    """A fresh registry holding every built-in test (add your own with ``register``)."""
    return Registry(BUILTIN_TESTS)
