"""`watchkeeper test` as a user runs it: the shipped example scenarios pass, the deliberately
broken config fails them (exit 1, saying what fired instead), a bad scenario file is exit 2
naming the key, and --json carries every verdict and the run behind it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from watchkeeper.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "scenarios"


@pytest.mark.slow
def test_the_example_scenarios_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(EXAMPLES / "incidents.yaml")]) == 0
    out = capsys.readouterr().out
    assert "4 of 4 scenarios passed" in out
    assert "inhibited by DataQualityBreak" in out  # why the drift paged nobody
    assert "silenced by" in out
    assert "✗" not in out


def test_the_broken_config_fails_its_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(EXAMPLES / "broken.yaml"), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is False
    [scenario] = report["scenarios"]
    checks = {c["check"]: c for c in scenario["checks"]}
    fires = checks["DataQualityBreak critical fires in [2026-03-03 06:00Z, 2026-03-03 18:00Z]"]
    assert not fires["passed"]
    assert fires["observed"].startswith("never fired; fired instead: FeatureDrift warning")
    muted = checks["FeatureDrift is not notified"]
    assert not muted["passed"] and muted["observed"].startswith("notified when it fired")
    assert checks["nothing fires in [2026-03-02 00:00Z, 2026-03-03 06:00Z]"]["passed"]
    # the run behind the verdicts: the drift paged the on-call receiver
    run = scenario["run"]
    sent = [a["alertname"] for n in run["notifications"] for a in n["alerts"]]
    assert "FeatureDrift" in sent and "DataQualityBreak" not in sent
    assert run["steps"] == 10 and run["predictions"] == 7200


def test_quiet_prints_only_the_failed_checks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(EXAMPLES / "broken.yaml"), "-q"]) == 1
    out = capsys.readouterr().out
    assert "✗" in out and "✓" not in out
    assert "FAILED: 0 of 1 scenarios passed (2 of 5 checks)" in out


SCENARIO = """\
config: {config}
scenarios:
  - name: s
    simulate: {{start: 2026-03-02T00:00Z, days: 1}}
    expect: [{{alert: NoTraffic}}]
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # an unknown key, named with its path
        (
            ("expect: [{alert: NoTraffic}]", "expect: [{alert: NoTraffic, fire_between: []}]"),
            "scenarios.0.expect.0.fire_between: unknown key",
        ),
        # a time that is not one
        (
            ("start: 2026-03-02T00:00Z", "start: yesterday"),
            "scenarios.0.simulate.start: not an ISO 8601 time (got 'yesterday')",
        ),
        # an alert no rule of the config raises (a typo would never fire)
        (
            ("alert: NoTraffic", "alert: NoTrafic"),
            "scenarios.0.expect.0.alert: no rule of the config raises it",
        ),
        # no traffic source
        (
            ("simulate: {start: 2026-03-02T00:00Z, days: 1}", "step: 1h"),
            "scenarios.0: give exactly one traffic source: simulate or data",
        ),
        # a span backwards
        (
            ("expect: [{alert: NoTraffic}]", "quiet: [[2026-03-03T00:00Z, 2026-03-02T00:00Z]]"),
            "scenarios.0.quiet.0.1: must be after the start",
        ),
        # a bad step
        (("scenarios:", "step: 6 hours\nscenarios:"), "step: not a duration"),
        # nothing to check
        (
            ("expect: [{alert: NoTraffic}]", "model: credit"),
            "scenarios.0: give at least one expectation",
        ),
        # the config is missing
        (("config: ", "config: missing-"), "does not exist"),
    ],
)
def test_a_bad_scenario_file_is_exit_2_naming_the_key(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: tuple[str, str],
    message: str,
) -> None:
    text = SCENARIO.format(config=EXAMPLES / "watchkeeper.yaml").replace(*change)
    path = tmp_path / "tests.yaml"
    path.write_text(text)
    assert main(["test", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith(f"watchkeeper: error: {path}") or "does not exist" in message


def test_a_bad_config_is_named_by_its_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    config = tmp_path / "wk.yaml"
    config.write_text("models:\n  credit: {task: classify}\n")
    (tmp_path / "tests.yaml").write_text(SCENARIO.format(config="wk.yaml"))
    assert main(["test", str(tmp_path / "tests.yaml")]) == 2
    err = capsys.readouterr().err
    assert f"{config}: models.credit.task" in err


def test_a_scenario_file_example_in_the_readme_is_valid(tmp_path: Path) -> None:
    from watchkeeper.scenarios.spec import parse_scenarios

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("### Testing monitors: `watchkeeper test` and `replay`")[1]
    block = section.split("```yaml\n")[1].split("```")[0]
    import yaml

    spec = parse_scenarios(yaml.safe_load(textwrap.dedent(block)))
    assert spec.scenarios and all(s.expect or s.quiet or s.never for s in spec.scenarios)
