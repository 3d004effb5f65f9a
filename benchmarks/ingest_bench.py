"""HTTP ingest, batches of 100, sustained, durable ack — against the DESIGN budget.

Budget (DESIGN.md section 3): >= 100k events/s with p99 <= 100 ms on the 2-core machine.

The service runs as ``watchkeeper.server.run.serve`` in its own process (a fresh store in a
temp dir, one binary model with 7 numeric + 3 categorical features and one segment key). A load
generator in a second process posts 100-event JSON batches with unique ids: ``wrk`` with a Lua
script when it is installed, else a multi-process asyncio client. After the run the service is
drained and the store is checked: every acknowledged event stored once. It prints events/s,
p50/p95/p99 latency of acknowledged requests, and the store's bytes per million events. It
also measures decode + validation alone on one core (target >= 100k events/s).

    python benchmarks/ingest_bench.py                        # 25 s, 16 connections
    python benchmarks/ingest_bench.py --duration 10 --client python

uvicorn parses HTTP with httptools and runs uvloop when they are installed (about 10% more
events/s here than its pure-Python h11 parser); the first output lines say which ran.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

BUDGET_EVENTS_PER_S = 100_000
BUDGET_P99_MS = 100.0
NUMERIC = [f"n{i}" for i in range(7)]
CATEGORICAL = [f"c{i}" for i in range(3)]


def make_record(rng: random.Random, ident: str, timestamp: float) -> dict[str, object]:
    features: dict[str, object] = {name: round(rng.gauss(50, 10), 3) for name in NUMERIC}
    features.update({name: rng.choice("abcde") for name in CATEGORICAL})
    return {
        "id": ident,
        "timestamp": timestamp,
        "features": features,
        "prediction": round(rng.random(), 4),
        "latency_ms": round(rng.expovariate(0.2), 2),
        "model_version": "v1",
        "segment": {"region": rng.choice(["eu", "us", "apac"])},
    }


def batch_template(size: int, seed: int = 0) -> str:
    """One JSON batch whose ids are ``@P@-<i>``: the client puts a unique prefix in."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 1, tzinfo=UTC).timestamp()
    return json.dumps([make_record(rng, f"@P@-{i}", start + i) for i in range(size)])


def write_config(directory: Path) -> Path:
    rng = random.Random(1)
    columns: dict[str, list[object]] = {
        n: [rng.gauss(50, 10) for _ in range(2000)] for n in NUMERIC
    }
    columns.update({n: [rng.choice("abcde") for _ in range(2000)] for n in CATEGORICAL})
    columns["prediction"] = [rng.random() for _ in range(2000)]
    columns["label"] = [rng.randint(0, 1) for _ in range(2000)]
    pq.write_table(pa.table(columns), directory / "reference.parquet")
    config = directory / "watchkeeper.yaml"
    config.write_text(
        f"store: {directory / 'store'}\n"
        "models:\n  bench:\n    task: binary_classification\n    reference: reference.parquet\n"
        "    label: label\n    segments: [region]\n    windows: [1h]\n"
    )
    return config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(config: Path, port: int) -> subprocess.Popen[bytes]:
    code = f"from watchkeeper.server.run import serve; serve({str(config)!r}, '127.0.0.1', {port})"
    extra = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(SRC), extra) if p)}
    process = subprocess.Popen([sys.executable, "-c", code], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the service did not become ready")


WRK_SCRIPT = """
local template = io.open("{template}", "rb"):read("*all")
local counter = 0
local prefix = ""
local path = "{path}"
local headers = {{["Content-Type"] = "application/json"}}
function setup(thread)
  thread:set("tid", tostring(math.random(1, 1e9)))
end
function init(args)
  prefix = tid
end
function request()
  counter = counter + 1
  local body = template:gsub("@P@", prefix .. "-" .. counter)
  return wrk.format("POST", path, headers, body)
end
function done(summary, latency, requests)
  local out = io.open("{result}", "w")
  out:write(string.format(
    '{{"requests": %d, "seconds": %f, "non2xx": %d, "socket_errors": %d, ' ..
    '"p50_ms": %f, "p95_ms": %f, "p99_ms": %f, "max_ms": %f}}',
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3))
  out:close()
end
"""


def run_wrk(port: int, template: Path, work: Path, args: argparse.Namespace) -> dict[str, float]:
    result = work / "wrk.json"
    script = work / "post.lua"
    path = "/v1/models/bench/predictions"
    script.write_text(WRK_SCRIPT.format(template=template, path=path, result=result))
    subprocess.run(
        ["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "-s", str(script),
         "--timeout", "10s", f"http://127.0.0.1:{port}/"],
        check=True, stdout=subprocess.DEVNULL,
    )
    data: dict[str, float] = json.loads(result.read_text())
    return data


async def _connection(port: int, template: str, prefix: str, until: float,
                      latencies: list[float], statuses: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    number = 0
    try:
        while time.monotonic() < until:
            number += 1
            body = template.replace("@P@", f"{prefix}-{number}").encode()
            head = (f"POST /v1/models/bench/predictions HTTP/1.1\r\nHost: bench\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
            started = time.perf_counter()
            writer.write(head.encode() + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses.append(int(status_line.split()[1]))
    finally:
        writer.close()


def _load_process(port: int, template: str, seconds: float, connections: int, tag: int,
                  results: Any) -> None:
    latencies: list[float] = []
    statuses: list[int] = []

    async def main() -> None:
        until = time.monotonic() + seconds
        await asyncio.gather(*(_connection(port, template, f"{tag}.{c}", until, latencies,
                                           statuses) for c in range(connections)))

    asyncio.run(main())
    results.put((latencies, statuses))


def run_python_client(port: int, template: Path, args: argparse.Namespace) -> dict[str, float]:
    """Two client processes with asyncio connections (used when wrk is not installed)."""
    text = template.read_text()
    results: Any = multiprocessing.Queue()
    per_process = max(1, args.connections // 2)
    started = time.perf_counter()
    workers = [multiprocessing.Process(target=_load_process, args=(
        port, text, args.duration, per_process, tag, results)) for tag in range(2)]
    for worker in workers:
        worker.start()
    latencies: list[float] = []
    statuses: list[int] = []
    for _ in workers:
        got_latencies, got_statuses = results.get()
        latencies += got_latencies
        statuses += got_statuses
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    acked = sorted(t for t, s in zip(latencies, statuses, strict=True) if s == 202)
    def pct(q: float) -> float:
        return acked[min(len(acked) - 1, int(q * len(acked)))] * 1e3 if acked else float("nan")
    return {"requests": len(statuses), "seconds": seconds,
            "non2xx": sum(1 for s in statuses if s != 202), "socket_errors": 0,
            "p50_ms": pct(0.5), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
            "max_ms": acked[-1] * 1e3 if acked else float("nan")}


def decode_rate(seconds: float = 3.0) -> float:
    """Decode + validation alone, one core, events per second."""
    from watchkeeper.ingest.layout import Kind
    from watchkeeper.ingest.records import BatchDecoder
    from watchkeeper.schema import ColumnSchema, ColumnType, Schema
    from watchkeeper.settings import parse_service_config

    config = parse_service_config({"models": {"bench": {
        "task": "binary_classification", "segments": ["region"]}}})
    schema = Schema(tuple([ColumnSchema(n, ColumnType.NUMERIC) for n in NUMERIC]
                          + [ColumnSchema(n, ColumnType.CATEGORICAL) for n in CATEGORICAL]))
    decoder = BatchDecoder(config.models["bench"], schema)
    bodies = [batch_template(100, seed).replace("@P@", f"s{seed}").encode() for seed in range(20)]
    now = datetime.now(UTC)
    events = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for body in bodies:
            events += decoder.decode(Kind.PREDICTIONS, body, ndjson=False, now=now).batch.num_rows
    return events / (time.perf_counter() - started)


def sizes(store: Path) -> tuple[int, int]:
    """Bytes of the DuckDB store (with its own journal) and of the event log on disk."""
    log = sum(p.stat().st_size for p in (store / "wal").glob("*.wal"))
    duck = sum(p.stat().st_size for p in store.glob("watchkeeper.duckdb*"))
    return duck, log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=25)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args()
    print(f"decode + validation, one core: {decode_rate():,.0f} events/s")
    work = Path(tempfile.mkdtemp(prefix="wk-ingest-bench-"))
    try:
        template = work / "batch.json"
        template.write_text(batch_template(args.batch))
        config = write_config(work)
        port = free_port()
        server = start_server(config, port)
        use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
        try:
            if use_wrk:
                result = run_wrk(port, template, work, args)
            else:
                result = run_python_client(port, template, args)
            acked = int(result["requests"] - result["non2xx"])
            stored = wait_for_store(port, acked * args.batch)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(60)
        report(result, acked, stored, args, sizes(work / "store"), "wrk" if use_wrk
               else "python")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def wait_for_store(port: int, expected: int, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    stored = 0
    while time.monotonic() < deadline:
        stored = int(httpx.get(f"http://127.0.0.1:{port}/v1/models/bench").json()["predictions"])
        if stored >= expected:
            break
        time.sleep(0.2)
    return stored


def report(result: dict[str, float], acked: int, stored: int, args: argparse.Namespace,
           size: tuple[int, int], client: str) -> None:
    events = acked * args.batch
    rate = events / result["seconds"]
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    print(f"client: {client}, {args.connections} connections, {args.duration} s, "
          f"batches of {args.batch}; server: uvicorn with {parser} and {loop}")
    print(f"acknowledged: {acked:,} requests, {events:,} events; refused/failed: "
          f"{int(result['non2xx'])} / {int(result.get('socket_errors', 0))}")
    # wrk stops counting at the deadline: requests still in flight may be stored unreported
    print(f"stored: {stored:,} events ({'all' if stored >= events else 'MISSING EVENTS'})")
    print(f"throughput: {rate:,.0f} events/s (budget >= {BUDGET_EVENTS_PER_S:,})")
    print(f"latency ms: p50 {result['p50_ms']:.1f}  p95 {result['p95_ms']:.1f}  "
          f"p99 {result['p99_ms']:.1f}  max {result['max_ms']:.1f} (budget p99 <= "
          f"{BUDGET_P99_MS:.0f})")
    duck, log = size
    print(f"store growth: {duck / max(stored, 1):.0f} bytes per event = "
          f"{duck / max(stored, 1):.0f} MB per million events in DuckDB; event log on disk "
          f"{log / 1e6:.1f} MB (segments are deleted once applied, 64 MB each)")
    ok = rate >= BUDGET_EVENTS_PER_S and result["p99_ms"] <= BUDGET_P99_MS and stored >= events
    print("budget: " + ("met" if ok else "NOT met"))


if __name__ == "__main__":
    main()
