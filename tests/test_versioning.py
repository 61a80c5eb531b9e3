"""Versioned publishing with mike, on a real local git repository.

The commands are the ones the CI workflow runs: the test takes the "Publish with mike" step's
script and environment out of .github/workflows/portal.yml and runs it in fresh clones of a bare
`origin` (as `actions/checkout` with `fetch-depth: 0` would), once to freeze the audit snapshot
2026-Q4 and once to publish `latest`. So the workflow cannot drift from what is tested.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, GitRepo

pytestmark = pytest.mark.build

WORKFLOW = ROOT / ".github" / "workflows" / "portal.yml"
VENV_BIN = Path(sys.executable).parent


def publish_step() -> tuple[str, dict[str, str]]:
    """The script of the workflow's publish step, and its literal environment variables."""
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = workflow["jobs"]["publish"]["steps"]
    step = next(s for s in steps if s.get("name") == "Publish with mike")
    env = {k: str(v) for k, v in step["env"].items() if "${{" not in str(v)}
    return step["run"], env


def publish(origin: Path, workdir: Path, freeze: str = "") -> subprocess.CompletedProcess[str]:
    """Clone ``origin`` with full history and run the workflow's publish step in it."""
    subprocess.run(["git", "clone", "-q", f"file://{origin}", str(workdir)], check=True)
    script, step_env = publish_step()
    env = {
        **os.environ,
        # mike runs `mkdocs`, which must come from this venv.
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        # The workflow's git identity replaces the test's: it has to be enough on its own.
        **step_env,
        "FREEZE_VERSION": freeze,
    }
    for key in [k for k in env if k.startswith("GIT_CONFIG_") and k[-1].isdigit()]:
        if int(key.rsplit("_", 1)[1]) >= int(step_env["GIT_CONFIG_COUNT"]):
            del env[key]
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def show(origin: Path, spec: str) -> str:
    return subprocess.run(
        ["git", "show", spec], cwd=origin, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def origin(tmp_path: Path, demo_git_repo: GitRepo) -> Path:
    """A bare `origin` holding the demo. Its mkdocs.yml takes the version selector's provider from
    AIPO_VERSION_PROVIDER, which the workflow's publish step sets to mike."""
    assert "provider: !ENV [AIPO_VERSION_PROVIDER, none]" in demo_git_repo.read("mkdocs.yml")
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    demo_git_repo.git("remote", "add", "origin", str(bare))
    demo_git_repo.git("push", "-q", "origin", "main")
    return bare


def test_freeze_an_audit_version_then_publish_latest(
    tmp_path: Path, origin: Path, demo_git_repo: GitRepo
) -> None:
    frozen = publish(origin, tmp_path / "ci-freeze", freeze="2026-Q4")
    assert frozen.returncode == 0, frozen.stdout + frozen.stderr

    # A later merge renames a model; `latest` shows it, the frozen snapshot must not.
    demo_git_repo.replace(
        "content/models/fraud-prevention.yaml",
        "name: Card payment fraud prevention\n",
        "name: Card fraud prevention (v2)\n",
    )
    demo_git_repo.commit("Rename the fraud model")
    demo_git_repo.git("push", "-q", "origin", "main")
    latest = publish(origin, tmp_path / "ci-latest")
    assert latest.returncode == 0, latest.stdout + latest.stderr

    version = demo_git_repo.git("log", "-1", "--format=%cs", "HEAD").strip()
    short = demo_git_repo.git("rev-parse", "--short", "HEAD").strip()
    versions = {v["version"]: v for v in json.loads(show(origin, "gh-pages:versions.json"))}
    assert versions == {
        version: {"version": version, "title": f"{version} ({short})", "aliases": ["latest"]},
        "2026-Q4": {"version": "2026-Q4", "title": "2026-Q4 (frozen)", "aliases": []},
    }
    # The frozen audit version is complete and unchanged by the later publish.
    dashboard = show(origin, "gh-pages:2026-Q4/dashboard.html")
    assert "Card payment fraud prevention" in dashboard
    assert "Card fraud prevention (v2)" not in dashboard
    assert '"provider": "mike"' in dashboard or '"provider":"mike"' in dashboard
    assert "Card fraud prevention (v2)" in show(origin, f"gh-pages:{version}/dashboard.html")
    # The frozen version carries its evidence pack (of the frozen commit), and it verifies.
    pack = tmp_path / "aipo-evidence-2026-Q4.zip"
    pack.write_bytes(
        subprocess.run(
            ["git", "show", "gh-pages:2026-Q4/aipo-evidence-2026-Q4.zip"],
            cwd=origin,
            capture_output=True,
            check=True,
        ).stdout
    )
    verified = subprocess.run(
        [str(VENV_BIN / "aipo"), "evidence", "verify", str(pack)], capture_output=True, text=True
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    with zipfile.ZipFile(pack) as z:
        state = json.loads(z.read("aipo-evidence-2026-Q4/state.json"))
        manifest = json.loads(z.read("aipo-evidence-2026-Q4/manifest.json"))
    frozen_commit = demo_git_repo.git("rev-parse", "HEAD~1").strip()
    assert state["source"]["revision"] == manifest["source"]["revision"] == frozen_commit
    assert state["as_of"] == "2026-11-20"
    names = {m["name"] for m in state["models"]}
    assert "Card payment fraud prevention" in names and "Card fraud prevention (v2)" not in names
    listing = subprocess.run(
        ["git", "ls-tree", "--name-only", "gh-pages", f"{version}/"],
        cwd=origin,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ".zip" not in listing  # only a frozen version gets a pack
    # `latest` is an alias of the new version, and the site root sends visitors to it.
    tree = subprocess.run(
        ["git", "ls-tree", "gh-pages", "latest"], cwd=origin, capture_output=True, text=True
    ).stdout
    assert tree.startswith("120000 "), tree  # a symlink
    assert show(origin, "gh-pages:latest") == version
    assert "latest/" in show(origin, "gh-pages:index.html")
    # GitHub Pages serves only the root's 404.html: it is the new version's, whose links are
    # absolute under the version's folder, so it is styled at any depth.
    root_404 = show(origin, "gh-pages:404.html")
    assert root_404 == show(origin, f"gh-pages:{version}/404.html")
    assert f'href="/aipo/{version}/assets/' in root_404


def test_a_frozen_version_is_never_overwritten(tmp_path: Path, origin: Path) -> None:
    first = publish(origin, tmp_path / "one", freeze="2026-Q4")
    assert first.returncode == 0, first.stdout + first.stderr
    before = show(origin, "gh-pages")
    again = publish(origin, tmp_path / "two", freeze="2026-Q4")
    assert again.returncode == 1
    assert "version 2026-Q4 is already published" in again.stdout
    assert show(origin, "gh-pages") == before

    for bad in ("latest", "2026 Q4", "../x"):
        refused = publish(origin, tmp_path / f"bad-{len(bad)}-{bad.count('.')}", freeze=bad)
        assert refused.returncode == 2, bad
        assert "invalid version name" in refused.stdout
