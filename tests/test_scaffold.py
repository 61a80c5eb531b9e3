"""Scaffolding: `aipo init`, `aipo new` and `aipo schema`."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from aipo_site.cli import main, scaffold
from aipo_site.load.validate import validate_document
from aipo_site.load.yamlfile import parse_yaml
from aipo_site.model.charter import Charter
from aipo_site.model.policy import Policy
from aipo_site.render.reference import json_schema
from tests.conftest import ROOT, GitRepo, run_mkdocs

INIT_FILES = {
    "mkdocs.yml",
    "README.md",
    "requirements.txt",
    ".gitignore",
    "content/index.md",
    "content/policy.yaml",
    "content/people.yaml",
    "content/models/example-model.yaml",
    "content/reviews/example-model-weekly-review.yaml",
    "content/incidents/example-model-nightly-batch.yaml",
    "content/decisions/example-model-production.yaml",
    "metrics/example-model/kpis.csv",
    "schema/charter.schema.json",
    "schema/policy.schema.json",
    "schema/people.schema.json",
    "schema/review.schema.json",
    "schema/decision.schema.json",
    "schema/incident.schema.json",
    ".github/pull_request_template.md",
    ".github/CODEOWNERS",
}


@pytest.fixture(autouse=True)
def _no_env_as_of(monkeypatch):
    monkeypatch.delenv("AIPO_AS_OF", raising=False)


def files_in(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def check_json(root: Path, capsys, *args: str) -> tuple[int, dict]:
    code = main(["check", "--config", str(root / "mkdocs.yml"), "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


# --- init -----------------------------------------------------------------------------------------


def test_init_creates_a_repository_that_checks_clean(tmp_path, capsys):
    root = tmp_path / "governance"
    assert main(["init", str(root), "--as-of", "2026-11-20"]) == 0
    out = capsys.readouterr().out
    assert f"created {root / 'mkdocs.yml'}" in out
    assert files_in(root) >= INIT_FILES
    code, report = check_json(root, capsys, "--fail-on", "warn")
    assert code == 0, report
    (model,) = report["models"]
    assert model["id"] == "example-model"
    assert model["status"] == "OK"
    assert model["findings"] == []
    assert {k["status"] for k in model["kpis"]} == {"OK"}


def test_the_pull_request_template_is_shipped_and_referenced():
    """The scaffold writes the template the repository itself uses; the demo policy, which asks
    for the Model Risk Committee's sign-off "(see the pull request template)", points to it."""
    from aipo_site.cli.scaffold import PR_TEMPLATE_PATH, init_files

    files = init_files("Governance", dt.date(2026, 11, 20))
    ours = (ROOT / PR_TEMPLATE_PATH).read_text(encoding="utf-8")
    assert files[PR_TEMPLATE_PATH] == ours
    assert "see the pull request template" in (ROOT / "content/policy.yaml").read_text()
    for promise in ("aipo check", "aipo diff", "Decision rights", "Model Risk Committee"):
        assert promise in ours


def test_init_metrics_end_on_the_pinned_date(tmp_path):
    root = tmp_path / "g"
    assert main(["init", str(root), "--as-of", "2026-05-05"]) == 0
    lines = (root / "metrics/example-model/kpis.csv").read_text().splitlines()
    assert lines[0] == "date,auc,precision"
    assert lines[-1].startswith("2026-05-05,")
    assert len(lines) > 28  # a few weeks of data


def test_init_is_deterministic(tmp_path):
    for name in ("a", "b"):
        assert main(["init", str(tmp_path / name), "--as-of", "2026-11-20", "--name", "X"]) == 0
    a, b = tmp_path / "a", tmp_path / "b"
    assert files_in(a) == files_in(b)
    for rel in files_in(a):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_init_site_name_is_yaml_safe(tmp_path):
    name = 'Risk: "models" # & more'
    root = tmp_path / "g"
    assert main(["init", str(root), "--name", name, "--as-of", "2026-11-20"]) == 0
    from aipo_site.cli.settings import load_mkdocs_yaml

    assert load_mkdocs_yaml(root / "mkdocs.yml")["site_name"] == name


def test_init_refuses_a_non_empty_folder(tmp_path, capsys):
    root = tmp_path / "busy"
    root.mkdir()
    (root / "notes.txt").write_text("mine")
    assert main(["init", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "not empty" in err and "--force" in err
    assert files_in(root) == {"notes.txt"}


def test_init_force_never_overwrites(tmp_path, capsys):
    root = tmp_path / "busy"
    root.mkdir()
    (root / "mkdocs.yml").write_text("site_name: mine\n")
    (root / "README.md").write_text("my readme\n")
    assert main(["init", str(root), "--force", "--as-of", "2026-11-20"]) == 0
    out = capsys.readouterr().out
    assert (root / "mkdocs.yml").read_text() == "site_name: mine\n"
    assert (root / "README.md").read_text() == "my readme\n"
    assert f"kept existing {root / 'mkdocs.yml'}" in out
    assert files_in(root) >= INIT_FILES


def test_init_refuses_a_file(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["init", str(target)]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_init_bad_as_of(tmp_path, capsys):
    assert main(["init", str(tmp_path / "g"), "--as-of", "someday"]) == 2
    assert capsys.readouterr().err.startswith("error: --as-of: expected a date")
    assert not (tmp_path / "g").exists()


def test_workflow_hook(tmp_path, monkeypatch):
    """templates/workflow.yml, when the package ships it, becomes .github/workflows/aipo.yml."""
    templates = tmp_path / "templates"
    shutil.copytree(Path(scaffold.__file__).parent / "templates", templates)
    (templates / "workflow.yml").unlink(missing_ok=True)
    monkeypatch.setattr(scaffold, "_templates", lambda: templates)
    without = scaffold.init_files("x", scaffold.dt.date(2026, 11, 20))
    assert scaffold.WORKFLOW_PATH not in without
    assert ".github/workflows/aipo.yml" not in without["README.md"]
    (templates / "workflow.yml").write_text("name: ci\non: [push]\njobs: {}\n")
    with_workflow = scaffold.init_files("x", scaffold.dt.date(2026, 11, 20))
    assert with_workflow[scaffold.WORKFLOW_PATH] == "name: ci\non: [push]\njobs: {}\n"
    assert ".github/workflows/aipo.yml" in with_workflow["README.md"]


def test_shipped_workflow_is_copied_and_runs_aipo_check(tmp_path):
    shipped = Path(scaffold.__file__).parent / "templates" / scaffold.WORKFLOW_TEMPLATE
    if not shipped.is_file():
        pytest.skip("the package ships no workflow template yet")
    root = tmp_path / "g"
    assert main(["init", str(root), "--as-of", "2026-11-20"]) == 0
    workflow = root / scaffold.WORKFLOW_PATH
    assert workflow.read_text() == shipped.read_text()
    steps = [
        step.get("run", "")
        for job in yaml.safe_load(workflow.read_text())["jobs"].values()
        for step in job["steps"]
    ]
    assert any("aipo check" in run for run in steps)
    lines = (root / "requirements.txt").read_text().splitlines()
    assert scaffold.aipo_requirement() in lines and "mike>=2.1,<3" in lines


@pytest.mark.build
def test_init_builds_with_mkdocs_strict(tmp_path):
    root = tmp_path / "governance"
    assert main(["init", str(root), "--as-of", "2026-11-20"]) == 0
    result = run_mkdocs(root)
    assert result.returncode == 0, result.stdout + result.stderr
    site = root / "site"
    for page in (
        "index.html",
        "dashboard.html",
        "models/example-model.html",
        "reference/charter.html",
        "reference/policy.html",
    ):
        assert (site / page).is_file(), page
    assert "Example propensity model" in (site / "dashboard.html").read_text()


# --- new ------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_repo(tmp_path) -> Path:
    root = tmp_path / "g"
    assert main(["init", str(root), "--as-of", "2026-11-20"]) == 0
    return root


def test_new_writes_a_valid_skeleton(fresh_repo, capsys):
    capsys.readouterr()
    code = main(["new", "churn-model", "--config", str(fresh_repo / "mkdocs.yml")])
    assert code == 0, capsys.readouterr().err
    assert "created content/models/churn-model.yaml" in capsys.readouterr().out
    path = fresh_repo / "content/models/churn-model.yaml"
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../../schema/charter.schema.json\n")
    doc = parse_yaml(text.encode(), str(path))
    charter, errors = validate_document(doc, Charter, "charter")
    assert errors == []
    assert charter.id == "churn-model"
    assert charter.name == "Churn model"
    assert charter.lifecycle.since.isoformat() == "2026-11-20"  # the pinned evaluation date
    assert "TODO" in charter.summary


def test_new_then_check_reports_todo_markers(fresh_repo, capsys):
    assert main(["new", "churn-model", "--config", str(fresh_repo / "mkdocs.yml")]) == 0
    capsys.readouterr()
    code, report = check_json(fresh_repo, capsys, "--fail-on", "warn")
    assert code == 1
    model = next(m for m in report["models"] if m["id"] == "churn-model")
    todos = [f for f in model["findings"] if f["code"] == "todo-marker"]
    assert {f["field"] for f in todos} == {
        "summary",
        "business_unit",
        "owner",
        "incident_owner",
    }
    for f in todos:
        assert f["level"] == "WARN"
        assert f["source"] == "lint"
        assert f["file"] == "content/models/churn-model.yaml"
        assert isinstance(f["line"], int)
    assert model["gate_level"] == "WARN"
    # TODO markers alone never fail the default gate
    assert check_json(fresh_repo, capsys)[0] == 0
    # and the text report shows them with file and line
    main(["check", "--config", str(fresh_repo / "mkdocs.yml"), "--fail-on", "warn"])
    out = capsys.readouterr().out
    assert "todo-marker (content/models/churn-model.yaml:" in out


def test_new_uses_cwd_mkdocs_yml(fresh_repo, monkeypatch, capsys):
    monkeypatch.chdir(fresh_repo)
    assert main(["new", "m2", "--name", 'Pricing: "A/B" # test']) == 0
    doc = parse_yaml((fresh_repo / "content/models/m2.yaml").read_bytes(), "m2.yaml")
    charter, errors = validate_document(doc, Charter, "charter")
    assert errors == [] and charter.name == 'Pricing: "A/B" # test'


@pytest.mark.parametrize(
    "model_id", ["Churn", "churn_model", "-churn", "churn-", "../evil", "a/b", "", "x" * 65]
)
def test_new_refuses_unsafe_ids(fresh_repo, capsys, model_id):
    before = files_in(fresh_repo)
    # "--" so that "-churn" reaches the command rather than argparse's option parsing
    assert main(["new", "--config", str(fresh_repo / "mkdocs.yml"), "--", model_id]) == 2
    assert "is not a safe slug" in capsys.readouterr().err
    assert files_in(fresh_repo) == before


def test_new_refuses_an_existing_charter(fresh_repo, capsys):
    config = str(fresh_repo / "mkdocs.yml")
    original = (fresh_repo / "content/models/example-model.yaml").read_text()
    assert main(["new", "example-model", "--config", config]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (fresh_repo / "content/models/example-model.yaml").read_text() == original
    (fresh_repo / "content/models/other.yml").write_text("id: other\n")
    assert main(["new", "other", "--config", config]) == 2
    assert "other.yml' already exists" in capsys.readouterr().err


def test_new_refuses_a_name_that_would_not_validate(fresh_repo, capsys):
    assert main(["new", "m3", "--name", "x" * 300, "--config", str(fresh_repo / "mkdocs.yml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot create content/models/m3.yaml:")
    assert not (fresh_repo / "content/models/m3.yaml").exists()


def test_new_without_a_charters_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["new", "m1"]) == 2
    assert "aipo init" in capsys.readouterr().err


def test_new_in_the_demo_points_at_its_schema(demo_copy, capsys):
    assert main(["new", "pricing", "--config", str(demo_copy / "mkdocs.yml")]) == 0
    text = (demo_copy / "content/models/pricing.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=../../schema/charter.schema.json")


# --- schema ---------------------------------------------------------------------------------------


def test_schema_writes_both_files(tmp_path, capsys):
    out = tmp_path / "s"
    assert main(["schema", "--output", str(out)]) == 0
    assert (out / "charter.schema.json").read_text() == json_schema(Charter)
    assert (out / "policy.schema.json").read_text() == json_schema(Policy)
    assert json.loads((out / "charter.schema.json").read_text())["title"] == "aipo model charter"
    assert main(["schema", "--output", str(out), "--check"]) == 0
    (out / "policy.schema.json").write_text("{}")
    assert main(["schema", "--output", str(out), "--check"]) == 1


def test_schema_output_must_be_a_folder(tmp_path, capsys):
    assert main(["schema", "--output", str(tmp_path / "charter.schema.json")]) == 2
    assert "folder" in capsys.readouterr().err


def test_committed_schemas_are_up_to_date():
    """schema/*.json in the repository (referenced by the demo's charters and policy) must equal
    the generated ones: run `aipo schema --output schema` after changing the model."""
    for name, text in scaffold.schema_files().items():
        committed = ROOT / "schema" / name
        assert committed.is_file(), f"{committed} is missing"
        assert committed.read_text(encoding="utf-8") == text, f"schema/{name} is out of date"


def test_demo_files_reference_the_committed_schemas():
    policy = (ROOT / "content/policy.yaml").read_text().splitlines()[0]
    assert policy == "# yaml-language-server: $schema=../schema/policy.schema.json"
    assert (ROOT / "content" / "../schema/policy.schema.json").resolve().is_file()
    for charter in (ROOT / "content/models").glob("*.yaml"):
        first = charter.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../schema/charter.schema.json"


class _Dist:
    def __init__(self, direct_url: str | None) -> None:
        self.version = "0.1.0"
        self._direct_url = direct_url

    def read_text(self, name: str) -> str | None:
        return self._direct_url if name == "direct_url.json" else None


@pytest.mark.parametrize(
    ("direct_url", "expected"),
    [
        (None, "aipo-portal==0.1.0"),  # from the package index
        (
            '{"url": "https://github.com/acme/aipo", "vcs_info": {"vcs": "git", '
            '"commit_id": "0123abc", "requested_revision": "v0.1.0"}}',
            "aipo-portal @ git+https://github.com/acme/aipo@0123abc",
        ),
        (
            '{"url": "https://files.example/aipo_portal-0.1.0-py3-none-any.whl", '
            '"archive_info": {}}',
            "aipo-portal @ https://files.example/aipo_portal-0.1.0-py3-none-any.whl",
        ),
        ('{"url": "file:///src/aipo", "dir_info": {"editable": true}}', "aipo-portal==0.1.0"),
        ('{"url": "file:///tmp/aipo_portal-0.1.0.whl", "archive_info": {}}', "aipo-portal==0.1.0"),
        ("not json", "aipo-portal==0.1.0"),
    ],
)
def test_requirement_repeats_how_aipo_was_installed(monkeypatch, direct_url, expected):
    """PEP 610: a git or web install is repeated as it was; an index, local or unknown install
    pins the version (a local path means nothing on the CI machine)."""
    monkeypatch.setattr(scaffold.metadata, "distribution", lambda name: _Dist(direct_url))
    assert scaffold.aipo_requirement() == expected


def test_init_takes_an_explicit_requirement(tmp_path, capsys):
    root = tmp_path / "gov"
    spec = "aipo-portal @ git+https://git.example/org/aipo@v0.1.0"
    assert main(["init", str(root), "--as-of", "2026-11-20", "--requirement", spec]) == 0
    assert spec in (root / "requirements.txt").read_text().splitlines()
    assert "Note: this aipo was installed from a local" not in capsys.readouterr().out


def test_init_from_a_local_install_says_how_ci_will_install_aipo(tmp_path, capsys):
    """This checkout is an editable (local) install: the note tells the user what to do."""
    assert main(["init", str(tmp_path / "gov"), "--as-of", "2026-11-20"]) == 0
    out = capsys.readouterr().out
    assert "installed from a local folder or file" in out and "--requirement" in out


def test_init_evaluates_the_day_of_each_build_unless_pinned(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("AIPO_AS_OF", raising=False)
    live, pinned = tmp_path / "live", tmp_path / "pinned"
    assert main(["init", str(live)]) == 0
    assert main(["init", str(pinned), "--as-of", "2026-11-20"]) == 0
    assert "as_of: !ENV [AIPO_AS_OF, today]" in (live / "mkdocs.yml").read_text()
    assert 'as_of: "2026-11-20"' in (pinned / "mkdocs.yml").read_text()
    capsys.readouterr()

    def as_of(root: Path) -> str:
        main(["check", "--config", str(root / "mkdocs.yml"), "--format", "json"])
        return json.loads(capsys.readouterr().out)["as_of"]

    assert as_of(live) == dt.date.today().isoformat()
    assert as_of(pinned) == "2026-11-20"
    monkeypatch.setenv("AIPO_AS_OF", "2026-12-01")  # what the workflow does every day
    assert as_of(live) == "2026-12-01"
    assert as_of(pinned) == "2026-11-20"


# --- site_url: the address the portal is published at ---------------------------------------------

CLI = importlib.import_module("aipo_site.cli.main")  # the module (`main` is the function)
NO_SITE_URL_NOTE = "Note: mkdocs.yml has no site_url yet"


@pytest.fixture
def no_git_above(tmp_path, monkeypatch):
    """git finds no repository above tmp_path (so no remote to take the address from)."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


def site_url_of(root: Path) -> str | None:
    from aipo_site.cli.settings import load_mkdocs_yaml

    return load_mkdocs_yaml(root / "mkdocs.yml").get("site_url")


def test_init_writes_the_site_url_given(tmp_path, capsys):
    root = tmp_path / "gov"
    args = ["init", str(root), "--as-of", "2026-11-20", "--site-url", "HTTPS://Example.ORG/gov"]
    assert main(args) == 0
    out = capsys.readouterr().out
    # Normalised: scheme and host in lower case, and a trailing slash (a folder, for MkDocs).
    assert site_url_of(root) == "https://example.org/gov/"
    assert "site_url: https://example.org/gov/" in out.splitlines()
    assert NO_SITE_URL_NOTE not in out
    assert "TODO" not in (root / "mkdocs.yml").read_text()
    assert "`https://example.org/gov/`" in (root / "README.md").read_text()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("example.org/gov/", "does not start with http:// or https://"),
        ("ftp://example.org/gov/", "does not start with http:// or https://"),
        ("/gov/", "does not start with http:// or https://"),
        ("https://", "no host name"),
        ("https://user:secret@example.org/", "user name or password"),
        ("https://example.org/gov/?v=1", "no query"),
        ("https://example.org/gov/#top", "fragment"),
        ("https://example.org/my gov/", "a character a URL cannot"),
        ('https://example.org/"><script>/', "a character a URL cannot"),
        ("https://example.org:99999/", "port"),
        ("https://example.org/100%/", "'%'"),
        ("", "empty"),
    ],
)
def test_init_refuses_a_bad_site_url(tmp_path, capsys, value, reason):
    root = tmp_path / "gov"
    assert main(["init", str(root), "--site-url", value]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("error: --site-url: expected the portal's address as an absolute ")
    assert "https://OWNER.github.io/REPO/" in line and reason in line
    assert not root.exists()  # nothing written


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        (
            "git@github.com:Acme-Corp/model-governance.git",
            "https://acme-corp.github.io/model-governance/",
        ),
        ("https://github.com/acme/gov.git", "https://acme.github.io/gov/"),
        ("https://github.com/acme/gov", "https://acme.github.io/gov/"),
        ("https://x-access-token@github.com/acme/gov.git", "https://acme.github.io/gov/"),
        ("ssh://git@github.com/acme/gov.git", "https://acme.github.io/gov/"),
        ("git@github.com:Acme/acme.github.io.git", "https://acme.github.io/"),  # the owner's site
        ("https://gitlab.com/acme/gov.git", None),
        ("https://github.com.example.net/acme/gov.git", None),
        ("https://github.com/acme", None),
        ("/srv/git/gov.git", None),
    ],
)
def test_github_pages_address_of_a_remote(remote, expected):
    assert scaffold.github_pages_url(remote) == expected


def test_init_takes_the_site_url_from_the_github_remote(tmp_path, capsys, git_env):
    """A fresh clone of the new GitHub repository (only .git in it) counts as empty; without
    --site-url and without a terminal, the address is the remote's GitHub Pages address."""
    repo = GitRepo.init(tmp_path / "model-governance")
    repo.git("remote", "add", "origin", "git@github.com:Acme-Corp/model-governance.git")
    assert main(["init", str(repo.path), "--as-of", "2026-11-20"]) == 0
    out = capsys.readouterr().out
    assert site_url_of(repo.path) == "https://acme-corp.github.io/model-governance/"
    (line,) = [line for line in out.splitlines() if line.startswith("site_url: ")]
    assert line.startswith("site_url: https://acme-corp.github.io/model-governance/ (")
    assert "git remote 'origin'" in line and NO_SITE_URL_NOTE not in out
    # In a sub-folder of the clone too; another remote than origin when it is the only one.
    repo.git("remote", "rename", "origin", "upstream")
    assert main(["init", str(repo.path / "portal"), "--as-of", "2026-11-20"]) == 0
    assert site_url_of(repo.path / "portal") == "https://acme-corp.github.io/model-governance/"
    assert "git remote 'upstream'" in capsys.readouterr().out


def test_init_without_site_url_leaves_a_placeholder_and_says_so(tmp_path, capsys, no_git_above):
    root = tmp_path / "gov"
    assert main(["init", str(root), "--as-of", "2026-11-20"]) == 0
    out = capsys.readouterr().out
    assert site_url_of(root) is None
    text = (root / "mkdocs.yml").read_text()
    assert "# TODO site_url:" in text
    assert "\n# site_url: https://OWNER.github.io/REPO/\n" in text
    notes = [line for line in out.splitlines() if line.startswith(NO_SITE_URL_NOTE)]
    assert len(notes) == 1
    assert "404 page" in notes[0] and "sitemap.xml" in notes[0]
    assert "It is not set yet" in (root / "README.md").read_text()
    # Uncommenting the placeholder gives a valid mkdocs.yml with the example address.
    (root / "mkdocs.yml").write_text(text.replace("\n# site_url: ", "\nsite_url: "))
    assert site_url_of(root) == "https://OWNER.github.io/REPO/"


def test_init_asks_for_the_site_url_in_a_terminal(tmp_path, capsys, monkeypatch, no_git_above):
    prompts: list[str] = []
    answers = iter(["github.com/acme/gov", "https://Acme.github.io/gov"])

    def answer(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(CLI, "_interactive", lambda: True)
    monkeypatch.setattr("builtins.input", answer)
    root = tmp_path / "gov"
    assert main(["init", str(root), "--as-of", "2026-11-20"]) == 0
    out = capsys.readouterr().out
    assert len(prompts) == 2  # asked again after an invalid answer, which it explained
    assert "(site_url)" in prompts[0] and "https://OWNER.github.io/REPO/" in prompts[0]
    assert "found 'github.com/acme/gov': it does not start with http:// or https://" in out
    assert site_url_of(root) == "https://acme.github.io/gov/"


@pytest.mark.parametrize("reply", ["", EOFError])
def test_in_a_terminal_enter_keeps_the_remote_address(
    tmp_path, capsys, monkeypatch, git_env, reply
):
    repo = GitRepo.init(tmp_path / "gov")
    repo.git("remote", "add", "origin", "https://github.com/acme/gov.git")
    prompts: list[str] = []

    def answer(prompt: str) -> str:
        prompts.append(prompt)
        if reply is EOFError:
            raise EOFError
        return reply

    monkeypatch.setattr(CLI, "_interactive", lambda: True)
    monkeypatch.setattr("builtins.input", answer)
    assert main(["init", str(repo.path), "--as-of", "2026-11-20"]) == 0
    assert "[https://acme.github.io/gov/]" in prompts[0]  # the default, shown
    assert site_url_of(repo.path) == "https://acme.github.io/gov/"


def test_in_a_terminal_enter_without_a_remote_leaves_the_placeholder(
    tmp_path, capsys, monkeypatch, no_git_above
):
    monkeypatch.setattr(CLI, "_interactive", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "")
    root = tmp_path / "gov"
    assert main(["init", str(root), "--as-of", "2026-11-20"]) == 0
    assert site_url_of(root) is None
    assert NO_SITE_URL_NOTE in capsys.readouterr().out


def test_without_a_terminal_nothing_is_asked(tmp_path, capsys, monkeypatch, no_git_above):
    def refuse(prompt: str) -> str:
        raise AssertionError("asked without a terminal")

    monkeypatch.setattr("builtins.input", refuse)
    assert main(["init", str(tmp_path / "gov"), "--as-of", "2026-11-20"]) == 0


def test_init_asks_in_a_real_terminal(tmp_path, no_git_above):
    """`aipo init` on a pseudo-terminal: the question appears, the answer lands in mkdocs.yml."""
    root = tmp_path / "gov"
    leader, follower = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "aipo_site.cli", "init", str(root), "--as-of", "2026-11-20"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        close_fds=True,
    )
    os.close(follower)
    seen = b""

    def read_until(marker: bytes, timeout: float = 60) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while marker not in seen:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"waited for {marker!r}; the terminal shows {seen!r}"
            ready, _, _ = select.select([leader], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the program exited and closed the terminal
                    chunk = b""
                assert chunk, f"the terminal closed before {marker!r}: {seen!r}"
                seen += chunk

    try:
        read_until(b"(site_url)")
        os.write(leader, b"https://example.org/gov\n")
        read_until(b"Next: ")
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(leader)
    assert site_url_of(root) == "https://example.org/gov/"
    assert b"site_url: https://example.org/gov/" in seen


def test_init_force_keeps_mkdocs_yml_and_its_site_url(tmp_path, capsys, monkeypatch):
    root = tmp_path / "busy"
    root.mkdir()
    (root / "mkdocs.yml").write_text("site_name: mine\n")
    monkeypatch.setattr(CLI, "_interactive", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("asked for a kept file"))
    args = ["init", str(root), "--force", "--as-of", "2026-11-20"]
    assert main([*args, "--site-url", "https://example.org/gov/"]) == 0
    out = capsys.readouterr().out
    assert (root / "mkdocs.yml").read_text() == "site_name: mine\n"
    assert "--site-url is not in it: set site_url there" in out


def test_init_help_mentions_site_url(capsys):
    with pytest.raises(SystemExit):
        CLI.build_parser().parse_args(["init", "--help"])
    assert "--site-url URL" in capsys.readouterr().out
