"""JSON, Markdown and HTML of an estimation result."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pytest
from estimation_data import binary, fit_binary

from watchkeeper.performance.estimate import (
    ChunkEstimate,
    EstimationResult,
    estimate_chunks,
)
from watchkeeper.performance.render_estimate import to_html, to_json, to_markdown

CHUNK_KEYS = ["start", "end", "rows", "estimated", "lower", "upper", "realized", "alert",
              "reference_lower", "reference_upper"]  # fmt: skip


@pytest.fixture(scope="module")
def result() -> EstimationResult:
    rng = np.random.default_rng(0)
    estimator = fit_binary(binary(rng, 4000, (1.5, 0.0, 0.0)))
    current = pa.concat_tables([binary(rng, 2000, (1.5, 0.0, 0.0)), binary(rng, 2000, (0, 0, 0))])
    return estimate_chunks(estimator, current, chunk_size=1000)


def test_json_has_the_documented_shape(result: EstimationResult) -> None:
    data = to_json(result)
    assert list(data) == ["task", "assumption", "metrics", "chunks"]
    assert data["metrics"] == ["accuracy", "precision", "recall", "f1", "roc_auc"]
    assert [list(c) for c in data["chunks"]] == [CHUNK_KEYS] * 4
    assert [c["alert"] for c in data["chunks"]] == [False, False, True, True]
    first = data["chunks"][0]
    assert (first["start"], first["end"], first["rows"]) == (0, 1000, 1000)
    for key in ("estimated", "lower", "upper", "realized", "reference_lower", "reference_upper"):
        assert list(first[key]) == data["metrics"]
    assert (
        first["lower"]["accuracy"] <= first["estimated"]["accuracy"] <= first["upper"]["accuracy"]
    )
    json.dumps(data, allow_nan=False)


def test_json_without_labels_or_values() -> None:
    nan = math.nan
    chunk = ChunkEstimate(
        "2026-03-01T00:00:00+00:00", "2026-03-02T00:00:00+00:00", 10, {"precision": nan},
        {"precision": nan}, {"precision": nan}, None, {"precision": 0.5}, {"precision": 0.7},
    )  # fmt: skip
    data = to_json(EstimationResult("binary_classification", "a", ("precision",), (chunk,)))
    (only,) = data["chunks"]
    assert "realized" not in only  # no label column in the current data
    assert only["estimated"] == {"precision": None} and only["alert"] is False
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert "| 2026-03-01 00:00–2026-03-02 00:00 | 10 | – |" in to_markdown(
        EstimationResult("binary_classification", "a", ("precision",), (chunk,))
    )


def test_markdown_lists_every_metric_and_names_the_alerts(result: EstimationResult) -> None:
    text = to_markdown(result)
    assert text.startswith("# Estimated performance: binary_classification\n")
    assert "Assumption: no concept drift: P(y|x) on current data is as on the reference." in text
    assert "2 of 4 chunks left the reference range (accuracy" in text
    for metric in result.metrics:
        assert f"## {metric}\n" in text
    assert text.count("| 0–1000 | 1,000 |") == 5


def test_html_is_self_contained_with_one_chart_per_metric(result: EstimationResult) -> None:
    page = to_html(result)
    assert page.startswith("<!doctype html>")
    assert page.count("<svg") == len(result.metrics) == page.count("<table>")
    assert "<script" not in page and "src=" not in page and "href=" not in page
    assert page.count('fill="#d62728"') == sum(len(c.left) for c in result.chunks)  # alerts
    assert "<polygon" in page  # the shaded band
