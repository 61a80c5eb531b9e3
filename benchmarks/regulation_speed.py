"""What regulation coverage (issue 11) costs: 1,000 classified models, evaluated and rendered
with and without the crosswalk, in process.

    python benchmarks/regulation_speed.py [--models 1000] [--repeats 3] [--out DIR]

The models are build_speed.py's (4 KPIs x 365 days, realistic charters), each given an EU AI Act
classification in the mix a portfolio has: one in five high-risk (Annex III 5(b), half of them as
deployer, half as provider, profiling), one in ten limited-risk (a chatbot: Art. 50), the rest
minimal with a reason. The evaluation date is build_speed's, so the Annex III obligations are
"not yet applicable"; a second run on 2028-01-01 makes them apply (and rates every element).

Reported: median CPU seconds of evaluate_repository and render_portal (model pages plus the
regulation matrix) with the crosswalk and with Repository.crosswalk = None, the size of the
matrix page and of a model page.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_speed as bench
import records_speed

from aipo_site.evaluate import evaluate_repository
from aipo_site.load.repository import Layout, load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.pipeline import PortalOptions, render_portal
from aipo_site.render.pages import Paths

LAYOUT = Layout(charters="docs/models", policy="docs/policy.yaml", metrics="metrics")
OPTIONS = PortalOptions(layout=LAYOUT, paths=Paths(docs_prefix="docs/"))


def classification(i: int) -> dict[str, Any]:
    path = {"prohibited_practice": False, "profiling": True}
    if i % 5 == 0:
        path["annex_iii"] = "5(b)"
        return {
            "risk_class": "high-risk",
            "role": "deployer" if i % 10 == 0 else "provider",
            "path": path,
            "reason": "Scores the creditworthiness of natural persons.",
            "classified_by": "Model Risk Office",
            "classified_on": "2026-01-05",
        }
    if i % 10 == 3:
        path["transparency"] = ["interacts-with-people"]
        return {
            "risk_class": "limited-risk",
            "role": "provider-and-deployer",
            "path": path,
            "reason": "A chatbot: Art. 50(1) only.",
            "classified_by": "Model Risk Office",
            "classified_on": "2026-01-05",
        }
    return {
        "risk_class": "minimal",
        "role": "provider-and-deployer",
        "path": path,
        "reason": "No Annex III use, no Art. 50 duty.",
        "classified_by": "Model Risk Office",
        "classified_on": "2026-01-05",
    }


def cpu(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median CPU seconds of ``fn`` (records_speed.timed: the garbage collector off, as the
    plugin runs the pipeline) and its last result."""
    _wall, seconds, result = records_speed.timed(fn, repeats)
    return seconds, result


def measure(root: Path, as_of: dt.date, repeats: int) -> dict[str, Any]:
    repo = load_repository(WorkingTree(root), LAYOUT)
    bare = dataclasses.replace(repo, crosswalk=None)
    out: dict[str, Any] = {}
    for label, r in (("without", bare), ("with", repo)):
        evaluate, portfolio = cpu(lambda r=r: evaluate_repository(r, as_of), repeats)
        render, portal = cpu(lambda r=r, p=portfolio: render_portal(r, p, OPTIONS), repeats)
        out[label] = {"evaluate": evaluate, "render": render}
        if label == "with":
            pages = [portal.pages[src] for src in portal.model_pages.values()]
            out["matrix_kb"] = len(portal.pages[OPTIONS.paths.regulation]) / 1000
            out["model_page_kb"] = statistics.mean(len(p) for p in pages) / 1000
            out["findings"] = sum(
                1 for m in portfolio.models for f in m.findings if f.code == "obligation-missing"
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="keep the generated project here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp) / "project"
        models = [bench.make_model(i, args.seed) for i in range(args.models)]
        for i, m in enumerate(models):
            m.charter["eu_ai_act"] = classification(i)
        bench.generate_aipo(root, models, args.seed)
        print(f"{args.models} models; {bench.machine_line(bench.machine())}")
        for as_of in (bench.AS_OF, dt.date(2028, 1, 1)):
            r = measure(root, as_of, args.repeats)
            w, o = r["with"], r["without"]
            print(
                f"as of {as_of}: evaluate {o['evaluate']:.2f} -> {w['evaluate']:.2f} s CPU "
                f"(+{w['evaluate'] - o['evaluate']:.2f}), render {o['render']:.2f} -> "
                f"{w['render']:.2f} s (+{w['render'] - o['render']:.2f}); matrix page "
                f"{r['matrix_kb']:.0f} KB, model page {r['model_page_kb']:.0f} KB mean; "
                f"{r['findings']} obligation-missing findings (median of {args.repeats})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
