"""Simulated production traffic for a credit-scoring model, with incidents on a schedule.

Used by the end-to-end tests and the demo. Deterministic for a seed; no clock, no I/O: it
returns records (plain dicts in the HTTP API's shape) for a time range.

The model scores ``p = sigmoid(w · x)``; the true outcome follows the *true* probability, which
equals the model's until concept drift starts. Incidents:

- ``drift_start``: ``income`` shifts up by 40% (inflation) and a new ``employment`` value
  ``"gig"`` takes 15% of traffic (feature drift, prediction drift);
- ``decay_start``: the relationship changes (the true probability follows age and gig work
  instead of utilisation), so performance declines while inputs look the same (concept drift);
  with ``decay_ramp`` the share of traffic following the new relationship grows linearly from 0
  to 1 over the ramp (a gradual decline);
- ``quality_break`` (start, end): the feature pipeline breaks — 60% of ``income`` values are
  missing and ``utilisation`` arrives in percent instead of a ratio (out of range). The model
  scored the correct inputs, so predictions are unaffected; only the logged features break;
- ``latency_spike`` (start, end): serving latency is 8 times higher;
- ``outage`` (start, end): the service receives no traffic (no predictions, so no labels);
- ``label_outage`` (start, end): the label feed is down — labels that would arrive in the span
  never do.

The outages only leave records out: every other record is the same as without them.

Labels arrive ``label_delay`` after the prediction (exponentially distributed around it).

>>> from datetime import UTC, datetime, timedelta
>>> sim = CreditSimulation(seed=1)
>>> start = datetime(2026, 1, 1, tzinfo=UTC)
>>> batch = sim.predictions(start, start + timedelta(hours=1), per_hour=50)
>>> len(batch), sorted(batch[0]["features"])
(50, ['age', 'employment', 'income', 'region', 'utilisation'])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

EMPLOYMENT = ("salaried", "self-employed", "retired", "student")
EMPLOYMENT_WEIGHTS = (0.62, 0.2, 0.12, 0.06)
REGIONS = ("north", "south", "east", "west")


@dataclass(frozen=True)
class CreditSimulation:
    seed: int = 0
    drift_start: datetime | None = None
    decay_start: datetime | None = None
    label_delay: timedelta = timedelta(hours=6)
    model_version: str = "v1"
    decay_ramp: timedelta | None = None
    quality_break: tuple[datetime, datetime] | None = None
    latency_spike: tuple[datetime, datetime] | None = None
    # the deployed model's scores (default: the generating score, a perfect model of the
    # pre-drift world); the demo plugs a model it trained on generated data in here
    scorer: Callable[[dict[str, np.ndarray]], np.ndarray] | None = None
    outage: tuple[datetime, datetime] | None = None
    label_outage: tuple[datetime, datetime] | None = None

    def _rng(self, start: datetime) -> np.random.Generator:
        return np.random.default_rng([self.seed, int(start.timestamp())])

    def features(self, rng: np.random.Generator, n: int, drifted: bool) -> dict[str, np.ndarray]:
        income = rng.lognormal(10.8, 0.45, n) * (1.4 if drifted else 1.0)
        weights = np.array(EMPLOYMENT_WEIGHTS)
        kinds = list(EMPLOYMENT)
        if drifted:
            kinds.append("gig")
            weights = np.append(weights * 0.85, 0.15)
        return {
            "age": rng.normal(41, 12, n).clip(18, 90).round(),
            "income": income.round(-2),
            "utilisation": rng.beta(2, 5, n),
            "employment": rng.choice(kinds, size=n, p=weights / weights.sum()),
            "region": rng.choice(REGIONS, size=n),
        }

    @staticmethod
    def score(columns: dict[str, np.ndarray]) -> np.ndarray:
        z = (
            -1.0
            + 3.0 * columns["utilisation"]
            - 0.000012 * columns["income"]
            + 0.01 * (columns["age"] - 40)
        )
        z = z + np.where(columns["employment"] == "student", 0.8, 0.0)
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def _true_probability(
        self, columns: dict[str, np.ndarray], score: np.ndarray, decayed: bool
    ) -> np.ndarray:
        if not decayed:
            return score
        # the world moved on: default risk now follows age and gig work, not utilisation
        z = -1.2 + 2.5 * (columns["age"] - 41) / 12 + 1.2 * (columns["employment"] == "gig")
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def generate(
        self, start: datetime, end: datetime, per_hour: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Predictions in ``[start, end)`` and their labels (each with its arrival time)."""
        rng = self._rng(start)
        seconds = (end - start).total_seconds()
        n = int(per_hour * seconds / 3600)
        offsets = np.sort(rng.uniform(0, seconds, n))
        times = [start + timedelta(seconds=float(o)) for o in offsets]
        drifted = np.array([self.drift_start is not None and t >= self.drift_start for t in times])
        decayed = self._decayed(rng, times)
        base = self.features(rng, n, drifted=False)
        shifted = self.features(rng, n, drifted=True)
        columns = {k: np.where(drifted, shifted[k], base[k]) for k in base}
        generating = self.score(columns)
        score = self.scorer(columns) if self.scorer else generating
        truth = self._true_probability(columns, generating, False)
        truth = np.where(decayed, self._true_probability(columns, generating, True), truth)
        labels = rng.random(n) < truth
        delays = rng.exponential(self.label_delay.total_seconds(), n)
        latency = rng.lognormal(np.log(20), 0.3, n)
        latency = np.where(_within(times, self.latency_spike), latency * 8, latency)
        logged = self._logged(rng, times, columns)
        predictions, label_events = [], []
        for i, t in enumerate(times):
            if _inside(t, self.outage):
                continue  # the service received nothing
            record_id = f"{self.seed}-{int(start.timestamp())}-{i}"
            predictions.append(
                {
                    "id": record_id,
                    "timestamp": t.isoformat(),
                    "features": {k: _plain(v[i]) for k, v in logged.items()},
                    "prediction": round(float(score[i]), 5),
                    "latency_ms": round(float(latency[i]), 3),
                    "model_version": self.model_version,
                    "segment": {"region": str(columns["region"][i])},
                }
            )
            arrives = t + timedelta(seconds=float(delays[i]))
            if _inside(arrives, self.label_outage):
                continue  # lost by the label feed
            label_events.append(
                {"id": record_id, "label": int(labels[i]), "timestamp": arrives.isoformat()}
            )
        return predictions, label_events

    def _decayed(self, rng: np.random.Generator, times: list[datetime]) -> np.ndarray:
        """Which predictions follow the changed relationship."""
        if self.decay_start is None:
            return np.zeros(len(times), dtype=bool)
        since = np.array([(t - self.decay_start).total_seconds() for t in times])
        if self.decay_ramp is None:
            return since >= 0
        share = np.clip(since / self.decay_ramp.total_seconds(), 0, 1)
        return np.asarray(rng.random(len(times)) < share)

    def _logged(
        self, rng: np.random.Generator, times: list[datetime], columns: dict[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        """The features as the service receives them (broken during ``quality_break``)."""
        broken = _within(times, self.quality_break)
        if not broken.any():
            return columns
        income = columns["income"].astype(object)
        income[broken & (rng.random(len(times)) < 0.6)] = None
        utilisation = np.where(broken, columns["utilisation"] * 100, columns["utilisation"])
        return {**columns, "income": income, "utilisation": utilisation}

    def predictions(self, start: datetime, end: datetime, per_hour: int) -> list[dict[str, Any]]:
        return self.generate(start, end, per_hour)[0]

    def reference_table(self, rows: int) -> dict[str, Any]:
        """A reference data set (features, score and label) as columns."""
        rng = np.random.default_rng([self.seed, 0])
        columns = self.features(rng, rows, drifted=False)
        score = self.score(columns)
        out: dict[str, Any] = {k: v.tolist() for k, v in columns.items()}
        out["score"] = score.round(5).tolist()
        out["label"] = (rng.random(rows) < score).astype(int).tolist()
        return out


def _inside(moment: datetime, span: tuple[datetime, datetime] | None) -> bool:
    return span is not None and span[0] <= moment < span[1]


def _within(times: list[datetime], span: tuple[datetime, datetime] | None) -> np.ndarray:
    if span is None:
        return np.zeros(len(times), dtype=bool)
    return np.array([span[0] <= t < span[1] for t in times], dtype=bool)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value
