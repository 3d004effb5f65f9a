"""Detectors of the ML-monitoring libraries installed next to watchkeeper (for information).

None of them is turned on: each finding says how watchkeeper relates to it, e.g. that
``drift.method: evidently`` keeps Evidently's choice of tests during a migration.

>>> env = Environment({}, package_version={"evidently": "0.7.23"}.get)
>>> [(f.component, f.status.value) for d in DETECTORS if (f := d.detect(env, {}))]
[('evidently', 'info')]
"""

from __future__ import annotations

from collections.abc import Mapping

from watchkeeper.setup.stack import DetectFunction, Detector, Environment, Evidence, Finding, Status

# distribution -> (label, what watchkeeper offers next to it, config key it relates to)
PEERS: Mapping[str, tuple[str, str, str | None]] = {
    "evidently": (
        "Evidently",
        "drift.method: evidently reproduces Evidently's choice of drift tests while you migrate",
        "models.<name>.drift.method",
    ),
    "whylogs": (
        "whylogs",
        "watchkeeper keeps its own mergeable profiles (.wkprofile); nothing to connect",
        None,
    ),
    "nannyml": (
        "NannyML",
        "nothing to connect: watchkeeper computes performance from the labels it is sent",
        None,
    ),
    "alibi-detect": (
        "Alibi Detect",
        "nothing to connect: watchkeeper's drift tests run on its own profiles",
        None,
    ),
}


def _peer(distribution: str) -> DetectFunction:
    label, reason, key = PEERS[distribution]

    def detect(env: Environment, probes: Mapping[str, Evidence]) -> Finding | None:
        found = env.package_evidence(distribution)
        if found is None:
            return None
        return Finding(distribution, label, Status.INFO, (found,), reason, "", key)

    return detect


DETECTORS = tuple(Detector(name, _peer(name)) for name in PEERS)
