"""Docs are part of the product: every command, option, config key and drift test is in the
README, and the README's Python example runs."""

from __future__ import annotations

import argparse
from pathlib import Path

import msgspec
import pytest

from watchkeeper.cli import build_parser
from watchkeeper.config import ReportConfig
from watchkeeper.drift.registry import default_registry

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_command_and_option_is_documented(command: str) -> None:
    assert f"watchkeeper {command}" in README
    for action in _subcommands()[command]._actions:
        long = [o for o in action.option_strings if o.startswith("--") and o != "--help"]
        for option in long:
            assert option in README, f"{command} {option} is not in the README"


def _config_keys(struct: type, prefix: str = "") -> list[str]:
    keys = []
    for field in msgspec.structs.fields(struct):
        keys.append(prefix + field.name)
        if isinstance(field.type, type) and issubclass(field.type, msgspec.Struct):
            keys += _config_keys(field.type, prefix + field.name + ".")
    return keys


@pytest.mark.parametrize("key", _config_keys(ReportConfig))
def test_every_config_key_is_documented(key: str) -> None:
    assert key.split(".")[-1] + ":" in README, f"config key {key} is not in the README"


@pytest.mark.parametrize("test", default_registry().names())
def test_every_drift_test_is_documented(test: str) -> None:
    assert f"`{test}`" in README


def _service_keys() -> list[str]:
    from watchkeeper.settings import (
        AlertingSection,
        KpiSpec,
        ModelConfig,
        PerformanceSection,
        ServerSection,
        ServiceConfig,
    )

    structs = (
        ServiceConfig,
        ModelConfig,
        ServerSection,
        PerformanceSection,
        KpiSpec,
        AlertingSection,
    )
    keys = {f.name for struct in structs for f in msgspec.structs.fields(struct)}
    return sorted(keys - {"base_dir"})  # set by the loader, not by users


@pytest.mark.parametrize("key", _service_keys())
def test_every_service_config_key_is_documented(key: str) -> None:
    assert f"`{key}`" in README or f"{key}:" in README, (
        f"watchkeeper.yaml key {key} is not in the README"
    )
