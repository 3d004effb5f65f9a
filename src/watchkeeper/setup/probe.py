"""``detect --probe``: ask the default loopback ports whether a stack component answers.

Only 127.0.0.1 is ever contacted, with a short timeout and without proxies. A probe counts as
evidence only when the answer is one the component gives (Prometheus and Alertmanager answer
``/-/ready`` with 200, or 503 while starting; Grafana ``/api/health`` with 200; an OTLP/HTTP
receiver answers a GET of ``/v1/metrics`` with 405 or a 4xx, since it expects POSTs).

>>> answers = {"http://127.0.0.1:9093/-/ready": 200, "http://127.0.0.1:3000/api/health": 404}
>>> found = run_probes(answers.get)
>>> sorted(found), found["alertmanager"].describe()
(['alertmanager'], 'probe http://127.0.0.1:9093/-/ready answered 200')
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from watchkeeper.setup.stack import Evidence, Probe

TIMEOUT_SECONDS = 0.5
LOOPBACK = ("127.0.0.1", "::1", "localhost")
# component -> (URL, HTTP statuses that mean "this is it")
PROBES: Mapping[str, tuple[str, frozenset[int]]] = {
    "prometheus": ("http://127.0.0.1:9090/-/ready", frozenset({200, 503})),
    "alertmanager": ("http://127.0.0.1:9093/-/ready", frozenset({200, 503})),
    "grafana": ("http://127.0.0.1:3000/api/health", frozenset({200})),
    "otlp": ("http://127.0.0.1:4318/v1/metrics", frozenset({200, 400, 405, 415})),
}


def run_probes(
    probe: Probe, targets: Mapping[str, tuple[str, frozenset[int]]] = PROBES
) -> dict[str, Evidence]:
    """The components whose default port gave one of their answers."""
    found: dict[str, Evidence] = {}
    for component, (url, expected) in targets.items():
        status = probe(url)
        if status is not None and status in expected:
            found[component] = Evidence("probe", url, str(status))
    return found


def loopback_probe(url: str, timeout: float = TIMEOUT_SECONDS) -> int | None:
    """GET ``url`` (loopback only) and return the status; None when nothing answers in time."""
    import httpx

    if urlsplit(url).hostname not in LOOPBACK:
        raise ValueError(f"probes only contact the loopback interface, not {url}")
    try:
        with httpx.Client(timeout=timeout, trust_env=False) as client:
            return client.get(url).status_code
    except httpx.HTTPError:
        return None


def probe_base(evidence: Evidence) -> str:
    """``http://127.0.0.1:9093`` of a probe's evidence.

    >>> probe_base(Evidence("probe", "http://127.0.0.1:9093/-/ready", "200"))
    'http://127.0.0.1:9093'
    """
    parts = urlsplit(evidence.name)
    return f"{parts.scheme}://{parts.netloc}"
