"""What monitoring stack runs around watchkeeper, found from an injected environment.

Detection is a pure function of an :class:`Environment`: the environment variables, a
filesystem root (config files and binaries on ``PATH`` are looked up under it), a function
giving an installed package's version, and an optional probe that GETs a loopback URL. Tests
pass fakes; the CLI passes :func:`system_environment`. Each detector returns one
:class:`Finding` that carries its evidence and the reason for what watchkeeper will do with it
(turn an integration on, nothing to configure, or what is missing). Secret values never enter a
finding: a variable whose name looks secret is recorded as *set*, URLs lose their credentials
and query strings.

>>> env = Environment({"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/XYZ",
...                    "PROMETHEUS_URL": "http://user:pw@prom:9090/?token=abc"},
...                   root=Path("/nonexistent"), package_version=lambda name: None)
>>> stack = detect_stack(env)
>>> [(f.component, f.status.value) for f in stack.findings]
[('prometheus', 'available'), ('slack', 'on')]
>>> [e.describe() for e in stack.get("slack").evidence]
['env SLACK_WEBHOOK_URL (set)']
>>> stack.get("prometheus").evidence[0].describe()
'env PROMETHEUS_URL=http://prom:9090/'
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

Source = Literal["env", "file", "binary", "package", "probe"]
Probe = Callable[[str], "int | None"]  # GET a loopback URL -> HTTP status, None: no answer
SET = "set"
# names that hold secrets whatever the detector thinks: their values are never shown
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS$|WEBHOOK|HEADERS|CREDENTIAL|AUTH")
# Python distributions detection looks for (peers and client libraries)
PACKAGES = (
    "evidently",
    "whylogs",
    "nannyml",
    "alibi-detect",
    "prometheus-client",
    "datadog",
    "opentelemetry-sdk",
    "boto3",
)


class Status(StrEnum):
    """What watchkeeper does with a component it found."""

    ON = "on"  # `watchkeeper init` turns an integration on for it
    AVAILABLE = "available"  # usable without a key in watchkeeper.yaml (e.g. scraping /metrics)
    INCOMPLETE = "incomplete"  # found, but something needed is missing (the reason says what)
    INFO = "info"  # worth knowing, nothing to turn on


@dataclass(frozen=True)
class Evidence:
    """One observation: a variable, a file, a binary, a package or a probe answer."""

    source: Source
    name: str  # variable name, path, binary path, distribution name or probed URL
    shown: str = ""  # a value safe to print: a URL without credentials, a version, "set"

    def describe(self) -> str:
        """``env PROMETHEUS_URL=http://prom:9090``, ``env DD_API_KEY (set)``, ...

        >>> Evidence("probe", "http://127.0.0.1:9090/-/ready", "200").describe()
        'probe http://127.0.0.1:9090/-/ready answered 200'
        """
        if self.source == "env":
            return (
                f"env {self.name} (set)" if self.shown == SET else f"env {self.name}={self.shown}"
            )
        if self.source == "probe":
            return f"probe {self.name} answered {self.shown}"
        if self.source == "package":
            return f"package {self.name} {self.shown}".rstrip()
        extra = f" ({self.shown})" if self.shown else ""
        return f"{self.source} {self.name}{extra}"

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "name": self.name, "value": self.shown}


@dataclass(frozen=True)
class Finding:
    """A component found, the evidence, and what watchkeeper will do with it and why.

    ``settings`` holds the non-secret values ``init`` writes (URLs, hosts, ports, and the
    *names* of the environment variables holding secrets).
    """

    component: str
    label: str
    status: Status
    evidence: tuple[Evidence, ...]
    reason: str
    integration: str = ""  # what watchkeeper turns on or offers ("" when nothing)
    config_key: str | None = None  # where it goes in watchkeeper.yaml
    settings: Mapping[str, str] = field(default_factory=dict)

    @property
    def on(self) -> bool:
        return self.status is Status.ON

    def to_dict(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "label": self.label,
            "status": self.status.value,
            "integration": self.integration,
            "config_key": self.config_key,
            "reason": self.reason,
            "evidence": [e.to_dict() for e in self.evidence],
            "found_how": [e.describe() for e in self.evidence],
            "settings": dict(self.settings),
        }


@dataclass(frozen=True)
class Stack:
    """Everything detection found; ``missing`` lists the components looked for in vain."""

    findings: tuple[Finding, ...]
    missing: tuple[str, ...] = ()
    packages: Mapping[str, str] = field(default_factory=dict)  # distribution -> version
    probed: bool = False

    def get(self, component: str) -> Finding | None:
        return next((f for f in self.findings if f.component == component), None)

    def on(self, component: str) -> Finding | None:
        """The finding of ``component`` if init turns its integration on."""
        found = self.get(component)
        return found if found is not None and found.on else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "probed": self.probed,
            "findings": [f.to_dict() for f in self.findings],
            "missing": list(self.missing),
            "packages": dict(self.packages),
        }


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution``, None when it is not installed."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


@dataclass(frozen=True)
class Environment:
    """The world detection looks at; every piece is injectable."""

    variables: Mapping[str, str]
    root: Path = Path("/")
    package_version: Callable[[str], str | None] = installed_version
    probe: Probe | None = None  # None: no network at all

    def var(self, name: str) -> str | None:
        """The variable's value, None when unset or blank."""
        value = self.variables.get(name, "").strip()
        return value or None

    def evidence(self, name: str, *, secret: bool = False, url: bool = False) -> Evidence | None:
        """Evidence of variable ``name`` if set; its value shown only when it is no secret."""
        value = self.var(name)
        if value is None:
            return None
        if secret or _SECRET_NAME.search(name):
            return Evidence("env", name, SET)
        return Evidence("env", name, safe_url(value) if url else value)

    def file(self, path: str) -> Path | None:
        """``path`` (absolute, as on the real system) under the root, if it is a file."""
        candidate = self.root / path.lstrip("/")
        return candidate if candidate.is_file() else None

    def which(self, name: str) -> Path | None:
        """The executable ``name`` on the environment's ``PATH``, under the root."""
        for directory in (self.var("PATH") or "").split(os.pathsep):
            if not directory:
                continue
            candidate = self.root / directory.lstrip("/") / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
        return None

    def shown_path(self, path: Path) -> str:
        """``path`` as it is on the system the root stands for."""
        try:
            return "/" + path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def file_evidence(self, path: str) -> Evidence | None:
        return Evidence("file", path) if self.file(path) else None

    def binary_evidence(self, *names: str) -> Evidence | None:
        for name in names:
            found = self.which(name)
            if found is not None:
                return Evidence("binary", self.shown_path(found))
        return None

    def package_evidence(self, distribution: str) -> Evidence | None:
        version = self.package_version(distribution)
        return None if version is None else Evidence("package", distribution, version)


def system_environment(probe: bool = False) -> Environment:
    """The real process environment, filesystem and packages (and loopback probes if asked)."""
    from watchkeeper.setup.probe import loopback_probe

    return Environment(
        dict(os.environ), Path("/"), installed_version, loopback_probe if probe else None
    )


def safe_url(value: str) -> str:
    """``value`` without user, password, query or fragment (they may hold credentials).

    >>> safe_url("https://user:secret@otlp.example.com:4318/v1/metrics?api_key=abc")
    'https://otlp.example.com:4318/v1/metrics'
    >>> safe_url("not a url")
    'not a url'
    """
    try:
        parts = urlsplit(value)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return "(set, not a URL)"
    if not parts.scheme or host is None:
        return "(set)" if "@" in value else value
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


# A detector: the finding of one component, or None when there is no trace of it.
DetectFunction = Callable[[Environment, Mapping[str, Evidence]], Finding | None]


@dataclass(frozen=True)
class Detector:
    component: str
    detect: DetectFunction


def detect_stack(environment: Environment, detectors: Sequence[Detector] | None = None) -> Stack:
    """Run every detector (default: :func:`default_detectors`) over ``environment``."""
    from watchkeeper.setup.probe import run_probes

    chosen = default_detectors() if detectors is None else detectors
    probes = run_probes(environment.probe) if environment.probe is not None else {}
    findings: list[Finding] = []
    missing: list[str] = []
    for detector in chosen:
        found = detector.detect(environment, probes)
        if found is None:
            missing.append(detector.component)
        else:
            findings.append(found)
    packages = {
        name: version
        for name in PACKAGES
        if (version := environment.package_version(name)) is not None
    }
    return Stack(
        _one_statsd_target(tuple(findings)),
        tuple(missing),
        packages,
        probed=environment.probe is not None,
    )


def _one_statsd_target(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """There is one ``export.statsd``: a Datadog agent found takes it from a plain StatsD."""
    if not any(f.component == "datadog" and f.on for f in findings):
        return findings
    return tuple(
        replace(
            f,
            status=Status.INFO,
            reason="export.statsd goes to the Datadog agent found (one StatsD target)",
        )
        if f.component == "statsd" and f.on
        else f
        for f in findings
    )


def default_detectors() -> list[Detector]:
    """The built-in detectors, in the order findings are reported (a new list each call)."""
    from watchkeeper.setup import (
        detect_exporters,
        detect_notify,
        detect_peers,
        detect_prometheus,
    )

    return [
        *detect_prometheus.DETECTORS,
        *detect_exporters.DETECTORS,
        *detect_notify.DETECTORS,
        *detect_peers.DETECTORS,
    ]
