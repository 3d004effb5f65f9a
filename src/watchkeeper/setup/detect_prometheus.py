"""Detectors of the Prometheus family: Prometheus, Alertmanager and Grafana.

Prometheus needs nothing in ``watchkeeper.yaml`` (it scrapes ``/metrics``); an Alertmanager
becomes a receiver every alert is forwarded to, when its address is known: from
``ALERTMANAGER_URL``, from the ``alerting.alertmanagers`` of a local ``prometheus.yml``, from a
probe, or the default port when its server config is on this machine. Grafana is reported;
it reads the series through Prometheus.

>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> (root / "etc/prometheus").mkdir(parents=True)
>>> _ = (root / "etc/prometheus/prometheus.yml").write_text(
...     "alerting:\\n  alertmanagers:\\n    - static_configs:\\n        - targets: ['am:9093']\\n")
>>> found = detect_alertmanager(Environment({}, root), {})
>>> found.status.value, found.settings["url"]
('on', 'http://am:9093')
>>> found.evidence[0].describe()
'file /etc/prometheus/prometheus.yml (alertmanagers: am:9093)'
"""

from __future__ import annotations

import configparser
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from watchkeeper.setup.probe import probe_base
from watchkeeper.setup.stack import (
    Detector,
    Environment,
    Evidence,
    Finding,
    Status,
    safe_url,
)

PROMETHEUS_CONFIG = "/etc/prometheus/prometheus.yml"
ALERTMANAGER_CONFIGS = ("/etc/alertmanager/alertmanager.yml", "/etc/prometheus/alertmanager.yml")
GRAFANA_CONFIG = "/etc/grafana/grafana.ini"
# Grafana variables whose values are shown; every other GF_* is reported as set only
_GRAFANA_SHOWN = ("GF_SERVER_ROOT_URL", "GF_SERVER_HTTP_PORT", "GF_SERVER_DOMAIN")


def _present(*items: Evidence | None) -> tuple[Evidence, ...]:
    return tuple(e for e in items if e is not None)


def detect_prometheus(env: Environment, probes: Mapping[str, Evidence]) -> Finding | None:
    evidence = _present(
        env.evidence("PROMETHEUS_URL", url=True),
        env.file_evidence(PROMETHEUS_CONFIG),
        env.binary_evidence("prometheus"),
        probes.get("prometheus"),
    )
    if not evidence:
        return None
    url = env.var("PROMETHEUS_URL")
    settings = {"url": safe_url(url)} if url else {}
    if not url and "prometheus" in probes:
        settings["url"] = probe_base(probes["prometheus"])
    return Finding(
        "prometheus",
        "Prometheus",
        Status.AVAILABLE,
        evidence,
        "watchkeeper always serves /metrics (the watchkeeper_* series); add a scrape job for "
        "it to prometheus.yml (init prints one)",
        integration="scrape GET /metrics",
        settings=settings,
    )


def prometheus_alertmanagers(path: Path) -> list[str]:
    """The Alertmanager URLs a ``prometheus.yml`` sends its alerts to (static targets)."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    urls: list[str] = []
    alerting = data.get("alerting") if isinstance(data, dict) else None
    managers = alerting.get("alertmanagers") if isinstance(alerting, dict) else None
    for manager in managers if isinstance(managers, list) else []:
        if not isinstance(manager, dict):
            continue
        scheme = str(manager.get("scheme", "http"))
        prefix = str(manager.get("path_prefix", "")).rstrip("/")
        for static in manager.get("static_configs") or []:
            targets = static.get("targets") if isinstance(static, dict) else None
            for target in targets if isinstance(targets, list) else []:
                urls.append(f"{scheme}://{target}{prefix}")
    return urls


def detect_alertmanager(env: Environment, probes: Mapping[str, Evidence]) -> Finding | None:
    prometheus_yml = env.file(PROMETHEUS_CONFIG)
    targets = prometheus_alertmanagers(prometheus_yml) if prometheus_yml else []
    listed = (
        Evidence("file", PROMETHEUS_CONFIG, "alertmanagers: " + ", ".join(_hosts(targets)))
        if targets
        else None
    )
    configs = [e for e in (env.file_evidence(p) for p in ALERTMANAGER_CONFIGS) if e is not None]
    evidence = _present(
        env.evidence("ALERTMANAGER_URL", url=True),
        listed,
        *configs,
        env.binary_evidence("alertmanager", "prometheus-alertmanager"),
        env.binary_evidence("amtool"),
        probes.get("alertmanager"),
    )
    if not evidence:
        return None
    url, why = _alertmanager_url(env, targets, probes, bool(configs))
    if url is None:
        return Finding(
            "alertmanager",
            "Alertmanager",
            Status.INCOMPLETE,
            evidence,
            "no Alertmanager address known (only its tools are installed): set ALERTMANAGER_URL",
            integration="forward alerts to Alertmanager",
            config_key="alerting.receivers.alertmanager",
        )
    return Finding(
        "alertmanager",
        "Alertmanager",
        Status.ON,
        evidence,
        f"every alert is also forwarded to {url} ({why}), so its routes, silences and "
        "inhibitions apply",
        integration="alertmanager receiver",
        config_key="alerting.receivers.alertmanager",
        settings={"url": url},
    )


def _hosts(urls: list[str]) -> list[str]:
    return [u.split("://", 1)[-1] for u in urls]


def _alertmanager_url(
    env: Environment, targets: list[str], probes: Mapping[str, Evidence], local_config: bool
) -> tuple[str | None, str]:
    given = env.var("ALERTMANAGER_URL")
    if given:
        return safe_url(given).rstrip("/"), "ALERTMANAGER_URL"
    if targets:
        return safe_url(targets[0]).rstrip("/"), f"the first Alertmanager of {PROMETHEUS_CONFIG}"
    if "alertmanager" in probes:
        return probe_base(probes["alertmanager"]), "it answered on its default port"
    if local_config:
        return "http://127.0.0.1:9093", "its config is on this machine: the default port"
    return None, ""


def detect_grafana(env: Environment, probes: Mapping[str, Evidence]) -> Finding | None:
    variables = sorted(name for name in env.variables if name.startswith("GF_") and env.var(name))
    shown = [
        env.evidence(n, url=n.endswith("_URL"), secret=n not in _GRAFANA_SHOWN) for n in variables
    ]
    ini = env.file(GRAFANA_CONFIG)
    port = _grafana_ini_port(ini) if ini else None
    evidence = _present(
        env.evidence("GRAFANA_URL", url=True),
        *shown,
        Evidence("file", GRAFANA_CONFIG, f"http_port {port}" if port else "") if ini else None,
        env.binary_evidence("grafana-server", "grafana"),
        probes.get("grafana"),
    )
    if not evidence:
        return None
    url = env.var("GRAFANA_URL") or env.var("GF_SERVER_ROOT_URL")
    settings = {"url": safe_url(url)} if url else {}
    if not url and "grafana" in probes:
        settings["url"] = probe_base(probes["grafana"])
    return Finding(
        "grafana",
        "Grafana",
        Status.INFO,
        evidence,
        "nothing to turn on in watchkeeper.yaml: chart the watchkeeper_* series through a "
        "Prometheus data source",
        integration="",
        settings=settings,
    )


def _grafana_ini_port(path: Path) -> str | None:
    parser = configparser.ConfigParser(
        interpolation=None, strict=False, inline_comment_prefixes=(";", "#")
    )
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    return parser.get("server", "http_port", fallback=None) or None


DETECTORS = (
    Detector("prometheus", detect_prometheus),
    Detector("alertmanager", detect_alertmanager),
    Detector("grafana", detect_grafana),
)
