"""StatsD / DogStatsD gauges received on a real UDP socket bound to 127.0.0.1."""

from __future__ import annotations

import math
import re
import socket
from collections.abc import Iterator

import pytest
from export_helpers import full_health, sample

from watchkeeper.errors import ConfigError
from watchkeeper.export.statsd import MAX_DATAGRAM, EmitResult, StatsdEmitter

LINE = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+):(?P<value>-?[0-9.e+\-]+)\|g(?:\|#(?P<tags>.*))?$")


@pytest.fixture
def receiver() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2.0)
    yield sock
    sock.close()


def receive(sock: socket.socket, count: int) -> list[bytes]:
    return [sock.recvfrom(65535)[0] for _ in range(count)]


def parse(datagrams: list[bytes]) -> list[tuple[str, float, dict[str, str]]]:
    lines = []
    for datagram in datagrams:
        for text in datagram.decode().split("\n"):
            match = LINE.match(text)
            assert match, f"not a StatsD gauge line: {text!r}"
            tags = dict(t.split(":", 1) for t in match["tags"].split(",")) if match["tags"] else {}
            lines.append((match["name"], float(match["value"]), tags))
    return lines


def emitter_for(sock: socket.socket, **options: object) -> StatsdEmitter:
    host, port = sock.getsockname()
    return StatsdEmitter(host, port, **options)  # type: ignore[arg-type]


def test_dogstatsd_gauges_are_batched_into_datagrams_within_the_limit(
    receiver: socket.socket,
) -> None:
    samples = [sample("feature_drift", i / 1000, {"monitor": "drift", "feature": f"feature_{i}",
                                                  "test": "ks", "window": "1h"})
               for i in range(300)]
    emitter = emitter_for(receiver)
    try:
        result = emitter.emit(samples, full_health())
    finally:
        emitter.close()
    datagrams = receive(receiver, result.datagrams)
    assert result.datagrams > 10
    assert all(len(d) <= MAX_DATAGRAM for d in datagrams)
    lines = parse(datagrams)
    # a statistic and an ok verdict per feature, and the 16 readings of full_health()
    assert len(lines) == result.lines == 300 * 2 + 16
    drift = {tags["feature"]: value for name, value, tags in lines
             if name == "watchkeeper.feature_drift_statistic"}
    assert drift["feature_7"] == 0.007
    assert len(drift) == 300
    verdicts = [v for name, v, _ in lines if name == "watchkeeper.feature_drift_detected"]
    assert verdicts == [0.0] * 300
    _, _, tags = next(line for line in lines if line[0] == "watchkeeper.feature_drift_statistic")
    assert set(tags) == {"model", "monitor", "feature", "test", "window"}
    health = {(name, tags.get("kind")): value for name, value, tags in lines}
    assert health[("watchkeeper.events_accepted_total", "labels")] == 300
    assert health[("watchkeeper.store_bytes", None)] == 1_048_576


def test_plain_style_puts_labels_in_the_path_and_sends_negative_gauges_as_zero_then_value(
    receiver: socket.socket,
) -> None:
    samples = [
        sample("r2", -0.5, {"monitor": "performance"}, model="credit.eu v2"),
        sample("accuracy", 0.9, {"monitor": "performance"}),
    ]
    emitter = emitter_for(receiver, prefix="ml.wk", tags_style="plain")
    try:
        result = emitter.emit(samples)
    finally:
        emitter.close()
    assert result == EmitResult(1, 3, 0, 0, 0)
    lines = receive(receiver, 1)[0].decode().split("\n")
    assert lines == [
        "ml.wk.model_accuracy_ratio.model.credit.monitor.performance:0.9|g",
        "ml.wk.model_r2_score.model.credit_eu_v2.monitor.performance:0|g",
        "ml.wk.model_r2_score.model.credit_eu_v2.monitor.performance:-0.5|g",
    ]


def test_tag_values_cannot_break_the_line_format(receiver: socket.socket) -> None:
    model = "a|b,c#d e\nf:g/h.i"
    emitter = emitter_for(receiver)
    try:
        emitter.emit([sample("accuracy", 0.5, {"monitor": "performance"}, model=model)])
    finally:
        emitter.close()
    [(name, value, tags)] = parse(receive(receiver, 1))
    assert (name, value) == ("watchkeeper.model_accuracy_ratio", 0.5)
    assert tags == {"model": "a_b_c_d_e_f:g/h.i", "monitor": "performance"}


def test_only_the_newest_window_is_sent(receiver: socket.socket) -> None:
    samples = [sample("accuracy", v, {"monitor": "p"}, hour=h) for v, h in [(0.1, 0), (0.3, 2),
                                                                           (0.2, 1)]]
    emitter = emitter_for(receiver)
    try:
        emitter.emit(samples)
    finally:
        emitter.close()
    assert [value for _, value, _ in parse(receive(receiver, 1))] == [0.3]


class Recording:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[bytes] = []
        self.fail = fail

    def send(self, datagram: bytes) -> None:
        if self.fail:
            raise ConnectionRefusedError("nobody listens")
        self.sent.append(datagram)


def test_non_finite_and_oversized_values_are_skipped_and_counted() -> None:
    transport = Recording()
    emitter = StatsdEmitter("unused", 0, transport=transport, max_datagram=120)
    samples = [
        sample("accuracy", math.nan, {"monitor": "performance"}),
        sample("roc_auc", math.inf, {"monitor": "performance"}),
        sample("f1", 0.5, {"monitor": "performance", "segment": "x" * 200}),  # too long alone
        sample("recall", 0.25, {"monitor": "performance"}),
    ]
    result = emitter.emit(samples)
    assert result == EmitResult(1, 1, 2, 1, 0)
    assert transport.sent == [b"watchkeeper.model_recall_ratio:0.25|g|#model:credit,"
                              b"monitor:performance"]


def test_transport_errors_are_counted_never_raised() -> None:
    emitter = StatsdEmitter("unused", 0, transport=Recording(fail=True))
    result = emitter.emit([sample("accuracy", 0.5, {"monitor": "p"})])
    assert result == EmitResult(0, 0, 0, 0, 1)


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"prefix": "wk|x"}, "statsd.prefix"),  # a protocol character in the prefix
        ({"tags_style": "influx"}, "statsd.tags_style"),  # an unknown tag style
    ],
)
def test_bad_options_name_the_key(options: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as error:
        StatsdEmitter("unused", 0, transport=Recording(), **options)  # type: ignore[arg-type]
    assert error.value.key == key
