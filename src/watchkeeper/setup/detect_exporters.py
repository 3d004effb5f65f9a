"""Detectors of the push targets under ``export:``: StatsD, Datadog, CloudWatch and OTLP.

>>> env = Environment({"DD_AGENT_HOST": "10.0.0.5", "DD_API_KEY": "abc"},
...                   package_version=lambda name: None)
>>> found = detect_datadog(env, {})
>>> found.status.value, found.settings["host"], found.settings["tags_style"]
('on', '10.0.0.5', 'dogstatsd')
>>> [e.describe() for e in found.evidence]
['env DD_AGENT_HOST=10.0.0.5', 'env DD_API_KEY (set)']
>>> detect_otlp(Environment({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}),
...             {}).settings["endpoint"]
'http://collector:4318/v1/metrics'
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from watchkeeper.setup.stack import Detector, Environment, Evidence, Finding, Status, safe_url

EMF_FILE = "./wk-data/emf.jsonl"
CLOUDWATCH_AGENT = (
    "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json",
    "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent",
)
OTEL_COLLECTOR = ("/etc/otelcol/config.yaml", "/etc/otelcol-contrib/config.yaml")
LOCAL_OTLP = "http://127.0.0.1:4318/v1/metrics"


def _present(*items: Evidence | None) -> tuple[Evidence, ...]:
    return tuple(e for e in items if e is not None)


def _port(text: str | None, default: int) -> int | None:
    if text is None:
        return default
    return int(text) if text.isdigit() and 0 < int(text) < 65536 else None


def detect_statsd(env: Environment, probes: Mapping[str, Evidence]) -> Finding | None:
    evidence = _present(*(env.evidence(n) for n in ("STATSD_HOST", "STATSD_PORT", "STATSD_PREFIX")))
    if not evidence:
        return None
    port = _port(env.var("STATSD_PORT"), 8125)
    if port is None:
        return Finding(
            "statsd",
            "StatsD",
            Status.INCOMPLETE,
            evidence,
            "STATSD_PORT is not a port number",
            "StatsD export",
            "export.statsd",
        )
    host = env.var("STATSD_HOST") or "127.0.0.1"
    return Finding(
        "statsd",
        "StatsD",
        Status.ON,
        evidence,
        f"samples are sent to {host}:{port} over UDP with plain (untagged) names",
        "StatsD export",
        "export.statsd",
        {
            "host": host,
            "port": str(port),
            "prefix": env.var("STATSD_PREFIX") or "watchkeeper",
            "tags_style": "plain",
        },
    )


def detect_datadog(env: Environment, probes: Mapping[str, Evidence]) -> Finding | None:
    names = ("DD_AGENT_HOST", "DD_DOGSTATSD_PORT", "DD_DOGSTATSD_URL", "DOGSTATSD_HOST")
    agent_files = [env.file_evidence("/etc/datadog-agent/datadog.yaml")]
    evidence = _present(
        *(env.evidence(n, url=n.endswith("_URL")) for n in (*names, "DOGSTATSD_PORT")),
        env.evidence("DD_API_KEY", secret=True),
        env.evidence("DD_SITE"),
        *agent_files,
        env.binary_evidence("datadog-agent"),
        env.package_evidence("datadog"),
    )
    if not evidence:
        return None
    host, port, why = _dogstatsd_address(env, local_agent=agent_files[0] is not None)
    if host is None or port is None:
        return Finding(
            "datadog",
            "Datadog",
            Status.INCOMPLETE,
            evidence,
            why
            or "watchkeeper reports through a Datadog agent (DogStatsD) and none was found: "
            "set DD_AGENT_HOST",
            "DogStatsD export",
            "export.statsd",
        )
    return Finding(
        "datadog",
        "Datadog",
        Status.ON,
        evidence,
        f"samples go to the Datadog agent's DogStatsD at {host}:{port} with tags ({why})",
        "DogStatsD export",
        "export.statsd",
        {"host": host, "port": str(port), "prefix": "watchkeeper", "tags_style": "dogstatsd"},
    )


def _dogstatsd_address(env: Environment, local_agent: bool) -> tuple[str | None, int | None, str]:
    """The agent's DogStatsD host and port and where they came from ("" when unknown)."""
    url = env.var("DD_DOGSTATSD_URL")
    if url and url.startswith("unix://"):
        return (
            None,
            None,
            "DD_DOGSTATSD_URL is a unix socket; watchkeeper sends UDP: set DD_AGENT_HOST",
        )
    url_host, url_port = _host_port(url) if url else (None, None)
    candidates = (
        ("DD_AGENT_HOST", env.var("DD_AGENT_HOST")),
        ("DOGSTATSD_HOST", env.var("DOGSTATSD_HOST")),
        ("DD_DOGSTATSD_URL", url_host),
        ("the agent is installed on this machine", "127.0.0.1" if local_agent else None),
    )
    why, host = next(((w, h) for w, h in candidates if h), ("", None))
    if host is None:
        return None, None, ""
    port = _port(env.var("DD_DOGSTATSD_PORT") or env.var("DOGSTATSD_PORT"), url_port or 8125)
    if port is None:
        return None, None, "the DogStatsD port variable is not a port number"
    return host, port, why


def _host_port(url: str) -> tuple[str | None, int | None]:
    try:
        parts = urlsplit(url)
        return parts.hostname, parts.port
    except ValueError:
        return None, None


def detect_cloudwatch(env: Environment, probes: Mapping[str, Evidence]) -> Finding | None:
    region_vars = [env.evidence(n) for n in ("AWS_REGION", "AWS_DEFAULT_REGION")]
    secret_vars = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    credential_vars = [env.evidence(n, secret=True) for n in secret_vars]
    credential_vars += [env.evidence(n) for n in ("AWS_PROFILE", "AWS_ROLE_ARN")]
    credential_vars += [
        env.evidence(n, secret=True)
        for n in (
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        )
    ]
    home = env.var("HOME")
    if home:
        credential_vars += [
            env.file_evidence(f"{home}/.aws/{n}") for n in ("credentials", "config")
        ]
    ecs = _present(
        env.evidence("ECS_CONTAINER_METADATA_URI_V4", url=True),
        env.evidence("ECS_CONTAINER_METADATA_URI", url=True),
    )
    lambda_ = _present(env.evidence("AWS_LAMBDA_FUNCTION_NAME"))
    agent = _present(*(env.file_evidence(p) for p in CLOUDWATCH_AGENT))
    evidence = _present(
        *region_vars,
        *credential_vars,
        *ecs,
        *lambda_,
        env.evidence("AWS_EXECUTION_ENV"),
        *agent,
        env.package_evidence("boto3"),
    )
    if not evidence:
        return None
    region = env.var("AWS_REGION") or env.var("AWS_DEFAULT_REGION")
    credentials = any(e is not None for e in credential_vars)
    path, reason = _emf_target(region, credentials, bool(ecs), bool(lambda_), bool(agent))
    if path is None:
        return Finding(
            "cloudwatch",
            "CloudWatch",
            Status.INCOMPLETE,
            evidence,
            reason,
            "CloudWatch EMF export",
            "export.emf",
        )
    settings = {"path": path, **({"region": region} if region else {})}
    return Finding(
        "cloudwatch",
        "CloudWatch",
        Status.ON,
        evidence,
        reason,
        "CloudWatch EMF export",
        "export.emf",
        settings,
    )


def _emf_target(
    region: str | None, credentials: bool, ecs: bool, lambda_: bool, agent: bool
) -> tuple[str | None, str]:
    """Where EMF lines go and why; None with the reason when nothing would ship them."""
    if ecs or lambda_:
        where = "ECS" if ecs else "Lambda"
        return "/dev/stdout", (
            f"on {where} stdout goes to CloudWatch Logs, which turns EMF lines into metrics"
        )
    if agent:
        return EMF_FILE, "the CloudWatch agent is installed: add this file to its logs collect_list"
    if region and credentials:
        return EMF_FILE, (
            f"AWS region {region} and credentials found: ship this file to CloudWatch Logs "
            "with the CloudWatch agent"
        )
    if region:
        return None, f"AWS region {region} but no credentials or CloudWatch agent found"
    if credentials:
        return None, "AWS credentials but no region (AWS_REGION) or CloudWatch agent found"
    return None, "boto3 is installed, but no AWS region, credentials or CloudWatch agent"


def detect_otlp(env: Environment, probes: Mapping[str, Evidence]) -> Finding | None:
    endpoint_vars = ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
    header_vars = ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS")
    protocol_vars = ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
    collector = _present(
        *(env.file_evidence(p) for p in OTEL_COLLECTOR),
        env.binary_evidence("otelcol", "otelcol-contrib"),
    )
    evidence = _present(
        *(env.evidence(n, url=True) for n in endpoint_vars),
        *(env.evidence(n, secret=True) for n in header_vars),
        *(env.evidence(n) for n in protocol_vars),
        *collector,
        env.package_evidence("opentelemetry-sdk"),
        probes.get("otlp"),
    )
    if not evidence:
        return None
    endpoint, why = _otlp_endpoint(env, probes, bool(collector))
    if endpoint is None:
        return Finding(
            "otlp",
            "OpenTelemetry (OTLP)",
            Status.INCOMPLETE,
            evidence,
            "no OTLP endpoint known: set OTEL_EXPORTER_OTLP_ENDPOINT (or probe port 4318)",
            "OTLP/HTTP export",
            "export.otlp",
        )
    protocol = next((p for n in protocol_vars if (p := env.var(n))), "http/protobuf")
    endpoint, note = _http_port(endpoint, protocol)
    settings = {"endpoint": endpoint}
    header_var = next((n for n in header_vars if env.var(n)), None)
    if header_var is not None:
        settings["headers_var"] = header_var
        settings["headers"] = ",".join(_header_names(env.var(header_var) or ""))
        note += (
            f"; {header_var} sets headers ({settings['headers'] or 'unnamed'}): watchkeeper "
            "reads each header from its own variable (export.otlp.headers_env)"
        )
    reason = f"samples are posted as OTLP/HTTP JSON to {endpoint} ({why}){note}"
    return Finding(
        "otlp",
        "OpenTelemetry (OTLP)",
        Status.ON,
        evidence,
        reason,
        "OTLP/HTTP export",
        "export.otlp",
        settings,
    )


def _otlp_endpoint(
    env: Environment, probes: Mapping[str, Evidence], collector: bool
) -> tuple[str | None, str]:
    metrics = env.var("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
    if metrics:
        return safe_url(metrics), "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"
    base = env.var("OTEL_EXPORTER_OTLP_ENDPOINT")
    if base:
        return safe_url(base).rstrip("/") + "/v1/metrics", "OTEL_EXPORTER_OTLP_ENDPOINT"
    if "otlp" in probes:
        return LOCAL_OTLP, "a receiver answered on port 4318"
    if collector:
        return LOCAL_OTLP, "a collector is installed here: its default OTLP/HTTP port"
    return None, ""


def _http_port(endpoint: str, protocol: str) -> tuple[str, str]:
    """gRPC is not spoken: a gRPC endpoint on 4317 becomes the collector's HTTP port 4318."""
    grpc = protocol.strip().lower() == "grpc"
    try:
        port = urlsplit(endpoint).port
    except ValueError:
        port = None
    if port == 4317:
        swapped = endpoint.replace(":4317", ":4318", 1)
        return swapped, "; 4317 is OTLP/gRPC, watchkeeper sends OTLP/HTTP to 4318 of that collector"
    if grpc:
        return endpoint, "; the protocol is gRPC: check the endpoint also accepts OTLP/HTTP"
    return endpoint, ""


def _header_names(value: str) -> list[str]:
    """The header names of an ``OTEL_EXPORTER_OTLP_HEADERS`` value (never the values).

    >>> _header_names("api-key=abc,x-team=ml")
    ['api-key', 'x-team']
    """
    return [part.split("=", 1)[0].strip() for part in value.split(",") if "=" in part]


DETECTORS = (
    Detector("statsd", detect_statsd),
    Detector("datadog", detect_datadog),
    Detector("cloudwatch", detect_cloudwatch),
    Detector("otlp", detect_otlp),
)
