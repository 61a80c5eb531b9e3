"""Git-history benchmark: what dating compliance findings from git adds to a build.

Generates the build benchmark's aipo project (``build_speed.py``: N charters, a policy, metric
CSVs) as a git repository with a few dated commits touching the charters, then times in-process:

- ``git log``: the one ``git log --raw`` pass over the charters (:func:`charter_log`), which the
  model pages' History sections needed before dates were added;
- ``evaluate``: ``evaluate_repository`` without a history (the finding dates unknown);
- ``evaluate + dates``: ``evaluate_repository`` with the history: each charter with a finding
  about its text is walked back through its committed versions (read through one
  ``git cat-file --batch`` process, compared section by section, parsed and checked with the
  same rules where a finding depends on what changed), until each finding's run ends;
- ``dating the findings``: the time spent in that walk alone (``date_findings``). The rest of the
  difference is the status code using the dates (a status that holds longer has a longer
  history to evaluate).

The commits (one commit per month from 2026-05-01; each later commit rewrites a seeded share of
the charters):

1. every charter, policy and metric file;
2. ``--touch`` of the charters get a reworded note (the findings carry on);
3. a tenth of the production charters lose a data contract (new findings, which date from here);
4. and later: ``--touch`` of the charters get a reworded note again.

So the models with a finding from the start (a missing authorisation record) are walked back to
their first commit: the worst case of the walk for that history.

Usage::

    python benchmarks/history_speed.py --models 1000 [--commits 5] [--touch 0.5] [--repeats 5]
                                       [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_speed as bench  # noqa: E402

import aipo_site.evaluate as evaluate_pkg  # noqa: E402
from aipo_site.evaluate import evaluate_repository  # noqa: E402
from aipo_site.evaluate import onsets as onsets_mod  # noqa: E402
from aipo_site.load.git import charter_log  # noqa: E402
from aipo_site.load.repository import load_repository  # noqa: E402
from aipo_site.load.source import WorkingTree  # noqa: E402
from aipo_site.model.inputs import Layout  # noqa: E402

LAYOUT = Layout(charters="docs/models", policy="docs/policy.yaml", metrics="metrics")


def git(root: Path, *args: str, date: dt.datetime | None = None) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com")
    env.update(GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com")
    if date is not None:
        env.update(GIT_AUTHOR_DATE=date.isoformat(), GIT_COMMITTER_DATE=date.isoformat())
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def generate(root: Path, n: int, commits: int, touch: float, seed: int) -> None:
    """The benchmark project as a git repository with ``commits`` commits (see module doc)."""
    models = [bench.make_model(i, seed) for i in range(n)]
    bench.generate_aipo(root, models, seed)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "commit.gpgsign", "false")
    rng = random.Random(seed)
    day = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "All charters", date=day)
    for number in range(2, commits + 1):
        day += dt.timedelta(days=30)
        for m in models:
            path = root / f"docs/models/{m.id}.yaml"
            if number == 3:
                if m.charter["lifecycle"]["stage"] != "production" or rng.random() >= 0.1:
                    continue
                m.charter["data_sources"][0].pop("contract", None)
            elif rng.random() < touch:
                m.charter["notes"] = f"{m.charter.get('notes', '')} Reviewed {day:%Y-%m-%d}."
            else:
                continue
            path.write_text(bench.dump_yaml(m.charter), encoding="utf-8")
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", f"Charters, {day:%B}", date=day)


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """Median wall time and median CPU time, this process and its git children together."""
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        gc.collect()
        gc.disable()  # as the MkDocs plugin runs the pipeline
        try:
            before, start = os.times(), time.perf_counter()
            result = fn()
            after, end = os.times(), time.perf_counter()
        finally:
            gc.enable()
        walls.append(end - start)
        cpus.append(sum(after[:4]) - sum(before[:4]))  # user + system, self + children
    return statistics.median(walls), statistics.median(cpus), result


def measure(root: Path, repeats: int) -> dict[str, Any]:
    repo = load_repository(WorkingTree(root), LAYOUT)
    paths = [m.path for m in repo.models]
    as_of = bench.AS_OF

    def log_only() -> Any:
        with charter_log(root, paths) as log:
            return log

    def with_dates() -> Any:
        with charter_log(root, paths) as log:
            return evaluate_repository(repo, as_of, log)

    log_wall, log_cpu, log = timed(log_only, repeats)
    plain_wall, plain_cpu, _ = timed(lambda: evaluate_repository(repo, as_of), repeats)
    checked: list[str] = []
    spent = [0.0, 0.0]  # wall, CPU inside date_findings (the walk of old versions)
    real_check, real_dates = onsets_mod._Checker._check, evaluate_pkg.date_findings

    def counting(self: Any, text: Any) -> Any:
        checked.append(self.path)
        return real_check(self, text)

    def timing(*args: Any) -> Any:
        before, start = os.times(), time.perf_counter()
        try:
            return real_dates(*args)
        finally:
            after = os.times()
            spent[0] += time.perf_counter() - start
            spent[1] += sum(after[:4]) - sum(before[:4])

    onsets_mod._Checker._check = counting  # type: ignore[method-assign]
    evaluate_pkg.date_findings = timing
    try:
        dated_wall, dated_cpu, portfolio = timed(with_dates, repeats)
    finally:
        onsets_mod._Checker._check = real_check  # type: ignore[method-assign]
        evaluate_pkg.date_findings = real_dates
    findings = [f for m in portfolio.models for f in m.findings]
    by_git = [f for f in findings if f.code not in _BY_DATA]
    walked = {m.id for m in portfolio.models if any(f.code not in _BY_DATA for f in m.findings)}
    return {
        "models": len(repo.models),
        "charter versions in the log": sum(len(v) for v in log.versions.values()),
        "git log pass, wall / CPU (s)": (log_wall, log_cpu),
        "evaluate, wall / CPU (s)": (plain_wall, plain_cpu),
        "evaluate + dates, wall / CPU (s)": (dated_wall, dated_cpu),
        "dating the findings, wall / CPU (s)": (spent[0] / repeats, spent[1] / repeats),
        "all extra (incl. the log), wall / CPU (s)": (
            dated_wall - plain_wall,
            dated_cpu - plain_cpu,
        ),
        "models with text findings": len(walked),
        "old versions parsed per run": len(checked) // repeats,
        "findings": dict(Counter(f.code for f in findings)),
        "text findings dated / unknown": (
            sum(1 for f in by_git if f.since),
            sum(1 for f in by_git if f.since is None),
        ),
    }


_BY_DATA = {"retraining-overdue", "ritual-overdue", "sunset-review-overdue"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--commits", type=int, default=5, help="commits (default: 5)")
    parser.add_argument(
        "--touch", type=float, default=0.5, help="share of charters a later commit rewrites"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=bench.SEED)
    parser.add_argument("--out", type=Path, help="generate here (kept) instead of a temp folder")
    args = parser.parse_args(argv)
    if args.commits < 1 or args.models < 1 or args.repeats < 1:
        parser.error("--models, --commits and --repeats must be positive")
    with tempfile.TemporaryDirectory(prefix="aipo-history-") as tmp:
        root = (args.out or Path(tmp)) / f"n{args.models}-c{args.commits}"
        if not (root / ".git").is_dir():
            start = time.perf_counter()
            generate(root, args.models, args.commits, args.touch, args.seed)
            print(f"generated {root} in {time.perf_counter() - start:.1f} s")
        for key, value in measure(root, args.repeats).items():
            if isinstance(value, tuple):
                value = " / ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in value)
            print(f"{key:>38}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
