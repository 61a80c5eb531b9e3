"""Shared fixtures: the repository root, copies of the demo, tiny fixture repositories, and a
real `mkdocs build` runner. Fixtures specific to one test module live in that module."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The demo's model ids (content/models/<id>.yaml), sorted: what the browser tests visit.
DEMO_MODELS = sorted(path.stem for path in (ROOT / "content" / "models").glob("*.yaml"))
AS_OF = dt.date(2026, 11, 20)

MINI_MKDOCS = """\
site_name: fixture portal
docs_dir: content
theme:
  name: material
  font: false
plugins:
  - aipo:
      as_of: "2026-11-20"
"""

MINI_POLICY = """\
metrics:
  recall: {direction: higher_is_better, warn: 0.80, breach: 0.75}
authorisation:
  - categories: [personal]
    regions: [EU]
    regulation: GDPR
required_sections:
  production: [owner, incident_owner, kpis, thresholds, escalation, retraining, data_contracts]
"""

MINI_CHARTER = """\
id: {id}
name: {name}
summary: A fixture model.
business_unit: Testing
owner: {{name: Ada Owner, email: ada@example.com}}
incident_owner: {{name: Ivan Incident}}
lifecycle: {{stage: production, since: 2026-01-01}}
kpis:
  - metric: recall
    baseline: {{value: 0.9}}
    freshness_days: 3
data_sources:
  - name: Events
    categories: [personal]
    regions: [EU]
    authorisation: {{record: DPIA-1}}
    contract: https://example.com/contract
retraining: {{cadence_days: 90, last_retrained: 2026-10-01}}
escalation:
  - {{name: L1, "on": warn, trigger: KPI warn, who: Data science, response_time: 2 days}}
  - {{name: L2, "on": breach, trigger: KPI breach, who: AIPO, response_time: 4 hours}}
"""


def load_errors(root: Path) -> list[str]:
    """Every problem loading the repository at ``root`` reports, each as its one-line message
    (the load must fail)."""
    from aipo_site.errors import InputError, InputErrors
    from aipo_site.load.repository import load_repository
    from aipo_site.load.source import WorkingTree

    with pytest.raises((InputError, InputErrors)) as caught:
        load_repository(WorkingTree(root))
    e = caught.value
    return [x.render() for x in (e.errors if isinstance(e, InputErrors) else [e])]


def daily_csv(values: list[float], end: dt.date = AS_OF, metric: str = "recall") -> str:
    """A long-form CSV with one value per day ending at ``end``."""
    start = end - dt.timedelta(days=len(values) - 1)
    rows = ["date,metric,value"]
    for i, v in enumerate(values):
        rows.append(f"{(start + dt.timedelta(days=i)).isoformat()},{metric},{v}")
    return "\n".join(rows) + "\n"


@pytest.fixture
def repo_root() -> Path:
    return ROOT


def copy_demo(dest: Path) -> Path:
    """Copy the demo repository (mkdocs.yml, content/, metrics/, data/, schema/) into ``dest``
    (data/ holds the demo's metric source, read by `aipo collect` only)."""
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "mkdocs.yml", dest / "mkdocs.yml")
    shutil.copytree(ROOT / "content", dest / "content")
    shutil.copytree(ROOT / "metrics", dest / "metrics")
    shutil.copytree(ROOT / "data", dest / "data")
    if (ROOT / "schema").is_dir():
        shutil.copytree(ROOT / "schema", dest / "schema")
    return dest


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A private copy of the demo repository (mkdocs.yml, content/, metrics/)."""
    return copy_demo(tmp_path / "demo")


def one_charter_repo(root: Path, charter: str, metrics: dict[str, str] | None = None) -> Path:
    """A repository of one charter (content/models/m1.yaml), no policy, optional metric files."""
    (root / "content" / "models").mkdir(parents=True)
    (root / "mkdocs.yml").write_text("site_name: t\ndocs_dir: content\n")
    (root / "content" / "models" / "m1.yaml").write_text(textwrap.dedent(charter), "utf-8")
    for rel, text in (metrics or {}).items():
        path = root / "metrics" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def evaluate_results(root: Path, as_of: dt.date = AS_OF) -> tuple[dict[str, Any], Any]:
    """Each model's result by id, and the people directory (None without one)."""
    from aipo_site.load.source import WorkingTree
    from aipo_site.model.inputs import Layout
    from aipo_site.pipeline import evaluate_source

    repo, portfolio = evaluate_source(WorkingTree(root), Layout(), as_of)
    return {m.id: m for m in portfolio.models}, repo.people


MiniRepo = Callable[..., Path]


@pytest.fixture
def mini_repo(tmp_path: Path) -> MiniRepo:
    """Factory for a tiny governance repository with one healthy model by default.

    ``mini_repo(charters={"m1": text}, metrics={"m1/kpis.csv": text}, policy=text)``
    """

    def make(
        charters: dict[str, str] | None = None,
        metrics: dict[str, str] | None = None,
        policy: str | None = MINI_POLICY,
        mkdocs_yml: str = MINI_MKDOCS,
        name: str = "repo",
    ) -> Path:
        root = tmp_path / name
        (root / "content" / "models").mkdir(parents=True)
        (root / "metrics").mkdir()
        (root / "mkdocs.yml").write_text(mkdocs_yml)
        (root / "content" / "index.md").write_text("# Home\n")
        if policy is not None:
            (root / "content" / "policy.yaml").write_text(policy)
        if charters is None:
            charters = {"m1": MINI_CHARTER.format(id="m1", name="Model one")}
        for model_id, text in charters.items():
            (root / "content" / "models" / f"{model_id}.yaml").write_text(textwrap.dedent(text))
        if metrics is None:
            metrics = {"m1/kpis.csv": daily_csv([0.9] * 30)}
        for rel, text in metrics.items():
            path = root / "metrics" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return root

    return make


def run_mkdocs(
    root: Path, *args: str, site_dir: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a real `mkdocs build --strict` in ``root``."""
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", *args]
    if site_dir is not None:
        cmd += ["--site-dir", str(site_dir)]
    full_env = {k: v for k, v in os.environ.items() if k != "AIPO_AS_OF"}
    full_env.update({"NO_MKDOCS_2_WARNING": "1", **(env or {})})
    return subprocess.run(cmd, cwd=root, env=full_env, capture_output=True, text=True, timeout=300)


# --- Browser tests (tests/test_browser.py) ---------------------------------------------------
# One real `mkdocs build --strict` of the demo per session, served over HTTP from 127.0.0.1, and
# one headless Chromium (Debian's /usr/bin/chromium driven by Playwright; never
# `playwright install`).

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Below 1220 px Material hides the navigation in a drawer.
VIEWPORT = {"width": 1400, "height": 1000}


def build_site(root: Path, site_dir: Path) -> Path:
    """Build ``root`` (a folder holding mkdocs.yml) into ``site_dir``; fail with MkDocs' output."""
    result = run_mkdocs(root, site_dir=site_dir)
    if result.returncode != 0:
        pytest.fail(
            f"mkdocs build --strict failed in {root} (exit {result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}",
            pytrace=False,
        )
    return site_dir


class SiteServer:
    """A built site served by http.server on 127.0.0.1 (random port) in a daemon thread."""

    def __init__(self, directory: Path) -> None:
        import functools
        import http.server
        import threading

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet test output
                pass

            # Like a static host (GitHub Pages), never list a folder: a link to a folder that
            # has no index.html is a 404, not a listing that looks like an answer.
            def list_directory(self, path: str) -> None:  # type: ignore[override]
                self.send_error(404, "No index.html in this folder")
                return None

        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(directory))
        )
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.netloc = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.netloc}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo portal, built once per session with a real `mkdocs build --strict`."""
    return build_site(ROOT, tmp_path_factory.mktemp("demo-site"))


@pytest.fixture(scope="session")
def demo_server(demo_site: Path) -> Iterator[SiteServer]:
    server = SiteServer(demo_site)
    yield server
    server.close()


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    """One headless Chromium per session. A missing /usr/bin/chromium fails (never skips)."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's chromium. "
            "Install it with `make browser-deps` (apt-get install chromium); "
            "do not run `playwright install`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


class PortalPage:
    """A Playwright page on one served site that records what a user would not see: console
    errors, uncaught exceptions, every request URL and every failed response."""

    def __init__(self, page: Any, server: SiteServer) -> None:
        self.page = page
        self.server = server
        self.console_errors: list[str] = []
        self.console_warnings: list[str] = []
        self.page_errors: list[str] = []
        self.requests: list[str] = []
        self.failures: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("request", lambda request: self.requests.append(request.url))
        page.on(
            "requestfailed",
            lambda request: self.failures.append(f"{request.url}: {request.failure}"),
        )
        page.on(
            "response",
            lambda response: (
                self.failures.append(f"{response.url}: HTTP {response.status}")
                if response.status >= 400
                else None
            ),
        )

    def _on_console(self, message: Any) -> None:
        text = f"{message.text} ({message.location.get('url', '')})"
        if message.type == "error":
            self.console_errors.append(text)
        elif message.type == "warning":
            self.console_warnings.append(text)

    def url(self, path: str = "") -> str:
        return self.server.url + path.lstrip("/")

    def goto(self, path: str = "") -> Any:
        response = self.page.goto(self.url(path), wait_until="load")
        assert response is not None, f"no response for {path!r}"
        assert response.status == 200, f"{path!r} answered HTTP {response.status}"
        return response

    def foreign_requests(self) -> list[str]:
        """Requests to anything but the test server (data: and blob: URLs are local)."""
        from urllib.parse import urlsplit

        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob"):
                continue
            if parts.scheme not in ("http", "https") or parts.netloc != self.server.netloc:
                out.append(url)
        return out


OpenPortal = Callable[[SiteServer], PortalPage]


@pytest.fixture
def open_portal(chromium_browser: Any) -> Iterator[OpenPortal]:
    """Factory: a fresh browser context (1400x1000) and page on a served site."""
    contexts: list[Any] = []

    def open_(server: SiteServer) -> PortalPage:
        context = chromium_browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return PortalPage(context.new_page(), server)

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def portal(open_portal: OpenPortal, demo_server: SiteServer) -> PortalPage:
    """A page on the demo portal."""
    return open_portal(demo_server)


# --- Git repositories (tests/test_git.py, tests/test_diff.py, tests/test_versioning.py) -------
# Real repositories in temp folders, driven through the git CLI with a hermetic configuration:
# no user or system config, a fixed identity, branch `main`, and commit dates chosen by the test
# (so shas and dates are reproducible).

GIT_IDENTITY = {
    "user.name": "Ada Tester",
    "user.email": "ada@example.com",
    "init.defaultBranch": "main",
    "commit.gpgsign": "false",
    "tag.gpgsign": "false",
    "protocol.file.allow": "always",
}
FIRST_COMMIT_DATE = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def git_config_env(settings: dict[str, str]) -> dict[str, str]:
    """Git settings as GIT_CONFIG_COUNT / GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n variables."""
    env = {"GIT_CONFIG_COUNT": str(len(settings))}
    for i, (key, value) in enumerate(settings.items()):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


@pytest.fixture
def git_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A hermetic git environment for the test (and for aipo's own git calls in it)."""
    hermetic_git(monkeypatch, tmp_path_factory.mktemp("home"))
    return dict(os.environ)


def hermetic_git(mp: pytest.MonkeyPatch, home: Path) -> None:
    """Git reads no user or system configuration and commits as the test identity."""
    for name in (
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "AIPO_AS_OF",
    ):
        mp.delenv(name, raising=False)
    mp.setenv("HOME", str(home))
    mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
    mp.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    mp.setenv("NO_MKDOCS_2_WARNING", "1")
    for key, value in git_config_env(GIT_IDENTITY).items():
        mp.setenv(key, value)


class GitRepo:
    """A git work tree in a temp folder, for tests."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._commits = 0

    @classmethod
    def init(cls, path: Path) -> GitRepo:
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
        return cls(path)

    def git(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
        proc = subprocess.run(
            ["git", *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
        return proc.stdout

    def write(self, rel: str, text: str) -> Path:
        path = self.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def read(self, rel: str) -> str:
        return (self.path / rel).read_text()

    def replace(self, rel: str, old: str, new: str) -> None:
        """Replace the one occurrence of ``old`` in a file (fails loudly when it is not there)."""
        text = self.read(rel)
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {rel}"
        self.write(rel, text.replace(old, new))

    def commit(
        self,
        message: str,
        *,
        date: dt.datetime | None = None,
        author: str = "Ada Tester",
        email: str = "ada@example.com",
    ) -> str:
        """Stage everything and commit; dates default to one hour after the previous commit."""
        when = date or FIRST_COMMIT_DATE + dt.timedelta(hours=self._commits)
        self._commits += 1
        stamp = when.isoformat()
        env = {
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_DATE": stamp,
            "GIT_AUTHOR_NAME": author,
            "GIT_AUTHOR_EMAIL": email,
        }
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, env=env)
        return self.git("rev-parse", "HEAD").strip()


@pytest.fixture
def demo_git_repo(demo_copy: Path, git_env: dict) -> GitRepo:
    """The demo copy (mkdocs.yml, content/, metrics/) committed once on `main`."""
    repo = GitRepo.init(demo_copy)
    commit = repo.commit("Demo governance repository")
    # The demo's decision records point at commits of aipo's own history, which this copy has
    # not: point them at this copy's commit, so their evidence is checked here too.
    for path in sorted((demo_copy / "content" / "decisions").glob("*.yaml")):
        text = path.read_text()
        model = re.search(r"^model: (\S+)$", text, re.MULTILINE).group(1)
        charter = (demo_copy / "content" / "models" / f"{model}.yaml").read_bytes()
        text = re.sub(r'commit: "[0-9a-f]+"', f'commit: "{commit}"', text)
        text = re.sub(
            r'charter_sha256: "[0-9a-f]+"',
            f'charter_sha256: "{hashlib.sha256(charter).hexdigest()}"',
            text,
        )
        path.write_text(text)
    repo.commit("Decision evidence of this copy")
    return repo
