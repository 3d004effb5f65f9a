"""Distance between the mean vectors of two embedding profiles, in reference standard deviations.

The Euclidean distance between the mean vectors is divided by the reference's typical
per-dimension standard deviation, ``sqrt(mean over dimensions of the variance)``, so the
statistic does not depend on the embedding's scale: ``0.1`` is a shift of about a tenth of a
typical standard deviation. A *distance* test: drift when the statistic reaches the threshold,
0.1 by default. There is no p-value.

Sample means are noisy, and the noise adds up over dimensions: two samples of ``n`` rows from
the same distribution have means about ``sqrt(2 * dim / n)`` standard deviations apart (0.55 for
768 dimensions and 5000 rows). The statistic therefore estimates the distance between the
*population* means: the expected squared noise, ``sum(variance) / n`` for each side, is taken off
the squared distance (floored at 0) before the square root. Computed from the exact sums, so it
sees every row, not just the sample. A reference with no spread is not normalised.

>>> import numpy as np
>>> import pyarrow as pa
>>> from watchkeeper.profiles.embedding import profile_embedding
>>> rng = np.random.default_rng(0)
>>> def column(shift):
...     vectors = rng.normal(0.0, 2.0, (20_000, 16)) + shift
...     return pa.chunked_array([pa.FixedSizeListArray.from_arrays(vectors.ravel(), 16)])
>>> ref = profile_embedding(column(0.0), 16)
>>> MEAN_DISTANCE(ref, profile_embedding(column(0.0), 16)).statistic < 0.03  # noise only
True
>>> round(MEAN_DISTANCE(ref, profile_embedding(column(0.25), 16)).statistic, 1)  # 0.125 sd x 4
0.5
"""

from __future__ import annotations

import numpy as np

from watchkeeper.drift.base import DriftTest, TestResult, in_units_of
from watchkeeper.profiles.embedding import EmbeddingProfile


def mean_distance(reference: EmbeddingProfile, current: EmbeddingProfile) -> TestResult:
    if reference.valid < 2 or current.valid == 0 or reference.dim != current.dim:
        return TestResult(float("nan"))
    ref_variance = reference.variance
    cur_variance = current.variance if current.valid > 1 else ref_variance
    squared = float(np.sum(np.square(reference.mean - current.mean)))
    noise = float(ref_variance.sum() / reference.valid + cur_variance.sum() / current.valid)
    distance = float(np.sqrt(max(squared - noise, 0.0)))
    scale = float(np.sqrt(np.mean(ref_variance))) if reference.dim else 0.0
    return TestResult(in_units_of(distance, scale))


MEAN_DISTANCE = DriftTest(
    name="mean_distance",
    kind="distance",
    column_types=frozenset({"embedding"}),
    default_threshold=0.1,
    compute=mean_distance,
    description="Euclidean distance between mean vectors in typical reference standard deviations",
)
