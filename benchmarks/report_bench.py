"""Speed, memory and detection of ``watchkeeper report`` against the DESIGN budgets and Evidently.

For each size, the shared synthetic data set (15 numeric + 5 categorical columns, 7 of them
shifted) is written to Parquet once (``benchmarks/.data/``, not timed), then measured:

* the whole ``watchkeeper report REF CUR --format json`` process: wall time (median of
  ``--repeats``) and peak RSS, and whether exactly the 7 shifted columns were reported;
* the same with a saved reference profile (``.wkprofile``) instead of reference data;
* ``compute_report`` in this process: from the two Parquet files, from the saved profile and
  the current Parquet file, and from the saved profile and an already-loaded Arrow table;
* Evidently's ``DataDriftPreset`` on the same files in its own interpreter (a side virtual
  environment), when ``--evidently-python`` exists.

Every timed process is started on its own and reaped with ``os.wait4``, so its peak RSS is its
own, not a maximum over everything this script ran before.

    python benchmarks/report_bench.py                      # 100k and 1M rows
    python benchmarks/report_bench.py --rows 200000 --json out/bench.json
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench_common import load_synth

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
DEFAULT_SYNTH = REPO.parent / "shared" / "bench" / "synth.py"
DEFAULT_DATA = REPO / "benchmarks" / ".data"
DEFAULT_EVIDENTLY = Path("/tmp/evidently-venv/bin/python")

# DESIGN.md section 3, for 1M reference + 1M current rows x 20 columns
BUDGET_ROWS = 1_000_000
BUDGET_WALL_S = 2.0
BUDGET_RSS_MB = 600.0
BUDGET_CACHED_S = 0.25  # per 1M current rows, reference profile cached

if (SRC / "watchkeeper").is_dir() and str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

# Runs inside the Evidently interpreter: argv = reference, current. Prints one JSON line.
EVIDENTLY_SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
import pandas as pd
import evidently
from evidently import Report
from evidently.presets import DataDriftPreset
t1 = time.perf_counter()
reference = pd.read_parquet(sys.argv[1])
current = pd.read_parquet(sys.argv[2])
t2 = time.perf_counter()
snapshot = Report([DataDriftPreset()], include_tests=True).run(current, reference)
t3 = time.perf_counter()
result = snapshot.dict()
drifted, methods, share = [], {}, None
for metric in result["metrics"]:
    config = metric["config"]
    if config["type"].endswith("ValueDrift"):
        methods[config["column"]] = config.get("method")
    elif config["type"].endswith("DriftedColumnsCount"):
        share = metric["value"]["share"]
for test in result["tests"]:
    params = test["metric_config"]["params"]
    if params["type"].endswith("ValueDrift") and test["status"] == "FAIL":
        drifted.append(params["column"])
print(json.dumps({
    "version": evidently.__version__, "pandas": pd.__version__,
    "import_s": t1 - t0, "read_s": t2 - t1, "run_s": t3 - t2,
    "drifted": drifted, "drift_share": share, "methods": methods,
}))
"""


@dataclass
class ProcessRun:
    """One child process: wall seconds, peak RSS in MiB, exit code, captured output."""

    wall_s: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Measurement:
    """One row of the result table."""

    name: str
    wall_s: float | None = None
    runs_s: list[float] = field(default_factory=list)
    peak_rss_mb: float | None = None
    drifted: list[str] | None = None
    budget: str = ""
    within_budget: bool | None = None
    note: str = ""


@dataclass
class SizeResult:
    rows: int
    expected_drifted: list[str]
    measurements: list[Measurement] = field(default_factory=list)
    ratios: dict[str, float] = field(default_factory=dict)
    evidently: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------- data


def ensure_data(
    rows: int, seed: int, synth_path: Path, cache: Path
) -> tuple[Path, Path, list[str]]:
    """Reference and current Parquet files for ``rows`` (generated once, then reused)."""
    digest = hashlib.sha256(synth_path.read_bytes()).hexdigest()[:10]
    stem = cache / f"synth_{rows}_seed{seed}_{digest}"
    ref, cur, meta_path = (
        Path(f"{stem}_{part}") for part in ("ref.parquet", "cur.parquet", "meta.json")
    )
    if not (ref.exists() and cur.exists() and meta_path.exists()):
        import pyarrow as pa
        import pyarrow.parquet as pq

        cache.mkdir(parents=True, exist_ok=True)
        print(
            f"generating {rows:,} rows (seed {seed}) into {cache} ...", file=sys.stderr, flush=True
        )
        reference, current, meta = load_synth(synth_path).make_data(rows, seed)
        for frame, target in ((reference, ref), (current, cur)):
            table = pa.Table.from_pandas(frame, preserve_index=False)
            # plain utf8 strings whatever the pandas version wrote (large_string under pandas 3)
            schema = pa.schema(
                [
                    pa.field(f.name, pa.string()) if pa.types.is_large_string(f.type) else f
                    for f in table.schema
                ]
            )
            pq.write_table(table.cast(schema), target)
        meta_path.write_text(
            json.dumps({"drifted_columns": meta["drifted_columns"], "rows": rows, "seed": seed})
        )
        del reference, current
        gc.collect()
    expected = json.loads(meta_path.read_text())["drifted_columns"]
    return ref, cur, list(expected)


# ---------------------------------------------------------------------------- processes


def run_process(
    cmd: Sequence[str], env: dict[str, str] | None = None, timeout: float | None = None
) -> ProcessRun:
    """Run ``cmd``; its own peak RSS comes from ``os.wait4`` on exactly this child."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, env=env)
        killer = threading.Timer(timeout, proc.kill) if timeout is not None else None
        if killer is not None:
            killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            if killer is not None:
                killer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ProcessRun(wall, usage.ru_maxrss / 1024.0, proc.returncode, out.read(), err.read())


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    env["DO_NOT_TRACK"] = "1"
    return env


def watchkeeper_command(args: argparse.Namespace) -> list[str]:
    if args.command:
        return shlex.split(str(args.command))
    return [sys.executable, "-m", "watchkeeper"]


def measure_cli(
    name: str, cmd: list[str], output: Path, repeats: int, env: dict[str, str]
) -> Measurement:
    walls: list[float] = []
    peaks: list[float] = []
    drifted: list[str] | None = None
    for _ in range(repeats):
        output.unlink(missing_ok=True)
        run = run_process(cmd, env)
        if run.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} exited {run.returncode}:\n{run.stderr[-3000:]}")
        walls.append(run.wall_s)
        peaks.append(run.peak_rss_mb)
        drifted = list(json.loads(output.read_text())["drifted_columns"])
    return Measurement(name, statistics.median(walls), walls, max(peaks), drifted)


def measure_evidently(
    python: Path, ref: Path, cur: Path, repeats: int, timeout: float
) -> tuple[Measurement, Measurement, dict[str, Any]]:
    walls: list[float] = []
    peaks: list[float] = []
    runs: list[float] = []
    info: dict[str, Any] = {}
    for _ in range(repeats):
        run = run_process(
            [str(python), "-c", EVIDENTLY_SCRIPT, str(ref), str(cur)], child_env(), timeout
        )
        if run.returncode != 0:
            raise RuntimeError(f"Evidently exited {run.returncode}:\n{run.stderr[-3000:]}")
        info = json.loads(run.stdout.strip().splitlines()[-1])
        walls.append(run.wall_s)
        peaks.append(run.peak_rss_mb)
        runs.append(float(info["run_s"]))
    label = f"Evidently {info['version']} DataDriftPreset"
    whole = Measurement(
        f"{label}, whole process (import + read + run)",
        statistics.median(walls),
        walls,
        max(peaks),
        list(info["drifted"]),
    )
    only = Measurement(
        f"{label}, Report.run only (in its process)",
        statistics.median(runs),
        runs,
        None,
        list(info["drifted"]),
    )
    return whole, only, info


# ---------------------------------------------------------------------------- in-process


def timed(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> tuple[float, list[float], Any]:
    result: Any = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def measure_in_process(ref: Path, cur: Path, profile_path: Path, repeats: int) -> list[Measurement]:
    from watchkeeper.config import ReportConfig
    from watchkeeper.data import read_table
    from watchkeeper.profiles.serialize import load_profile, save_profile
    from watchkeeper.report.compute import compute_report, profile_reference_table

    config = ReportConfig()
    rows: list[Measurement] = []

    def add(name: str, fn: Callable[[], Any], note: str = "") -> Any:
        median, times, result = timed(fn, repeats)
        drifted = list(result.drifted_columns) if hasattr(result, "drifted_columns") else None
        rows.append(Measurement(name, median, times, None, drifted, note=note))
        return result

    add(
        "compute_report(ref.parquet, cur.parquet), in-process",
        lambda: compute_report(str(ref), str(cur), config),
    )
    table_ref = read_table(str(ref), "reference")
    profile = add(
        "build reference profile from a loaded Arrow table, in-process",
        lambda: profile_reference_table(table_ref, config),
        note="done once per reference",
    )
    save_profile(profile, profile_path)
    add(
        "compute_report(ref.wkprofile, cur.parquet), in-process",
        lambda: compute_report(str(profile_path), str(cur), config),
    )
    table_cur = read_table(str(cur), "current")
    add(
        "compute_report(ref.wkprofile, cur Arrow table), read excluded",
        lambda: compute_report(str(profile_path), table_cur, config),
    )
    loaded = load_profile(profile_path)
    add(
        "compute_report(loaded profile, cur Arrow table), read + load excluded",
        lambda: compute_report(loaded, table_cur, config),
    )
    return rows


# ---------------------------------------------------------------------------- budgets, output


def apply_budgets(result: SizeResult) -> None:
    """DESIGN §3 budgets are stated for 1M rows; other sizes are shown without one."""
    if result.rows != BUDGET_ROWS:
        return
    for m in result.measurements:
        if m.name.startswith("watchkeeper report REF CUR"):
            m.budget = f"≤ {BUDGET_WALL_S:g} s, ≤ {BUDGET_RSS_MB:g} MB"
            m.within_budget = bool(
                m.wall_s is not None
                and m.wall_s <= BUDGET_WALL_S
                and m.peak_rss_mb is not None
                and m.peak_rss_mb <= BUDGET_RSS_MB
            )
        elif "wkprofile, cur Arrow" in m.name or "loaded profile" in m.name:
            m.budget = f"≤ {BUDGET_CACHED_S:g} s"
            m.within_budget = m.wall_s is not None and m.wall_s <= BUDGET_CACHED_S


def drift_text(found: list[str] | None, expected: list[str]) -> str:
    if found is None:
        return "–"
    extra = sorted(set(found) - set(expected))
    missing = sorted(set(expected) - set(found))
    if not extra and not missing:
        return f"{len(found)}/{len(expected)} exact"
    parts = [f"{len(found)} found"]
    if extra:
        parts.append("extra " + ",".join(extra))
    if missing:
        parts.append("missed " + ",".join(missing))
    return "; ".join(parts)


def table(headers: list[str], body: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)
    ]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in body)])


def print_size(result: SizeResult) -> None:
    print(
        f"\n### {result.rows:,} reference + {result.rows:,} current rows × 20 columns "
        f"(expected drifted: {len(result.expected_drifted)})\n"
    )
    body = []
    for m in result.measurements:
        verdict = "" if m.within_budget is None else (" ✔" if m.within_budget else " ✘ over")
        body.append(
            [
                m.name,
                "–" if m.wall_s is None else f"{m.wall_s:.3f}",
                "–" if m.peak_rss_mb is None else f"{m.peak_rss_mb:.0f}",
                drift_text(m.drifted, result.expected_drifted),
                (m.budget + verdict) if m.budget else (m.note or ""),
            ]
        )
    print(
        table(
            ["measurement", "wall s (median)", "peak RSS MiB", "drifted columns", "budget / note"],
            body,
        )
    )
    if result.ratios:
        print()
        for key, value in result.ratios.items():
            print(f"- {key}: {value:.1f}×")


def git_revision() -> str:
    """The checkout's commit, and whether the working tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"git {head}{' + uncommitted changes in src/' if dirty else ''}"


def machine_description(evidently_python: Path | None) -> dict[str, str]:
    import numpy
    import pyarrow

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and cpu == "unknown":
                cpu = value.strip()
            elif key.strip() == "cpu MHz":
                cpu = f"{cpu} @ {float(value):.0f} MHz"
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    info = {
        "cpu": cpu,
        "cores": f"{os.cpu_count()} logical ({usable} usable)",
        "ram": ram,
        "load average at start (1/5/15 min)": " / ".join(f"{x:.2f}" for x in load),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pyarrow": pyarrow.__version__,
    }
    try:
        import watchkeeper

        info["watchkeeper"] = f"{watchkeeper.__version__} ({git_revision()})"
    except ImportError as exc:
        info["watchkeeper"] = f"not importable ({exc})"
    if evidently_python is not None:
        probe = (
            "import importlib.metadata as m, platform; "
            "print(m.version('evidently'), m.version('pandas'), m.version('numpy'), "
            "platform.python_version())"
        )
        done = subprocess.run(
            [str(evidently_python), "-c", probe], capture_output=True, text=True, check=False
        )
        if done.returncode == 0:
            ev, pd_, np_, py = done.stdout.split()
            info["evidently"] = f"{ev} (side environment: Python {py}, pandas {pd_}, numpy {np_})"
    return info


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--rows", type=int, nargs="+", default=[100_000, 1_000_000], help="sizes to measure"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--synth", type=Path, default=DEFAULT_SYNTH, help="path of the shared synth.py")
    p.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA, help="cache of generated Parquet files"
    )
    p.add_argument(
        "--repeats", type=int, default=3, help="timed runs per measurement (median shown)"
    )
    p.add_argument(
        "--command", help="watchkeeper command line (default: this Python -m watchkeeper)"
    )
    p.add_argument(
        "--evidently-python",
        type=Path,
        default=DEFAULT_EVIDENTLY if DEFAULT_EVIDENTLY.exists() else None,
        help="Python of a virtual environment with evidently (default: %(default)s)",
    )
    p.add_argument("--no-evidently", action="store_true", help="do not run Evidently")
    p.add_argument(
        "--skip-evidently-above",
        type=int,
        default=1_000_000,
        help="run Evidently only up to this many rows (inclusive)",
    )
    p.add_argument("--evidently-repeats", type=int, default=1)
    p.add_argument(
        "--evidently-timeout", type=float, default=900.0, help="seconds per Evidently run"
    )
    p.add_argument("--json", type=Path, help="also write the results here as JSON")
    return p.parse_args(argv)


def ratios(ours: Measurement, theirs: Measurement, label: str) -> dict[str, float]:
    """Evidently / watchkeeper for wall time and peak RSS, where both were measured."""
    out: dict[str, float] = {}
    if ours.wall_s and theirs.wall_s:
        out[f"Evidently / watchkeeper wall, {label}"] = theirs.wall_s / ours.wall_s
    if ours.peak_rss_mb and theirs.peak_rss_mb:
        out[f"Evidently / watchkeeper peak RSS, {label}"] = theirs.peak_rss_mb / ours.peak_rss_mb
    return out


def bench_size(rows: int, args: argparse.Namespace, evidently: Path | None) -> SizeResult:
    ref, cur, expected = ensure_data(rows, args.seed, args.synth, args.data_dir)
    result = SizeResult(rows, expected)
    env = child_env()
    cli = watchkeeper_command(args)
    work = args.data_dir / "out"
    work.mkdir(parents=True, exist_ok=True)
    out = work / f"report_{rows}.json"
    profile_path = work / f"ref_{rows}.wkprofile"
    print(f"measuring {rows:,} rows ...", file=sys.stderr, flush=True)

    whole = measure_cli(
        "watchkeeper report REF CUR --format json (whole process)",
        [*cli, "report", str(ref), str(cur), "--format", "json", "-o", str(out), "-q"],
        out,
        args.repeats,
        env,
    )
    result.measurements.append(whole)
    profiled = run_process([*cli, "profile", str(ref), "-o", str(profile_path), "-q"], env)
    if profiled.returncode != 0:
        raise SystemExit(
            f"watchkeeper profile exited {profiled.returncode}:\n{profiled.stderr[-3000:]}"
        )
    result.measurements.append(
        Measurement(
            "watchkeeper profile REF (whole process, once)",
            profiled.wall_s,
            [profiled.wall_s],
            profiled.peak_rss_mb,
            note=f"{profile_path.stat().st_size / 1024:.0f} KiB profile",
        )
    )
    result.measurements.append(
        measure_cli(
            "watchkeeper report REF.wkprofile CUR --format json (whole process)",
            [*cli, "report", str(profile_path), str(cur), "--format", "json", "-o", str(out), "-q"],
            out,
            args.repeats,
            env,
        )
    )
    result.measurements.extend(
        measure_in_process(ref, cur, work / f"inproc_{rows}.wkprofile", args.repeats)
    )

    if evidently is not None and rows <= args.skip_evidently_above:
        print(f"running Evidently on {rows:,} rows ...", file=sys.stderr, flush=True)
        try:
            ev_whole, ev_run, info = measure_evidently(
                evidently, ref, cur, args.evidently_repeats, args.evidently_timeout
            )
        except (RuntimeError, ValueError, IndexError) as exc:
            result.measurements.append(
                Measurement("Evidently DataDriftPreset", note=f"failed: {exc}"[:200])
            )
        else:
            result.measurements.extend([ev_whole, ev_run])
            result.evidently = info
            result.ratios = ratios(whole, ev_whole, "whole process")
            in_proc = next(
                m for m in result.measurements if m.name.startswith("compute_report(ref.parquet")
            )
            result.ratios.update(
                ratios(in_proc, ev_run, "Report.run vs compute_report, in-process")
            )
    apply_budgets(result)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.synth.exists():
        raise SystemExit(f"synthetic data generator not found: {args.synth} (use --synth)")
    evidently = None if args.no_evidently else args.evidently_python
    if evidently is not None and not Path(evidently).exists():
        print(f"no Evidently interpreter at {evidently}; skipping Evidently", file=sys.stderr)
        evidently = None
    machine = machine_description(evidently)
    results = [bench_size(rows, args, evidently) for rows in args.rows]

    print("## watchkeeper report benchmark\n")
    for key, value in machine.items():
        print(f"- {key}: {value}")
    print(
        f"- data: {args.synth.name} make_data(rows, seed={args.seed}), Parquet; "
        f"watchkeeper timings are the median of {args.repeats} runs"
    )
    print(
        f"- budgets (DESIGN §3): report 1M×20 whole process ≤ {BUDGET_WALL_S:g} s and "
        f"≤ {BUDGET_RSS_MB:g} MB peak RSS; cached reference profile ≤ {BUDGET_CACHED_S:g} s "
        "per 1M current rows (RSS is shown in MiB: ru_maxrss / 1024; 600 MiB = 629 MB)"
    )
    for result in results:
        print_size(result)
    end_load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    machine["load average at end (1/5/15 min)"] = " / ".join(f"{x:.2f}" for x in end_load)
    print(f"\n- load average at end (1/5/15 min): {machine['load average at end (1/5/15 min)']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "machine": machine,
            "seed": args.seed,
            "repeats": args.repeats,
            "sizes": [asdict(r) for r in results],
        }
        args.json.write_text(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
