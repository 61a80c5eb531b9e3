"""Build tests: a real `mkdocs build --strict` on the demo and on fixture repositories."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MINI_CHARTER, MINI_MKDOCS, run_mkdocs

pytestmark = pytest.mark.build


def tree_hashes(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(skip)
    }


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory) -> Path:
    from tests.conftest import ROOT

    site = tmp_path_factory.mktemp("demo") / "site"
    before = tree_hashes(ROOT / "content")
    result = run_mkdocs(ROOT, site_dir=site)
    assert result.returncode == 0, result.stderr
    assert tree_hashes(ROOT / "content") == before, "the build must not write into content/"
    return site


def test_demo_builds_every_generated_file(demo_site):
    for model in ("fraud-prevention", "customer-churn", "supply-chain-forecast"):
        assert (demo_site / "models" / f"{model}.html").is_file()
        assert (demo_site / "models" / model / "kpis.csv").is_file()
        assert (demo_site / "badges" / f"{model}.svg").is_file()
        assert (demo_site / "badges" / f"{model}.json").is_file()
    for path in (
        "dashboard.html",
        "reference/charter.html",
        "reference/policy.html",
        "schema/charter.schema.json",
        "assets/aipo/vega.js",
        "assets/aipo/aipo.js",
        "assets/aipo/aipo.css",
    ):
        assert (demo_site / path).is_file(), path
    assert "window.vegaEmbed" in (demo_site / "assets/aipo/vega.js").read_text()


def test_pages_load_nothing_from_other_hosts(demo_site):
    # Links to other sites are fine (contracts, DPIA records); loading resources is not. The
    # canonical link names the page's own published address (site_url); nothing fetches it.
    loads = re.compile(
        r'(?:\bsrc="|<link\b(?![^>]*\brel="canonical")[^>]*\bhref=")((?:https?:)?//[^"]+)'
    )
    for page in demo_site.rglob("*.html"):
        html = page.read_text()
        assert loads.findall(html) == [], page
        assert "fonts.googleapis" not in html and "cdn.jsdelivr" not in html


def test_dashboard_lists_models_with_status(demo_site):
    html = (demo_site / "dashboard.html").read_text()
    rows = re.findall(r'<tr [^>]*data-status="(\w+)"[^>]* data-model="([\w-]+)"', html)
    assert sorted(rows, key=lambda r: r[1]) == [
        ("BREACH", "customer-churn"),
        ("WARN", "fraud-prevention"),
        ("BREACH", "supply-chain-forecast"),
    ]
    assert '<span class="aipo-count-n">2</span> BREACH' in html


def test_model_page_sections_and_nav(demo_site):
    html = (demo_site / "models" / "supply-chain-forecast.html").read_text()
    for heading in ("KPIs", "Compliance", "Business outcomes", "Data sources", "Risks",
                    "Escalation ladder", "Decision rights", "Operating rhythm", "Onboarding"):  # fmt: skip
        assert f">{heading}<" in html or f'id="{heading.lower().replace(" ", "-")}"' in html, (
            heading
        )
    assert "Is this model performing as intended?" in html
    assert html.count('class="aipo-chart"') >= 3
    assert 'class="aipo-active aipo-level-breach"' in html
    # the nav groups model pages by business unit under "Models"
    assert re.search(r">\s*Models\s*<", html) and re.search(r">\s*Operations\s*<", html)


def test_the_sidebar_is_written_without_material_s_blank_runs(demo_site):
    """squeeze_nav: every page's sidebar has one line break where Material's template wrote
    indentation and blank lines (~25 KB a page at 1,000 models), and nothing else changed."""
    from aipo_site.mkdocs_plugin.plugin import CONTENT_START, NAV_START, squeeze_nav

    html = (demo_site / "models" / "supply-chain-forecast.html").read_text()
    start, end = html.index(NAV_START), html.index(CONTENT_START)
    sidebar = html[start:end]
    assert "\n\n" not in sidebar and "\n " not in sidebar
    assert re.search(r">\s*Operations\s*<", sidebar) and "supply-chain-forecast" in sidebar
    # Outside the sidebar the page is as MkDocs wrote it: code keeps its indentation.
    page = (
        "<p>a</p>\n\n  <pre>x\n\n    y</pre>\n"
        f"{NAV_START}>\n    <ul>\n\n      <li>A   B\n  C</li>\n    </ul>\n  </nav>\n"
        f"{CONTENT_START}>\n<pre>1\n\n   2</pre>"
    )
    assert squeeze_nav(page) == (
        "<p>a</p>\n\n  <pre>x\n\n    y</pre>\n"
        f"{NAV_START}>\n<ul>\n<li>A   B\nC</li>\n</ul>\n</nav>\n"
        f"{CONTENT_START}>\n<pre>1\n\n   2</pre>"
    )
    assert squeeze_nav("<p>no sidebar</p>\n\n") == "<p>no sidebar</p>\n\n"


def _hero(html: str) -> str:
    return html.split('<div class="aipo-hero ', 1)[1].split('<dl class="aipo-facts">', 1)[0]


def test_both_questions_are_answered_on_model_pages_and_the_dashboard(demo_site):
    answers = {
        "customer-churn": ("at risk", "no"),
        "fraud-prevention": ("at risk", "gaps"),  # a stale go/no-go, an overdue action
        "supply-chain-forecast": ("no", "no"),
    }
    for model, (performance, governance) in answers.items():
        hero = _hero((demo_site / "models" / f"{model}.html").read_text())
        assert ">Is this model performing as intended?</p>" in hero
        assert ">Is this model governed as required?</p>" in hero
        assert f'data-question="performance" data-answer="{performance}"' in hero
        assert f'data-question="governance" data-answer="{governance}"' in hero
    churn = _hero((demo_site / "models" / "customer-churn.html").read_text())
    assert (
        '"aipo-pill aipo-pill-answer aipo-answer-at-risk">At risk</span> Top-decile lift' in churn
    )
    dash = (demo_site / "dashboard.html").read_text()
    assert (
        '<th data-sort="num" title="Is this model performing as intended?">Performing?</th>'
        '<th data-sort="num" title="Is this model governed as required?">Governed?</th>'
    ) in dash
    for model, (performance, governance) in answers.items():
        row = re.split(rf'<tr [^>]*data-model="{model}">', dash, maxsplit=1)[1].split("</tr>")[0]
        cells = re.findall(
            r'class="aipo-verdict-cell"[^>]* data-value="(\d)" data-answer="([a-z ]+)"', row
        )
        assert [a for _, a in cells] == [performance, governance], model
        assert 'title="Is this model governed as required? ' in row  # the sentence as tooltip


def test_new_and_retired_models_say_what_is_not_judged(mini_repo, tmp_path):
    sunset = MINI_CHARTER.format(id="old", name="Old model").replace(
        "{stage: production, since: 2026-01-01}", "{stage: sunset, since: 2026-10-01}"
    )
    new = "id: new\nname: New model\nsummary: s\nbusiness_unit: u\nowner: {name: o}\n"
    new += "lifecycle: {stage: prototype, since: 2026-11-01}\n"
    root = mini_repo(charters={"old": sunset, "new": new}, metrics={})
    result = run_mkdocs(root, site_dir=tmp_path / "site")
    assert result.returncode == 0, result.stderr
    old = _hero((tmp_path / "site/models/old/index.html").read_text())
    assert 'aipo-answer-not-judged">Not judged</span> Retired (sunset since 2026-10-01)' in old
    fresh = _hero((tmp_path / "site/models/new/index.html").read_text())
    assert 'aipo-answer-cannot-judge">Cannot judge</span> No KPI is defined' in fresh
    dash = (tmp_path / "site/dashboard/index.html").read_text()
    assert ">Not judged</span>" in dash and ">Cannot judge</span>" in dash


def test_chart_data_urls_resolve(demo_site):
    page = demo_site / "models" / "fraud-prevention.html"
    specs = re.findall(r'<script type="application/json">(.*?)</script>', page.read_text())
    urls = {
        layer["data"]["url"]
        for spec in map(json.loads, specs)
        for layer in spec.get("layer", [])
        if "url" in layer.get("data", {})
    }
    # The KPI charts and the fairness chart (the fraud model has a segment check), relative to
    # the page (models/fraud-prevention.html -> fraud-prevention/kpis.csv).
    assert urls == {"fraud-prevention/kpis.csv", "fraud-prevention/segments.csv"}
    kpis, segments = (page.parent / "fraud-prevention" / n for n in ("kpis.csv", "segments.csv"))
    assert kpis.read_text().startswith("metric,date,value,rolling\n")
    assert segments.read_text().startswith("metric,segment,date,value\n")


def _build_at(root: Path, site: Path, clock: str) -> None:
    """`mkdocs build --strict` of ``root`` with the machine's clock moved to ``clock``
    (libfaketime, which `make test` installs)."""
    faketime = shutil.which("faketime")
    assert faketime, "faketime is missing: `make test` installs Debian's faketime package"
    env = {k: v for k, v in os.environ.items() if k not in ("AIPO_AS_OF", "SOURCE_DATE_EPOCH")}
    env["NO_MKDOCS_2_WARNING"] = "1"
    cmd = [faketime, clock, sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)]
    result = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def test_rebuilds_are_byte_identical_on_any_day_in_any_folder(demo_copy, tmp_path):
    """Same inputs and as_of: the same bytes, compressed files (sitemap.xml.gz) included, although
    the clock moved by a year and the repository moved to another folder."""
    mkdocs_yml = demo_copy / "mkdocs.yml"
    # A site_url makes MkDocs list every page, with its date, in the sitemap.
    mkdocs_yml.write_text("site_url: https://portal.example/\n" + mkdocs_yml.read_text())
    other = tmp_path / "elsewhere" / "deeper" / "demo"
    shutil.copytree(demo_copy, other)
    first, second = tmp_path / "first", tmp_path / "second"
    _build_at(demo_copy, first, "2027-01-05 08:00:00")
    _build_at(other, second, "2028-06-30 23:59:30")
    assert tree_hashes(first, ()) == tree_hashes(second, ())
    sitemap = (first / "sitemap.xml").read_text()
    assert "<lastmod>2026-11-20</lastmod>" in sitemap  # the evaluation date, not the clock
    with gzip.open(first / "sitemap.xml.gz") as gz:
        assert gz.read().decode() == sitemap
    assert str(tmp_path) not in "".join(
        p.read_text(errors="replace") for p in first.rglob("*.html")
    )


def test_as_of_from_environment_unless_pinned(repo_root, mini_repo, tmp_path):
    """The workflow sets AIPO_AS_OF to the day it runs: a live repository follows it, the demo
    (which pins its date in mkdocs.yml) does not."""
    live = mini_repo(
        mkdocs_yml=MINI_MKDOCS.replace('as_of: "2026-11-20"', "as_of: !ENV [AIPO_AS_OF, today]")
    )
    result = run_mkdocs(live, env={"AIPO_AS_OF": "2026-12-31"})
    assert result.returncode == 0, result.stderr
    assert "Evaluated 2026-12-31" in (live / "site" / "dashboard" / "index.html").read_text()
    site = tmp_path / "demo-site"
    result = run_mkdocs(repo_root, site_dir=site, env={"AIPO_AS_OF": "2026-12-31"})
    assert result.returncode == 0, result.stderr
    assert "Evaluated 2026-11-20" in (site / "dashboard.html").read_text()


def test_bad_input_fails_cleanly_and_keeps_the_previous_site(mini_repo):
    root = mini_repo()
    site = root / "site"
    assert run_mkdocs(root).returncode == 0
    before = tree_hashes(site)
    charter = root / "content" / "models" / "m1.yaml"
    charter.write_text(charter.read_text().replace("incident_owner:", "incident_ownr:"))
    result = run_mkdocs(root)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        "aipo: content/models/m1.yaml:6:1: incident_ownr: unknown field 'incident_ownr'; "
        "did you mean 'incident_owner'?" in result.stderr
    )
    assert tree_hashes(site) == before


SECRET = "TOP-SECRET-CONTENT-4711"


def _outside_link(root: Path) -> str:
    secret = root.parent / "secret.csv"
    secret.write_text(f"date,metric,value\n{SECRET},x,1\n")
    (root / "metrics" / "m1" / "stolen.csv").symlink_to(secret)
    return "metrics/m1/stolen.csv: is a symbolic link to a location outside the repository"


def _broken_link(root: Path) -> str:
    (root / "metrics" / "m1" / "gone.csv").symlink_to(root / "metrics" / "m1" / "nothing.csv")
    return "metrics/m1/gone.csv: is a broken symbolic link"


def _fifo(root: Path) -> str:
    os.mkfifo(root / "metrics" / "m1" / "pipe.csv")
    return "metrics/m1/pipe.csv: is a named pipe (FIFO), not a regular file"


def _folder(root: Path) -> str:
    policy = root / "content" / "policy.yaml"
    policy.unlink()
    policy.mkdir()
    return "content/policy.yaml: is a folder, not a file"


def _control_char(root: Path) -> str:
    charter = root / "content" / "models" / "m1.yaml"
    charter.write_text(charter.read_text().replace("name: Model one", 'name: "Model\\u202eone"'))
    return "name: contains the bidirectional control U+202E (RIGHT-TO-LEFT OVERRIDE)"


@pytest.mark.parametrize("breakage", [_outside_link, _broken_link, _fifo, _folder, _control_char])
def test_hostile_files_fail_the_build_and_keep_the_site(mini_repo, breakage):
    """The repository is the boundary, and nothing half-written: one line, no traceback, no
    hang on a named pipe, nothing from outside the repository echoed, the site unchanged."""
    root = mini_repo()
    site = root / "site"
    assert run_mkdocs(root).returncode == 0
    before = tree_hashes(site)
    expected = breakage(root)
    result = run_mkdocs(root)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and SECRET not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if "aipo:" in line]
    assert len(errors) == 1 and expected in errors[0], result.stderr
    assert tree_hashes(site) == before


def test_bad_csv_names_file_and_line(mini_repo):
    root = mini_repo(
        metrics={"m1/kpis.csv": "date,metric,value\n2026-11-19,recall,0.9\n2026-11-20,recall,inf\n"}
    )
    result = run_mkdocs(root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "metrics/m1/kpis.csv:3: value: expected a finite number, found 'inf'" in result.stderr


def test_several_problems_are_listed_together(mini_repo):
    bad = MINI_CHARTER.format(id="m2", name="Two").replace("summary:", "sumary:")
    root = mini_repo(charters={"m1": "id: m1\nname: [\n", "m2": bad})
    result = run_mkdocs(root)
    assert "3 problems in the governance inputs:" in result.stderr
    assert "content/models/m1.yaml:" in result.stderr and "content/models/m2.yaml:" in result.stderr


def test_generated_page_never_shadows_a_user_page(mini_repo):
    root = mini_repo()
    (root / "content" / "dashboard.md").write_text("# Mine\n")
    result = run_mkdocs(root)
    assert result.returncode == 1
    assert "dashboard.md conflicts with the page aipo generates" in result.stderr


def test_bad_as_of_is_a_clear_error(mini_repo):
    root = mini_repo(
        mkdocs_yml="site_name: x\ndocs_dir: content\ntheme: {name: material, font: false}\nplugins:\n  - aipo: {as_of: someday}\n"
    )
    result = run_mkdocs(root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "as_of: expected a date YYYY-MM-DD or 'today', found 'someday'" in result.stderr


def test_without_directory_urls(mini_repo):
    yml = "site_name: x\ndocs_dir: content\nuse_directory_urls: false\ntheme: {name: material, font: false}\nplugins:\n  - aipo: {as_of: '2026-11-20'}\n"
    root = mini_repo(mkdocs_yml=yml)
    assert run_mkdocs(root).returncode == 0
    page = (root / "site" / "models" / "m1.html").read_text()
    assert '"url":"m1/kpis.csv"' in page
    assert (root / "site" / "models" / "m1" / "kpis.csv").is_file()
    dashboard = (root / "site" / "dashboard.html").read_text()
    assert 'href="models/m1.html"' in dashboard


def test_disabled_plugin_generates_nothing(mini_repo):
    yml = "site_name: x\ndocs_dir: content\ntheme: {name: material, font: false}\nplugins:\n  - aipo: {enabled: false}\n"
    root = mini_repo(mkdocs_yml=yml)
    assert run_mkdocs(root).returncode == 0
    assert not (root / "site" / "dashboard").exists()


def test_untrusted_text_is_escaped_in_the_html(mini_repo):
    payload = "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    charter = MINI_CHARTER.format(id="m1", name="Model one")
    charter = charter.replace("name: Model one", f"name: {json.dumps(payload)}")
    charter = charter.replace("summary: A fixture model.", f"summary: {json.dumps(payload)}")
    charter = charter.replace("https://example.com/contract", "javascript:alert(1)")
    root = mini_repo(charters={"m1": charter})
    result = run_mkdocs(root)
    assert result.returncode == 0, result.stderr
    for page in ("models/m1/index.html", "dashboard/index.html"):
        html = (root / "site" / page).read_text()
        assert "<script>alert(1)" not in html
        assert "<img src=x" not in html and '<img src="x"' not in html
        assert 'href="javascript:' not in html


def test_serve_watches_inputs_outside_the_docs_folder(mini_repo):
    from mkdocs.config import load_config

    root = mini_repo()
    config = load_config(str(root / "mkdocs.yml"))
    plugin = config.plugins["aipo"]
    plugin.on_startup(command="serve", dirty=False)
    config = plugin.on_config(config)

    class Server:
        def __init__(self) -> None:
            self.watched: list[str] = []

        def watch(self, path: str, *args: object, **kwargs: object) -> None:
            self.watched.append(path)

    server = Server()
    plugin.on_serve(server, config=config, builder=None)
    # metrics/ lives outside docs_dir (content/), which MkDocs already watches
    assert server.watched == [str(root / "metrics")]


def test_serve_rebuild_reuses_the_evaluation_until_an_input_changes(mini_repo):
    import os

    from mkdocs.config import load_config

    root = mini_repo()
    config = load_config(str(root / "mkdocs.yml"))
    plugin = config.plugins["aipo"]
    plugin.on_startup(command="serve", dirty=False)
    config = plugin.on_config(config)
    plugin.on_pre_build(config=config)
    first = plugin.portal
    plugin.on_pre_build(config=config)
    assert plugin.portal is first  # nothing changed: cached
    csv = root / "metrics" / "m1" / "kpis.csv"
    csv.write_text(csv.read_text().replace("0.9\n", "0.5\n"))
    os.utime(csv, ns=(csv.stat().st_atime_ns, csv.stat().st_mtime_ns + 10**9))
    plugin.on_pre_build(config=config)
    assert plugin.portal is not first
    assert plugin.portal.portfolio.models[0].status.label == "BREACH"


def test_pages_carry_revision_and_history_from_git(demo_git_repo, tmp_path):
    repo = demo_git_repo
    repo.replace(
        "content/models/fraud-prevention.yaml",
        "name: Card payment fraud prevention",
        "name: Card payment fraud prevention (EU)",
    )
    sha = repo.commit("Rename the fraud model <for EU>", author="Grace Reviewer")
    site = tmp_path / "site"
    result = run_mkdocs(repo.path, site_dir=site)
    assert result.returncode == 0, result.stderr
    stamp = f"Source: commit {sha[:7]} of 2026-11-02 · Evaluated as of 2026-11-20"
    for page in ("index.html", "dashboard.html", "models/fraud-prevention.html"):
        assert stamp in (site / page).read_text(), page
    html = (site / "models" / "fraud-prevention.html").read_text()
    history = html[html.index('id="history"') :]
    assert "Grace Reviewer" in history and "Rename the fraud model &lt;for EU&gt;" in history
    assert history.index("Grace Reviewer") < history.index("Demo governance repository")


def test_outside_git_the_history_says_so(mini_repo):
    root = mini_repo()
    assert run_mkdocs(root, env={"GIT_CEILING_DIRECTORIES": str(root.parent)}).returncode == 0
    html = (root / "site" / "models" / "m1" / "index.html").read_text()
    assert "History is unavailable: the portal was not built from a git repository." in html
    assert "Source: not a git repository · Evaluated as of 2026-11-20" in html


# --- The navigation Material renders on each page (plugin.pruned_nav) -------------------------


def _build_in_process(root: Path, site: Path, trim: bool, monkeypatch, features=None) -> None:
    """`mkdocs build` of ``root`` in this process, with or without aipo's pruned navigation."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    import aipo_site.mkdocs_plugin.plugin as plugin

    with monkeypatch.context() as m:
        if not trim:
            m.setattr(plugin, "pruned_nav", lambda nav, features: nav)
        m.chdir(root)
        config = load_config(config_file=str(root / "mkdocs.yml"), site_dir=str(site))
        if features is not None:
            config.theme["features"] = features
        build(config)


@pytest.mark.parametrize("extra", [(), ("navigation.tabs",)], ids=["sections", "tabs and sections"])
def test_pruned_navigation_renders_the_same_pages(demo_copy, tmp_path, monkeypatch, extra):
    """Every page is the same with the pruned copy of the navigation as with the whole one:
    byte for byte with the demo's theme features; with navigation.tabs, the tab bar's template
    writes fewer runs of blank lines between its tags (nothing that renders)."""
    config = (demo_copy / "mkdocs.yml").read_text()
    features = re.findall(r"^    - (navigation\.\w+|toc\.\w+|search\.\w+)$", config, re.M)
    assert "navigation.prune" in features and "navigation.indexes" in features
    sites = {}
    for trim in (True, False):
        sites[trim] = tmp_path / f"site-{trim}"
        _build_in_process(demo_copy, sites[trim], trim, monkeypatch, [*features, *extra])
    pages = sorted(p.relative_to(sites[True]) for p in sites[True].rglob("*.html"))
    assert len(pages) > 30
    assert pages == sorted(p.relative_to(sites[False]) for p in sites[False].rglob("*.html"))
    for page in pages:
        trimmed, whole = ((sites[t] / page).read_text("utf-8") for t in (True, False))
        if not extra:
            assert trimmed == whole, page
        else:
            assert re.sub(r"\s+", " ", trimmed) == re.sub(r"\s+", " ", whole), page


def test_pruned_navigation_keeps_one_child_of_each_pruned_section():
    from mkdocs.structure.nav import Navigation, Section

    from aipo_site.mkdocs_plugin.plugin import pruned_nav

    class Item:  # a page or link: passed through as it is
        is_homepage = False

        def __init__(self, title: str) -> None:
            self.title = title

    def section(title: str, children: list) -> Section:
        s = Section(title, children)
        for child in children:
            child.parent = s
        return s

    pages = [Item(f"p{i}") for i in range(7)]
    units = [section("A", pages[:3]), section("B", pages[3:5])]
    models = section("Models", units)
    other = section("Guides", [section("Deep", [section("Deeper", [pages[5]])]), pages[6]])
    for s in (models, other):
        s.parent = None
    units[1].active = True  # the page being rendered is in B (which makes Models active too)
    nav = Navigation([models, other], pages)

    out = pruned_nav(nav, ["navigation.sections", "navigation.prune"])
    assert out is not nav and nav.items == [models, other] and units[0].children == pages[:3]
    models_out, other_out = out.items
    a, b = models_out.children
    assert a is not units[0] and a.title == "A" and a.children == [pages[0]] and not a.active
    assert b is units[1] and models_out.active  # the page's path is whole
    # Guides is a section (level 1, shown expanded); its pruned child keeps its chain of firsts.
    assert len(other_out.children) == 2 and other_out.children[1] is pages[6]
    deep = other_out.children[0]
    assert deep.children[0].title == "Deeper" and deep.children[0].children == [pages[5]]
    # With tabs, an inactive top-level section is pruned as a whole.
    tabs = pruned_nav(nav, ["navigation.tabs", "navigation.sections", "navigation.prune"])
    assert tabs.items[0].children[1] is units[1]
    assert len(tabs.items[1].children) == 1
    assert tabs.items[1].children[0].children[0].children == [pages[5]]


def test_a_theme_override_of_the_navigation_gets_the_whole_navigation(
    demo_copy, tmp_path, monkeypatch
):
    import aipo_site.mkdocs_plugin.plugin as plugin

    calls = []
    real = plugin.pruned_nav
    monkeypatch.setattr(plugin, "pruned_nav", lambda nav, f: calls.append(1) or real(nav, f))
    _build_in_process(demo_copy, tmp_path / "site", True, monkeypatch)
    assert calls, "without an override the pruned copy is used"
    calls.clear()
    partials = demo_copy / "overrides" / "partials"
    partials.mkdir(parents=True)
    import material

    own = (Path(material.__file__).parent / "templates/partials/nav-item.html").read_text()
    (partials / "nav-item.html").write_text("{# a site's own navigation item #}\n" + own)
    config = (demo_copy / "mkdocs.yml").read_text()
    (demo_copy / "mkdocs.yml").write_text(
        config.replace("  name: material\n", "  name: material\n  custom_dir: overrides\n", 1)
    )
    assert "custom_dir: overrides" in (demo_copy / "mkdocs.yml").read_text()
    _build_in_process(demo_copy, tmp_path / "site2", True, monkeypatch)
    assert not calls


def _sidebar_text(page: str) -> str:
    """The primary navigation's words, in order, separated by " | "."""
    nav = page[page.index("md-nav--primary") :]
    nav = nav[: nav.index('<div class="md-content"')] if '<div class="md-content"' in nav else nav
    words = re.sub(r"<[^>]+>", "|", nav)
    return re.sub(r"\s*(\|\s*)+", " | ", words)


def test_a_large_nav_group_goes_in_sub_sections(demo_copy, tmp_path, monkeypatch):
    """More than NAV_GROUP_MAX models in a group go in sub-sections of that many, in name
    order, titled by their positions: here a maximum of 2 and the demo's 3 models in one group
    (nav_group_by: none) give "1–2" and "3"."""
    import aipo_site.pipeline as pipeline

    monkeypatch.setattr(pipeline, "NAV_GROUP_MAX", 2)
    config = (demo_copy / "mkdocs.yml").read_text()
    grouped = config.replace("  - aipo:\n", "  - aipo:\n      nav_group_by: none\n", 1)
    assert grouped != config
    (demo_copy / "mkdocs.yml").write_text(grouped)
    site = tmp_path / "site"
    _build_in_process(demo_copy, site, True, monkeypatch)
    names = ["Card payment fraud prevention", "Distribution-centre demand forecast"]
    # On a page in "1–2", that sub-section lists its two models; "3" is one link.
    text = _sidebar_text((site / "models" / "fraud-prevention.html").read_text("utf-8"))
    models = text[text.index(" Models ") : text.index(" Risk register ")]
    assert f"| 1–2 | 1–2 | {names[0]} |" in models and names[1] in models, models
    assert models.rstrip(" |").endswith("| 3")
    # On the third model's page, "3" is open and "1–2" is one link to its first model.
    page = (site / "models" / "customer-churn.html").read_text("utf-8")
    models = _sidebar_text(page)
    models = models[models.index(" Models ") : models.index(" Risk register ")]
    assert "| 1–2 |" in models and names[1] not in models, models
    assert "| 3 | 3 |" in models


# --- Model pages rendered in the background (aipo_site/background.py) -------------------------


def _build_background(root: Path, site: Path, background: bool, monkeypatch, log=None) -> None:
    """A cold `mkdocs build` of ``root`` in this process, its model pages rendered in the
    background (however few) or all before MkDocs starts; with ``log``, each model render
    appends its process id there."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    import aipo_site.incremental as incremental

    render_model = incremental.render_model

    def logged(*args, **kwargs):
        with log.open("a") as f:
            f.write(f"{os.getpid()}\n")
        return render_model(*args, **kwargs)

    shutil.rmtree(root / ".cache", ignore_errors=True)
    with monkeypatch.context() as m:
        m.setattr(incremental, "PARALLEL_MIN", 1 if background else 10**9)
        m.setattr(incremental, "available_cores", lambda: 2)
        if log is not None:
            m.setattr(incremental, "render_model", logged)
        m.chdir(root)
        build(load_config(config_file=str(root / "mkdocs.yml"), site_dir=str(site)))


def test_model_pages_rendered_in_the_background_make_the_same_site(
    demo_copy, tmp_path, monkeypatch
):
    log = tmp_path / "renders"
    _build_background(demo_copy, tmp_path / "background", True, monkeypatch, log)
    pids = log.read_text().split()
    models = len(list((demo_copy / "content" / "models").glob("*.yaml")))
    assert len(pids) == models >= 3
    assert set(pids) != {str(os.getpid())}, "the pages were not rendered in the background"
    _build_background(demo_copy, tmp_path / "first", False, monkeypatch)
    assert tree_hashes(tmp_path / "background") == tree_hashes(tmp_path / "first")
    # The background process wrote every model's cache entry: a warm build renders nothing.
    import aipo_site.incremental as incremental

    shutil.rmtree(demo_copy / ".cache")
    _build_background(demo_copy, tmp_path / "unused", True, monkeypatch)
    monkeypatch.setattr(incremental, "render_model", lambda *a, **k: pytest.fail("rendered"))
    monkeypatch.chdir(demo_copy)
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    build(load_config(config_file=str(demo_copy / "mkdocs.yml"), site_dir=str(tmp_path / "warm")))
    assert tree_hashes(tmp_path / "warm") == tree_hashes(tmp_path / "first")


@pytest.mark.parametrize("background", [True, False], ids=["background", "first"])
def test_a_docs_file_where_a_background_page_writes_is_the_same_conflict(
    mini_repo, tmp_path, monkeypatch, caplog, background
):
    root = mini_repo()
    (root / "content" / "badges").mkdir()
    (root / "content" / "badges" / "m1.svg").write_text("<svg/>")
    from mkdocs.exceptions import Abort

    with pytest.raises(Abort):
        _build_background(root, tmp_path / "site", background, monkeypatch)
    assert "content/badges/m1.svg conflicts with the page aipo generates" in caplog.text
    # A file where this model writes nothing (it has no segments) is no conflict.
    (root / "content" / "badges" / "m1.svg").unlink()
    (root / "content" / "models" / "m1").mkdir(exist_ok=True)
    (root / "content" / "models" / "m1" / "segments.csv").write_text("mine\n")
    _build_background(root, tmp_path / "site", background, monkeypatch)
    assert (tmp_path / "site" / "models" / "m1" / "segments.csv").read_text() == "mine\n"
    assert (tmp_path / "site" / "badges" / "m1.svg").read_text().startswith("<svg")


def test_a_failed_build_ends_the_background_process(mini_repo, tmp_path, monkeypatch):
    """An error while MkDocs builds the pages (a page asks for a template that does not exist)
    ends the background process at once (on_build_error)."""
    import multiprocessing

    from jinja2 import TemplateNotFound

    from aipo_site.background import BackgroundPages

    started: list[BackgroundPages] = []
    start = BackgroundPages.start
    monkeypatch.setattr(
        BackgroundPages, "start", lambda self, *a: started.append(self) or start(self, *a)
    )
    root = mini_repo()
    (root / "content" / "broken.md").write_text("---\ntemplate: missing.html\n---\n# Broken\n")
    with pytest.raises(TemplateNotFound):
        _build_background(root, tmp_path / "site", True, monkeypatch)
    assert len(started) == 1 and started[0]._process is None
    assert multiprocessing.active_children() == []
