"""`watchkeeper init`: a commented watchkeeper.yaml from a reference and the stack found, that
the service accepts (`load_service_config`, `watchkeeper check`), with receivers and exporters
for the detected stack, the playbooks copied, and no overwrite without --force."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from watchkeeper.cli import main
from watchkeeper.settings import load_service_config
from watchkeeper.setup import stack as stack_module
from watchkeeper.setup.init_config import InitOptions, plan_init, write_init
from watchkeeper.setup.stack import Environment, Stack, detect_stack
from watchkeeper.simulate import CreditSimulation

BUILTIN_PLAYBOOKS = Path(__file__).resolve().parents[1] / "src/watchkeeper/alerting/playbooks"


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "reference.parquet"
    path.parent.mkdir()
    pq.write_table(pa.table(CreditSimulation(seed=3).reference_table(2000)), path)
    return path


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The CLI sees these variables and an empty filesystem root (fill in per test)."""
    variables: dict[str, str] = {}
    root = tmp_path / "root"
    root.mkdir()

    def system_environment(probe: bool = False) -> Environment:
        return Environment(dict(variables), root, lambda name: None)

    monkeypatch.setattr(stack_module, "system_environment", system_environment)
    return variables


def stack_of(
    tmp_path: Path, variables: dict[str, str], files: Mapping[str, str] | None = None
) -> Stack:
    root = tmp_path / "fake-root"
    for name, text in (files or {}).items():
        target = root / name.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    root.mkdir(exist_ok=True)
    return detect_stack(Environment(variables, root, lambda name: None))


def test_init_with_slack_and_pagerduty_passes_check(
    tmp_path: Path,
    reference: Path,
    world: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secrets = {"SLACK_WEBHOOK_URL": "https://hooks.slack.com/hush-1", "PD_ROUTING_KEY": "hush-2"}
    world.update(secrets)
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--reference", str(reference), "--model", "credit"]) == 0
    out = capsys.readouterr().out
    config_path = tmp_path / "watchkeeper.yaml"
    text = config_path.read_text()
    assert "hush" not in text and "hush" not in out

    config = load_service_config(config_path)
    model = config.models["credit"]
    assert (model.task, model.prediction, model.label) == (
        "binary_classification",
        "score",
        "label",
    )
    assert model.reference == "data/reference.parquet"  # relative to the config file
    receivers = config.alerting.receivers
    assert receivers["team"].slack is not None
    assert receivers["team"].slack.url_env == "SLACK_WEBHOOK_URL"
    assert receivers["pager"].pagerduty is not None
    assert receivers["pager"].pagerduty.routing_key_env == "PD_ROUTING_KEY"
    route = config.alerting.route
    assert route.receiver == "team"
    assert [(r.match, r.receiver, r.escalation) for r in route.routes] == [
        (["severity=~critical|high"], "pager", "pager")
    ]
    levels = config.alerting.escalation["pager"].levels
    assert [(level.receiver, level.after) for level in levels] == [("pager", "0m"), ("team", "30m")]
    assert config.export.statsd is None and config.export.otlp is None

    # the playbooks are copies of the built-ins, where alerting.playbooks points
    assert config.alerting.playbooks == "./playbooks"
    copied = sorted(p.name for p in (tmp_path / "playbooks").iterdir())
    assert copied == sorted(p.name for p in BUILTIN_PLAYBOOKS.glob("*.md")) and len(copied) >= 10
    drift = "feature_drift.md"
    assert (tmp_path / "playbooks" / drift).read_text() == (BUILTIN_PLAYBOOKS / drift).read_text()

    assert "watchkeeper check --config watchkeeper.yaml" in out
    assert "watchkeeper serve --config watchkeeper.yaml" in out

    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    assert main(["check", "--config", str(config_path)]) == 0
    checked = capsys.readouterr()
    assert "receiver pager: pagerduty" in checked.out and "warning" not in checked.err


def test_init_refuses_to_overwrite(
    tmp_path: Path, reference: Path, world: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "wk.yaml"
    args = ["init", "--reference", str(reference), "--model", "credit", "-o", str(output)]
    assert main(args) == 0
    first = output.read_text()
    output.write_text(first + "# my edit\n")
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--force" in err and str(output) in err
    assert output.read_text().endswith("# my edit\n")  # untouched
    assert main([*args, "--force"]) == 0
    assert output.read_text() == first


def test_existing_playbooks_are_kept_without_force(tmp_path: Path, reference: Path) -> None:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "latency.md").write_text("## our own latency runbook\n")
    options = InitOptions(reference, "credit", output=tmp_path / "watchkeeper.yaml")
    result = write_init(options, Stack(()))
    assert result.kept == ["latency.md"] and "latency.md" not in result.copied
    assert (playbooks / "latency.md").read_text() == "## our own latency runbook\n"
    load_service_config(result.config)


PROMETHEUS_YML = "alerting:\n  alertmanagers:\n    - static_configs: [{targets: ['am:9093']}]\n"


@dataclass(frozen=True)
class StackCase:
    """A detected stack and the receivers, route and exporters init must write for it."""

    id: str
    env: Mapping[str, str]
    receivers: Mapping[str, list[str]]  # receiver -> its integrations
    root: str = "team"  # the root route's receiver
    children: list[str] = field(default_factory=list)  # the child routes' receivers
    exports: list[str] = field(default_factory=list)
    files: Mapping[str, str] = field(default_factory=dict)


STACKS = [
    # nothing found: every alert to a local webhook sink, no export
    StackCase("nothing", {}, {"team": ["webhook"]}),
    # an Alertmanager only: it takes every alert, no webhook sink
    StackCase("alertmanager-only", {}, {"alertmanager": ["alertmanager"]}, root="alertmanager",
              files={"/etc/prometheus/prometheus.yml": PROMETHEUS_YML}),
    # Slack, PagerDuty and Alertmanager: a copy to Alertmanager, pages, the rest to the team
    StackCase("slack-pd-am",
              {"SLACK_WEBHOOK_URL": "u", "PAGERDUTY_ROUTING_KEY": "k",
               "ALERTMANAGER_URL": "http://am:9093"},
              {"team": ["slack"], "pager": ["pagerduty"], "alertmanager": ["alertmanager"]},
              children=["alertmanager", "pager", "team"]),
    # pagers without chat: low severities to the webhook sink, pages go to both
    StackCase("pd-opsgenie",
              {"PD_ROUTING_KEY": "k", "OPSGENIE_API_KEY": "o", "OPSGENIE_TEAM": "ml"},
              {"team": ["webhook"], "pager": ["pagerduty", "opsgenie"]}, children=["pager"]),
    # email only, to the recipients in ALERT_EMAIL_TO
    StackCase("email",
              {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": "1025", "ALERT_EMAIL_TO": "a@x.io,b@x.io"},
              {"team": ["email"]}),
    # every exporter: a Datadog agent, an OTLP collector, CloudWatch on ECS
    StackCase("exporters",
              {"DD_AGENT_HOST": "agent", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel:4318",
               "OTEL_EXPORTER_OTLP_HEADERS": "api-key=hush",
               "ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4"},
              {"team": ["webhook"]}, exports=["statsd", "otlp", "emf"]),
]  # fmt: skip


@pytest.mark.parametrize("case", STACKS, ids=[c.id for c in STACKS])
def test_receivers_routes_and_exports_follow_the_stack(
    tmp_path: Path, reference: Path, case: StackCase
) -> None:
    options = InitOptions(reference, "credit", output=tmp_path / "out" / "watchkeeper.yaml")
    result = write_init(options, stack_of(tmp_path, dict(case.env), case.files))
    assert result.plan.receivers == case.receivers
    text = result.config.read_text()
    assert yaml.safe_load(text) == result.plan.data
    assert "hush" not in text
    config = load_service_config(result.config)
    assert config.alerting.route.receiver == case.root
    assert [r.receiver for r in config.alerting.route.routes] == case.children
    assert [k for k in ("statsd", "otlp", "emf") if getattr(config.export, k)] == case.exports
    for name, integrations in case.receivers.items():
        receiver = config.alerting.receivers[name]
        assert [k for k in receiver.__struct_fields__ if getattr(receiver, k)] == integrations
    if case.id == "email":
        email = config.alerting.receivers["team"].email
        assert email is not None and email.to == ["a@x.io", "b@x.io"] and email.tls == "none"


def test_email_receiver_and_its_placeholder(tmp_path: Path, reference: Path) -> None:
    variables = {"SMTP_HOST": "smtp.example.com", "SMTP_USER": "wk@example.com",
                 "SMTP_PASSWORD": "hush"}  # fmt: skip
    options = InitOptions(reference, "credit", output=tmp_path / "watchkeeper.yaml")
    result = write_init(options, stack_of(tmp_path, variables))
    email = load_service_config(result.config).alerting.receivers["team"].email
    assert email is not None
    assert (email.host, email.port, email.tls) == ("smtp.example.com", 587, "starttls")
    assert (email.username, email.password_env, email.sender) == (
        "wk@example.com",
        "SMTP_PASSWORD",
        "wk@example.com",
    )
    assert email.to == ["ml-team@example.com"]
    assert any("email.to" in note for note in result.plan.notes)


def table_with_target(target: list[Any]) -> pa.Table:
    n = len(target)
    return pa.table({"x": [float(i % 7) for i in range(n)], "prediction": [0.5] * n, "y": target})


# (id, target values, --task, expected task, expected positive label)
TASKS: list[tuple[Any, ...]] = [
    ("zero-one", [0, 1] * 20, None, "binary_classification", None),  # the usual binary labels
    ("booleans", [True, False] * 20, None, "binary_classification", None),
    # words other than yes/no: the rarer value is the positive class
    ("words", ["approved"] * 30 + ["fraud"] * 10, None, "binary_classification", "fraud"),
    ("few-integers", [1, 2, 3, 4] * 10, None, "multiclass_classification", None),
    ("strings", ["cat", "dog", "bird"] * 10, None, "multiclass_classification", None),
    ("floats", [i * 1.37 for i in range(40)], None, "regression", None),
    ("many-integers", list(range(40)), None, "regression", None),  # over 20 distinct values
    ("given", [0, 1] * 20, "regression", "regression", None),  # --task wins
]


@pytest.mark.parametrize(
    ("target", "task", "expected", "positive"), [pytest.param(*c[1:], id=c[0]) for c in TASKS]
)
def test_task_inference(
    target: list[Any], task: str | None, expected: str, positive: str | None
) -> None:
    options = InitOptions(Path("ref.parquet"), "m", target="y", task=task)
    plan = plan_init(table_with_target(target), options, Stack(()))
    assert plan.model.task == expected
    performance = plan.data["models"]["m"]["performance"]
    assert performance.get("positive_label") == positive
    assert plan.model.task_reason  # says why


def test_columns_inference_needs_help_with_are_ignored(tmp_path: Path) -> None:
    n = 400
    table = pa.table(
        {
            "customer_id": [i % 50 for i in range(n)],  # repeats, so not skipped on its own
            "email": [f"user{i}@example.com" for i in range(n)],  # mostly distinct strings
            "empty": pa.nulls(n, pa.float64()),
            "amount": [float(i) for i in range(n)],
            "request_id": list(range(n)),  # unique: inference skips it itself
            "prediction": [0.3] * n,
            "label": [0, 1] * (n // 2),
        }
    )
    path = tmp_path / "ref.parquet"
    pq.write_table(table, path)
    result = write_init(InitOptions(path, "m", output=tmp_path / "wk.yaml"), Stack(()))
    schema = load_service_config(result.config).models["m"].schema
    assert schema.ignore == ["customer_id", "email", "empty"]
    text = result.config.read_text()
    assert "request_id" in text and "identifier: every value is distinct" in text
    assert main(["check", "--config", str(result.config)]) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "bad name"], "--model"),  # not a valid model name
        (["--model", "m", "--prediction", "x", "--target", "no"], "--target 'no'"),  # no column
        (["--model", "m", "--prediction", "x"], "no target column"),  # numeric, no target
    ],
)
def test_bad_input_is_a_one_line_error(
    tmp_path: Path,
    world: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    path = tmp_path / "ref.parquet"
    pq.write_table(pa.table({"x": [0.1, 0.2, 0.3], "other": [1.0, 2.0, 3.5]}), path)
    output = tmp_path / "wk.yaml"
    assert main(["init", "--reference", str(path), "-o", str(output), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert not output.exists() and not (tmp_path / "playbooks").exists()


def test_a_saved_profile_is_refused(tmp_path: Path, world: dict[str, str]) -> None:
    profile = tmp_path / "ref.wkprofile"
    profile.write_bytes(b"")
    args = ["init", "--reference", str(profile), "--model", "m", "-o", str(tmp_path / "w.yaml")]
    assert main(args) == 2


def test_generated_text_reads_back_as_planned(tmp_path: Path) -> None:
    variables = {
        "SLACK_WEBHOOK_URL": "u",
        "SLACK_CHANNEL": "#ml alerts",
        "OPSGENIE_API_KEY": "k",
        "SMTP_HOST": "mail",
        "STATSD_HOST": "stats",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://c:4318/v1/metrics",
    }
    table = table_with_target(["yes", "no"] * 10)
    plan = plan_init(
        table, InitOptions(Path("r.csv"), "m", target="y"), stack_of(tmp_path, variables)
    )
    assert yaml.safe_load(plan.text) == plan.data
    assert plan.data["alerting"]["receivers"]["team"]["slack"]["channel"] == "#ml alerts"
    assert plan.text.startswith("# watchkeeper.yaml for model 'm'")


def test_the_route_pages_critical_alerts_and_copies_everything_to_alertmanager(
    tmp_path: Path, reference: Path
) -> None:
    from watchkeeper.alerting.routing import compile_route

    variables = {"SLACK_WEBHOOK_URL": "u", "PD_ROUTING_KEY": "k", "ALERTMANAGER_URL": "http://am"}
    options = InitOptions(reference, "credit", output=tmp_path / "watchkeeper.yaml")
    config = load_service_config(write_init(options, stack_of(tmp_path, variables)).config)
    root = compile_route(config.alerting.route)

    def receivers(severity: str) -> list[str | None]:
        labels = {"alertname": "X", "model": "credit", "severity": severity}
        return [route.receiver for route in root.match(labels)]

    assert receivers("critical") == ["alertmanager", "pager"]
    assert receivers("high") == ["alertmanager", "pager"]
    assert receivers("warning") == ["alertmanager", "team"]
    assert receivers("info") == ["alertmanager", "team"]
