"""The report as JSON (the contract in the README); non-finite numbers become null."""

from __future__ import annotations

import math
from typing import Any

import msgspec

from watchkeeper.report.model import Report


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def render_json(report: Report, indent: int = 2) -> str:
    data = msgspec.json.encode(_clean(report.to_dict()))
    return msgspec.json.format(data, indent=indent).decode()
