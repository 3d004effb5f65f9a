"""The dashboard's routes: the page and its assets, and the compact series the charts draw
(``GET /v1/models/{model}/series``), on a real store with samples written like the monitors',
served by uvicorn on a loopback port and read with httpx."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from service_process import Loopback
from watchkeeper.monitors.base import MetricSample, Status
from watchkeeper.schema import ColumnSchema, ColumnType, Schema
from watchkeeper.server.app import create_app
from watchkeeper.server.dashboard import STATIC, TEMPLATE
from watchkeeper.server.run import open_service
from watchkeeper.settings import parse_service_config

T0 = datetime(2026, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
SCHEMA = Schema((ColumnSchema("age", ColumnType.NUMERIC),))


def sample(
    name: str,
    hour: int,
    value: float,
    status: Status = Status.OK,
    window: str = "1h",
    **labels: Any,
) -> MetricSample:
    details = labels.pop("details", {})
    start = T0 + hour * HOUR
    span = HOUR if window == "1h" else 6 * HOUR
    return MetricSample(
        "credit",
        name,
        {"monitor": "m", "window": window, **labels},
        start,
        start + span,
        value,
        status,
        details,
    )


SAMPLES = [
    # roc_auc over three hours: realized, provisional, not computable; and per version
    sample("roc_auc", 0, 0.81, details={"reference": 0.8, "ci_low": 0.7, "n": 100}),
    sample("roc_auc", 1, 0.78, Status.PROVISIONAL, details={"reference": 0.8}),
    sample("roc_auc", 2, float("nan"), Status.INSUFFICIENT, details={}),
    sample("roc_auc", 0, 0.7, model_version="v2", details={"reference": 0.8}),
    # a 6h window of the same metric
    sample("roc_auc", 0, 0.79, window="6h", details={"reference": 0.8}),
    # feature drift of one feature, the test label changing with the sample size
    sample("feature_drift", 0, 0.05, feature="age", test="psi", details={"threshold": 0.2}),
    sample(
        "feature_drift",
        1,
        0.4,
        Status.BREACH,
        feature="age",
        test="psi",
        details={"threshold": 0.2},
    ),
    sample(
        "feature_drift",
        1,
        0.3,
        Status.BREACH,
        feature="age",
        test="psi",
        segment="region",
        segment_value="north",
        details={"threshold": 0.2},
    ),
]


@pytest.fixture
def make_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    opened: list[Any] = []

    def make(token: str | None = None) -> httpx.Client:
        server: dict[str, Any] = {}
        if token:
            monkeypatch.setenv("WK_DASHBOARD_TEST_TOKEN", token)
            server = {"token_env": ["WK_DASHBOARD_TEST_TOKEN"]}
        config = parse_service_config(
            {
                "store": str(tmp_path / f"store{len(opened)}"),
                "server": server,
                "models": {"credit": {"task": "regression", "windows": ["1h", "6h"]}},
            }
        )
        service = open_service(config, {"credit": SCHEMA}, lambda: T0)
        service.store.write_samples(SAMPLES)
        loop = Loopback(create_app(config, service.intake, service.store, clock=lambda: T0))
        client = httpx.Client(base_url=loop.url, timeout=10)
        opened.append((client, loop, service))
        return client

    yield make
    for client, loop, service in opened:
        client.close()
        loop.stop()
        service.close()


def series(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/models/credit/series", params=params)
    assert response.status_code == 200, response.text
    assert response.json()["model"] == "credit"
    return list(response.json()["series"])


def test_one_series_in_columns_oldest_first(make_client: Any) -> None:
    found = series(
        make_client(),
        name="roc_auc",
        window="1h",
        match="model_version=",
        details="reference,ci_low",
    )
    assert found == [
        {
            "name": "roc_auc",
            "labels": {"monitor": "m", "window": "1h"},
            "start": [int((T0 + h * HOUR).timestamp()) for h in range(3)],
            "end": [int((T0 + (h + 1) * HOUR).timestamp()) for h in range(3)],
            "value": [0.81, 0.78, None],  # not computable is null
            "status": ["ok", "provisional", "insufficient_data"],
            "details": {"reference": [0.8, 0.8, None], "ci_low": [0.7, None, None]},
        }
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # every series of the metric: overall 1h, per version 1h, overall 6h (sorted by labels)
        (
            {"name": "roc_auc"},
            [
                ("roc_auc", {"window": "1h", "model_version": "v2"}),
                ("roc_auc", {"window": "1h"}),
                ("roc_auc", {"window": "6h"}),
            ],
        ),
        # the window label
        ({"name": "roc_auc", "window": "6h"}, [("roc_auc", {"window": "6h"})]),
        # only a breakdown, by regex
        (
            {"name": "roc_auc", "match": "model_version=~v.*"},
            [("roc_auc", {"window": "1h", "model_version": "v2"})],
        ),
        # the window-wide series of two metrics, comma-separated
        (
            {
                "name": "feature_drift,roc_auc",
                "window": "1h",
                "match": ["segment=", "model_version="],
            },
            [
                ("feature_drift", {"window": "1h", "feature": "age", "test": "psi"}),
                ("roc_auc", {"window": "1h"}),
            ],
        ),
        # no name: every metric matching the labels
        ({"match": "segment=north"}, []),
        (
            {"match": "segment_value=north"},
            [
                (
                    "feature_drift",
                    {
                        "window": "1h",
                        "feature": "age",
                        "test": "psi",
                        "segment": "region",
                        "segment_value": "north",
                    },
                )
            ],
        ),
        # a name nobody writes
        ({"name": "nope"}, []),
    ],
)
def test_series_are_picked_by_name_window_and_matchers(
    make_client: Any, params: dict[str, Any], expected: list[tuple[str, dict[str, str]]]
) -> None:
    found = series(make_client(), **params)
    assert [(s["name"], s["labels"]) for s in found] == [
        (name, {"monitor": "m", **labels}) for name, labels in expected
    ]


def test_start_and_end_bound_the_windows(make_client: Any) -> None:
    client = make_client()
    found = series(
        client,
        name="roc_auc",
        window="1h",
        match="model_version=",
        start=(T0 + HOUR).isoformat(),
        end=(T0 + 2 * HOUR).isoformat(),
    )
    assert [(s["start"], s["status"]) for s in found] == [
        ([int((T0 + HOUR).timestamp())], ["provisional"])
    ]


@pytest.mark.parametrize(
    ("last", "starts"),
    [
        # the newest window ends at T0 + 6h (the 6h window): the last 4 hours start from +2h
        ("4h", [2]),
        # the last 5 hours: +1h and +2h
        ("5h", [1, 2]),
        # longer than the history: everything
        ("7d", [0, 1, 2]),
    ],
)
def test_last_counts_back_from_the_newest_window(
    make_client: Any, last: str, starts: list[int]
) -> None:
    found = series(make_client(), name="roc_auc", window="1h", match="model_version=", last=last)
    assert [s["start"] for s in found] == [[int((T0 + h * HOUR).timestamp()) for h in starts]]


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"name": "roc_auc", "match": "window"}, 400, "match.0: not a matcher"),
        ({"name": "roc_auc", "match": "feature=~("}, 400, "bad regular expression"),
        ({"name": "roc_auc", "details": "ref-erence"}, 400, "details: not a details key"),
        ({"name": "roc_auc", "start": "yesterday"}, 400, "start must be an ISO 8601"),
        ({"name": "roc_auc", "last": "a week"}, 400, "last: not a duration"),
        ({"name": ",".join(f"m{i}" for i in range(51))}, 400, "at most 50 metric names"),
    ],
)
def test_bad_queries_are_named(
    make_client: Any, params: dict[str, Any], status: int, message: str
) -> None:
    response = make_client().get("/v1/models/credit/series", params=params)
    assert response.status_code == status
    assert message in response.json()["error"]


def test_an_unknown_model_is_404(make_client: Any) -> None:
    response = make_client().get("/v1/models/nope/series", params={"name": "roc_auc"})
    assert (response.status_code, response.json()["error"]) == (
        404,
        "model 'nope' is not configured",
    )


def test_series_are_much_smaller_than_samples(make_client: Any) -> None:
    client = make_client()
    compact = client.get("/v1/models/credit/series", params={"name": "feature_drift"}).content
    full = client.get("/v1/models/credit/metrics", params={"name": "feature_drift"}).content
    assert len(compact) < len(full)


@pytest.mark.parametrize(("token", "auth"), [(None, False), ("s3cret", True)])
def test_the_page_knows_whether_writes_need_a_token(
    make_client: Any, token: str | None, auth: bool
) -> None:
    page = make_client(token).get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    found = re.search(r'data-settings="([^"]*)"', page.text)
    assert found is not None
    settings = json.loads(html.unescape(found.group(1)))
    assert settings["auth"] is auth
    assert settings["main_metric"]["regression"] == "rmse"
    assert settings["models"] == make_client(token).get("/v1/models").json()["models"]
    assert "roc_auc" in settings["higher_is_better"] and "rmse" not in settings["higher_is_better"]


def test_every_asset_the_page_loads_is_served(make_client: Any) -> None:
    client = make_client()
    page = TEMPLATE.read_text()
    assets = set(re.findall(r'(?:src|href)="(static/[^"]+)"', page))
    for module in STATIC.glob("*.js"):  # the modules the entry point imports, recursively
        assets |= {
            f"static/{name}" for name in re.findall(r'from "\./([\w.]+)"', module.read_text())
        }
    assert {"static/app.js", "static/app.css", "static/charts.js"} <= assets
    types = {".js": "javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    for asset in sorted(assets):
        response = client.get("/" + asset)
        assert response.status_code == 200, asset
        assert types[Path(asset).suffix] in response.headers["content-type"], asset
    assert client.get("/static/nope.js").status_code == 404
    assert client.get("/static/../dashboard_routes.py").status_code == 404


def test_the_assets_ship_in_the_package() -> None:
    """hatchling puts every file under src/watchkeeper in the wheel unless .gitignore drops it."""
    ignored = (Path(__file__).resolve().parents[1] / ".gitignore").read_text().split()
    files = [p for p in STATIC.rglob("*") if p.is_file()] + [TEMPLATE]
    assert len(files) >= 9
    for path in files:
        assert not any(path.match(pattern.rstrip("/")) for pattern in ignored), path
