"""Governance-records benchmark: what the people directory, decision records and review records
add to loading and evaluating a portfolio.

Generates the build benchmark's aipo project (``build_speed.py``: N charters, a policy, metric
CSVs) as a git repository, then gives it the records of issue 10:

- a people directory with every person and team the charters name (their person fields are
  rewritten to keys, so every charter is checked against the directory);
- one decision record per production model (its production go/no-go, whose evidence is the
  first commit: the loader reads every evidence charter from git in one ``cat-file`` pass,
  hashes and parses it, and evaluation compares it with today's charter), and a policy rule
  that production needs one;
- ``--reviews`` review records per model (weekly metric reviews, two actions each, one of them
  open), which set when each ritual was last held and make overdue actions findings;
- an open, acknowledged incident on every tenth model, which is a finding and starts the
  escalation deadlines.

It times in-process, as medians of ``--repeats`` runs (CPU time includes git's children):

- ``load``: ``load_repository`` without the records (the same charters, keys and all, with the
  people, decisions and reviews paths pointing nowhere) and with them;
- ``evaluate``: ``evaluate_repository`` of each loaded repository.

Usage::

    python benchmarks/records_speed.py --models 1000 [--reviews 4] [--repeats 3] [--out DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import hashlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_speed as bench  # noqa: E402

from aipo_site.evaluate import evaluate_repository  # noqa: E402
from aipo_site.load.repository import load_repository  # noqa: E402
from aipo_site.load.source import WorkingTree  # noqa: E402
from aipo_site.model.inputs import Layout  # noqa: E402

WITH = Layout(
    charters="docs/models",
    policy="docs/policy.yaml",
    metrics="metrics",
    people="docs/people.yaml",
    decisions="docs/decisions",
    reviews="docs/reviews",
    incidents="docs/incidents",
)
WITHOUT = dataclasses.replace(
    WITH, people="docs/none.yaml", decisions="docs/none", reviews="docs/none", incidents="docs/none"
)


def git(root: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com")
    env.update(GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com")
    stamp = "2026-11-01T09:00:00+00:00"
    env.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
    proc = subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    return proc.stdout.decode()


def key(name: str) -> str:
    """A people-directory key for a name: 'Head of Payments (AIPO)' -> 'head-of-payments'."""
    base = re.sub(r"\s*\(.*\)$", "", name)
    return re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")


def keyed(charter: dict[str, Any], people: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The charter with every person field written as a key (the directory grows as needed)."""

    def ref(name: str, email: str | None = None) -> str:
        k = key(name)
        entry = people.setdefault(k, {"name": re.sub(r"\s*\(.*\)$", "", name)})
        if email:
            entry["email"] = email
        entry.setdefault("handle", k)
        return k

    c = charter
    owner = c["owner"]
    c["owner"] = ref(owner["name"], owner.get("email"))
    inc = c["incident_owner"]
    c["incident_owner"] = {"person": ref(inc["name"], inc.get("email")), "on_call": inc["on_call"]}
    for s in c.get("data_sources", []):
        if s.get("owner"):
            s["owner"] = ref(s["owner"])
    for r in c.get("risks", []):
        if r.get("owner"):
            r["owner"] = ref(r["owner"])
    for d in c.get("decision_rights", []):
        d["accountable"] = ref(d["accountable"])
        for part in ("responsible", "consulted", "informed"):
            d[part] = [ref(x) for x in d.get(part, [])]
    for ritual in c.get("rhythm", []):
        ritual["attendees"] = [ref(x) for x in ritual.get("attendees", [])]
    return c


def generate(root: Path, n: int, reviews: int, seed: int) -> dict[str, int]:
    models = [bench.make_model(i, seed) for i in range(n)]
    people: dict[str, dict[str, str]] = {}
    for m in models:
        keyed(m.charter, people)
    bench.generate_aipo(root, models, seed)
    policy = dict(bench.POLICY)
    policy["decisions"] = [
        {"kind": "stage-transition", "stage": "production", "decision_right": "Production go/no-go"}
    ]
    bench.write(root / "docs/policy.yaml", bench.dump_yaml(policy))
    bench.write(root / "docs/people.yaml", bench.dump_yaml({"people": people}))
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "commit.gpgsign", "false")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Charters")
    commit = git(root, "rev-parse", "HEAD").strip()
    counts = {"models": n, "people": len(people), "decisions": 0, "reviews": 0, "incidents": 0}
    for i, m in enumerate(models):
        c = m.charter
        if c["lifecycle"]["stage"] == "production":
            raw = (root / f"docs/models/{m.id}.yaml").read_bytes()
            accountable = next(
                d["accountable"]
                for d in c["decision_rights"]
                if d["decision"] == "Production go/no-go"
            )
            record = {
                "model": m.id,
                "kind": "stage-transition",
                "stage": "production",
                "decided_by": accountable,
                "date": c["lifecycle"]["since"],
                "evidence": {"commit": commit, "charter_sha256": hashlib.sha256(raw).hexdigest()},
                "summary": "Go for production after the pilot.",
            }
            bench.write(root / f"docs/decisions/{m.id}.yaml", bench.dump_yaml(record))
            counts["decisions"] += 1
        if i % 10 == 0:  # an incident for every tenth model: open, acknowledged
            opened = dt.datetime.combine(bench.AS_OF - dt.timedelta(days=3), dt.time(7, 40))
            record = {
                "model": m.id,
                "title": "KPI below its breach level",
                "severity": "high",
                "opened": opened.isoformat() + "Z",
                "acknowledged": (opened + dt.timedelta(minutes=35)).isoformat() + "Z",
                "owner": c["incident_owner"]["person"],
                "concerns": [{"kpi": c["kpis"][0]["metric"]}],
                "summary": "Paged at breach; the incident owner is on it.",
            }
            bench.write(root / f"docs/incidents/{m.id}.yaml", bench.dump_yaml(record))
            counts["incidents"] += 1
        weekly = c["rhythm"][0]
        for week in range(reviews):
            day = bench.AS_OF - dt.timedelta(days=7 * (week + 1))
            record = {
                "model": m.id,
                "ritual": weekly["ritual"],
                "date": day.isoformat(),
                "attendees": weekly["attendees"],
                "decisions": ["No threshold change."],
                "actions": [
                    {"action": "Check the label delay", "owner": c["owner"],
                     "due": (day + dt.timedelta(days=3)).isoformat(), "done": True},
                    {"action": "Compare segments", "owner": weekly["attendees"][1],
                     "due": (day + dt.timedelta(days=10)).isoformat()},
                ],
            }  # fmt: skip
            bench.write(root / f"docs/reviews/{m.id}-{day}.yaml", bench.dump_yaml(record))
            counts["reviews"] += 1
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Records")
    return counts


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
        cpus.append(sum(after[:4]) - sum(before[:4]))
    return statistics.median(walls), statistics.median(cpus), result


def measure(root: Path, repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, layout in (("without", WITHOUT), ("with", WITH)):
        wall, cpu, repo = timed(
            lambda layout=layout: load_repository(WorkingTree(root), layout), repeats
        )
        out[f"load {label}"] = (wall, cpu)
        wall, cpu, portfolio = timed(
            lambda repo=repo: evaluate_repository(repo, bench.AS_OF), repeats
        )
        out[f"evaluate {label}"] = (wall, cpu)
        findings: dict[str, int] = {}
        for m in portfolio.models:
            for f in m.findings:
                findings[f.code] = findings.get(f.code, 0) + 1
        out[f"findings {label}"] = findings
        out[f"people {label}"] = len(portfolio.people)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--reviews", type=int, default=4, help="review records per model")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="keep the generated project here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp) / "project"
        root.mkdir(parents=True, exist_ok=True)
        counts = generate(root, args.models, args.reviews, args.seed)
        result = measure(root, args.repeats)
    print(bench.machine_line(bench.machine()))
    print(
        f"{counts['models']} models, {counts['people']} people, {counts['decisions']} decision "
        f"records, {counts['reviews']} review records, {counts['incidents']} incidents; median of "
        f"{args.repeats} runs"
    )
    print(f"{'':<22}{'wall s':>9}{'CPU s':>9}")
    for name in ("load without", "load with", "evaluate without", "evaluate with"):
        wall, cpu = result[name]
        print(f"{name:<22}{wall:>9.2f}{cpu:>9.2f}")
    for part in ("load", "evaluate"):
        extra = result[f"{part} with"][1] - result[f"{part} without"][1]
        print(
            f"{part}: +{extra:.2f} s CPU for the records ({extra / counts['models'] * 1000:.2f} ms a model)"
        )
    new = {k: v for k, v in result["findings with"].items() if k not in result["findings without"]}
    print(f"findings only with the records: {new}; owner views: {result['people with']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
