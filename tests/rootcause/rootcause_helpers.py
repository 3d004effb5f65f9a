"""A small generated world for the root-cause tests: a model leaning on A, barely on B.

The model's score is ``3·A + 0.05·B + 0.5·[colour = "red"]``; A and B are standard normal,
``colour`` is one of red / green / blue and ``noise`` is not used at all. The current data
shift A by ``shift_a`` and B by ``shift_b`` (in standard deviations).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from watchkeeper.rootcause.drivers import FeatureDrift

FEATURES = ["a", "b", "colour", "noise"]
WEIGHT_A, WEIGHT_B, WEIGHT_RED = 3.0, 0.05, 0.5


@dataclass(frozen=True)
class World:
    reference: pa.Table
    current: pa.Table


def score(a: np.ndarray, b: np.ndarray, colour: np.ndarray) -> np.ndarray:
    return WEIGHT_A * a + WEIGHT_B * b + WEIGHT_RED * (colour == "red")


def table(rows: int, rng: np.random.Generator, shift_a: float, shift_b: float) -> pa.Table:
    a = rng.normal(shift_a, 1.0, rows)
    b = rng.normal(shift_b, 1.0, rows)
    colour = rng.choice(["red", "green", "blue"], rows)
    return pa.table(
        {
            "a": a,
            "b": b,
            "colour": pa.array(colour).dictionary_encode(),
            "noise": rng.uniform(0.0, 1.0, rows),
            "score": score(a, b, colour),
            # attributions of the linear score (coefficient × centred value), as SHAP gives them
            "shap_a": WEIGHT_A * a,
            "shap_b": WEIGHT_B * b,
            "shap_colour": WEIGHT_RED * ((colour == "red") - 1 / 3),
            "shap_noise": np.zeros(rows),
        }
    )


def world(rows: int = 3000, shift_a: float = 0.3, shift_b: float = 2.0, seed: int = 0) -> World:
    rng = np.random.default_rng(seed)
    return World(table(rows, rng, 0.0, 0.0), table(rows, rng, shift_a, shift_b))


def mean_shift_drifts(w: World, threshold: float = 0.1) -> list[FeatureDrift]:
    """A distance per feature: |difference of means| in reference standard deviations for
    numbers, the largest change of a category's share for ``colour``."""
    drifts = []
    for name in ("a", "b", "noise"):
        ref = w.reference.column(name).to_numpy()
        cur = w.current.column(name).to_numpy()
        distance = abs(cur.mean() - ref.mean()) / ref.std()
        drifts.append(FeatureDrift.distance(name, float(distance), threshold))
    ref_c = np.asarray(w.reference.column("colour").to_pylist())
    cur_c = np.asarray(w.current.column("colour").to_pylist())
    moved = max(abs((ref_c == v).mean() - (cur_c == v).mean()) for v in ("red", "green", "blue"))
    drifts.append(FeatureDrift.distance("colour", float(moved), threshold))
    return drifts
