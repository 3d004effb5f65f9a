"""Helpers shared by the benchmark scripts (run them as ``python benchmarks/<name>.py``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType


def load_synth(path: Path) -> ModuleType:
    """The shared synthetic data generator (``../shared/bench/synth.py``) as a module."""
    spec = importlib.util.spec_from_file_location("wk_bench_synth", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the synthetic data generator from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (what the benchmarks print, ready to paste into the README)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
