"""``watchkeeper export prometheus-rules|alertmanager|grafana``: the files each writes, and a
one-line error with exit 2 on a bad config or an unwritable directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from watchkeeper.cli import main

CONFIG = """\
models:
  credit: {task: binary_classification, label: y, windows: [1h]}
alerting:
  receivers:
    oncall: {slack: {url_env: SLACK_WEBHOOK_URL}}
  route: {receiver: oncall}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "watchkeeper.yaml"
    path.write_text(CONFIG)
    return path


def test_prometheus_rules_writes_the_rules_and_their_tests(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["export", "prometheus-rules", "--config", str(config), "-o", str(out)]) == 0
    rules = yaml.safe_load((out / "watchkeeper-rules.yml").read_text())
    assert [g["name"] for g in rules["groups"]] == ["watchkeeper-credit"]
    tests = yaml.safe_load((out / "watchkeeper-rules.test.yml").read_text())
    assert tests["rule_files"] == ["watchkeeper-rules.yml"]
    assert "watchkeeper-rules.yml" in capsys.readouterr().out
    assert "from watchkeeper.yaml" in (out / "watchkeeper-rules.yml").read_text()


def test_alertmanager_writes_its_config_with_the_secrets_dir(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["export", "alertmanager", "--config", str(config), "-o", str(out)]
    assert main([*args, "--secrets-dir", "/run/secrets/"]) == 0
    written = yaml.safe_load((out / "alertmanager.yml").read_text())
    assert written["receivers"][0]["slack_configs"][0]["api_url_file"] == (
        "/run/secrets/SLACK_WEBHOOK_URL"
    )


def test_grafana_writes_one_file_per_view(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["export", "grafana", "--config", str(config), "-o", str(out)]) == 0
    files = sorted(p.name for p in (out / "grafana").iterdir())
    assert files == ["business.json", "engineering.json", "product.json"]
    assert json.loads((out / "grafana" / "product.json").read_text())["uid"] == (
        "watchkeeper-product"
    )


BAD = [
    # a key watchkeeper does not know
    ("models:\n  credit: {task: binary_classification, colour: red}\n", "models.credit"),
    # a route to a receiver that does not exist
    ("alerting:\n  receivers: {a: {webhook: {url: 'http://x'}}}\n  route: {receiver: b}\n",
     "alerting.route.receiver"),
    # not YAML at all
    ("models: [unclosed\n", "is not valid YAML"),
]  # fmt: skip


@pytest.mark.parametrize("what", ["prometheus-rules", "alertmanager", "grafana"])
@pytest.mark.parametrize(("text", "named"), BAD)
def test_a_bad_config_is_a_one_line_error(
    what: str, text: str, named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "watchkeeper.yaml"
    path.write_text(text)
    assert main(["export", what, "--config", str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("watchkeeper: error: ") and named in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_missing_config_or_unwritable_directory_is_an_error(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["export", "grafana", "--config", str(missing), "-o", str(tmp_path)]) == 2
    assert "file does not exist" in capsys.readouterr().err
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["export", "alertmanager", "--config", str(config), "-o", str(blocker)]) == 2
    assert capsys.readouterr().err.startswith("watchkeeper: error: cannot write")
