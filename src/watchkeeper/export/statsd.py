"""Push the newest monitor values (and the service's health) as StatsD / DogStatsD gauges.

Metric names are the Prometheus names of :mod:`watchkeeper.export.prometheus` with the prefix
as a dotted namespace (``watchkeeper.model_accuracy_ratio``). Labels become

- ``tags_style="dogstatsd"``: tags, ``watchkeeper.model_accuracy_ratio:0.93|g|#model:credit``;
- ``tags_style="plain"`` (StatsD without tags): ``.key.value`` path parts in label order,
  ``watchkeeper.model_accuracy_ratio.model.credit:0.93|g``.

Lines are packed into datagrams of at most ``max_datagram`` bytes (1432 fits a 1500-byte MTU
with IPv6 and UDP headers). Non-finite values have no StatsD form and are skipped. In plain
StatsD a signed gauge value is a delta, so a negative value is sent as ``0`` then the value,
in one datagram. Sending never raises: socket errors are counted in the result.

>>> from datetime import UTC, datetime
>>> from watchkeeper.monitors.base import MetricSample
>>> sent = []
>>> class Recorder:
...     def send(self, datagram: bytes) -> None:
...         sent.append(datagram)
>>> t0, t1 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC)
>>> emitter = StatsdEmitter("127.0.0.1", 8125, transport=Recorder())
>>> emitter.emit([MetricSample("credit", "accuracy", {"monitor": "performance"}, t0, t1, 0.93)])
EmitResult(datagrams=1, lines=1, skipped_non_finite=0, skipped_oversized=0, send_errors=0)
>>> sent
[b'watchkeeper.model_accuracy_ratio:0.93|g|#model:credit,monitor:performance']
"""

from __future__ import annotations

import math
import re
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from watchkeeper.errors import ConfigError
from watchkeeper.export.catalog import DEFAULT_MAX_SERIES, LabelPairs, cap_series, newest_series
from watchkeeper.export.health import ServiceHealth, health_readings
from watchkeeper.monitors.base import MetricSample

MAX_DATAGRAM = 1432
MAX_TAG_VALUE = 200  # Datadog truncates longer tags
_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")
_NOT_IN_TAG = re.compile(r"[^A-Za-z0-9_\-./:]")
_NOT_IN_PATH = re.compile(r"[^A-Za-z0-9_\-]")


class DatagramTransport(Protocol):
    def send(self, datagram: bytes) -> None: ...


class UdpTransport:
    """A UDP socket connected to ``host:port`` (IPv4 or IPv6)."""

    def __init__(self, host: str, port: int) -> None:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        self._socket = socket.socket(family, kind, proto)
        self._socket.connect(address)

    def send(self, datagram: bytes) -> None:
        self._socket.send(datagram)

    def close(self) -> None:
        self._socket.close()


@dataclass(frozen=True)
class EmitResult:
    datagrams: int  # datagrams handed to the transport without error
    lines: int  # metric lines in those datagrams
    skipped_non_finite: int  # NaN / infinite values
    skipped_oversized: int  # a single value whose line exceeds max_datagram
    send_errors: int  # datagrams the transport refused (their lines are lost)


class StatsdEmitter:
    def __init__(
        self,
        host: str,
        port: int,
        prefix: str = "watchkeeper",
        tags_style: Literal["dogstatsd", "plain"] = "dogstatsd",
        transport: DatagramTransport | None = None,
        *,
        max_datagram: int = MAX_DATAGRAM,
        max_series: int = DEFAULT_MAX_SERIES,
    ) -> None:
        if not _PREFIX.match(prefix):
            raise ConfigError("statsd.prefix", prefix, "letters, digits, '_' and '.' only")
        if tags_style not in ("dogstatsd", "plain"):
            raise ConfigError("statsd.tags_style", tags_style, "must be dogstatsd or plain")
        self.prefix = prefix.rstrip(".")
        self.tags_style = tags_style
        self.max_datagram = max_datagram
        self.max_series = max_series
        self._owned = transport is None
        self.transport: DatagramTransport = transport or UdpTransport(host, port)

    def emit(
        self, samples: Iterable[MetricSample], health: ServiceHealth | None = None
    ) -> EmitResult:
        """Send the newest value of every series (and the health readings) as gauges."""
        records, non_finite = self.records(samples, health)
        datagrams = lines = oversized = errors = 0
        for datagram, count in self._pack(records):
            if count == 0:
                oversized += 1
                continue
            try:
                self.transport.send(datagram)
            except OSError:
                errors += 1
                continue
            datagrams += 1
            lines += count
        return EmitResult(datagrams, lines, non_finite, oversized, errors)

    def records(
        self, samples: Iterable[MetricSample], health: ServiceHealth | None = None
    ) -> tuple[list[list[str]], int]:
        """The lines to send, grouped into records that must share a datagram."""
        values: list[tuple[str, LabelPairs, float]] = []
        kept, _ = cap_series(newest_series(samples), self.max_series)
        values.extend((series.spec.name, series.labels, series.value) for series in kept)
        if health is not None:
            values.extend((m.name, labels, value) for m, labels, value in health_readings(health))
        records: list[list[str]] = []
        non_finite = 0
        for name, labels, value in values:
            if math.isfinite(value):
                records.append(self._gauge(name, labels, value))
            else:
                non_finite += 1
        return records, non_finite

    def close(self) -> None:
        """Close the socket this emitter opened (an injected transport stays open)."""
        if self._owned and isinstance(self.transport, UdpTransport):
            self.transport.close()

    def _gauge(self, name: str, labels: LabelPairs, value: float) -> list[str]:
        metric = f"{self.prefix}.{name}"
        suffix = ""
        if self.tags_style == "plain":
            metric += "".join(f".{key}.{_NOT_IN_PATH.sub('_', v)}" for key, v in labels)
        elif labels:
            tags = (f"{key}:{_NOT_IN_TAG.sub('_', v)[:MAX_TAG_VALUE]}" for key, v in labels)
            suffix = "|#" + ",".join(tags)
        line = f"{metric}:{_number(value)}|g{suffix}"
        if self.tags_style == "plain" and value < 0:
            return [f"{metric}:0|g{suffix}", line]
        return [line]

    def _pack(self, records: list[list[str]]) -> Iterator[tuple[bytes, int]]:
        """Datagrams of whole records, each at most max_datagram bytes; (b"", 0) per oversized."""
        chunk: list[bytes] = []
        size = count = 0
        for record in records:
            encoded = [line.encode() for line in record]
            length = sum(len(line) for line in encoded) + len(encoded) - 1
            if length > self.max_datagram:
                yield b"", 0
                continue
            if chunk and size + 1 + length > self.max_datagram:
                yield b"\n".join(chunk), count
                chunk, size, count = [], 0, 0
            size += length + (1 if chunk else 0)
            chunk.extend(encoded)
            count += len(encoded)
        if chunk:
            yield b"\n".join(chunk), count


def _number(value: float) -> str:
    """Integers without a decimal point, other floats in their shortest round-trip form."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)
