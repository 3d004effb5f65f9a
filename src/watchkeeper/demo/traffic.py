"""The demo's production traffic: a credit model in five simulated days, with incidents.

Day 1 is quiet. Day 2 brings a data-quality break (06:00-12:00: income missing, utilisation in
percent) and, from 18:00, real feature drift (incomes up 40 %, a new "gig" employment type).
Over days 3-4 the world drifts away from the model (a gradual performance decay). Day 4 has a
latency spike (12:00-15:00) and the rollout of model version v2 to half the traffic; on day 5
v2's offers convert far less (a business-KPI drop attributed to v2). Labels (repaid or not)
arrive hours after each prediction; outcomes (offer accepted, interest earned) follow them.

>>> from datetime import UTC, datetime
>>> from watchkeeper.demo.model import train
>>> from watchkeeper.simulate import CreditSimulation
>>> model, _ = train(CreditSimulation(seed=1), rows=2000, seed=1)
>>> traffic = DemoTraffic(datetime(2026, 3, 1, tzinfo=UTC), model, per_hour=100)
>>> hour = traffic.hour(0)
>>> len(hour.predictions), sorted({p["model_version"] for p in hour.predictions})
(100, ['v1'])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from watchkeeper.simulate import CreditSimulation

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
DAYS = 5


@dataclass(frozen=True)
class Hour:
    start: datetime
    predictions: list[dict[str, Any]]
    labels: list[dict[str, Any]]  # each with the time it arrives (``timestamp``)
    outcomes: list[dict[str, Any]]


@dataclass
class DemoTraffic:
    start: datetime
    scorer: Callable[[dict[str, np.ndarray]], np.ndarray]
    per_hour: int = 300
    seed: int = 7
    limit: int | None = None  # stop after this many hours (default: all five days)
    sim: CreditSimulation = field(init=False)

    def __post_init__(self) -> None:
        s = self.start
        self.sim = CreditSimulation(
            seed=self.seed,
            drift_start=s + DAY + 18 * HOUR,
            decay_start=s + 2 * DAY,
            decay_ramp=2 * DAY,
            quality_break=(s + DAY + 6 * HOUR, s + DAY + 12 * HOUR),
            latency_spike=(s + 3 * DAY + 12 * HOUR, s + 3 * DAY + 15 * HOUR),
            label_delay=timedelta(hours=4),
            scorer=self.scorer,
        )
        self.rollout = s + 3 * DAY  # v2 takes half the traffic
        self.kpi_drop = s + 4 * DAY  # v2's offers stop converting

    @property
    def hours(self) -> int:
        return min(DAYS * 24, self.limit) if self.limit else DAYS * 24

    def hour(self, index: int) -> Hour:
        begin = self.start + index * HOUR
        predictions, labels = self.sim.generate(begin, begin + HOUR, self.per_hour)
        rng = np.random.default_rng([self.seed, index, 1])
        outcomes = []
        by_id = {label["id"]: label for label in labels}
        for p in predictions:
            at = datetime.fromisoformat(p["timestamp"])
            if at >= self.rollout and rng.random() < 0.5:
                p["model_version"] = "v2"
            approved = p["prediction"] < 0.5
            accept = 0.1 if p["model_version"] == "v2" and at >= self.kpi_drop else 0.4
            if approved and rng.random() < accept:
                outcomes.append(
                    {
                        "id": p["id"],
                        "name": "accepted",
                        "value": 1.0,
                        "timestamp": (at + timedelta(minutes=5)).isoformat(),
                    }
                )
                label = by_id[p["id"]]
                if label["label"] == 0:  # repaid: the interest on the loan is earned
                    amount = float(rng.lognormal(np.log(8_000), 0.5))
                    outcomes.append(
                        {
                            "id": p["id"],
                            "name": "interest",
                            "value": round(0.08 * amount, 2),
                            "timestamp": label["timestamp"],
                        }
                    )
        return Hour(begin, predictions, labels, outcomes)
