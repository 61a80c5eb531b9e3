"""Published under a sub-path: GitHub project pages (https://OWNER.github.io/REPO/) and mike
version folders (.../REPO/1.0/).

MkDocs serves 404.html at any depth, so it links the page's stylesheets, scripts and navigation
from site_url's path, or from "/" without a site_url; and it lists pages in sitemap.xml only under
site_url. These tests build real sites (the demo, fixture repositories, an `aipo init` scaffold,
a real `mike deploy`) and check the 404 page and the sitemap; the browser tests serve sites
under a sub-path, answering unknown paths with the nearest 404.html above them (GitHub Pages uses
the one at the root of the site), and check that the 404 page loads every stylesheet and script.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from aipo_site.cli import main
from aipo_site.mkdocs_plugin.plugin import NO_SITE_URL
from tests.conftest import MINI_MKDOCS, ROOT, GitRepo, run_mkdocs

pytestmark = pytest.mark.build

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
VENV_BIN = Path(sys.executable).parent
DEMO_SITE_URL = "https://example.org/aipo/"
# The files MkDocs and Material link from every page, 404.html included.
ASSET = re.compile(r"\.(css|js)$")


def links(html: str) -> list[str]:
    """Every href and src in ``html``, and the base Material's scripts resolve URLs against."""
    found = re.findall(r'\b(?:href|src)="([^"]*)"', html)
    found += re.findall(r'"base": "([^"]*)"', html)
    found += re.findall(r'__md_scope=new URL\("([^"]*)"', html)
    return found


def assert_404_under(site: Path, base: str) -> None:
    """404.html links nothing from the server root outside ``base`` (the site_url's path), and
    every stylesheet and script it links exists in the built site."""
    html = (site / "404.html").read_text()
    urls = links(html)
    local = [u for u in urls if u.startswith("/") and not u.startswith("//")]
    assets = [u for u in local if ASSET.search(urlsplit(u).path)]
    assert any(u.endswith(".css") for u in assets), urls  # the check below is not vacuous
    outside = [u for u in local if not u.startswith(base)]
    assert outside == [], f"404.html links from the server root, outside {base}: {outside}"
    relative = [u for u in urls if not urlsplit(u).scheme and not u.startswith(("/", "#"))]
    assert relative == [], f"404.html is served at any depth: relative links break: {relative}"
    for url in assets:
        rel = urlsplit(url).path[len(base) :]
        assert (site / rel).is_file(), f"404.html links {url}, which the site does not hold"


def sitemap_locs(site: Path) -> list[str]:
    root = ET.parse(site / "sitemap.xml").getroot()
    return [loc.text or "" for loc in root.findall("s:url/s:loc", SITEMAP_NS)]


def page_urls(site: Path) -> set[str]:
    """The URL (relative to the site root) of every page MkDocs wrote: ``x.html`` with Material's
    offline plugin (use_directory_urls: false, as the demo and the scaffold), ``x/`` without."""
    out = set()
    if (site / "dashboard.html").is_file():
        for path in site.rglob("*.html"):
            rel = path.relative_to(site).as_posix()
            if rel != "404.html" and not rel.startswith("assets/"):
                out.add(rel)
        return out
    for path in site.rglob("index.html"):
        rel = path.parent.relative_to(site).as_posix()
        out.add("" if rel == "." else rel + "/")
    return out


def with_site_url(text: str, site_url: str | None) -> str:
    """mkdocs.yml ``text`` with its site_url set to ``site_url`` (or removed)."""
    text = re.sub(r"(?m)^site_url:.*\n", "", text)
    return text if site_url is None else f"site_url: {site_url}\n{text}"


# --- the demo -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("subpath-demo") / "site"
    result = run_mkdocs(ROOT, site_dir=site)
    assert result.returncode == 0, result.stdout + result.stderr
    return site


def test_the_demo_names_the_address_it_is_published_at() -> None:
    config = yaml.safe_load(re.sub(r"!ENV \[[^\]]*\]", "x", (ROOT / "mkdocs.yml").read_text()))
    assert config["site_url"] == DEMO_SITE_URL


def test_the_demo_404_page_is_linked_from_its_sub_path(demo_site: Path) -> None:
    assert_404_under(demo_site, urlsplit(DEMO_SITE_URL).path)


def test_the_demo_sitemap_lists_every_page_under_site_url(demo_site: Path) -> None:
    locs = sitemap_locs(demo_site)
    assert len(locs) == len(set(locs))
    expected = {DEMO_SITE_URL + url for url in page_urls(demo_site)}
    # aipo's generated pages (File.generated), not only the hand-written ones.
    for url in (
        "index.html",
        "dashboard.html",
        "models/fraud-prevention.html",
        "models/customer-churn.html",
        "models/supply-chain-forecast.html",
        "reference/charter.html",
        "reference/policy.html",
        "guide/publishing.html",
    ):
        assert DEMO_SITE_URL + url in expected, url
    assert set(locs) == expected
    text = (demo_site / "sitemap.xml").read_text()
    assert text.count("<lastmod>2026-11-20</lastmod>") == len(locs)  # the evaluation date


# --- fixture repositories: sub-paths, version folders, no site_url ----------------------------


@pytest.mark.parametrize(
    "site_url",
    [
        "https://example.org/repo/",  # a GitHub project page
        "https://example.org/repo/1.0/",  # a mike version folder
        "https://portal.example/",  # the root of a host
        "https://example.org/repo",  # MkDocs adds the trailing slash
    ],
)
def test_404_and_sitemap_follow_site_url(mini_repo: Any, tmp_path: Path, site_url: str) -> None:
    root = mini_repo(mkdocs_yml=with_site_url(MINI_MKDOCS, site_url))
    site = tmp_path / "site"
    result = run_mkdocs(root, site_dir=site)
    assert result.returncode == 0, result.stdout + result.stderr
    base_url = site_url.rstrip("/") + "/"
    assert_404_under(site, urlsplit(base_url).path)
    locs = sitemap_locs(site)
    assert set(locs) == {base_url + url for url in page_urls(site)}
    assert {base_url + "dashboard/", base_url + "models/m1/"} <= set(locs)
    assert NO_SITE_URL not in result.stderr


def test_without_site_url_the_build_passes_and_says_what_is_missing(
    mini_repo: Any, tmp_path: Path
) -> None:
    """A portal at the root of its host needs no site_url for its 404 page: the build passes
    under --strict, and the plugin says (INFO) what a sub-path would break."""
    root = mini_repo()
    assert "site_url" not in (root / "mkdocs.yml").read_text()
    site = tmp_path / "site"
    result = run_mkdocs(root, site_dir=site)
    assert result.returncode == 0, result.stdout + result.stderr
    notes = [line for line in result.stderr.splitlines() if "site_url is not set" in line]
    assert len(notes) == 1, result.stderr
    assert notes[0].startswith("INFO") and "aipo: " + NO_SITE_URL in notes[0]
    assert "404.html" in NO_SITE_URL and "sitemap.xml" in NO_SITE_URL
    # What the note is about: root-absolute links, and an empty sitemap.
    assert 'href="/assets/' in (site / "404.html").read_text()
    assert sitemap_locs(site) == []


# --- aipo init --site-url -------------------------------------------------------------------------


def test_a_scaffold_with_site_url_builds_a_404_page_for_its_sub_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "gov"
    args = ["init", str(root), "--as-of", "2026-11-20", "--site-url", "https://example.org/gov"]
    assert main(args) == 0
    capsys.readouterr()
    site = tmp_path / "site"
    result = run_mkdocs(root, site_dir=site)
    assert result.returncode == 0, result.stdout + result.stderr
    assert NO_SITE_URL not in result.stderr
    assert_404_under(site, "/gov/")
    locs = sitemap_locs(site)
    assert "https://example.org/gov/models/example-model.html" in locs
    assert "https://example.org/gov/dashboard.html" in locs


# --- mike -----------------------------------------------------------------------------------------


def test_mike_version_folders_get_their_own_404_page_and_sitemap(
    tmp_path: Path, demo_git_repo: GitRepo
) -> None:
    """mike adds the version to site_url (its plugin's on_config), so each version folder's 404
    page links that folder's assets and its sitemap lists that folder's pages."""
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}
    for version in ("2026-Q4", "1.0"):
        result = subprocess.run(
            [str(VENV_BIN / "mike"), "deploy", version],
            cwd=demo_git_repo.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    checkout = tmp_path / "gh-pages"
    demo_git_repo.git("worktree", "add", "-q", str(checkout), "gh-pages")
    for version in ("2026-Q4", "1.0"):
        folder = checkout / version
        base = f"/aipo/{version}/"
        assert_404_under(folder, base)
        locs = sitemap_locs(folder)
        assert set(locs) == {f"{DEMO_SITE_URL}{version}/{url}" for url in page_urls(folder)}
        assert f"{DEMO_SITE_URL}{version}/models/fraud-prevention.html" in locs
        assert f"{DEMO_SITE_URL}{version}/dashboard.html" in locs


# --- in a browser ---------------------------------------------------------------------------------


class PagesServer:
    """Serves ``root`` on 127.0.0.1 and answers a missing path with the nearest 404.html above it
    (status 404), as GitHub Pages does at the site root and other hosts in every folder."""

    def __init__(self, root: Path) -> None:
        served = root.resolve()

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def send_error(self, code: int, message: str | None = None, explain=None) -> None:
                if code != 404:
                    super().send_error(code, message, explain)
                    return
                folder = Path(self.translate_path(self.path))
                while folder != served and served in folder.parents:
                    page = folder / "404.html"
                    if page.is_file():
                        body = page.read_bytes()
                        self.send_response(404)
                        self.send_header("Content-Type", "text/html; charset=utf-8")
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                        return
                    folder = folder.parent
                super().send_error(code, message, explain)

        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(served))
        )
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def pages_root(tmp_path: Path) -> Iterator[tuple[Path, PagesServer]]:
    root = tmp_path / "pages"
    root.mkdir()
    server = PagesServer(root)
    yield root, server
    server.close()


def open_missing_page(
    browser: Any, url: str, selector: str | None = None
) -> tuple[int, list[str], str]:
    """Open ``url`` (a page that does not exist) and wait until the network is idle (and
    ``selector`` is shown); return the status, the requests that failed (the page itself aside)
    and the header's background colour (from Material's stylesheet)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        failures: list[str] = []
        page.on("requestfailed", lambda r: failures.append(f"{r.url}: {r.failure}"))
        page.on(
            "response",
            lambda r: (
                failures.append(f"{r.url}: HTTP {r.status}")
                if r.status >= 400 and r.url != url
                else None
            ),
        )
        response = page.goto(url, wait_until="networkidle")
        assert response is not None
        if selector is not None:
            from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

            try:
                page.wait_for_selector(selector, state="visible", timeout=10_000)
            except PlaywrightTimeoutError:
                failures.append(f"{selector} is not shown")
        colour = page.eval_on_selector(".md-header", "el => getComputedStyle(el).backgroundColor")
        return response.status, failures, colour
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("folder", ["repo/", "repo/1.0/"])
def test_the_404_page_is_styled_under_a_sub_path(
    chromium_browser: Any,
    pages_root: tuple[Path, PagesServer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    folder: str,
) -> None:
    root, server = pages_root
    gov = tmp_path / "gov"
    site_url = f"https://example.org/{folder}"
    assert main(["init", str(gov), "--as-of", "2026-11-20", "--site-url", site_url]) == 0
    capsys.readouterr()
    result = run_mkdocs(gov, site_dir=root / folder)
    assert result.returncode == 0, result.stdout + result.stderr

    status, failures, colour = open_missing_page(
        chromium_browser, f"{server.url}{folder}models/no-such-model/"
    )
    assert status == 404
    assert failures == []
    assert colour not in ("", "rgba(0, 0, 0, 0)", "transparent"), colour

    # The same portal without site_url: its 404 page asks the server root for its stylesheets.
    (gov / "mkdocs.yml").write_text(with_site_url((gov / "mkdocs.yml").read_text(), None))
    shutil.rmtree(root / folder)
    result = run_mkdocs(gov, site_dir=root / folder)
    assert result.returncode == 0, result.stdout + result.stderr
    status, failures, colour = open_missing_page(
        chromium_browser, f"{server.url}{folder}models/no-such-model/"
    )
    assert status == 404
    assert any("/assets/stylesheets/" in f and f"/{folder}" not in f for f in failures), failures


@pytest.mark.browser
def test_the_404_page_of_a_mike_version_folder_loads_everything(
    chromium_browser: Any,
    pages_root: tuple[Path, PagesServer],
    tmp_path: Path,
    git_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What the workflow publishes: `mike deploy` with the version selector on, served under
    /repo/. The 404 page of a version folder (and of the `latest` alias) loads its stylesheets,
    scripts, search index and versions.json, and shows the version selector."""
    root, server = pages_root
    repo = GitRepo.init(tmp_path / "gov")
    args = ["init", str(repo.path), "--force", "--as-of", "2026-11-20"]
    assert main([*args, "--site-url", "https://example.org/repo/"]) == 0
    capsys.readouterr()
    repo.commit("Governance repository")
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "AIPO_VERSION_PROVIDER": "mike",
    }
    for command in (["deploy", "--update-aliases", "1.0", "latest"], ["set-default", "latest"]):
        result = subprocess.run(
            [str(VENV_BIN / "mike"), *command],
            cwd=repo.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    repo.git("worktree", "add", "-q", str(tmp_path / "gh-pages"), "gh-pages")
    shutil.copytree(tmp_path / "gh-pages", root / "repo", symlinks=True, ignore=ignore_git)

    for folder in ("1.0", "latest"):
        url = f"{server.url}repo/{folder}/models/no-such-model/"
        status, failures, colour = open_missing_page(chromium_browser, url, selector=".md-version")
        assert status == 404
        assert failures == [], failures
        assert colour not in ("", "rgba(0, 0, 0, 0)", "transparent"), colour


def ignore_git(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name == ".git"]
