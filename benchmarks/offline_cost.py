"""What opening from disk costs: the aipo portal built with and without Material's offline plugin.

The demo portal opens from ``file://`` (issue 9, point 1): Material's ``offline`` plugin writes the
search index a second time as a script (``search/search_index.js``) and links pages as ``.html``
files (``use_directory_urls: false``); aipo writes each chart CSV a second time as a script
(``models/<id>/kpis.js``) and serves the Web Worker shim (``assets/aipo/iframe-worker.js``).

For N models (generated as in ``build_speed.py``), this script builds the same project with the
offline plugin (``offline``) and without it (``folders``), alternately in fresh interpreters after
one untimed warm-up build of each. With ``--before SRC`` (a checkout of an earlier aipo, e.g.
``git worktree add /tmp/aipo-before <rev>``) the folder build runs that aipo instead of this
one: the portal as it was before it opened from disk. It reports:

- the median build wall and CPU time of each, and the median of the per-pair CPU ratios;
- the site's size on disk and its file count;
- what a browser loads over HTTP for one model page: the HTML and every script and stylesheet
  it references (first visit, nothing cached), and the chart data it fetches;
- the search index Material loads over HTTP on the first page of a visit (``search_index.json``).

Usage::

    python benchmarks/offline_cost.py --models 1000 [--repeats 3] [--out DIR] [--before SRC]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_speed import (
    SEED,
    child_env,
    generate_aipo,
    machine,
    machine_line,
    make_model,
    mkdocs_build,
)

ASSET = re.compile(r'<(?:script|link)[^>]+(?:src|href)="([^"#?]+\.(?:js|css))"')


def site_size(site: Path) -> tuple[int, int]:
    files = [p for p in site.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def page_weight(site: Path, page: Path) -> tuple[int, list[str]]:
    """Bytes of ``page`` and of every script and stylesheet it references, plus the chart CSV
    the page's charts fetch over HTTP (what a first visit transfers, uncompressed)."""
    html = page.read_text(encoding="utf-8")
    total = len(html.encode())
    names = []
    for ref in sorted(set(ASSET.findall(html))):
        if ref.startswith(("http:", "https:")):
            continue
        path = (page.parent / ref).resolve()
        total += path.stat().st_size
        names.append(path.relative_to(site.resolve()).as_posix())
    for csv in sorted(set(re.findall(r'"url":\s*"([^"]+\.csv)"', html))):
        path = (page.parent / csv).resolve()
        total += path.stat().st_size
        names.append(path.relative_to(site.resolve()).as_posix())
    return total, names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--before", type=Path, default=None, help="an earlier aipo checkout")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="aipo-offline-"))
    base = out / f"offline-n{args.models}"
    if base.exists():
        shutil.rmtree(base)
    models = [make_model(i, SEED) for i in range(args.models)]
    offline, folders = base / "offline", base / "folders"
    generate_aipo(offline, models, SEED)
    shutil.copytree(offline, folders)
    config = yaml.safe_load((folders / "mkdocs.yml").read_text(encoding="utf-8"))
    config["plugins"] = [p for p in config["plugins"] if p != "offline"]
    (folders / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    env = child_env(out / "pycache")
    envs = {"offline": env, "folders": dict(env)}
    if args.before is not None:
        envs["folders"]["PYTHONPATH"] = str(args.before.resolve())
        envs["folders"]["PYTHONPYCACHEPREFIX"] = str(out / "pycache-before")
    print(f"[N={args.models}] one untimed warm-up build of each ...", file=sys.stderr)
    mkdocs_build(offline, envs["offline"])
    mkdocs_build(folders, envs["folders"])
    times: dict[str, list[tuple[float, float]]] = {"offline": [], "folders": []}
    for i in range(args.repeats):
        for name, project in (("offline", offline), ("folders", folders)):
            build = mkdocs_build(project, envs[name])
            times[name].append((build.seconds, build.cpu_seconds))
        print(
            f"pair {i + 1}/{args.repeats}: offline {times['offline'][-1][1]:.2f} s CPU, "
            f"folders {times['folders'][-1][1]:.2f} s CPU",
            file=sys.stderr,
        )
    ratios = [a[1] / b[1] for a, b in zip(times["offline"], times["folders"], strict=True)]
    model = models[0].id
    pages = {
        "offline": offline / "site" / "models" / f"{model}.html",
        "folders": folders / "site" / "models" / model / "index.html",
    }
    print(f"# Opening from disk: cost at {args.models} models ({args.repeats} pairs)\n")
    print(machine_line(machine()) + "\n")
    if args.before is not None:
        print(f"folders: the aipo checkout at {args.before} (before opening from disk)\n")
    print(
        "| build | wall (median) | CPU (median) | site on disk | files "
        "| one model page, first visit | search index |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, project in (("offline", offline), ("folders", folders)):
        wall = statistics.median(t[0] for t in times[name])
        cpu = statistics.median(t[1] for t in times[name])
        size, count = site_size(project / "site")
        weight, _ = page_weight(project / "site", pages[name])
        index = (project / "site" / "search" / "search_index.json").stat().st_size
        print(
            f"| {name} | {wall:.2f} s | {cpu:.2f} s | {size / 1e6:.1f} MB | {count} | "
            f"{weight / 1e3:.1f} KB | {index / 1e6:.2f} MB |"
        )
    print(
        f"\nCPU ratio offline/folders, median of pairs: {statistics.median(ratios):.3f} "
        f"(pairs: {', '.join(f'{r:.3f}' for r in ratios)})"
    )
    for name in ("offline", "folders"):
        _, names = page_weight((base / name) / "site", pages[name])
        print(f"\n{name}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
