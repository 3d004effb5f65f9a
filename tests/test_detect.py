"""`watchkeeper detect`: the stack found in fake environments (variables, a temp filesystem
root, a package list, a probe), the JSON shape, and that no secret value is ever printed."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from watchkeeper.cli import main
from watchkeeper.setup import stack as stack_module
from watchkeeper.setup.probe import PROBES, loopback_probe, run_probes
from watchkeeper.setup.render import print_table, render_json
from watchkeeper.setup.stack import Environment, Stack, Status, detect_stack

PROMETHEUS_YML = """
global: {scrape_interval: 15s}
alerting:
  alertmanagers:
    - scheme: http
      static_configs:
        - targets: ["am.internal:9093"]
"""
GRAFANA_INI = "[server]\n;http_port = 3000\nhttp_port = 3300\n"


def make_env(
    root: Path,
    variables: Mapping[str, str] = {},
    files: Mapping[str, str] = {},
    binaries: tuple[str, ...] = (),
    packages: Mapping[str, str] = {},
    answers: Mapping[str, int] | None = None,
) -> Environment:
    """A fresh fake world: files and executables under ``root``, PATH=/usr/bin."""
    for path, text in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    for name in binaries:
        target = root / "usr/bin" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("#!/bin/sh\n")
        target.chmod(0o755)
    probe = None if answers is None else answers.get
    return Environment({"PATH": "/usr/bin", **variables}, root, dict(packages).get, probe)


@dataclass(frozen=True)
class Case:
    """One fake world and what detection must conclude about one component in it."""

    id: str
    component: str
    status: Status
    env: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)
    binaries: tuple[str, ...] = ()
    packages: Mapping[str, str] = field(default_factory=dict)
    answers: Mapping[str, int] | None = None  # probe answers by URL; None: no probing
    settings: Mapping[str, str] = field(default_factory=dict)  # expected subset


AM_YML = {"/etc/alertmanager/alertmanager.yml": "route: {}\n"}
CASES = [
    # a Prometheus URL in the environment: it scrapes /metrics, nothing to turn on
    Case("prom-env", "prometheus", Status.AVAILABLE, env={"PROMETHEUS_URL": "http://prom:9090"},
         settings={"url": "http://prom:9090"}),
    # only the binary on PATH
    Case("prom-binary", "prometheus", Status.AVAILABLE, binaries=("prometheus",)),
    # prometheus.yml names its Alertmanager: that address is used
    Case("am-from-prometheus-yml", "alertmanager", Status.ON,
         files={"/etc/prometheus/prometheus.yml": PROMETHEUS_YML},
         settings={"url": "http://am.internal:9093"}),
    # ALERTMANAGER_URL wins over prometheus.yml
    Case("am-env-wins", "alertmanager", Status.ON, env={"ALERTMANAGER_URL": "http://am.env:9093/"},
         files={"/etc/prometheus/prometheus.yml": PROMETHEUS_YML},
         settings={"url": "http://am.env:9093"}),
    # the server's config on this machine: its default port
    Case("am-local-config", "alertmanager", Status.ON, files=AM_YML,
         settings={"url": "http://127.0.0.1:9093"}),
    # the Debian layout keeps it under /etc/prometheus
    Case("am-debian-config", "alertmanager", Status.ON,
         files={"/etc/prometheus/alertmanager.yml": "route: {}\n"},
         settings={"url": "http://127.0.0.1:9093"}),
    # amtool alone: no address known
    Case("am-amtool-only", "alertmanager", Status.INCOMPLETE, binaries=("amtool",)),
    # a probe answer on the default port
    Case("am-probe", "alertmanager", Status.ON, answers={"http://127.0.0.1:9093/-/ready": 200},
         settings={"url": "http://127.0.0.1:9093"}),
    # grafana.ini: found, nothing to turn on
    Case("grafana-ini", "grafana", Status.INFO, files={"/etc/grafana/grafana.ini": GRAFANA_INI}),
    # GF_* variables and GRAFANA_URL
    Case("grafana-env", "grafana", Status.INFO,
         env={"GRAFANA_URL": "http://grafana:3000", "GF_SERVER_HTTP_PORT": "3000"},
         settings={"url": "http://grafana:3000"}),
    # plain StatsD
    Case("statsd", "statsd", Status.ON, env={"STATSD_HOST": "stats", "STATSD_PORT": "9125"},
         settings={"host": "stats", "port": "9125", "tags_style": "plain"}),
    # a StatsD port that is not a number
    Case("statsd-bad-port", "statsd", Status.INCOMPLETE, env={"STATSD_PORT": "eighty"}),
    # a Datadog API key but no agent: nothing to send DogStatsD to
    Case("dd-key-only", "datadog", Status.INCOMPLETE, env={"DD_API_KEY": "k"}),
    # the agent's host and port
    Case("dd-agent-host", "datadog", Status.ON,
         env={"DD_AGENT_HOST": "10.0.0.5", "DD_DOGSTATSD_PORT": "8126"},
         settings={"host": "10.0.0.5", "port": "8126", "tags_style": "dogstatsd"}),
    # DD_DOGSTATSD_URL gives both
    Case("dd-url", "datadog", Status.ON, env={"DD_DOGSTATSD_URL": "udp://agent:8127"},
         settings={"host": "agent", "port": "8127"}),
    # a unix socket cannot be used (watchkeeper sends UDP)
    Case("dd-unix", "datadog", Status.INCOMPLETE,
         env={"DD_DOGSTATSD_URL": "unix:///var/run/dsd.socket"}),
    # the agent installed on this machine
    Case("dd-local-agent", "datadog", Status.ON,
         files={"/etc/datadog-agent/datadog.yaml": "site: datadoghq.eu\n"},
         settings={"host": "127.0.0.1", "port": "8125"}),
    # the datadog package alone
    Case("dd-package", "datadog", Status.INCOMPLETE, packages={"datadog": "0.50.0"}),
    # a region and credentials: an EMF file for the CloudWatch agent to ship
    Case("aws-region-credentials", "cloudwatch", Status.ON,
         env={"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIA"},
         settings={"path": "./wk-data/emf.jsonl", "region": "eu-west-1"}),
    # a shared credentials file under HOME counts as credentials
    Case("aws-credentials-file", "cloudwatch", Status.ON,
         env={"AWS_DEFAULT_REGION": "us-east-1", "HOME": "/home/ml"},
         files={"/home/ml/.aws/credentials": "[default]\n"}, settings={"region": "us-east-1"}),
    # ECS: stdout goes to CloudWatch Logs
    Case("aws-ecs", "cloudwatch", Status.ON,
         env={"ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/abc"},
         settings={"path": "/dev/stdout"}),
    # Lambda likewise
    Case("aws-lambda", "cloudwatch", Status.ON,
         env={"AWS_LAMBDA_FUNCTION_NAME": "score", "AWS_REGION": "eu-west-1"},
         settings={"path": "/dev/stdout"}),
    # a region alone is not enough
    Case("aws-region-only", "cloudwatch", Status.INCOMPLETE, env={"AWS_REGION": "eu-west-1"}),
    # boto3 alone
    Case("aws-boto3", "cloudwatch", Status.INCOMPLETE, packages={"boto3": "1.35.0"}),
    # the generic endpoint gets the metrics path appended
    Case("otlp-endpoint", "otlp", Status.ON,
         env={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"},
         settings={"endpoint": "http://collector:4318/v1/metrics"}),
    # the metrics endpoint is used as is; gRPC's 4317 becomes the collector's HTTP port
    Case("otlp-grpc", "otlp", Status.ON,
         env={"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://collector:4317",
              "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
         settings={"endpoint": "http://collector:4318"}),
    # headers: their names are kept for init, their values never
    Case("otlp-headers", "otlp", Status.ON,
         env={"OTEL_EXPORTER_OTLP_ENDPOINT": "https://otlp.vendor.io",
              "OTEL_EXPORTER_OTLP_HEADERS": "api-key=abc,x-team=ml"},
         settings={"headers": "api-key,x-team"}),
    # a receiver answering on 4318
    Case("otlp-probe", "otlp", Status.ON, answers={"http://127.0.0.1:4318/v1/metrics": 405},
         settings={"endpoint": "http://127.0.0.1:4318/v1/metrics"}),
    # the SDK alone: no endpoint
    Case("otlp-sdk", "otlp", Status.INCOMPLETE, packages={"opentelemetry-sdk": "1.27.0"}),
    # a Slack incoming webhook
    Case("slack", "slack", Status.ON,
         env={"SLACK_WEBHOOK_URL": "https://hooks.slack.com/x", "SLACK_CHANNEL": "#ml"},
         settings={"url_env": "SLACK_WEBHOOK_URL", "channel": "#ml"}),
    # a bot token alone cannot post to a webhook
    Case("slack-token", "slack", Status.INCOMPLETE, env={"SLACK_BOT_TOKEN": "xoxb"}),
    # PagerDuty under its short name
    Case("pd", "pagerduty", Status.ON, env={"PD_ROUTING_KEY": "r"},
         settings={"routing_key_env": "PD_ROUTING_KEY"}),
    # the long name wins when both are set
    Case("pd-both", "pagerduty", Status.ON,
         env={"PD_ROUTING_KEY": "r", "PAGERDUTY_ROUTING_KEY": "r2"},
         settings={"routing_key_env": "PAGERDUTY_ROUTING_KEY"}),
    # a REST API token is not an Events routing key
    Case("pd-api-token", "pagerduty", Status.INCOMPLETE, env={"PAGERDUTY_TOKEN": "t"}),
    # Opsgenie with the EU endpoint and a team
    Case("opsgenie", "opsgenie", Status.ON,
         env={"OPSGENIE_API_KEY": "k", "OPSGENIE_API_URL": "https://api.eu.opsgenie.com/",
              "OPSGENIE_TEAM": "ml-oncall"},
         settings={"api_key_env": "OPSGENIE_API_KEY", "url": "https://api.eu.opsgenie.com",
                   "responders": "ml-oncall"}),
    # SMTP on 465: TLS from the start
    Case("smtp-ssl", "email", Status.ON,
         env={"SMTP_HOST": "smtp.example.com", "SMTP_PORT": "465", "SMTP_USER": "wk",
              "SMTP_PASSWORD": "pw"},
         settings={"tls": "ssl", "username": "wk", "password_env": "SMTP_PASSWORD"}),
    # a user without a host
    Case("smtp-no-host", "email", Status.INCOMPLETE, env={"SMTP_USER": "wk"}),
    # a peer library: reported, nothing turned on
    Case("evidently", "evidently", Status.INFO, packages={"evidently": "0.7.23"}),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_detection(tmp_path: Path, case: Case) -> None:
    env = make_env(tmp_path, case.env, case.files, case.binaries, case.packages, case.answers)
    stack = detect_stack(env)
    found = stack.get(case.component)
    assert found is not None, f"{case.component} not found: {stack.missing}"
    assert found.status is case.status, found.reason
    assert case.settings.items() <= dict(found.settings).items()
    assert found.reason and found.evidence  # every finding says why and from what
    assert case.component not in stack.missing


def test_nothing_found_in_an_empty_world(tmp_path: Path) -> None:
    stack = detect_stack(make_env(tmp_path))
    assert stack.findings == ()
    assert {"prometheus", "alertmanager", "slack", "cloudwatch", "otlp"} <= set(stack.missing)
    out = io.StringIO()
    print_table(stack, out)
    assert "No monitoring stack found" in out.getvalue()


def test_a_file_that_is_not_executable_is_no_binary(tmp_path: Path) -> None:
    plain = tmp_path / "usr/bin/prometheus"
    plain.parent.mkdir(parents=True)
    plain.write_text("not a program")
    plain.chmod(0o644)
    assert detect_stack(make_env(tmp_path)).get("prometheus") is None


def test_a_datadog_agent_takes_the_one_statsd_target(tmp_path: Path) -> None:
    env = make_env(tmp_path, {"STATSD_HOST": "stats", "DD_AGENT_HOST": "agent"})
    stack = detect_stack(env)
    assert stack.on("datadog") is not None
    statsd = stack.get("statsd")
    assert statsd is not None and statsd.status is Status.INFO
    assert "Datadog" in statsd.reason


def test_probe_answers_that_are_not_the_component_do_not_count(tmp_path: Path) -> None:
    answers = {"http://127.0.0.1:3000/api/health": 404, "http://127.0.0.1:9090/-/ready": 503}
    stack = detect_stack(make_env(tmp_path, answers=answers))
    assert stack.get("grafana") is None  # something else answers on 3000
    prometheus = stack.get("prometheus")  # 503: a Prometheus still starting
    assert prometheus is not None and prometheus.settings["url"] == "http://127.0.0.1:9090"
    assert stack.probed


def test_probes_ask_only_loopback_and_only_when_asked(tmp_path: Path) -> None:
    asked: list[str] = []

    def record(url: str) -> int | None:
        asked.append(url)
        return None

    detect_stack(make_env(tmp_path))
    assert asked == []
    detect_stack(Environment({}, tmp_path, lambda name: None, record))
    assert sorted(asked) == sorted(url for url, _ in PROBES.values())
    assert all(url.startswith("http://127.0.0.1:") for url in asked)


@pytest.fixture
def ready_server() -> Iterator[int]:
    """A real loopback HTTP server answering /-/ready with 200 and anything else 404."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/-/ready" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_loopback_probe_against_a_real_server(ready_server: int) -> None:
    base = f"http://127.0.0.1:{ready_server}"
    assert loopback_probe(f"{base}/-/ready") == 200
    found = run_probes(loopback_probe, {"alertmanager": (f"{base}/-/ready", frozenset({200}))})
    assert found["alertmanager"].describe() == f"probe {base}/-/ready answered 200"
    with pytest.raises(ValueError, match="loopback"):
        loopback_probe("http://example.com/-/ready")


def test_loopback_probe_of_a_closed_port_is_no_answer() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert loopback_probe(f"http://127.0.0.1:{port}/-/ready", timeout=0.2) is None


SECRETS = {
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/hush-SLACK",
    "PAGERDUTY_ROUTING_KEY": "hush-PD",
    "OPSGENIE_API_KEY": "hush-OPSGENIE",
    "SMTP_PASSWORD": "hush-SMTP",
    "DD_API_KEY": "hush-DD",
    "AWS_ACCESS_KEY_ID": "hush-AKID",
    "AWS_SECRET_ACCESS_KEY": "hush-AWS",
    "AWS_SESSION_TOKEN": "hush-SESSION",
    "OTEL_EXPORTER_OTLP_HEADERS": "api-key=hush-OTEL",
    "GF_SECURITY_ADMIN_PASSWORD": "hush-GRAFANA",
    "SLACK_BOT_TOKEN": "hush-BOT",
    # credentials inside URLs are dropped too
    "PROMETHEUS_URL": "https://admin:hush-PROM@prom.internal:9090/?token=hush-QUERY",
    "OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel:hush-USERINFO@otlp.vendor.io",
}
OTHER = {"SMTP_HOST": "smtp.example.com", "AWS_REGION": "eu-west-1", "DD_AGENT_HOST": "agent"}


def test_no_secret_value_in_the_table_or_the_json(tmp_path: Path) -> None:
    stack = detect_stack(make_env(tmp_path, {**SECRETS, **OTHER}))
    table = io.StringIO()
    print_table(stack, table)
    for text in (table.getvalue(), render_json(stack)):
        assert "hush" not in text
        assert "SLACK_WEBHOOK_URL" in text  # the variable's name is shown
    slack = stack.get("slack")
    assert slack is not None and slack.evidence[0].describe() == "env SLACK_WEBHOOK_URL (set)"
    prometheus = stack.get("prometheus")
    assert prometheus is not None and prometheus.settings["url"] == "https://prom.internal:9090/"


@pytest.fixture
def fake_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The CLI's environment replaced by a fake one (variables filled in by the test)."""
    variables: dict[str, str] = {}
    root = tmp_path / "root"
    root.mkdir()

    def system_environment(probe: bool = False) -> Environment:
        return Environment(dict(variables), root, {"evidently": "0.7.23"}.get)

    monkeypatch.setattr(stack_module, "system_environment", system_environment)
    return variables


def test_cli_json_shape(fake_system: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    fake_system.update({**SECRETS, **OTHER})
    assert main(["detect", "--json"]) == 0
    out = capsys.readouterr().out
    assert "hush" not in out
    data = json.loads(out)
    assert set(data) == {"probed", "findings", "missing", "packages"}
    assert data["probed"] is False and data["packages"] == {"evidently": "0.7.23"}
    finding = next(f for f in data["findings"] if f["component"] == "pagerduty")
    assert set(finding) == {
        "component",
        "label",
        "status",
        "integration",
        "config_key",
        "reason",
        "evidence",
        "found_how",
        "settings",
    }
    assert finding["status"] == "on"
    assert finding["config_key"] == "alerting.receivers.pager.pagerduty"
    assert finding["evidence"] == [
        {"source": "env", "name": "PAGERDUTY_ROUTING_KEY", "value": "set"}
    ]
    assert finding["settings"] == {"routing_key_env": "PAGERDUTY_ROUTING_KEY"}
    statuses = {f["component"]: f["status"] for f in data["findings"]}
    assert statuses["evidently"] == "info" and statuses["cloudwatch"] == "on"


def test_cli_table(fake_system: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    fake_system.update(SECRETS)
    assert main(["detect"]) == 0
    out = capsys.readouterr().out
    assert "hush" not in out
    assert "PagerDuty" in out and "not found:" in out and "watchkeeper init" in out


def test_stack_lookup() -> None:
    assert Stack(()).get("slack") is None and Stack(()).on("slack") is None
