"""The push exporters a service runs after each evaluation, built from ``export:`` in
``watchkeeper.yaml``. Each sink gets the samples the evaluation just wrote; a sink's failure is
kept in ``errors`` and never stops the others or the service."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from watchkeeper.export.emf import write_emf
from watchkeeper.export.otlp import OtlpExporter
from watchkeeper.export.statsd import StatsdEmitter
from watchkeeper.monitors.base import MetricSample
from watchkeeper.settings import ServiceConfig

Sink = Callable[[Sequence[MetricSample]], None]


@dataclass
class PushExporters:
    sinks: dict[str, Sink] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in self.closers:
            close()

    def push(self, samples: Sequence[MetricSample]) -> None:
        if not samples:
            return
        for name, sink in self.sinks.items():
            try:
                sink(samples)
                self.errors.pop(name, None)
            except Exception as exc:  # one sink's outage must not stop the others
                self.errors[name] = f"{type(exc).__name__}: {exc}"


def push_exporters(config: ServiceConfig) -> PushExporters:
    """The sinks configured under ``export:``.

    >>> from watchkeeper.settings import parse_service_config
    >>> exporters = push_exporters(parse_service_config({"export": {"statsd": {}}}))
    >>> sorted(exporters.sinks)
    ['statsd']
    >>> exporters.close()
    """
    sinks: dict[str, Sink] = {}
    closers: list[Callable[[], None]] = []
    section = config.export
    if section.statsd is not None:
        target = section.statsd
        emitter = StatsdEmitter(target.host, target.port, target.prefix, target.tags_style)
        sinks["statsd"] = lambda samples: _ignore(emitter.emit(samples))
        closers.append(emitter.close)
    if section.otlp is not None:
        headers = {k: os.environ.get(v, "") for k, v in section.otlp.headers_env.items()}
        exporter = OtlpExporter(section.otlp.endpoint, headers=headers)

        def send_otlp(samples: Sequence[MetricSample]) -> None:
            if not exporter.send(samples):
                raise ConnectionError(exporter.last_error or "OTLP export failed")

        sinks["otlp"] = send_otlp
    if section.emf is not None:
        path = config.path(section.emf.path)

        def append_emf(samples: Sequence[MetricSample]) -> None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as handle:
                write_emf(samples, handle)

        sinks["emf"] = append_emf
    return PushExporters(sinks, closers=closers)


def _ignore(_: object) -> None:
    return None
