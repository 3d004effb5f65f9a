"""Shared fixtures: the shared synthetic benchmark data and small table builders."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_SYNTH = Path(os.environ.get("WK_SHARED", REPO.parent / "shared")) / "bench" / "synth.py"


def load_synth() -> ModuleType:
    """The shared synthetic drift dataset generator (../shared/bench/synth.py)."""
    if not SHARED_SYNTH.exists():
        if os.environ.get("CI"):
            raise FileNotFoundError(f"shared benchmark data generator missing: {SHARED_SYNTH}")
        pytest.skip(f"shared benchmark data generator not found at {SHARED_SYNTH}")
    spec = importlib.util.spec_from_file_location("wk_synth", SHARED_SYNTH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["wk_synth"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def synth() -> ModuleType:
    return load_synth()
