"""Text drift through three row descriptors: length, token count and out-of-vocabulary share.

Each descriptor is a numeric profile on the reference's edges, compared with the
Kolmogorov–Smirnov test and the Wasserstein distance. The statistic is the largest
Wasserstein distance over the descriptors; it is a *distance* test (drift when it reaches the
threshold, 0.1 by default). Length and token count are measured in reference standard
deviations, as for numeric columns. The out-of-vocabulary share is already a unitless
proportion and is compared unscaled (the reference's own share is usually all zeros, whose
spread is no scale at all): 0.1 means a tenth of the tokens moved out of the vocabulary. The
p-value is the smallest KS p-value times three (Bonferroni over the descriptors, capped at 1),
shown for information.

>>> import pyarrow as pa
>>> from watchkeeper.profiles.text import profile_text
>>> ref = profile_text(pa.chunked_array([["the cat sat on the mat", "a dog barked"] * 200]), None)
>>> same = profile_text(pa.chunked_array([["a dog barked", "the cat sat on the mat"] * 300]), ref)
>>> new = profile_text(pa.chunked_array([["zebras graze", "an okapi hides quietly"] * 300]), ref)
>>> TEXT_DESCRIPTORS(ref, same).statistic, TEXT_DESCRIPTORS(ref, same).p_value
(0.0, 1.0)
>>> descriptor_statistics(ref, new)["oov"], TEXT_DESCRIPTORS(ref, new).p_value < 1e-10
(1.0, True)
"""

from __future__ import annotations

import math

from watchkeeper.drift._binned import both_exact
from watchkeeper.drift.base import DriftTest, TestResult
from watchkeeper.drift.ks import ks
from watchkeeper.drift.wasserstein import wasserstein, wasserstein_binned, wasserstein_exact
from watchkeeper.profiles.numeric import NumericProfile
from watchkeeper.profiles.text import DESCRIPTORS, TextProfile

UNSCALED = frozenset({"oov"})  # descriptors already on a unitless 0..1 scale


def _unscaled_wasserstein(reference: NumericProfile, current: NumericProfile) -> float:
    if reference.finite == 0 or current.finite == 0:
        return float("nan")
    if both_exact(reference, current):
        assert reference.values is not None
        assert current.values is not None
        return wasserstein_exact(reference.values, current.values)
    return wasserstein_binned(reference, current)


def descriptor_statistics(reference: TextProfile, current: TextProfile) -> dict[str, float]:
    """Wasserstein distance per descriptor (``length``, ``tokens``, ``oov``), for display."""
    distances = {}
    for name in DESCRIPTORS:
        ref, cur = getattr(reference, name), getattr(current, name)
        if name in UNSCALED:
            distances[name] = _unscaled_wasserstein(ref, cur)
        else:
            distances[name] = wasserstein(ref, cur).statistic
    return distances


def text_descriptors(reference: TextProfile, current: TextProfile) -> TestResult:
    distances = [d for d in descriptor_statistics(reference, current).values() if not math.isnan(d)]
    p_values = [
        p
        for name in DESCRIPTORS
        if (p := ks(getattr(reference, name), getattr(current, name)).p_value) is not None
    ]
    statistic = max(distances) if distances else float("nan")
    p_value = min(1.0, len(DESCRIPTORS) * min(p_values)) if p_values else None
    return TestResult(float(statistic), p_value)


TEXT_DESCRIPTORS = DriftTest(
    name="text_descriptors",
    kind="distance",
    column_types=frozenset({"text"}),
    default_threshold=0.1,
    compute=text_descriptors,
    description="Length, token count and unknown-token share of text: largest Wasserstein distance",
)
