"""Sources speed: `aipo collect` on tens of millions of rows with DuckDB and with Spark, and the
same aggregation done by reading the rows into pandas.

The data: one Parquet file of scoring logs (default 50,000,000 rows, generated once with DuckDB
into ``--data``, sorted by day): a year of days, 5 models (``model_id``), a label, a boolean
prediction, a score, a segment, 4 numeric features (ties, a heavy tail, NaN and nulls) and a
categorical one. The repository: 5 charters, one per model (``where: {model_id: ...}``), each
with 3 source-backed KPIs (a mean, a mean over labelled rows, a count per segment) and a drift
section over the 5 features with a 3-month reference window (10 quantile bins) and weekly periods
to the end of the year. So every run reads the file about 25 times per model (each KPI, each
feature's order statistics, the reference and current bins): what `aipo collect --full` does.

Each contender runs in its own child process, timed from the parent: wall time, CPU time and
peak memory of the whole process tree (the JVM of Spark included), sampled from /proc every
0.1 s (psutil when installed), with ``resource.getrusage(RUSAGE_CHILDREN)`` as a floor for the
CPU time. The contenders:

- ``duckdb``: ``aipo_site.collect.run.collect`` with the DuckDB engine;
- ``spark``: the same with the Spark engine, ``local[2]`` (the session's start is included);
- ``pandas``: ``pandas.read_parquet`` of the needed columns (pyarrow) and the same aggregates in
  pandas/numpy (daily mean / count per KPI, exact quantile edges, bin counts per day). aipo does
  not depend on pyarrow, so this runs in another interpreter given by ``--pandas-python`` (a
  virtual environment with pandas and pyarrow); without one it is left out.

    python3 -m venv /tmp/bench-pandas-venv
    /tmp/bench-pandas-venv/bin/pip install pandas pyarrow
    .venv/bin/python benchmarks/sources_speed.py --rows 50000000 \\
        --pandas-python /tmp/bench-pandas-venv/bin/python

Times are printed, never asserted. The load average before and after is printed: on a shared
machine, compare CPU times rather than wall times.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_speed import machine, machine_line

MODELS = 5
FIRST = "2025-01-01"
DAYS = 365
UNTIL = "2025-12-31"
REFERENCE = ("2025-01-01", "2025-03-30")  # ends on a Sunday: weekly periods start on Mondays
NUMERIC = ["age", "income", "utilisation", "logins"]
CATEGORICAL = ["channel"]

GENERATE = """
SELECT setseed(0.5);
COPY (
  SELECT
    DATE '{first}' + CAST(i * {days} // {rows} AS INTEGER) AS day,
    'model-' || CAST(i % {models} AS VARCHAR) AS model_id,
    CAST(random() < 0.3 AS INTEGER) AS label,
    random() < 0.35 AS predicted,
    random() AS score,
    CASE WHEN random() < 0.1 THEN NULL WHEN random() < 0.5 THEN 'north' ELSE 'south' END
      AS region,
    CASE WHEN i % 97 = 0 THEN NULL ELSE floor(18 + random() * 60) END AS age,
    exp(8 + 0.5 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS income,
    CASE WHEN i % 101 = 0 THEN CAST('NaN' AS DOUBLE)
         ELSE random() + (i * 1.0 / {rows}) * 0.2 END AS utilisation,
    CASE WHEN i % 89 = 0 THEN NULL ELSE CAST(floor(random() * 30) AS INTEGER) END AS logins,
    CASE WHEN random() < 0.5 THEN 'web' WHEN random() < 0.6 THEN 'app'
         WHEN random() < 0.8 THEN 'store' ELSE 'phone' END AS channel
  FROM range({rows}) AS t(i)
) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
"""


def generate(path: Path, rows: int) -> float:
    """Write the logs with DuckDB (not timed as part of any contender); returns seconds."""
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(GENERATE.format(first=FIRST, days=DAYS, rows=rows, models=MODELS, path=path))
    con.close()
    return time.perf_counter() - start


def charter(model: int) -> str:
    features = "\n".join(
        f"    - {{name: {n}, kind: numeric, method: psi}}" for n in NUMERIC
    ) + "".join(
        f"\n    - {{name: {n}, kind: categorical, method: chi_square}}" for n in CATEGORICAL
    )
    where = f"where: {{model_id: model-{model}}}"
    return (
        textwrap.dedent(
            f"""\
        id: model-{model}
        name: Model {model}
        summary: Benchmark model.
        business_unit: Benchmarks
        owner: {{name: Ada Owner, email: ada@example.com}}
        lifecycle: {{stage: pilot, since: 2025-01-01}}
        kpis:
          - {{metric: avg_score, source: {{name: logs, date: day, value: score, {where}}}}}
          - metric: recall
            source: {{name: logs, date: day, value: predicted, where: {{model_id: model-{model}, label: 1}}}}
          - metric: volume
            source: {{name: logs, date: day, daily: count, segment: region, {where}}}
        drift:
          source: {{name: logs, date: day, {where}, bins: 10}}
          reference: {{start: {REFERENCE[0]}, end: {REFERENCE[1]}}}
          period: week
          features:
        """
        )
        + features
        + "\n"
    )


def make_repo(root: Path, data: Path, engine: str) -> Path:
    (root / "content" / "models").mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text("site_name: bench\ndocs_dir: content\n")
    source = (
        f"{{engine: spark, path: '{data}', master: 'local[2]', "
        "conf: {spark.sql.shuffle.partitions: '4', spark.driver.memory: '4g'}}"
        if engine == "spark"
        else f"{{engine: duckdb, path: '{data}'}}"
    )
    (root / "content" / "sources.yaml").write_text(f"sources:\n  logs: {source}\n")
    for m in range(MODELS):
        (root / "content" / "models" / f"model-{m}.yaml").write_text(charter(m))
    return root


# ------------------------------------------------------------------------- the child processes


def child_collect(root: Path) -> dict[str, Any]:
    import datetime as dt

    from aipo_site.collect.run import collect
    from aipo_site.model.inputs import Layout

    start = time.perf_counter()
    report = collect(root, Layout(), dt.date.fromisoformat(UNTIL), full=True)
    seconds = time.perf_counter() - start
    if report.failures:
        raise SystemExit("; ".join(f.message for f in report.failures))
    files = sorted(root.glob("metrics/*/*.csv")) + sorted(root.glob("metrics/*/drift/*.csv"))
    rows = sum(p.read_text().count("\n") - 1 for p in files)
    return {"seconds": seconds, "rows_written": rows}


PANDAS = """
import json, sys, time
import numpy as np
import pandas as pd

path, first, ref_start, ref_end, until, models, numeric, categorical = sys.argv[1:9]
numeric, categorical = numeric.split(","), categorical.split(",")
start = time.perf_counter()
columns = ["day", "model_id", "label", "predicted", "score", "region", *numeric, *categorical]
frame = pd.read_parquet(path, columns=columns)  # pyarrow
read = time.perf_counter() - start
frame["day"] = pd.to_datetime(frame["day"])
ref = (frame["day"] >= ref_start) & (frame["day"] <= ref_end)
week = frame["day"] - pd.to_timedelta(frame["day"].dt.weekday, unit="D")
out_rows = 0
for m in range(int(models)):
    mine = (frame["model_id"] == f"model-{m}").to_numpy()
    rows = frame[mine]
    out_rows += len(rows.groupby("day")["score"].mean())
    labelled = rows[rows["label"] == 1]
    out_rows += len(labelled.groupby("day")["predicted"].mean())
    out_rows += len(rows.groupby("day").size()) + len(rows.groupby(["day", "region"]).size())
    r, w = rows[ref[mine].to_numpy()], week[mine][~ref[mine].to_numpy()]
    cur = rows[~ref[mine].to_numpy()]
    for name in numeric:
        s = np.sort(r[name].to_numpy(dtype="float64"))
        s = s[~np.isnan(s)]
        n = s.size
        edges = np.unique(s[[((n - 1) * j + 9) // 10 for j in range(1, 10)]])
        ref_counts = np.bincount(np.searchsorted(edges, s, side="right"), minlength=edges.size + 1)
        values = cur[name].to_numpy(dtype="float64")
        keep = ~np.isnan(values)
        idx = np.searchsorted(edges, values[keep], side="right")
        out_rows += len(pd.DataFrame({"p": w.to_numpy()[keep], "b": idx}).groupby(["p", "b"]).size())
    for name in categorical:
        out_rows += len(r[name].value_counts())
        out_rows += len(pd.DataFrame({"p": w.to_numpy(), "c": cur[name].to_numpy()}).groupby(["p", "c"]).size())
print(json.dumps({"seconds": time.perf_counter() - start, "read_seconds": read, "rows_written": out_rows}))
"""


# ---------------------------------------------------------------------------- measuring a tree


def _tree(pid: int) -> list[int]:
    """pid and its descendants (from /proc/<pid>/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in task.read_text().split())
    return out


def _rss_cpu(pid: int) -> tuple[int, float]:
    """Resident bytes and CPU seconds (user + system) of one process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        cpu = (int(fields[11]) + int(fields[12])) / ticks
        rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        return rss, cpu
    except (OSError, IndexError, ValueError):
        return 0, 0.0


def run_measured(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a child; its wall time, the CPU time and the peak summed RSS of its process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = 0
    cpu_seen: dict[int, float] = {}
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            total = 0
            for pid in _tree(proc.pid):
                rss, cpu = _rss_cpu(pid)
                total += rss
                cpu_seen[pid] = max(cpu, cpu_seen.get(pid, 0.0))
            peak = max(peak, total)
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rusage_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise SystemExit(f"{command[1:3]} failed ({proc.returncode}): " + " | ".join(tail))
    result = json.loads(out.decode().strip().splitlines()[-1])
    result.update(
        wall=wall,
        cpu=max(rusage_cpu, sum(cpu_seen.values())),
        peak_rss=peak,
        # The largest single process the kernel saw (ru_maxrss, KiB), a floor for the peak.
        max_process_rss=after.ru_maxrss * 1024,
    )
    return result


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/aipo-sources-bench"))
    parser.add_argument("--pandas-python", help="an interpreter with pandas and pyarrow")
    parser.add_argument(
        "--only", nargs="*", default=["duckdb", "pandas", "spark"], help="contenders to run"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child_collect(args.root)))
        return 0

    args.data.mkdir(parents=True, exist_ok=True)
    data = args.data / f"logs-{args.rows}.parquet"
    print(machine_line(machine()))
    if not data.exists():
        print(f"generating {args.rows:,} rows into {data} ...", flush=True)
        seconds = generate(data, args.rows)
        print(f"  {seconds:.1f} s, {data.stat().st_size / 2**30:.2f} GiB")
    print(f"data: {data} ({data.stat().st_size / 2**30:.2f} GiB, {args.rows:,} rows)")
    print(f"load average before: {load()}", flush=True)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="aipo-sources-bench-") as tmp:
        for name in args.only:
            if name == "pandas":
                if not args.pandas_python:
                    print("pandas: left out (no --pandas-python with pandas and pyarrow)")
                    continue
                script = Path(tmp) / "pandas_child.py"
                script.write_text(PANDAS)
                command = [
                    args.pandas_python,
                    str(script),
                    str(data),
                    FIRST,
                    *REFERENCE,
                    UNTIL,
                    str(MODELS),
                    ",".join(NUMERIC),
                    ",".join(CATEGORICAL),
                ]
            else:
                root = make_repo(Path(tmp) / name, data, name)
                command = [sys.executable, __file__, "--child", name, "--root", str(root)]
            print(f"{name} ...", flush=True)
            results[name] = r = run_measured(command)
            print(
                f"  wall {r['wall']:.1f} s (work {r['seconds']:.1f} s), CPU {r['cpu']:.1f} s, "
                f"peak RSS {r['peak_rss'] / 2**30:.2f} GiB, {r['rows_written']:,} rows out"
                + (f", read {r['read_seconds']:.1f} s" if "read_seconds" in r else ""),
                flush=True,
            )
    print(f"load average after: {load()}")
    print()
    print("| contender | wall | CPU | peak RSS (process tree) | rows written |")
    print("|---|---:|---:|---:|---:|")
    for name, r in results.items():
        print(
            f"| {name} | {r['wall']:.1f} s | {r['cpu']:.1f} s | {r['peak_rss'] / 2**30:.2f} GiB "
            f"| {r['rows_written']:,} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
