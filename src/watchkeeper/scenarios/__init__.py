"""Test monitors before production: run a service config over simulated or recorded traffic
on simulated time, in process, and check which alerts fire, when, and who hears of them.

- :func:`~watchkeeper.scenarios.harness.run_harness` — the harness (intake checks, a temporary
  DuckDB store, the evaluator and the alert service, recording receivers);
- :mod:`~watchkeeper.scenarios.spec` — scenario files (``watchkeeper test``);
- :mod:`~watchkeeper.scenarios.expect` — verdicts on a run;
- :mod:`~watchkeeper.scenarios.commands` — ``watchkeeper test`` and ``watchkeeper replay``.
"""

from watchkeeper.scenarios.harness import SilenceSpec, run_harness
from watchkeeper.scenarios.results import Episode, RunResult, Sent, Transition
from watchkeeper.scenarios.traffic import Columns, RecordedTraffic, SimulatedTraffic

__all__ = [
    "Columns",
    "Episode",
    "RecordedTraffic",
    "RunResult",
    "Sent",
    "SilenceSpec",
    "SimulatedTraffic",
    "Transition",
    "run_harness",
]
