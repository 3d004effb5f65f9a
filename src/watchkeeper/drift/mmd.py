"""Maximum mean discrepancy between two embedding samples, with a permutation p-value.

The statistic is the unbiased estimate of the squared MMD with a Gaussian (RBF) kernel
``exp(-|x - y|² / (2 h²))`` on the two profiles' bounded samples (at most 1000 vectors each),
the bandwidth ``h²`` being the median squared distance between vectors of the pooled sample.
The p-value is the share of ``PERMUTATIONS`` random relabellings of the pooled sample (fixed
seed) whose statistic reaches the observed one. A *p-value* test: drift when ``p < 0.05`` by
default. The pooled kernel matrix is computed once; every relabelling is an indicator vector,
so all of them cost one matrix product.

>>> import numpy as np
>>> import pyarrow as pa
>>> from watchkeeper.profiles.embedding import profile_embedding
>>> rng = np.random.default_rng(3)
>>> def column(shift):
...     vectors = rng.normal(0.0, 1.0, (500, 8)) + shift
...     return pa.chunked_array([pa.FixedSizeListArray.from_arrays(vectors.ravel(), 8)])
>>> ref = profile_embedding(column(0.0), 8)
>>> MMD(ref, profile_embedding(column(0.0), 8)).p_value > 0.05
True
>>> MMD(ref, profile_embedding(column(0.5), 8)).p_value
0.004975124378109453
"""

from __future__ import annotations

import numpy as np

from watchkeeper.drift.base import DriftTest, TestResult
from watchkeeper.profiles.embedding import EmbeddingProfile

PERMUTATIONS = 200
SEED = 20_240_602


def rbf_kernel(pooled: np.ndarray) -> np.ndarray:
    """Gaussian kernel matrix of the rows of ``pooled``, median-heuristic bandwidth."""
    norms = np.einsum("ij,ij->i", pooled, pooled)
    squared = norms[:, None] + norms[None, :] - 2.0 * (pooled @ pooled.T)
    np.maximum(squared, 0.0, out=squared)
    upper = squared[np.triu_indices(len(pooled), k=1)]
    bandwidth = float(np.median(upper)) if upper.size else 0.0
    if not bandwidth > 0:
        bandwidth = 1.0
    squared *= -0.5 / bandwidth
    kernel: np.ndarray = np.exp(squared, out=squared)
    return kernel


def mmd_squared(kernel: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Unbiased MMD² for each column of ``labels`` (1 marks the first sample's ``n`` rows).

    ``kernel`` must have a zero diagonal (the unbiased estimate leaves out self-similarity).
    """
    m = len(kernel) - n
    row_sums = kernel.sum(axis=1)
    everything = row_sums.sum()
    first = kernel @ labels  # per row: kernel mass towards the first sample
    within_first = np.einsum("ij,ij->j", labels, first)
    across = labels.T @ row_sums - within_first
    within_second = everything - 2.0 * across - within_first
    result: np.ndarray = (
        within_first / (n * (n - 1)) + within_second / (m * (m - 1)) - 2.0 * across / (n * m)
    )
    return result


def mmd(reference: EmbeddingProfile, current: EmbeddingProfile) -> TestResult:
    x, y = reference.sample, current.sample
    n, m = len(x), len(y)
    if n < 2 or m < 2 or reference.dim != current.dim:
        return TestResult(float("nan"))
    kernel = rbf_kernel(np.concatenate([x, y]))
    np.fill_diagonal(kernel, 0.0)
    rng = np.random.default_rng(SEED)
    # Column 0 is the observed split; the others are random relabellings of the pooled rows.
    order = np.argsort(rng.random((PERMUTATIONS, n + m)), axis=1)
    labels = np.zeros((n + m, PERMUTATIONS + 1))
    labels[:n, 0] = 1.0
    labels[order[:, :n], np.arange(1, PERMUTATIONS + 1)[:, None]] = 1.0
    values = mmd_squared(kernel, labels, n)
    observed = float(values[0])
    p_value = (1 + int(np.count_nonzero(values[1:] >= observed))) / (1 + PERMUTATIONS)
    return TestResult(observed, p_value)


MMD = DriftTest(
    name="mmd",
    kind="p_value",
    column_types=frozenset({"embedding"}),
    default_threshold=0.05,
    compute=mmd,
    description="Maximum mean discrepancy (RBF kernel) on embedding samples; permutation p-value",
)
