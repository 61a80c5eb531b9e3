"""`aipo generate`: the portal as plain files for a site engine without the aipo plugin.

The main test builds the generated folder with plain MkDocs (Material, no aipo plugin, wired as
the folder's README.txt says) and compares it with the plugin's build of the same demo copy: the
same generated pages, and on each the same article text and the same number of charts and
tables. The nav is not compared: the plugin inserts its model section into mkdocs.yml's nav,
the plain build takes the nav from aipo-nav.yml (same groups, its own order of the registers).
"""

from __future__ import annotations

import hashlib
import html.parser
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from aipo_site.cli import main
from aipo_site.cli.generate import MANIFEST, NAV_JSON, NAV_YAML, PORTFOLIO, README
from aipo_site.cli.settings import load_mkdocs_yaml
from aipo_site.load.source import WorkingTree
from aipo_site.pipeline import build_portal, portal_options, standalone_page
from aipo_site.render.blocks import PLACEHOLDER
from aipo_site.render.pages import PORTFOLIO_MARK
from tests.conftest import AS_OF, MINI_CHARTER, ROOT, SiteServer, build_site, run_mkdocs

# The demo's hand-written pages: everything in content/ but the governance inputs.
USER_PAGES = ("index.md", "guide")
CHART_TIMEOUT_MS = 45_000


@pytest.fixture(autouse=True)
def _no_env_as_of(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIPO_AS_OF", raising=False)


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- the plain MkDocs build against the plugin's ----------------------------------------------


def plain_mkdocs_yml(demo: Path, docs: str, nav_file: Path) -> Path:
    """A mkdocs.yml without the aipo plugin, wired from aipo-nav.yml as README.txt says."""
    config = load_mkdocs_yaml(demo / "mkdocs.yml")
    wiring = yaml.safe_load(nav_file.read_text())
    guide = [entry for entry in config["nav"] if "Guide" in entry]
    config["docs_dir"] = docs
    config["plugins"] = ["search", "offline"]
    config["nav"] = [{"Home": "index.md"}, *wiring["nav"], *guide]
    config["extra_javascript"] = wiring["extra_javascript"]
    config["extra_css"] = wiring["extra_css"]
    config["extra"] = {"polyfills": wiring["polyfills"]}
    config["markdown_extensions"].append(
        {"pymdownx.snippets": {"base_path": [docs], "check_paths": True}}
    )
    path = demo / "plain.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return path


@pytest.fixture(scope="module")
def both_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One demo copy built twice: by the plugin, and by plain MkDocs from `aipo generate`."""
    base = tmp_path_factory.mktemp("generate")
    demo = base / "demo"
    demo.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", demo / "mkdocs.yml")
    shutil.copytree(ROOT / "content", demo / "content")
    shutil.copytree(ROOT / "metrics", demo / "metrics")
    plugin_site = build_site(demo, base / "plugin-site")
    # The hand-written pages go into a docs folder of their own; the portal is generated at its
    # top (--site-path .), where the guide's links expect the dashboard and reference pages.
    docs = demo / "pages"
    docs.mkdir()
    for name in USER_PAGES:
        src = demo / "content" / name
        if src.is_dir():
            shutil.copytree(src, docs / name)
        else:
            shutil.copy(src, docs / name)
    code = main(["generate", "--config", str(demo / "mkdocs.yml"), "--out", str(docs),
                 "--site-path", "."])  # fmt: skip
    assert code == 0
    wiring = yaml.safe_load((docs / NAV_YAML).read_text())
    home = docs / "index.md"
    text = home.read_text()
    assert text.count(PORTFOLIO_MARK) == 1
    home.write_text(text.replace(PORTFOLIO_MARK, f'--8<-- "{wiring["portfolio"]}"'))
    config = plain_mkdocs_yml(demo, "pages", docs / NAV_YAML)
    plain_site = base / "plain-site"
    result = run_mkdocs(demo, "-f", str(config), site_dir=plain_site)
    assert result.returncode == 0, f"plain mkdocs build failed:\n{result.stdout}{result.stderr}"
    manifest = json.loads((docs / MANIFEST).read_text())
    pages = sorted(rel for rel in manifest["files"] if rel.endswith(".md"))
    return {"plugin": plugin_site, "plain": plain_site, "pages": pages, "docs": docs}


class Article(html.parser.HTMLParser):
    """The text of a Material page's <article> (scripts and styles left out), and how many
    charts and tables it holds."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.skip = 0
        self.parts: list[str] = []
        self.charts = 0
        self.tables = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "article":
            self.depth += 1
        if not self.depth:
            return
        if tag in ("script", "style"):
            self.skip += 1
        classes = (dict(attrs).get("class") or "").split()
        self.charts += "aipo-chart" in classes
        self.tables += tag == "table"

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self.depth -= 1
        elif self.depth and tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skip:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.parts)).strip()


def article(path: Path) -> Article:
    parser = Article()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def html_of(src: str) -> str:
    return src[: -len(".md")] + ".html"  # both sites use .html URLs (the offline plugin)


@pytest.mark.build
def test_plain_mkdocs_build_matches_the_plugin_build(both_builds: dict[str, Any]) -> None:
    plugin, plain, pages = both_builds["plugin"], both_builds["plain"], both_builds["pages"]
    assert len(pages) > 10 and "dashboard.md" in pages
    assert any(p.startswith("models/") for p in pages) and "reference/charter.md" in pages

    def site_pages(site: Path) -> set[str]:
        # The hand-written pages, and the portfolio snippet (copied as a file, not a page).
        user = {"index.html", "404.html", PORTFOLIO}
        return {
            p.relative_to(site).as_posix()
            for p in site.rglob("*.html")
            if p.relative_to(site).as_posix() not in user
            and not p.relative_to(site).as_posix().startswith(("guide/", "search/"))
        }

    expected = {html_of(p) for p in pages}
    assert site_pages(plugin) == expected
    assert site_pages(plain) == expected
    for src in pages:
        a, b = article(plugin / html_of(src)), article(plain / html_of(src))
        assert a.text, src
        assert "Evaluated as of 2026-11-20" in b.text, f"{src}: no provenance stamp"
        assert b.text == a.text, f"{src}: the article's text differs"
        assert (b.charts, b.tables) == (a.charts, a.tables), src
    model = article(plain / "models" / "fraud-prevention.html")
    assert model.charts > 3 and model.tables > 3
    # The live portfolio on the home page: the plugin's block and the snippet say the same.
    portfolio = re.compile(r'<div class="aipo-portfolio".*?</div>\s*</div>', re.S)
    home_a = (plugin / "index.html").read_text()
    home_b = (plain / "index.html").read_text()
    assert "aipo-portfolio" in home_b and "aipo-portfolio" in home_a
    assert (
        article(plain / "index.html").text.split("Live status")[1][:400]
        == (article(plugin / "index.html").text.split("Live status")[1][:400])
    )
    assert portfolio.search(home_b) is not None
    # Both sites load the same scripts and stylesheet, from the generated folder.
    for name in ("assets/aipo/vega.js", "assets/aipo/aipo.js", "assets/aipo/aipo.css"):
        assert (plain / name).read_bytes() == (plugin / name).read_bytes()
        assert name in (plain / "models" / "fraud-prevention.html").read_text()


@pytest.mark.build
def test_plain_build_keeps_the_generated_nav_groups(both_builds: dict[str, Any]) -> None:
    """The nav file groups the models as the plugin's nav does (by business unit, by name)."""
    wiring = json.loads((both_builds["docs"] / NAV_JSON).read_text())
    models = next(e["Models"] for e in wiring["nav"] if "Models" in e)
    plugin_page = (both_builds["plugin"] / "dashboard.html").read_text()
    plain_page = (both_builds["plain"] / "dashboard.html").read_text()
    for group in models:
        ((_label, entries),) = group.items()
        for entry in entries:
            ((_title, src),) = entry.items()
            link = html_of(src).split("/", 1)[1]
            assert f"{link}" in plugin_page and f"{link}" in plain_page
    plugin_nav = re.findall(
        r'md-nav__link[^>]*>\s*<span class="md-ellipsis">\s*([^<]+?)\s*<', plugin_page
    )
    plain_nav = re.findall(
        r'md-nav__link[^>]*>\s*<span class="md-ellipsis">\s*([^<]+?)\s*<', plain_page
    )
    labels = [next(iter(g)) for g in models]
    for nav in (plugin_nav, plain_nav):
        found = [label for label in nav if label in labels]
        assert found == labels, nav


# --- the pages: HTML inlined, no blank line inside a block ------------------------------------


def test_standalone_pages_inline_every_block_without_blank_lines(demo_copy: Path) -> None:
    from aipo_site.cli.settings import read_settings

    settings = read_settings(demo_copy / "mkdocs.yml")
    options = portal_options(
        settings.options, settings.layout, directory_urls=False, docs_prefix="content/"
    )
    portal = build_portal(WorkingTree(demo_copy), options, AS_OF)
    src = portal.model_pages["fraud-prevention"]
    page = standalone_page(portal, src)
    assert PLACEHOLDER.search(page) is None
    assert page.rstrip().endswith(portal.stamp)
    for block in [*portal.indexed[src].values(), *portal.deferred[src].values()]:
        kept = "\n".join(line for line in block.split("\n") if line.strip())
        assert kept in page
    blocks = [*portal.indexed[src].values(), *portal.deferred[src].values()]
    assert page.count('class="aipo-chart"') == sum(b.count('class="aipo-chart"') for b in blocks)
    assert sum(b.count("\n\n") for b in blocks) > 0  # the blocks had blank lines to remove


def test_model_groups_as_the_nav_groups_them(demo_copy: Path) -> None:
    from aipo_site.model.inputs import Layout
    from aipo_site.pipeline import evaluate_source, model_groups

    _, portfolio = evaluate_source(WorkingTree(demo_copy), Layout(), AS_OF)

    def key(m: Any) -> tuple[str, str]:
        return (m.charter.name.casefold(), m.id)

    units = model_groups(portfolio, "business_unit")
    labels = [label for label, _ in units]
    assert labels == sorted(labels, key=str.casefold) and len(labels) == 3
    for label, models in units:
        assert models == sorted(models, key=key)
        assert {m.charter.business_unit for m in models} == {label}
    stages = model_groups(portfolio, "stage")
    assert all({m.charter.lifecycle.stage.value for m in ms} == {s} for s, ms in stages)
    ((label, flat),) = model_groups(portfolio, "none")
    assert label == "" and flat == sorted(portfolio.models, key=key)


# --- the command: errors, the manifest, determinism ---------------------------------------------


def generate(root: Path, out: Path | str, *extra: str) -> int:
    return main(["generate", "--root", str(root), "--out", str(out), *extra])


def test_refuses_a_file_and_the_inputs(mini_repo: Any, capsys: pytest.CaptureFixture[str]) -> None:
    root = mini_repo()
    (root / "notes.txt").write_text("mine\n")
    cases = {
        "notes.txt": "is a file",
        "content/models": "is inside the charters folder 'content/models'",
        "content/models/sub": "is inside the charters folder",
        "metrics/m1": "is inside the metrics folder 'metrics'",
        # At the top of the docs folder, model pages would land beside the charters.
        "content": "would be written into the charters folder 'content/models'",
    }
    for out, message in cases.items():
        assert generate(root, root / out, "--site-path", ".") == 2, out
        err = capsys.readouterr().err
        assert err.startswith("error: --out: ") and message in err, err
        assert err.count("\n") == 1, err
    assert not (root / "content" / "dashboard.md").exists()
    assert generate(root, root / "out", "--site-path", "../up") == 2
    assert "--site-path: expected a folder inside the docs folder" in capsys.readouterr().err
    assert main(["generate", "--root", str(root)]) == 2  # --out is required
    assert "--out" in capsys.readouterr().err


def test_writes_the_portal_and_its_wiring(mini_repo: Any, capsys: pytest.CaptureFixture[str]):
    root = mini_repo()
    out = root / "content" / "aipo"
    assert generate(root, out) == 0
    said = capsys.readouterr().out
    assert said.startswith("generated ") and "README.txt" in said
    files = tree(out)
    for name in (README, NAV_YAML, NAV_JSON, PORTFOLIO, MANIFEST, "dashboard.md",
                 "models/m1.md", "models/m1/kpis.csv", "badges/m1.svg",
                 "assets/aipo/vega.js", "assets/aipo/aipo.js", "assets/aipo/aipo.css",
                 "schema/charter.schema.json", "reference/charter.md"):  # fmt: skip
        assert name in files, name
    manifest = json.loads(files[MANIFEST])
    assert set(manifest["files"]) == set(files) - {MANIFEST}
    for rel, digest in manifest["files"].items():
        assert hashlib.sha256(files[rel]).hexdigest() == digest
    # --out inside mkdocs.yml's docs_dir: the folder's place is known, and paths carry it.
    nav = yaml.safe_load(files[NAV_YAML])
    assert nav["folder"] == "aipo" and nav["nav"][0] == {"Portfolio dashboard": "aipo/dashboard.md"}
    assert nav["nav"][1] == {"Models": [{"Testing": [{"Model one": "aipo/models/m1.md"}]}]}
    assert nav["extra_javascript"] == ["aipo/assets/aipo/vega.js", "aipo/assets/aipo/aipo.js"]
    assert json.loads(files[NAV_JSON]) == nav
    page = files["models/m1.md"].decode()
    assert "<!--aipo:" not in page and "data-aipo-stamp" in page
    # The page links its charter in the docs folder, from DIR's place in it.
    # (folder URLs: aipo/models/m1/ is three folders below the docs folder's top)
    assert 'href="../../../models/m1.yaml"' in page
    snippet = files[PORTFOLIO].decode()
    assert 'href="aipo/dashboard/"' in snippet and snippet.count("\n") == 1


def test_rerun_replaces_only_its_own_files(mini_repo: Any, capsys: pytest.CaptureFixture[str]):
    two = {
        "m1": MINI_CHARTER.format(id="m1", name="Model one"),
        "m2": MINI_CHARTER.format(id="m2", name="Model two"),
    }
    root = mini_repo(charters=two)
    out = root / "site-pages"
    assert generate(root, out) == 0
    assert (out / "models" / "m2.md").is_file() and (out / "badges" / "m2.svg").is_file()
    (out / "notes.md").write_text("mine\n")
    (out / "models" / "keep.md").write_text("mine too\n")
    (root / "content" / "models" / "m2.yaml").unlink()
    capsys.readouterr()
    assert generate(root, out) == 0
    assert "removed" in capsys.readouterr().out
    assert not (out / "models" / "m2.md").exists() and not (out / "badges" / "m2.svg").exists()
    assert (out / "notes.md").read_text() == "mine\n"
    assert (out / "models" / "keep.md").read_text() == "mine too\n"
    manifest = json.loads((out / MANIFEST).read_text())
    assert "models/m2.md" not in manifest["files"] and "notes.md" not in manifest["files"]
    # A file of the user's where a page goes: an error, and nothing is written.
    (out / "models" / "m2.md").write_text("my own page\n")
    (root / "content" / "models" / "m2.yaml").write_text(two["m2"])
    before = tree(out)
    assert generate(root, out) == 2
    err = capsys.readouterr().err
    assert "m2.md exists and was not written by `aipo generate`" in err
    assert "Nothing was written" in err and err.count("\n") == 1
    assert tree(out) == before
    # A manifest that names a path outside the folder is refused, and nothing is removed.
    (out / "models" / "m2.md").unlink()
    victim = root / "victim.txt"
    victim.write_text("keep me\n")
    manifest["files"]["../victim.txt"] = "0" * 64
    (out / MANIFEST).write_text(json.dumps(manifest))
    assert generate(root, out) == 2
    assert "is not a manifest `aipo generate` wrote" in capsys.readouterr().err
    assert victim.read_text() == "keep me\n"


def test_two_runs_are_identical(mini_repo: Any, tmp_path: Path) -> None:
    root = mini_repo()
    a, b = tmp_path / "a" / "portal", tmp_path / "b" / "portal"
    assert generate(root, a, "--as-of", "2026-11-20") == 0
    assert generate(root, b, "--as-of", "2026-11-20") == 0
    assert tree(a) == tree(b)
    stamps = {p: p.stat().st_mtime_ns for p in a.rglob("*") if p.is_file()}
    assert generate(root, a, "--as-of", "2026-11-20") == 0
    assert tree(a) == tree(b)
    # Unchanged files are not rewritten (an engine watching the folder does not rebuild).
    changed = [p for p, t in stamps.items() if p.name != MANIFEST and p.stat().st_mtime_ns != t]
    assert changed == []


# --- in a browser -------------------------------------------------------------------------------


CHARTS_SETTLED = """() => {
  const charts = [...document.querySelectorAll('.aipo-chart')];
  return charts.length > 0 && charts.every(
    (el) => ['done', 'error'].includes(el.getAttribute('data-aipo-drawn')));
}"""


@pytest.mark.browser
@pytest.mark.build
def test_generated_model_page_draws_its_charts(both_builds: dict[str, Any], open_portal) -> None:
    server = SiteServer(both_builds["plain"])
    try:
        portal = open_portal(server)
        portal.goto("models/fraud-prevention.html")
        portal.page.wait_for_function(CHARTS_SETTLED, timeout=CHART_TIMEOUT_MS)
        charts = portal.page.eval_on_selector_all(
            ".aipo-chart",
            """els => els.map(el => ({
              chart: el.getAttribute('data-chart'),
              drawn: el.getAttribute('data-aipo-drawn'),
              drawing: !!el.querySelector('.aipo-chart-view svg, .aipo-chart-view canvas'),
            }))""",
        )
        assert len(charts) > 3
        for chart in charts:
            assert chart["drawn"] == "done" and chart["drawing"], chart
        assert portal.console_errors == [] and portal.page_errors == []
        assert portal.failures == [] and portal.foreign_requests() == []
    finally:
        server.close()


# appended to tests/test_generate.py


def test_nav_chunks_split_large_groups_by_position() -> None:
    from aipo_site.pipeline import NAV_GROUP_MAX, nav_chunks

    assert NAV_GROUP_MAX == 100
    assert nav_chunks(list(range(100))) == [("", list(range(100)))]
    parts = nav_chunks(list(range(1001)))
    assert [label for label, _ in parts][:2] == ["1–100", "101–200"]
    assert parts[-1] == ("1,001", [1000]) and parts[-2][0] == "901–1,000"
    assert [x for _, part in parts for x in part] == list(range(1001))
    assert nav_chunks(list(range(5)), 2) == [("1–2", [0, 1]), ("3–4", [2, 3]), ("5", [4])]


def test_the_nav_file_splits_a_large_group_as_the_plugin_does(
    demo_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aipo_site.pipeline as pipeline

    monkeypatch.setattr(pipeline, "NAV_GROUP_MAX", 2)
    config = (demo_copy / "mkdocs.yml").read_text()
    (demo_copy / "mkdocs.yml").write_text(
        config.replace("  - aipo:\n", "  - aipo:\n      nav_group_by: none\n", 1)
    )
    out = tmp_path / "out"
    assert generate(demo_copy, out) == 0
    wiring = json.loads((out / NAV_JSON).read_text())
    models = next(e["Models"] for e in wiring["nav"] if "Models" in e)
    assert [list(part) for part in models] == [["1–2"], ["3"]]
    titles = [next(iter(e)) for part in models for entries in part.values() for e in entries]
    assert titles == sorted(titles, key=str.casefold) and len(titles) == 3
