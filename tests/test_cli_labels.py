"""`watchkeeper labels queue` against a real service: the Starlette app under uvicorn on a
loopback port with a DuckDB store holding predictions, some labelled."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from service_process import Loopback
from watchkeeper.cli import main
from watchkeeper.schema import ColumnSchema, ColumnType, Schema
from watchkeeper.server.app import create_app
from watchkeeper.server.run import Service, open_service
from watchkeeper.settings import parse_service_config

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
TOKEN = "s3cret"
SCHEMA = Schema(
    (ColumnSchema("age", ColumnType.NUMERIC), ColumnSchema("plan", ColumnType.CATEGORICAL))
)


@dataclass
class World:
    url: str
    service: Service
    out: Path

    def queue(self, *argv: str) -> int:
        return main(["labels", "queue", "--model", "credit", *argv, "--url", self.url])

    def queued(self) -> list[str]:
        rows = self.service.store.query("SELECT id FROM label_queue ORDER BY id")
        return [str(r[0]) for r in rows]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("WK_LABELS_TEST_TOKEN", TOKEN)
    monkeypatch.setenv("WATCHKEEPER_TOKEN", TOKEN)  # what the CLI sends by default
    config = parse_service_config({
        "store": str(tmp_path / "store"),
        "server": {"token_env": ["WK_LABELS_TEST_TOKEN"]},
        "models": {"credit": {"task": "binary_classification", "segments": ["region"]},
                   "price": {"task": "regression"}},
    })  # fmt: skip
    service = open_service(config, {"credit": SCHEMA, "price": SCHEMA}, lambda: NOW)
    loop = Loopback(create_app(config, service.intake, service.store, clock=lambda: NOW))
    auth = {"authorization": f"Bearer {TOKEN}"}
    records = [
        {"id": f"p{i}", "timestamp": (NOW - timedelta(minutes=10 * (i + 1))).isoformat(),
         "features": {"age": 30 + i, "plan": "gold"}, "prediction": score,
         "scores": [1 - score, score], "segment": {"region": "eu"}}
        for i, score in enumerate([0.05, 0.48, 0.9, 0.53, 0.7, 0.45])
    ]  # fmt: skip
    with httpx.Client(base_url=loop.url, headers=auth) as client:
        assert client.post("/v1/models/credit/predictions", json=records).status_code == 202
        labels = [{"id": "p1", "label": 1}]
        assert client.post("/v1/models/credit/labels", json=labels).status_code == 202
    assert service.intake.wait_applied()
    try:
        yield World(loop.url, service, tmp_path)
    finally:
        loop.stop()
        service.close()


def test_queue_writes_a_csv_batch_and_reserves_it(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = world.out / "batch.csv"
    assert world.queue("-n", "2", "--strategy", "uncertainty", "-o", str(batch)) == 0
    with batch.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [
        "id",
        "timestamp",
        "prediction",
        "score_0",
        "score_1",
        "segment.region",
        "age",
        "plan",
        "reason",
    ]
    # p1 (0.48) is labelled already: the two closest to 0.5 left are p3 and p5
    assert [r[0] for r in rows[1:]] == ["p3", "p5"]
    assert rows[1][1:] == [
        "2026-03-01T11:20:00+00:00",
        "0.53",
        "0.47",
        "0.53",
        "eu",
        "33.0",
        "gold",
        "score 0.53 is 0.03 from the threshold 0.5",
    ]
    out = capsys.readouterr().out
    assert out.startswith("queued 2 predictions of credit (uncertainty, ")
    assert "left out: 1 labelled, 0 already queued; queue: 2 queued, 0 answered" in out
    assert world.queued() == ["p3", "p5"]

    # the next batch skips what is queued
    assert world.queue("-n", "2", "--strategy", "uncertainty", "-o", str(batch)) == 0
    with batch.open(newline="") as handle:
        assert [r[0] for r in list(csv.reader(handle))[1:]] == ["p4", "p2"]
    assert "2 already queued" in capsys.readouterr().out


def test_dry_run_writes_json_lines_and_reserves_nothing(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = world.out / "preview.jsonl"
    args = ("--strategy", "random", "--seed", "7", "--start", "2026-03-01T11:00:00Z")
    assert world.queue(*args, "--dry-run", "-o", str(batch)) == 0
    items = [json.loads(line) for line in batch.read_text().splitlines()]
    assert {i["id"] for i in items} == {"p0", "p2", "p3", "p4", "p5"}  # all but labelled p1
    assert items[0]["features"]["plan"] == "gold" and items[0]["reason"] == "random sample"
    assert capsys.readouterr().out.startswith("would queue 5 predictions of credit")
    assert world.queued() == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-o", "batch.xlsx"], "-o must end in .csv or .jsonl, .ndjson, .json"),
        (["--strategy", "uncertainty", "--model", "price", "-o", "b.csv"],
         "uncertainty is not supported for task regression"),
        (["-n", "0", "-o", "b.csv"], "n: must be from 1 to 10000 (got 0)"),
        (["--end", "whenever", "-o", "b.csv"], "end: must be an ISO 8601 timestamp"),
    ],
)  # fmt: skip
def test_refused_requests_exit_2_and_write_nothing(
    world: World, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    argv = [world.out / a if a.startswith("b") else a for a in argv]  # type: ignore[misc]
    assert world.queue(*map(str, argv)) == 2
    assert message in capsys.readouterr().err
    assert not list(world.out.glob("b*"))
    assert world.queued() == []


def test_a_missing_token_is_named(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WATCHKEEPER_TOKEN")
    assert world.queue("-o", str(world.out / "b.csv")) == 2
    err = capsys.readouterr().err
    assert "HTTP 401" in err and "$WATCHKEEPER_TOKEN" in err
    assert world.queued() == [] and not (world.out / "b.csv").exists()
