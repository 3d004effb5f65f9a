"""The report computed once per module on the mixed tables of ``report_tables``."""

from __future__ import annotations

import pytest
from report_tables import mixed_tables

from watchkeeper.report import Report, compute_report


@pytest.fixture(scope="module")
def mixed_report() -> Report:
    reference, current = mixed_tables()
    return compute_report(reference, current)
