"""CloudWatch Embedded Metric Format: every written line is checked against the spec's rules."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import pytest
from export_helpers import HOUR, T0, sample

from watchkeeper.errors import ConfigError
from watchkeeper.export.catalog import ALL_SPECS, CATALOG, COMMON_LABELS
from watchkeeper.export.emf import MAX_DIMENSIONS, render_emf, write_emf
from watchkeeper.monitors.base import Status

UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None",
}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def emf_problems(document: Any) -> list[str]:
    """What makes a document invalid under the EMF specification (empty when valid)."""
    if not isinstance(document, dict) or not isinstance(document.get("_aws"), dict):
        return ["root must be an object with an _aws object"]
    meta = document["_aws"]
    problems = []
    if not isinstance(meta.get("Timestamp"), int) or isinstance(meta.get("Timestamp"), bool):
        problems.append("_aws.Timestamp must be an integer of milliseconds")
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        return [*problems, "_aws.CloudWatchMetrics must be a non-empty array"]
    for directive in directives:
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str) or not 1 <= len(namespace) <= 255:
            problems.append(f"bad Namespace {namespace!r}")
        dimension_sets = directive.get("Dimensions")
        if not isinstance(dimension_sets, list) or not dimension_sets:
            problems.append("Dimensions must be a non-empty array of dimension sets")
            dimension_sets = []
        for keys in dimension_sets:
            if not isinstance(keys, list) or len(keys) > MAX_DIMENSIONS:
                problems.append(f"bad dimension set {keys!r}")
                continue
            for key in keys:
                target = document.get(key)
                if not isinstance(target, str) or not target:
                    problems.append(f"dimension {key!r} needs a non-empty string member")
        metrics = directive.get("Metrics")
        if not isinstance(metrics, list) or len(metrics) > 100:
            problems.append("Metrics must be an array of at most 100 definitions")
            metrics = []
        names = [metric.get("Name") for metric in metrics]
        if len(set(names)) != len(names):
            problems.append(f"duplicate metric names {names}")
        for metric in metrics:
            target = document.get(metric.get("Name"))
            values = target if isinstance(target, list) else [target]
            if not values or len(values) > 100 or not all(_is_number(v) for v in values):
                problems.append(f"metric {metric.get('Name')!r} needs a numeric member")
            if metric.get("Unit", "None") not in UNITS:
                problems.append(f"unit {metric.get('Unit')!r} is not a CloudWatch unit")
    return problems


def read_lines(text: str) -> list[dict[str, Any]]:
    def no_constants(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    return [json.loads(line, parse_constant=no_constants) for line in text.splitlines()]


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        # a dimension without its member
        ({"_aws": {"Timestamp": 1, "CloudWatchMetrics": [
            {"Namespace": "n", "Dimensions": [["model"]], "Metrics": [{"Name": "x"}]}]}, "x": 1},
         "dimension 'model'"),
        # a metric whose member is a string
        ({"_aws": {"Timestamp": 1, "CloudWatchMetrics": [
            {"Namespace": "n", "Dimensions": [[]], "Metrics": [{"Name": "x"}]}]}, "x": "1"},
         "metric 'x'"),
        # no timestamp
        ({"_aws": {"CloudWatchMetrics": [
            {"Namespace": "n", "Dimensions": [[]], "Metrics": []}]}}, "Timestamp"),
        # a unit CloudWatch does not know
        ({"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "n", "Dimensions": [[]],
          "Metrics": [{"Name": "x", "Unit": "Ratio"}]}]}, "x": 1}, "unit 'Ratio'"),
    ],
)
def test_the_validator_rejects_broken_documents(document: dict[str, Any], problem: str) -> None:
    assert any(problem in p for p in emf_problems(document))


def test_every_written_line_is_valid_emf() -> None:
    labels = {"monitor": "m", "feature": "f", "test": "t", "severity": "low", "quantile": "0.5",
              "kpi": "k", "segment": "country", "segment_value": "DE", "model_version": "3",
              "window": "1h", "unlisted": "dropped"}
    samples = [sample(spec.sample, 0.5, labels) for spec in CATALOG]
    samples.append(sample("unlisted_name", 2.0, labels))
    out = io.StringIO()
    assert write_emf(samples, out) == len(out.getvalue().splitlines())
    documents = read_lines(out.getvalue())
    for document in documents:
        assert emf_problems(document) == [], document
        assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "watchkeeper"
        assert document["_aws"]["Timestamp"] == int((T0 + HOUR).timestamp() * 1000)
        assert "unlisted" not in document
    metric_names = [m["Name"] for d in documents for m in d["_aws"]["CloudWatchMetrics"][0]
                    ["Metrics"]]
    assert sorted(metric_names) == sorted(spec.base for spec in ALL_SPECS)


def test_units_and_values_follow_the_catalogue() -> None:
    samples = [
        sample("accuracy", 0.93, {"monitor": "performance"}),
        sample("label_coverage", 0.5, {"monitor": "performance"}, status=Status.PROVISIONAL),
        sample("latency_seconds", 0.25, {"monitor": "ops", "quantile": "0.99"}),
        sample("prediction_count", 5400.0, {"monitor": "ops"}),
        sample("throughput_per_second", 1.5, {"monitor": "ops"}),
        sample("dataset_drift_share", 0.25, {"monitor": "drift"}, status=Status.BREACH),
    ]
    found = {}
    for document in render_emf(samples):
        for metric in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            found[metric["Name"]] = (metric["Unit"], document[metric["Name"]])
    assert found == {
        "model_accuracy": ("Percent", pytest.approx(93.0)),
        "label_coverage": ("Percent", 50.0),
        "prediction_latency": ("Seconds", 0.25),
        "window_predictions": ("Count", 5400.0),
        "predictions": ("Count/Second", 1.5),
        "dataset_drifted_features": ("Percent", 25.0),
        "dataset_drift_detected": ("None", 1.0),
    }


def test_samples_sharing_labels_and_window_share_a_document() -> None:
    samples = [
        sample("accuracy", 0.9, {"monitor": "performance"}),
        sample("label_coverage", 0.5, {"monitor": "performance"}, status=Status.PROVISIONAL),
        sample("accuracy", 0.8, {"monitor": "performance"}, hour=1),  # the next window
    ]
    first, second = render_emf(samples)
    assert [m["Name"] for m in first["_aws"]["CloudWatchMetrics"][0]["Metrics"]] == [
        "model_accuracy", "label_coverage"]
    assert first["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["model", "monitor"]]
    assert first["Status"] == {"model_accuracy": "ok", "label_coverage": "provisional"}
    assert second["_aws"]["Timestamp"] - first["_aws"]["Timestamp"] == 3_600_000
    assert second["WindowStart"] == (T0 + HOUR).isoformat()


def test_non_finite_values_are_left_out() -> None:
    samples = [sample("accuracy", math.nan, {"monitor": "p"}),
               sample("roc_auc", -math.inf, {"monitor": "p"}),
               sample("recall", 0.5, {"monitor": "p"})]
    [document] = render_emf(samples)
    assert [m["Name"] for m in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]] == [
        "model_recall"]
    out = io.StringIO()
    write_emf(samples, out)
    assert all(emf_problems(d) == [] for d in read_lines(out.getvalue()))


def test_a_bad_namespace_names_the_key() -> None:
    with pytest.raises(ConfigError) as error:
        render_emf([], namespace="has space")
    assert error.value.key == "emf.namespace"


def test_documents_stay_within_the_metric_and_dimension_limits() -> None:
    # one document holds at most one metric per catalogue entry, and EMF allows 100
    assert len(ALL_SPECS) <= 100
    # model + the common labels + a spec's own labels, under the older limit of 9 as well
    assert max(1 + len(COMMON_LABELS) + len(spec.labels) for spec in ALL_SPECS) <= 9
