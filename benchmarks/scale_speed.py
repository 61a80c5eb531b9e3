"""What 10,000 models cost (issue 12, point 4): the build, `aipo check` and `aipo diff` at 1,000
and 10,000 models, and whether the cost grows linearly; the largest pages the build writes.

For each N given to ``--models`` this script generates build_speed.py's project of N models
(realistic charters over 20 business units, 4 KPIs x 365 days each), every model classified under
the EU AI Act as regulation_speed.py does (one in five high-risk, one in ten limited-risk), commits
it to a fresh git repository, then changes a few charters (an owner, a KPI threshold, a retraining
cadence) in a second commit. It then runs, each once in a fresh interpreter, after one untimed
warm-up build (the Vega bundle cache, the bytecode cache, the OS file cache; only for the smaller
projects, see ``--warmup-up-to``):

- ``mkdocs build --strict``, cold: the project's build cache (``.cache/aipo``, which the warm-up
  build fills) is emptied first, so every N is measured loading, evaluating and rendering every
  model (a warm build of 1,000 against a cold one of 10,000 would misstate the growth);
- ``aipo check --format json`` (validate and evaluate, no pages);
- ``aipo diff HEAD~1 HEAD --format json`` (both commits loaded from git and evaluated);

and reports each one's wall time, CPU time (user + system) and peak RSS (``wait4``), the cost
per model and its growth from the smallest N to the largest (1.0 = linear), and the largest
pages of the built site (HTML, theme included) and the dashboard's model index.

Usage::

    python benchmarks/scale_speed.py --models 1000 10000 [--out DIR] [--keep] [--json FILE]

At 10,000 models the generated project takes ~1.5 GB on disk and the build several minutes
and several GB of memory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_speed as bench
import regulation_speed

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Benchmark",
    "GIT_AUTHOR_EMAIL": "benchmark@example.com",
    "GIT_COMMITTER_NAME": "Benchmark",
    "GIT_COMMITTER_EMAIL": "benchmark@example.com",
    "GIT_AUTHOR_DATE": "2026-11-20T08:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-11-20T08:00:00+00:00",
}
CHANGED = 5  # charters changed by the second commit


@dataclass
class Run:
    seconds: float
    cpu: float
    rss_mb: float


@dataclass
class Result:
    models: int
    runs: dict[str, Run] = field(default_factory=dict)
    pages: int = 0
    largest: list[tuple[str, int]] = field(default_factory=list)
    largest_model_page: tuple[str, int] = ("", 0)
    index_bytes: int = 0
    site_mb: float = 0.0


def timed(cmd: list[str], cwd: Path, env: dict[str, str], log: Path, ok: tuple[int, ...]) -> Run:
    """Run ``cmd`` in a fresh process: wall time, CPU time and peak RSS (its own, by wait4)."""
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        sys.exit(f"{' '.join(cmd)} exited {code} in {cwd}:\n{log.read_text('utf-8')[-4000:]}")
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=root, env={**os.environ, **GIT_ENV}, check=True, capture_output=True
    )


def generate(root: Path, n: int, seed: int) -> None:
    """The project of ``n`` classified models, committed, and a second commit that changes
    CHANGED charters (what a pull request reviewed with ``aipo diff`` looks like)."""
    models = [bench.make_model(i, seed) for i in range(n)]
    for i, m in enumerate(models):
        m.charter["eu_ai_act"] = regulation_speed.classification(i)
    bench.generate_aipo(root, models, seed)
    (root / ".gitignore").write_text("site/\n*.log\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "portfolio")
    step = max(1, n // CHANGED)
    for k, m in enumerate(models[::step][:CHANGED]):
        charter = m.charter
        if k % 3 == 0:
            charter["owner"]["name"] = "Changed Owner"
        elif k % 3 == 1:
            kpi = charter["kpis"][0]
            for key in ("warn", "breach"):
                if key in kpi.get("thresholds", {}):
                    kpi["thresholds"][key] = bench.sig(kpi["thresholds"][key] * 0.9)
        elif charter.get("retraining"):
            charter["retraining"]["cadence_days"] += 30
        path = root / f"docs/models/{m.id}.yaml"
        path.write_text(bench.dump_yaml(charter), encoding="utf-8")
    git(root, "commit", "-q", "-am", f"{CHANGED} charters changed")


def site_sizes(site: Path, result: Result) -> None:
    pages = [p for p in site.rglob("*.html")]
    result.pages = len(pages)
    models = site / "models"
    portfolio = [p for p in pages if models not in p.parents]
    sizes = sorted(((p.stat().st_size, p) for p in portfolio), reverse=True)
    result.largest = [(str(p.relative_to(site)), size) for size, p in sizes[:6]]
    model_sizes = [(p.stat().st_size, p) for p in pages if models in p.parents]
    if model_sizes:
        size, p = max(model_sizes)
        result.largest_model_page = (str(p.relative_to(site)), size)
    index = site / "dashboard-index.js"
    result.index_bytes = index.stat().st_size if index.is_file() else 0
    result.site_mb = sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / 1e6


def run(n: int, out: Path, seed: int, env: dict[str, str], warmup: bool = True) -> Result:
    root = out / f"scale-{n}"
    if root.exists():
        shutil.rmtree(root)
    print(f"[{n} models] generating ...", flush=True)
    generate(root, n, seed)
    result = Result(n)
    mkdocs = [sys.executable, "-m", "mkdocs", "build", "--strict"]
    aipo = [sys.executable, "-m", "aipo_site.cli"]
    if warmup:
        print(f"[{n} models] warm-up build ...", flush=True)
        timed(mkdocs, root, env, root / "warmup.log", (0,))
    print(f"[{n} models] timing ...", flush=True)
    shutil.rmtree(root / bench.CACHE_DIR, ignore_errors=True)
    result.runs["mkdocs build"] = timed(mkdocs, root, env, root / "build.log", (0,))
    # check and diff exit 1 when they find what they gate on (breaches, changes to review).
    result.runs["aipo check"] = timed(
        [*aipo, "check", "--format", "json", "--output", str(root / "check.json")],
        root,
        env,
        root / "check.log",
        (0, 1),
    )
    result.runs["aipo diff"] = timed(
        [*aipo, "diff", "HEAD~1", "HEAD", "--format", "json", "--output", str(root / "diff.json")],
        root,
        env,
        root / "diff.log",
        (0, 1),
    )
    site_sizes(root / "site", result)
    return result


def report(results: list[Result]) -> str:
    lines = [bench.machine_line(bench.machine()), ""]
    lines.append("| models | command | wall s | CPU s | peak RSS MB | CPU ms / model |")
    lines.append("|---:|---|---:|---:|---:|---:|")
    for r in results:
        for name, x in r.runs.items():
            lines.append(
                f"| {r.models:,} | `{name}` | {x.seconds:.1f} | {x.cpu:.1f} | {x.rss_mb:,.0f} | "
                f"{x.cpu / r.models * 1000:.1f} |"
            )
    if len(results) >= 2:
        a, b = results[0], results[-1]
        lines += [
            "",
            f"Growth from {a.models:,} to {b.models:,} models (cost per model, 1.00 = linear):",
        ]
        for name in a.runs:
            x, y = a.runs[name], b.runs[name]
            cpu = (y.cpu / b.models) / (x.cpu / a.models)
            wall = (y.seconds / b.models) / (x.seconds / a.models)
            rss = (y.rss_mb / b.models) / (x.rss_mb / a.models)
            lines.append(
                f"- `{name}`: CPU {cpu:.2f}, wall {wall:.2f}; peak RSS x{y.rss_mb / x.rss_mb:.1f} "
                f"for x{b.models / a.models:.0f} models ({rss:.2f} per model)"
            )
    for r in results:
        lines += [
            "",
            f"Largest pages at {r.models:,} models ({r.pages:,} HTML pages, site {r.site_mb:,.0f} MB):",
        ]
        for path, size in r.largest:
            lines.append(f"- {path}: {size / 1000:,.0f} KB")
        path, size = r.largest_model_page
        lines.append(f"- largest model page {path}: {size / 1000:,.0f} KB")
        lines.append(f"- dashboard model index dashboard-index.js: {r.index_bytes / 1000:,.0f} KB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=bench.SEED)
    parser.add_argument("--out", type=Path, help="generate the projects here (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument(
        "--warmup-up-to",
        type=int,
        default=2000,
        help="an untimed warm-up build only up to this many models (default 2000): a larger "
        "project runs after a smaller one has filled the caches, and its files are in the OS "
        "cache from being generated",
    )
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="aipo-scale-"))
    out.mkdir(parents=True, exist_ok=True)
    env = bench.child_env(out / "pycache")
    results = []
    try:
        for n in sorted(args.models):
            results.append(run(n, out, args.seed, env, warmup=n <= args.warmup_up_to))
            print(report(results[-1:]), flush=True)  # each size as soon as it is measured
            if not args.keep:
                shutil.rmtree(out / f"scale-{n}", ignore_errors=True)
    finally:
        if not args.keep and args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    text = report(results)
    print(text)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
