"""The harness and `watchkeeper replay` on a real temp DuckDB store: simulated traffic and the
same traffic written to Parquet give the same alerts at the same times; a replay reports what
would have fired, when it resolved and who would have been told (or why not); --send delivers
through the configured receivers (a real loopback webhook)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper.cli import main
from watchkeeper.scenarios.harness import SilenceSpec, run_harness
from watchkeeper.scenarios.results import RunResult
from watchkeeper.scenarios.traffic import Columns, RecordedTraffic, SimulatedTraffic
from watchkeeper.settings import load_service_config, parse_service_config
from watchkeeper.simulate import CreditSimulation

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "scenarios"
START = datetime(2026, 3, 2, tzinfo=UTC)
HOUR, STEP = timedelta(hours=1), timedelta(hours=6)
END = START + 42 * HOUR
# the feature pipeline breaks on day 2 for two windows (FeatureDrift needs two in a row)
BREAK = (START + 24 * HOUR, START + 36 * HOUR)
SIM = CreditSimulation(seed=5, quality_break=BREAK)
PER_HOUR = 120


def _history(tmp: Path) -> tuple[Path, Path]:
    """The simulation's records as a user's history: a predictions file and a labels file
    (each label with the time it arrived)."""
    rows: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    hour = START
    while hour < END:
        made, arrived = SIM.generate(hour, hour + HOUR, PER_HOUR)
        for p in made:
            rows.append(
                {
                    "id": p["id"],
                    "timestamp": datetime.fromisoformat(p["timestamp"]),
                    **p["features"],
                    "score": p["prediction"],
                    "latency_ms": p["latency_ms"],
                    "model_version": p["model_version"],
                    "segment.region": p["segment"]["region"],
                }
            )
        labels += [{**a, "timestamp": datetime.fromisoformat(a["timestamp"])} for a in arrived]
        hour += HOUR
    predictions_path, labels_path = tmp / "history.parquet", tmp / "labels.csv"
    pq.write_table(pa.Table.from_pylist(rows), predictions_path)
    pa.csv.write_csv(pa.Table.from_pylist(labels), labels_path)
    return predictions_path, labels_path


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    import pyarrow.csv  # noqa: F401  (pa.csv)

    return _history(tmp_path_factory.mktemp("history"))


@pytest.fixture(scope="module")
def simulated() -> RunResult:
    config = load_service_config(EXAMPLES / "watchkeeper.yaml")
    return run_harness(config, SimulatedTraffic(SIM, START, END, PER_HOUR), STEP)


def _alerts(result: RunResult) -> list[tuple[str, str, str, str]]:
    return [(t.at.isoformat(), t.alertname, t.status, t.series) for t in result.transitions]


def test_a_simulated_run_alerts_and_mutes(simulated: RunResult) -> None:
    assert simulated.steps == 7 and simulated.predictions == 42 * PER_HOUR
    assert simulated.labels < simulated.predictions  # late labels still in flight at the end
    [quality] = [e for e in simulated.episodes() if e.alertname == "DataQualityBreak"]
    assert quality.fired_at == START + 30 * HOUR  # the end of the step that saw the break
    assert quality.resolved_at == END and quality.notified
    drift = [e for e in simulated.episodes() if e.alertname == "FeatureDrift"]
    assert drift and not any(e.notified for e in drift)
    assert all(e.why_not.startswith("inhibited by DataQualityBreak") for e in drift)
    # the queued notifications: the quality break firing, then resolving
    assert [(s.status, s.receiver, s.integration) for s in simulated.sent] == [
        ("firing", "oncall", "webhook"),
        ("resolved", "oncall", "webhook"),
    ]


def test_a_run_is_deterministic(simulated: RunResult) -> None:
    config = load_service_config(EXAMPLES / "watchkeeper.yaml")
    again = run_harness(config, SimulatedTraffic(SIM, START, END, PER_HOUR), STEP)
    assert _alerts(again) == _alerts(simulated)
    assert [s.to_dict() for s in again.sent] == [s.to_dict() for s in simulated.sent]


def test_recorded_traffic_alerts_like_the_simulation(
    simulated: RunResult, history: tuple[Path, Path]
) -> None:
    predictions, labels = history
    traffic = RecordedTraffic(predictions, labels, Columns(prediction="score"))
    config = load_service_config(EXAMPLES / "watchkeeper.yaml")
    recorded = run_harness(config, traffic, STEP, end=END)
    assert (recorded.predictions, recorded.labels) == (simulated.predictions, simulated.labels)
    assert _alerts(recorded) == _alerts(simulated)
    assert recorded.rejected == 0


def test_replay_reports_what_would_have_fired(
    history: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    predictions, labels = history
    out = tmp_path / "replay.json"
    args = ["replay", "--config", str(EXAMPLES / "watchkeeper.yaml"), "--data", str(predictions)]
    args += ["--labels", str(labels), "--prediction-column", "score", "--step", "6h"]
    assert main([*args, "-o", str(out)]) == 0
    table = capsys.readouterr().out
    assert "replay of credit from 2026-03-02 00:00Z to 2026-03-03 18:00Z: 7 steps of 6h" in table
    assert "DataQualityBreak" in table and "inhibited by DataQualityBreak" in table
    report = json.loads(out.read_text())
    alerts = {a["alertname"]: a for a in report["alerts"]}
    assert alerts["DataQualityBreak"]["fired_at"] == (START + 30 * HOUR).isoformat()
    assert alerts["DataQualityBreak"]["notified"] is True
    assert alerts["FeatureDrift"]["notified"] is False
    assert report["predictions"] == 42 * PER_HOUR

    # a window of the history, evaluated hourly: the break is seen one hour after it starts
    window = ["--from", "2026-03-02T12:00Z", "--to", "2026-03-03T03:00Z", "--step", "1h"]
    assert main([*args[:-2], *window, "--json", "-q"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["steps"] == 15 and report["predictions"] == 15 * PER_HOUR
    # 6h windows: nothing closes with broken data before 06:00 on day 2
    assert not [a for a in report["alerts"] if a["alertname"] == "DataQualityBreak"]


def test_replay_with_labels_in_the_data_and_a_silence(tmp_path: Path) -> None:
    """Labels in a column arrive with their prediction; a silence explains a silent alert."""
    rows = []
    sim = CreditSimulation(seed=5, outage=(START + 24 * HOUR, START + 30 * HOUR))
    made, arrived = sim.generate(START, END, PER_HOUR)
    truth = {a["id"]: a["label"] for a in arrived}
    for p in made:
        rows.append(
            {
                "request": p["id"],
                "at": p["timestamp"],
                **p["features"],
                "score": p["prediction"],
                "outcome": truth.get(p["id"]),
            }
        )
    table = pa.Table.from_pylist(rows)
    traffic = RecordedTraffic(
        table, None, Columns(id="request", timestamp="at", prediction="score", label="outcome")
    )
    config = load_service_config(EXAMPLES / "watchkeeper.yaml")
    quiet = SilenceSpec(("alertname=NoTraffic",), START, END, "maintenance")
    result = run_harness(config, traffic, STEP, silences=[quiet])
    assert result.labels == len(arrived)
    [outage] = [e for e in result.episodes() if e.alertname == "NoTraffic"]
    assert outage.fired_at == START + 30 * HOUR and not outage.notified
    assert outage.why_not.startswith("silenced by") and "maintenance" in outage.why_not
    assert result.sent == ()


def test_bad_records_are_counted_not_fatal(tmp_path: Path) -> None:
    pq.write_table(
        pa.table({"age": [30.0, 40.0], "prediction": [0.1, 0.3]}), tmp_path / "ref.parquet"
    )
    config = parse_service_config(
        {"models": {"m": {"task": "regression", "reference": "ref.parquet", "windows": ["1h"]}}},
        str(tmp_path),
    )
    times = [START + i * timedelta(minutes=5) for i in range(12)]
    ages = [30.0 + i for i in range(12)]
    latency = [-1.0 if i == 3 else 20.0 for i in range(12)]  # the SDK's checks refuse -1
    table = pa.table(
        {
            "id": [f"r{i}" for i in range(12)],
            "timestamp": times,
            "age": ages,
            "prediction": [0.2] * 12,
            "latency_ms": latency,
        }
    )
    result = run_harness(config, RecordedTraffic(table), HOUR)
    assert (result.predictions, result.rejected) == (11, 1)
    assert "latency_ms" in result.errors[0]

    # text where the schema wants numbers: the intake's checks refuse every record
    texts = table.set_column(2, "age", pa.array([str(a) for a in ages]))
    result = run_harness(config, RecordedTraffic(texts), HOUR)
    assert (result.predictions, result.rejected) == (0, 12)
    assert any("features.age: expected a number, got '30.0'" in e for e in result.errors)


def test_replay_needs_event_times(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "no-times.csv"
    path.write_text("id,prediction,age\na,0.1,30\n")
    config = str(EXAMPLES / "watchkeeper.yaml")
    assert main(["replay", "--config", config, "--data", str(path)]) == 2
    assert "a replay needs event times" in capsys.readouterr().err


def test_send_delivers_through_the_configured_receivers(
    history: tuple[Path, Path], tmp_path: Path, webhook_sink: Any
) -> None:
    text = (
        (EXAMPLES / "watchkeeper.yaml")
        .read_text()
        .replace("http://127.0.0.1:9999/hook", webhook_sink.url)
    )
    config = tmp_path / "watchkeeper.yaml"
    config.write_text(
        text.replace("credit_reference.parquet", str(EXAMPLES / "credit_reference.parquet"))
    )
    predictions, labels = history
    args = ["replay", "--config", str(config), "--data", str(predictions), "--labels", str(labels)]
    args += ["--prediction-column", "score", "--step", "6h", "--send", "-q", "--json"]
    assert main(args) == 0
    assert webhook_sink.received() == [
        ("firing", "DataQualityBreak", "critical"),
        ("resolved", "DataQualityBreak", "critical"),
    ]


def test_a_scenario_over_recorded_data(
    history: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    predictions, labels = history
    (tmp_path / "tests.yaml").write_text(
        f"config: {EXAMPLES / 'watchkeeper.yaml'}\n"
        "scenarios:\n"
        "  - name: last week's quality break\n"
        f"    data: {{predictions: {predictions}, labels: {labels}, prediction_column: score}}\n"
        "    expect:\n"
        "      - {alert: DataQualityBreak, severity: critical, notified: true,\n"
        "         fires_between: [2026-03-03T00:00Z, 2026-03-03T06:00Z]}\n"
        "      - {alert: FeatureDrift, labels: {feature: utilisation}, notified: false}\n"
        "    quiet: [[2026-03-02T00:00Z, 2026-03-02T23:59Z]]\n"
    )
    assert main(["test", str(tmp_path / "tests.yaml"), "-q"]) == 0
    assert "1 of 1 scenarios passed (5 of 5 checks)" in capsys.readouterr().out
