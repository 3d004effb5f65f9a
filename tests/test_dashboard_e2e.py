"""The web dashboard end to end, in headless Chromium driven by Playwright.

`watchkeeper serve` runs in a subprocess with bearer tokens on; four simulated days of a credit
model go in over HTTP — a data-quality break on day 2, a gradual performance decay from day 2,
feature and prediction drift from day 3 (a new ``gig`` employment), a latency spike on day 4,
a second model version taking 40% of the traffic from day 3, regions as segments, and outcomes
feeding two KPIs — evaluated every 12 simulated hours, so alerts and an open incident exist.
Then each view is loaded and its charts checked (SVG with data), the shared time axis hovered,
an alert followed to its incident and acknowledged from the page with the token pasted into it,
and the change checked in the page and through the API.

Screenshots of every view go to a temporary directory; with ``WK_UPDATE_SCREENSHOTS=1`` to
``docs/screenshots/`` (the ones the README shows).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from service_process import ServeProcess
from watchkeeper.simulate import CreditSimulation

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TOKEN = "e2e-s3cret"
START = datetime(2026, 3, 2, tzinfo=UTC)
DAY = timedelta(days=1)
STEP = timedelta(hours=12)
DAYS = 4
PER_HOUR = 450
VIEWS = ("engineering", "product", "business")
LOAD_LIMIT_MS = 3000  # a guard against a broken page; benchmarks/dashboard_bench.py measures

SIM = CreditSimulation(
    seed=7,
    quality_break=(START + DAY + timedelta(hours=6), START + DAY + timedelta(hours=12)),
    decay_start=START + 2 * DAY,
    decay_ramp=2 * DAY,
    drift_start=START + 2 * DAY + timedelta(hours=12),
    latency_spike=(START + 3 * DAY + timedelta(hours=8), START + 3 * DAY + timedelta(hours=10)),
)


def _playwright() -> Any:
    """Playwright's sync API, or skip (fail in CI) when it or Chromium is missing."""
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "playwright is not installed (pip install playwright)"
    if problem is None and not Path(CHROMIUM).exists():
        problem = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    return sync_playwright


def _traffic() -> dict[str, list[dict[str, Any]]]:
    predictions, labels, outcomes = [], [], []
    for hour in range(DAYS * 24):
        begin = START + timedelta(hours=hour)
        batch, arrived = SIM.generate(begin, begin + timedelta(hours=1), PER_HOUR)
        for i, record in enumerate(batch):
            if begin >= START + 2 * DAY and i % 5 < 2:  # v2 takes 40% from day 3
                record["model_version"] = "v2"
            if record["prediction"] < 0.35:  # approved: a loan of about a fifth of income
                income = record["features"]["income"] or 40000
                outcomes.append(
                    {
                        "id": record["id"],
                        "name": "approved",
                        "value": round(income / 5),
                        "timestamp": record["timestamp"],
                    }
                )
        predictions += batch
        labels += arrived
    labels.sort(key=lambda r: r["timestamp"])
    return {"predictions": predictions, "labels": labels, "outcomes": outcomes}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, module_webhook_sink: Any) -> Iterator[str]:
    root = tmp_path_factory.mktemp("dashboard")
    pq.write_table(pa.table(SIM.reference_table(20_000)), root / "reference.parquet")
    (root / "watchkeeper.yaml").write_text(
        "store: wk-data\n"
        "server: {evaluate_every: 1d, token_env: [WK_E2E_TOKEN]}\n"
        "models:\n"
        "  credit:\n"
        "    task: binary_classification\n"
        "    reference: reference.parquet\n"
        "    prediction: score\n"
        "    label: label\n"
        "    windows: [1h]\n"
        "    segments: [region]\n"
        "    drift_breakdown: [model_version, region]\n"
        "    performance: {min_label_coverage: 0.8}\n"
        "    kpis:\n"
        "      approval_rate: {outcome: approved, aggregate: rate}\n"
        "      loan_volume: {outcome: approved, aggregate: sum}\n"
        "alerting:\n"
        f"  receivers: {{oncall: {{webhook: {{url: '{module_webhook_sink.url}'}}}}}}\n"
        "  route: {receiver: oncall}\n"
    )
    server = ServeProcess(root / "watchkeeper.yaml", {"WK_E2E_TOKEN": TOKEN})
    server.start()
    try:
        _feed(server.url, _traffic())
        yield server.url
    finally:
        server.stop()


def _feed(url: str, traffic: dict[str, list[dict[str, Any]]]) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=url, timeout=120, headers=headers) as client:
        for step in range(DAYS * 2):
            begin, end = START + step * STEP, START + (step + 1) * STEP
            for kind, records in traffic.items():
                batch = [
                    r for r in records if begin <= datetime.fromisoformat(r["timestamp"]) < end
                ]
                if batch:
                    response = client.post(f"/v1/models/credit/{kind}", json=batch)
                    assert response.status_code == 202, response.text
            response = client.post("/v1/evaluate", params={"until": end.isoformat()})
            assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def browser(service: str) -> Iterator[Any]:
    sync_playwright = _playwright()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh tab at 1400 px; console errors and page errors fail the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    yield tab
    context.close()
    assert not [e for e in errors if "401" not in e], errors


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("WK_UPDATE_SCREENSHOTS"):
        target = REPO / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        return target
    return tmp_path_factory.mktemp("screenshots")


def _open(page: Any, url: str, route: str) -> int:
    """Load the page at ``route`` from scratch; the milliseconds until the view was drawn."""
    page.goto(f"{url}/#/{route}")
    page.wait_for_selector("main[data-ready=true]", timeout=30_000)
    return int(page.get_attribute("main", "data-load-ms"))


def _screenshot(page: Any, path: Path) -> None:
    """The whole page, without the messages of the actions taken (a click dismisses one)."""
    flashes = page.locator(".flash")
    while flashes.count():
        flashes.first.click()
    page.screenshot(path=str(path), full_page=True)


def _api(url: str, path: str) -> Any:
    return httpx.get(url + path, timeout=30).json()


def _charts(page: Any, kind: str) -> list[dict[str, int]]:
    """Per chart of ``kind``: series and drawn points (data-series / data-points on the SVG)."""
    found = page.locator(f"svg.plot[data-kind={kind}]")
    return [
        {
            "series": int(found.nth(i).get_attribute("data-series")),
            "points": int(found.nth(i).get_attribute("data-points")),
        }
        for i in range(found.count())
    ]


def test_the_page_is_served_from_the_package(service: str) -> None:
    page = httpx.get(service + "/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = httpx.get(service + "/static/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]


def test_engineering_view(service: str, page: Any, shots: Path) -> None:
    took = _open(page, service, "engineering")
    assert took < LOAD_LIMIT_MS, took
    tiles = page.locator("#health .tile")
    assert tiles.count() == 8
    statuses = {
        tiles.nth(i).get_attribute("data-monitor"): tiles.nth(i).get_attribute("data-status")
        for i in range(tiles.count())
    }
    assert statuses["drift"] == "breach" and statuses["latency"] == "ok", statuses
    heat = page.locator("#drift svg.plot[data-kind=heatmap]")
    assert heat.get_attribute("data-series") == "5"  # the five features
    assert int(heat.get_attribute("data-points")) >= 5 * DAYS * 24 // 2  # merged when narrow
    assert page.locator("#drift svg .cells rect.breach").count() > 0
    assert page.locator("#quality table.grid tbody tr").count() >= 1  # the latest findings
    lines = _charts(page, "line")
    assert len(lines) == 6 and all(c["points"] > 0 for c in lines), lines
    latency = page.locator("#latency svg.plot")
    assert latency.get_attribute("data-series") == "3"  # p50, p95, p99
    drivers = page.locator("#drivers tbody tr")  # the newest drifted window's drivers
    assert drivers.count() == 5 and "drifted" in drivers.first.inner_text()
    _screenshot(page, shots / "engineering.png")


def test_hovering_moves_the_cursor_on_every_chart(service: str, page: Any) -> None:
    _open(page, service, "engineering")
    latency = page.locator("#latency svg.plot")
    box = latency.bounding_box()
    latency.hover(position={"x": box["width"] * 0.6, "y": box["height"] * 0.4})
    tip = page.locator("#latency .tip")
    assert tip.is_visible()
    assert "p99" in tip.inner_text() and "ms" in tip.inner_text()
    cursors = page.locator("svg.plot line.cursor[visibility=visible]")
    assert cursors.count() == page.locator("svg.plot").count()  # the shared time axis
    assert not page.locator("#throughput .tip").is_visible()  # only the hovered chart explains


def test_product_view(service: str, page: Any, shots: Path) -> None:
    took = _open(page, service, "product")
    assert took < LOAD_LIMIT_MS, took
    performance = page.locator("#performance svg.plot")
    assert int(performance.get_attribute("data-points")) > DAYS * 24 // 2
    # realized, and estimated without labels (every window, so one solid line too)
    assert performance.locator("path.line.solid").count() == 2
    assert performance.locator("path.line.dashed").count() == 1  # provisional, drawn differently
    assert performance.locator("path.interval").count() >= 2  # the interval and the band
    assert "estimated roc_auc" in page.locator("#performance .legend").inner_text()
    assert performance.locator("path.ref").count() == 1  # the reference value
    assert page.locator("#prediction-drift svg circle.breach").count() > 0
    assert page.locator("#performance-versions .legend").inner_text().count("v") >= 2
    versions = page.locator("#versions tbody tr")
    assert versions.count() == 2 and "v2" in versions.nth(1).inner_text()
    assert page.locator("#segments tbody tr").count() == 4  # the regions
    assert page.locator("#slices tbody tr").count() >= 1  # the newest window's worst slices
    _screenshot(page, shots / "product.png")


def test_business_view(service: str, page: Any, shots: Path) -> None:
    took = _open(page, service, "business")
    assert took < LOAD_LIMIT_MS, took
    assert page.locator("#kpis .tile").count() == 2
    kpi_charts = page.locator(".kpi-card svg.plot")
    assert kpi_charts.count() == 4  # each KPI by model version and by region
    for i in range(kpi_charts.count()):
        assert int(kpi_charts.nth(i).get_attribute("data-points")) > 0
    incidents = _api(service, "/v1/incidents?model=credit")["incidents"]
    assert incidents
    bands = page.locator(".kpi-card svg .band")
    assert bands.count() == 4 * len(incidents)  # every incident on every time axis
    assert page.locator("#incidents-in-range tbody tr").count() == len(incidents)
    _screenshot(page, shots / "business.png")


def test_an_alert_leads_to_its_incident_which_is_acknowledged(
    service: str, page: Any, shots: Path
) -> None:
    _open(page, service, "alerts?status=firing")
    rows = page.locator("tr.alert-row")
    firing = _api(service, "/v1/alerts?status=firing")["alerts"]
    assert rows.count() == len(firing) > 0
    # without the token, a write is refused and the page says what to do
    rows.first.locator("button.ack").click()
    assert "token" in page.locator(".flash.error").first.inner_text().lower()
    # paste the token into the page
    page.locator("#token summary").click()
    page.fill("#token input[name=token]", TOKEN)
    page.fill("#token input[name=by]", "e2e")
    page.locator("#token button[type=submit]").click()
    assert page.locator("#token summary").inner_text() == "Token ✓"
    # follow an alert to its incident
    fingerprint = rows.first.get_attribute("data-fingerprint")
    rows.first.locator("td").nth(1).click()
    page.wait_for_selector("main[data-ready=true] #incident")
    incident_id = page.locator("#incident .muted").first.inner_text()
    incident = _api(service, f"/v1/incidents/{incident_id}")
    assert fingerprint in {a["fingerprint"] for a in incident["alerts"]}
    assert incident["status"] == "open"
    assert page.locator("#playbook h3").count() >= 2  # rendered from Markdown
    assert page.locator("#timeline li").count() == len(incident["timeline"])
    assert page.locator("#evidence table.grid").count() >= 1
    # acknowledge it from the page
    page.fill("#incident textarea[name=note]", "looking at the feature pipeline")
    page.locator("#incident button.ack").click()
    page.wait_for_selector("#incident[data-status=acknowledged]")
    assert page.locator("#incident .incident-status").inner_text() == "acknowledged"
    assert page.locator("#incident button.ack").is_disabled()
    after = _api(service, f"/v1/incidents/{incident_id}")
    assert (after["status"], after["acknowledged_by"]) == ("acknowledged", "e2e")
    assert after["timeline"][-1]["text"].endswith("looking at the feature pipeline")
    assert "looking at the feature pipeline" in page.locator("#timeline").inner_text()
    _screenshot(page, shots / "incident.png")


def test_alerts_are_acknowledged_and_silenced_from_the_alerts_page(
    service: str, page: Any, shots: Path
) -> None:
    _open(page, service, "alerts")
    page.locator("#token summary").click()
    page.fill("#token input[name=token]", TOKEN)
    page.locator("#token button[type=submit]").click()
    unacked = page.locator("tr.alert-row:has(button.ack)")
    fingerprint = unacked.first.get_attribute("data-fingerprint")
    unacked.first.locator("button.ack").click()
    page.wait_for_selector(f"tr[data-fingerprint='{fingerprint}'] .badge.acked")
    alerts = {a["fingerprint"]: a for a in _api(service, "/v1/alerts")["alerts"]}
    assert alerts[fingerprint]["acknowledged"]["by"] == "dashboard"
    # silence one alert's series for 4 hours, from its row
    row = page.locator("tr.alert-row", has_text="FeatureDrift").first
    feature = alerts[row.get_attribute("data-fingerprint")]["labels"]["feature"]
    row.locator("button.silence").click()
    matchers = page.locator("#silence-form textarea[name=matchers]").input_value().split("\n")
    assert matchers == ["alertname=FeatureDrift", "model=credit", f"feature={feature}"]
    page.select_option("#silence-form select[name=duration]", "4h")
    page.fill("#silence-form input[name=comment]", "known upstream change")
    page.locator("#silence-form button[type=submit]").click()
    page.wait_for_selector("#silences tbody tr")
    silences = _api(service, "/v1/silences")["silences"]
    assert [(s["matchers"], s["comment"]) for s in silences] == [
        (matchers, "known upstream change")
    ]
    ends = datetime.fromisoformat(silences[0]["ends_at"])
    assert ends - datetime.fromisoformat(silences[0]["starts_at"]) == timedelta(hours=4)
    assert page.locator("#silences tbody tr").first.locator(".badge").inner_text() == "active"
    page.wait_for_selector(".badge.silenced")
    _screenshot(page, shots / "alerts.png")


def test_the_view_refreshes_itself_unless_turned_off(service: str, page: Any) -> None:
    page.clock.install()
    _open(page, service, "engineering")
    assert page.locator("select[name=refresh]").input_value() == "1m"  # the default

    def mark() -> None:
        page.evaluate("document.querySelector('.view').dataset.seen = 'yes'")

    mark()
    page.clock.run_for("00:30")
    assert page.locator(".view[data-seen=yes]").count() == 1  # not yet
    page.clock.run_for("00:35")  # the minute has passed: drawn again, from fresh data
    page.wait_for_selector(".view:not([data-seen])", timeout=30_000)
    page.wait_for_selector("main[data-ready=true]", timeout=30_000)
    page.select_option("select[name=refresh]", "off")
    page.locator("h1, header").first.click()  # leave the select: focus no longer holds it
    mark()
    page.clock.run_for("05:00")
    assert page.locator(".view[data-seen=yes]").count() == 1  # off: never redrawn
