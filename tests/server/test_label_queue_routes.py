"""The labelling queue over HTTP on a real loopback server and DuckDB file: the GET preview and
the POST reservation, what is left out, what each strategy picks, and the errors."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from service_process import Loopback
from watchkeeper.schema import ColumnSchema, ColumnType, Schema
from watchkeeper.server.app import create_app
from watchkeeper.server.run import Service, open_service
from watchkeeper.settings import parse_service_config

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
TOKEN = "s3cret"
AUTH = {"authorization": f"Bearer {TOKEN}"}
SCHEMA = Schema(
    (ColumnSchema("age", ColumnType.NUMERIC), ColumnSchema("plan", ColumnType.CATEGORICAL))
)


@dataclass
class World:
    client: httpx.Client
    service: Service

    def send(self, model: str, kind: str, records: list[dict[str, Any]]) -> None:
        response = self.client.post(f"/v1/models/{model}/{kind}", json=records, headers=AUTH)
        assert response.status_code == 202, response.text
        assert self.service.intake.wait_applied()

    def preview(self, model: str = "credit", **params: Any) -> dict[str, Any]:
        response = self.client.get(f"/v1/models/{model}/label-queue", params=params)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def reserve(self, model: str = "credit", **body: Any) -> dict[str, Any]:
        response = self.client.post(f"/v1/models/{model}/label-queue", json=body, headers=AUTH)
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("WK_QUEUE_TOKEN", TOKEN)
    rng = np.random.default_rng(0)
    reference = pa.table({
        "age": rng.normal(40.0, 10.0, 1000),
        "plan": rng.choice(["gold", "basic"], 1000),
        "prediction": rng.random(1000),
        "label": rng.choice([0, 1], 1000),
    })  # fmt: skip
    pq.write_table(reference, tmp_path / "reference.parquet")
    config = parse_service_config({
        "store": str(tmp_path / "store"),
        "server": {"token_env": ["WK_QUEUE_TOKEN"]},
        "models": {
            "credit": {"task": "binary_classification", "reference": "reference.parquet",
                       "label": "label", "segments": ["region"]},
            "kinds": {"task": "multiclass_classification"},  # no reference
            "price": {"task": "regression"},
        },
    }, base_dir=str(tmp_path))  # fmt: skip
    service = open_service(config, dict.fromkeys(config.models, SCHEMA), lambda: NOW)
    loop = Loopback(create_app(config, service.intake, service.store, clock=lambda: NOW))
    client = httpx.Client(base_url=loop.url, timeout=30)
    try:
        yield World(client, service)
    finally:
        client.close()
        loop.stop()
        service.close()


def prediction(ident: str, value: Any, hours_ago: float = 1.0, **fields: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "timestamp": (NOW - timedelta(hours=hours_ago)).isoformat(),
        "features": {"age": 40.0, "plan": "gold"},
        "prediction": value,
        **fields,
    }


def ids(answer: dict[str, Any]) -> list[str]:
    return [item["id"] for item in answer["items"]]


def test_get_previews_and_post_reserves(world: World) -> None:
    world.send("credit", "predictions", [
        prediction("a", 0.49, model_version="v2", segment={"region": "eu"},
                   features={"age": 31.0, "plan": "basic"}),
        prediction("b", 0.9), prediction("c", 0.6), prediction("d", 0.05),
    ])  # fmt: skip
    first = world.preview(strategy="uncertainty", n=2)
    assert world.preview(strategy="uncertainty", n=2) == first  # a preview changes nothing
    assert ids(first) == ["a", "c"] and first["reserved"] is False
    assert first["items"][0] == {
        "id": "a",
        "timestamp": "2026-03-01T11:00:00+00:00",
        "prediction": 0.49,
        "model_version": "v2",
        "segment": {"region": "eu"},
        "features": {"age": 31.0, "plan": "basic"},
        "reason": "score 0.49 is 0.01 from the threshold 0.5",
    }
    assert first["window"] == {
        "start": "2026-02-22T12:00:00+00:00",
        "end": "2026-03-01T12:00:00+00:00",
    }
    assert first["queue"] == {"size": 0, "answered": 0}

    reserved = world.reserve(strategy="uncertainty", n=2)
    assert reserved["reserved"] is True
    assert reserved["items"] == first["items"]  # the same parameters pick what was previewed
    assert reserved["queue"] == {"size": 2, "answered": 0}
    after = world.preview(strategy="uncertainty", n=2)
    assert ids(after) == ["b", "d"]
    assert after["excluded"] == {"labelled": 0, "queued": 2}
    stored = world.service.store.query("SELECT id, strategy, queued_at FROM label_queue")
    assert sorted(stored) == [("a", "uncertainty", NOW), ("c", "uncertainty", NOW)]


def test_labelled_and_queued_predictions_are_left_out(world: World) -> None:
    world.send("credit", "predictions", [prediction(f"p{i}", i / 10) for i in range(6)])
    world.send("credit", "labels", [{"id": "p0", "label": 1}, {"id": "p1", "label": 0}])
    answer = world.reserve(n=2, seed=3)
    picked = ids(answer)
    assert len(picked) == 2 and not {"p0", "p1"} & set(picked)
    assert answer["excluded"] == {"labelled": 2, "queued": 0}
    # one of the queued ids gets its label: answered, and counted as labelled from then on
    world.send("credit", "labels", [{"id": picked[0], "label": 1}])
    rest = world.reserve(n=10)
    assert sorted(ids(rest)) == sorted({"p2", "p3", "p4", "p5"} - set(picked))
    assert rest["excluded"] == {"labelled": 3, "queued": 1}
    assert rest["queue"] == {"size": 4, "answered": 1}
    empty = world.reserve(n=10)  # nothing is left: an empty batch, not an error
    assert empty["items"] == [] and empty["excluded"] == {"labelled": 3, "queued": 3}


def test_the_window_bounds_the_candidates(world: World) -> None:
    world.send("credit", "predictions", [
        prediction("recent", 0.5, hours_ago=1),
        prediction("old", 0.5, hours_ago=24 * 8),  # before the default 7 days
        prediction("failed", None, error="timeout"),  # no prediction to label
    ])  # fmt: skip
    assert ids(world.preview()) == ["recent"]
    start = (NOW - timedelta(days=9)).isoformat()
    end = (NOW - timedelta(days=2)).isoformat()
    answer = world.preview(start=start, end=end)
    assert ids(answer) == ["old"] and answer["window"]["start"] == start


def test_uncertainty_binary_prefers_class_scores(world: World) -> None:
    world.send("credit", "predictions", [
        prediction("hard", 1.0, scores=[0.45, 0.55]),  # the last score is the positive class's
        prediction("sure", 0.99),
        prediction("close", 0.52),
        prediction("far", 0.2, scores=[0.8, 0.2]),
    ])  # fmt: skip
    assert ids(world.preview(strategy="uncertainty", n=3)) == ["close", "hard", "far"]


def test_uncertainty_multiclass_takes_the_smallest_top_two_margin(world: World) -> None:
    world.send("kinds", "predictions", [
        prediction("clear", "cat", scores=[0.9, 0.05, 0.05]),
        prediction("torn", "dog", scores=[0.4, 0.41, 0.19]),
        prediction("unsure", "cat", scores=[0.5, 0.3, 0.2]),
        prediction("unscored", "dog"),  # no scores: cannot be ranked by margin
    ])  # fmt: skip
    answer = world.preview("kinds", strategy="uncertainty", n=10)
    assert ids(answer) == ["torn", "unsure", "clear"]
    assert answer["items"][0]["reason"] == "top two class scores 0.01 apart"
    assert answer["items"][0]["scores"] == [0.4, 0.41, 0.19]


def test_random_is_a_seeded_sample(world: World) -> None:
    world.send("credit", "predictions", [prediction(f"p{i:02}", 0.5) for i in range(40)])
    one = ids(world.preview(n=10, seed=1))
    assert ids(world.preview(n=10, seed=1)) == one  # the same seed, the same sample
    others = [ids(world.preview(n=10, seed=s)) for s in range(2, 6)]
    assert all(o != one for o in others)
    assert len(set(one)) == 10
    assert sorted(ids(world.preview(n=100))) == [f"p{i:02}" for i in range(40)]  # all there is


def test_drifted_picks_the_rows_least_like_the_reference(world: World) -> None:
    world.send("credit", "predictions", [
        prediction("usual", 0.5, features={"age": 40.0, "plan": "gold"}),
        prediction("old", 0.5, features={"age": 95.0, "plan": "gold"}),  # |z| about 5.5
        prediction("new-plan", 0.5, features={"age": 41.0, "plan": "platinum"}),  # unseen
        prediction("both", 0.5, features={"age": 75.0, "plan": "platinum"}),
        prediction("missing", 0.5, features={"age": None, "plan": None}),
    ])  # fmt: skip
    answer = world.preview(strategy="drifted", n=5)
    assert ids(answer)[:3] == ["both", "old", "new-plan"]
    reason = answer["items"][0]["reason"]
    assert reason.startswith("unusual vs the reference: score 6.")
    assert "plan 'platinum' unseen in the reference" in reason and "age 75.0: |z| 3." in reason


def test_stratified_gives_each_predicted_class_an_equal_share(world: World) -> None:
    world.send("credit", "predictions",
               [prediction(f"low{i}", 0.1) for i in range(8)]
               + [prediction(f"high{i}", 0.8) for i in range(2)])  # fmt: skip
    picked = ids(world.preview(strategy="stratified", n=4))
    assert Counter(p.rstrip("0123456789") for p in picked) == {"low": 2, "high": 2}
    # a class with too few leaves its share to the others
    picked = ids(world.preview(strategy="stratified", n=6))
    assert Counter(p.rstrip("0123456789") for p in picked) == {"low": 4, "high": 2}

    world.send("kinds", "predictions",
               [prediction(f"cat{i}", "cat") for i in range(6)]
               + [prediction(f"dog{i}", "dog") for i in range(3)]
               + [prediction("eel0", "eel")])  # fmt: skip
    answer = world.preview("kinds", strategy="stratified", n=5)
    shares = Counter(p.rstrip("0123456789") for p in ids(answer))
    assert shares["eel"] == 1 and shares["cat"] == 2 and shares["dog"] == 2
    assert "stratified: predicted class eel" in {i["reason"] for i in answer["items"]}


def test_stratified_regression_takes_one_per_decile(world: World) -> None:
    world.send("price", "predictions", [prediction(f"p{i}", float(i)) for i in range(100)])
    answer = world.preview("price", strategy="stratified", n=10)
    deciles = sorted(int(i["prediction"]) // 10 for i in answer["items"])
    assert deciles == list(range(10))
    assert answer["items"][0]["reason"].startswith("stratified: prediction decile ")


@pytest.mark.parametrize(
    ("model", "params", "status", "field", "value"),
    [
        ("nope", {}, 404, None, None),  # unknown model
        ("credit", {"n": "many"}, 400, "n", "many"),
        ("credit", {"n": "0"}, 400, "n", "0"),
        ("credit", {"n": "10001"}, 400, "n", "10001"),
        ("credit", {"strategy": "loudest"}, 400, "strategy", "loudest"),
        ("credit", {"seed": "-1"}, 400, "seed", "-1"),
        ("credit", {"start": "yesterday"}, 400, "start", "yesterday"),
        (
            "credit",
            {"end": "2026-01-01T00:00:00Z", "start": "2026-02-01T00:00:00Z"},
            400,
            "end",
            "2026-01-01T00:00:00Z",
        ),
        ("credit", {"limit": "5"}, 400, "limit", "5"),  # not a parameter
        # regression has no uncertainty to rank by: the error names strategy and task
        ("price", {"strategy": "uncertainty"}, 400, "strategy", "uncertainty"),
        ("kinds", {"strategy": "drifted"}, 400, "strategy", "drifted"),  # no reference
    ],
)
def test_bad_requests_name_the_parameter_and_value(
    world: World,
    model: str,
    params: dict[str, str],
    status: int,
    field: str | None,
    value: str | None,
) -> None:
    for response in (
        world.client.get(f"/v1/models/{model}/label-queue", params=params),
        world.client.post(f"/v1/models/{model}/label-queue", json=params, headers=AUTH),
    ):
        assert response.status_code == status, response.text
        body = response.json()
        assert body["error"]
        if field is not None:
            assert body["details"] == [
                {"field": field, "value": value, "error": body["details"][0]["error"]}
            ]
            assert body["error"].startswith(f"{field}: ") and repr(value) in body["error"]
    if model == "price":
        assert "task regression" in body["error"]
    assert world.service.store.query("SELECT count(*) FROM label_queue") == [(0,)]


def test_reserving_is_a_write_and_needs_the_token(world: World) -> None:
    world.send("credit", "predictions", [prediction("a", 0.5)])
    url = "/v1/models/credit/label-queue"
    assert world.client.post(url, json={}).status_code == 401
    wrong = {"authorization": "Bearer nope"}
    assert world.client.post(url, json={}, headers=wrong).status_code == 401
    assert world.client.get(url).status_code == 200  # the preview is a read
    assert world.client.post(url, content=b"[1]", headers=AUTH).status_code == 400
    assert world.client.post(url, content=b"{", headers=AUTH).status_code == 400
    assert world.client.post(url, json={"n": 1.5}, headers=AUTH).status_code == 400
    assert ids(world.reserve(n=1)) == ["a"]
