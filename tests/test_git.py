"""Git plumbing on real temporary repositories: reading a revision, missing and shallow refs,
the build's revision and file histories."""

from __future__ import annotations

import datetime as dt
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from conftest import GitRepo

from aipo_site.errors import InputError
from aipo_site.load import git as gitmod
from aipo_site.load.git import (
    GitError,
    GitRevision,
    charter_log,
    file_history,
    histories,
    is_shallow,
    revision_info,
)
from aipo_site.load.repository import Layout, load_repository
from aipo_site.load.source import WorkingTree

CET = dt.timezone(dt.timedelta(hours=1))


@pytest.fixture
def repo(tmp_path: Path, git_env: dict) -> GitRepo:
    """Two commits: v1 of a charter, then v2 plus a new file and a hidden one."""
    r = GitRepo.init(tmp_path / "repo")
    r.write("content/models/a.yaml", "id: a\nversion: 1\n")
    r.write("content/policy.yaml", "metrics: {}\n")
    r.write("README.md", "readme\n")
    r.commit("First charter", date=dt.datetime(2026, 3, 1, 10, 0, tzinfo=CET))
    r.write("content/models/a.yaml", "id: a\nversion: 2\n")
    r.write("content/models/b.yaml", "id: b\n")
    r.write("content/models/.draft.yaml", "hidden\n")
    r.write("content/models/sub/c.yaml", "id: c\n")
    r.commit("Second charter", date=dt.datetime(2026, 3, 2, 11, 0, tzinfo=CET))
    return r


def test_reads_files_as_they_were_at_each_commit(repo: GitRepo) -> None:
    first = GitRevision(repo.path, "HEAD~1")
    head = GitRevision(repo.path, "HEAD")
    assert first.read_bytes("content/models/a.yaml") == b"id: a\nversion: 1\n"
    assert head.read_bytes("content/models/a.yaml") == b"id: a\nversion: 2\n"
    assert first.list_files("content/models") == ["content/models/a.yaml"]
    # Hidden files are skipped, like WorkingTree does; sub-folders are listed recursively.
    assert head.list_files("content/models") == [
        "content/models/a.yaml",
        "content/models/b.yaml",
        "content/models/sub/c.yaml",
    ]
    assert head.list_files("content/models") == WorkingTree(repo.path).list_files("content/models")
    assert head.list_files("./content/models/") == head.list_files("content/models")
    assert first.is_file("content/policy.yaml") and not first.is_file("content/models/b.yaml")
    assert head.is_dir("content/models") and head.is_dir("content") and head.is_dir("")
    assert not head.is_dir("content/models/a.yaml") and not head.is_dir("nowhere")
    assert head.list_files("nowhere") == []
    with pytest.raises(FileNotFoundError):
        first.read_bytes("content/models/b.yaml")
    assert head.local_path("content/models/a.yaml") is None
    assert head.label == "HEAD" and first.label == "HEAD~1"
    assert head.sha == repo.git("rev-parse", "HEAD").strip()
    assert head.sha.startswith(head.short_sha) and len(head.short_sha) >= 7
    # The working tree does not leak into a revision.
    repo.write("content/models/a.yaml", "id: a\nversion: 3 (uncommitted)\n")
    assert head.read_bytes("content/models/a.yaml") == b"id: a\nversion: 2\n"
    first.close()
    head.close()


def test_many_reads_share_one_cat_file_process(repo: GitRepo, monkeypatch) -> None:
    started = []
    real_popen = subprocess.Popen

    def counting_popen(*args, **kwargs):
        started.append(args[0])
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(gitmod.subprocess, "Popen", counting_popen)
    with GitRevision(repo.path, "HEAD") as rev:
        for _ in range(3):
            for path in rev.list_files("content"):
                assert rev.read_bytes(path) == (repo.path / path).read_bytes()
    # subprocess.run goes through Popen too: count the batch readers only.
    assert [cmd for cmd in started if "cat-file" in cmd] == [["git", "cat-file", "--batch"]]


def test_root_below_the_work_tree_top(tmp_path: Path, git_env: dict) -> None:
    """mkdocs.yml in a sub-folder of the git repository: paths stay relative to that folder."""
    r = GitRepo.init(tmp_path / "mono")
    r.write("README.md", "top\n")
    r.commit("Before governance")
    r.write("governance/content/models/a.yaml", "id: a\n")
    r.commit("Add governance")
    root = r.path / "governance"
    with GitRevision(root, "HEAD") as rev:
        assert rev.list_files("content") == ["content/models/a.yaml"]
        assert rev.read_bytes("content/models/a.yaml") == b"id: a\n"
        assert not rev.is_file("README.md")
    # At a commit before the folder existed, the revision simply has no files there.
    with GitRevision(root, "HEAD~1") as before:
        assert before.list_files("") == []
        assert not before.is_dir("content")


def test_loading_a_revision_equals_loading_the_checkout(demo_git_repo: GitRepo) -> None:
    with GitRevision(demo_git_repo.path, "main") as rev:
        at_ref = load_repository(rev, Layout())
    on_disk = load_repository(WorkingTree(demo_git_repo.path), Layout())
    assert [m.charter for m in at_ref.models] == [m.charter for m in on_disk.models]
    assert at_ref.policy == on_disk.policy
    for a, b in zip(at_ref.models, on_disk.models, strict=True):
        assert a.metric_files == b.metric_files
        assert a.metrics.drop(columns="file").equals(b.metrics.drop(columns="file"))


def test_unknown_ref_says_so(repo: GitRepo) -> None:
    with pytest.raises(GitError) as err:
        GitRevision(repo.path, "no-such-branch")
    message = str(err.value)
    assert "git revision 'no-such-branch' is not in the repository" in message
    assert "git branch -a" in message
    assert "shallow" not in message
    assert err.value.stderr  # git's own words are kept


@pytest.mark.parametrize("ref", ["", "--output=/tmp/x", "a\nb"])
def test_refs_that_look_like_options_are_refused(repo: GitRepo, ref: str) -> None:
    with pytest.raises(GitError, match="invalid git revision"):
        GitRevision(repo.path, ref)


def test_outside_a_repository(tmp_path: Path, git_env: dict) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitError, match="not inside a git work tree"):
        GitRevision(plain, "HEAD")
    assert revision_info(plain) is None
    assert file_history(plain, "x.yaml") is None
    assert histories(plain, ["x.yaml"]) is None
    assert not is_shallow(plain)


def test_without_git_installed(repo: GitRepo, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(repo.path / "no-bin"))
    with pytest.raises(GitError, match="git is not installed"):
        GitRevision(repo.path, "HEAD")
    assert revision_info(repo.path) is None
    assert histories(repo.path, ["content/models/a.yaml"]) is None
    assert file_history(repo.path, "content/models/a.yaml") is None


def _suggested(message: str, start: str) -> list[str]:
    """The commands the error message suggests that begin with ``start``, as argv lists."""
    out = []
    for line in message.splitlines():
        line = line.strip()
        if line.startswith(start):
            out.append(shlex.split(line.split("#")[0]))
    return out


@pytest.fixture
def shallow(tmp_path: Path, repo: GitRepo) -> GitRepo:
    """A `git clone --depth 1` of ``repo`` that also has a `release` branch at the first commit."""
    repo.git("branch", "release", "HEAD~1")
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)], check=True
    )
    return GitRepo(clone)


def test_base_missing_in_a_shallow_clone_tells_how_to_fetch_it(shallow: GitRepo) -> None:
    assert is_shallow(shallow.path)
    with pytest.raises(GitError) as err:
        GitRevision(shallow.path, "origin/release")
    message = str(err.value)
    assert "shallow clone" in message
    assert "fetch-depth: 0" in message and "actions/checkout" in message
    assert "git fetch --unshallow" in message
    fetch = _suggested(message, "git fetch --no-tags origin release:")
    assert fetch == [["git", "fetch", "--no-tags", "origin", "release:refs/remotes/origin/release"]]
    # The advice works: after running it, the base is there.
    shallow.git(*fetch[0][1:])
    with GitRevision(shallow.path, "origin/release") as rev:
        assert rev.read_bytes("content/models/a.yaml") == b"id: a\nversion: 1\n"


def test_history_missing_in_a_shallow_clone_tells_how_to_deepen(shallow: GitRepo) -> None:
    with pytest.raises(GitError) as err:
        GitRevision(shallow.path, "HEAD~1")
    message = str(err.value)
    assert "shallow clone" in message
    deepen = _suggested(message, "git fetch --deepen=")
    assert len(deepen) == 1
    shallow.git(*deepen[0][1:])
    with GitRevision(shallow.path, "HEAD~1") as rev:
        assert rev.read_bytes("content/models/a.yaml") == b"id: a\nversion: 1\n"


def test_missing_local_branch_in_a_full_clone_suggests_fetching_it(
    tmp_path: Path, repo: GitRepo
) -> None:
    clone = tmp_path / "full"
    subprocess.run(["git", "clone", "-q", f"file://{repo.path}", str(clone)], check=True)
    repo.git("branch", "later")
    with pytest.raises(GitError) as err:
        GitRevision(clone, "origin/later")
    message = str(err.value)
    assert "shallow" not in message
    assert "git fetch --no-tags origin later:refs/remotes/origin/later" in message


# -- revision_info ------------------------------------------------------------------------------


def test_revision_info_reads_the_commit_not_the_clock(repo: GitRepo) -> None:
    info = revision_info(repo.path)
    assert info is not None
    assert info.sha == repo.git("rev-parse", "HEAD").strip()
    assert info.short_sha == repo.git("rev-parse", "--short", "HEAD").strip()
    assert info.subject == "Second charter"
    # The committer date as recorded, with its offset.
    assert info.date == dt.datetime(2026, 3, 2, 11, 0, tzinfo=CET)
    assert info.date_iso == "2026-03-02T11:00:00+01:00"
    assert info.dirty is False
    assert info.as_dict() == {
        "sha": info.sha,
        "short_sha": info.short_sha,
        "date": "2026-03-02T11:00:00+01:00",
        "subject": "Second charter",
        "dirty": False,
    }


def test_revision_info_dirty(repo: GitRepo) -> None:
    repo.write("content/models/a.yaml", "id: a\nversion: 3\n")
    info = revision_info(repo.path)
    assert info is not None and info.dirty
    # Only the governance paths count when given.
    assert revision_info(repo.path, ["README.md"]).dirty is False
    assert revision_info(repo.path, ["content"]).dirty is True
    repo.git("checkout", "--", "content/models/a.yaml")
    assert revision_info(repo.path).dirty is False
    repo.write("content/models/new.yaml", "id: new\n")  # untracked, not ignored
    assert revision_info(repo.path).dirty is True
    repo.write(".gitignore", "site/\ncontent/models/new.yaml\n")
    repo.git("add", ".gitignore")
    repo.git("commit", "-q", "-m", "ignore")
    repo.write("site/index.html", "built\n")
    assert revision_info(repo.path).dirty is False


def test_revision_info_without_commits(tmp_path: Path, git_env: dict) -> None:
    empty = GitRepo.init(tmp_path / "empty")
    assert revision_info(empty.path) is None
    assert file_history(empty.path, "a.yaml") == []
    assert histories(empty.path, ["a.yaml"]) == {"a.yaml": []}


# -- histories ----------------------------------------------------------------------------------


@pytest.fixture
def history_repo(tmp_path: Path, git_env: dict) -> GitRepo:
    """Charters changed by different people on different days, one of them renamed."""
    r = GitRepo.init(tmp_path / "hist")
    day = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    r.write("docs/models/fraud.yaml", "id: fraud\n")
    r.write("docs/models/churn.yaml", "id: churn\n")
    r.commit("Add two charters", date=day, author="Amara Okafor")
    r.write("docs/models/fraud.yaml", "id: fraud\nowner: x\n")
    r.commit("Fraud: name the owner", date=day + dt.timedelta(days=1), author="Jonas Weber")
    r.write("README.md", "unrelated\n")
    r.commit("Unrelated change", date=day + dt.timedelta(days=2))
    r.git("mv", "docs/models/churn.yaml", "docs/models/customer-churn.yaml")
    r.commit("Rename churn | keep history", date=day + dt.timedelta(days=3), author="Sofia L.")
    r.write("docs/models/customer-churn.yaml", "id: customer-churn\n")
    r.commit("Churn: fix the id", date=day + dt.timedelta(days=4), author="Sofia L.")
    return r


def test_file_history(history_repo: GitRepo) -> None:
    log = file_history(history_repo.path, "docs/models/fraud.yaml")
    assert [(c.subject, c.author) for c in log] == [
        ("Fraud: name the owner", "Jonas Weber"),
        ("Add two charters", "Amara Okafor"),
    ]
    assert log[0].date == dt.datetime(2026, 1, 6, 9, 0, tzinfo=dt.UTC)
    assert log[0].sha == history_repo.git("log", "-1", "--format=%H", "HEAD~3").strip()
    assert log[0].as_dict()["date"] == "2026-01-06T09:00:00+00:00"
    # Renames are followed.
    renamed = file_history(history_repo.path, "docs/models/customer-churn.yaml")
    assert [c.subject for c in renamed] == [
        "Churn: fix the id",
        "Rename churn | keep history",
        "Add two charters",
    ]
    assert [c.subject for c in file_history(history_repo.path, "docs/models/fraud.yaml", 1)] == [
        "Fraud: name the owner"
    ]
    assert file_history(history_repo.path, "docs/models/unknown.yaml") == []


def test_histories_match_file_history_in_one_git_log(history_repo: GitRepo, monkeypatch) -> None:
    paths = [
        "docs/models/fraud.yaml",
        "docs/models/customer-churn.yaml",
        "docs/models/unknown.yaml",
    ]
    calls: list[list[str]] = []
    real_run = gitmod._run

    def spy(cwd, args, **kwargs):
        calls.append(list(args))
        return real_run(cwd, args, **kwargs)

    monkeypatch.setattr(gitmod, "_run", spy)
    result = histories(history_repo.path, paths)
    assert [args[0] for args in calls].count("log") == 1
    monkeypatch.setattr(gitmod, "_run", real_run)
    assert result is not None and list(result) == paths
    for path in paths:
        assert result[path] == file_history(history_repo.path, path), path
    limited = histories(history_repo.path, paths, limit=2)
    assert [c.subject for c in limited["docs/models/customer-churn.yaml"]] == [
        "Churn: fix the id",
        "Rename churn | keep history",
    ]


def test_histories_from_a_sub_folder_root(history_repo: GitRepo) -> None:
    root = history_repo.path / "docs"
    result = histories(root, ["models/fraud.yaml"])
    assert result is not None
    assert [c.author for c in result["models/fraud.yaml"]] == ["Jonas Weber", "Amara Okafor"]
    assert file_history(root, "models/fraud.yaml") == result["models/fraud.yaml"]
    info = revision_info(root)
    assert info is not None and info.subject == "Churn: fix the id"


def test_git_error_carries_stderr() -> None:
    one = GitError("cannot do it", "fatal: nope\n")
    assert str(one) == "cannot do it: fatal: nope" and one.stderr == "fatal: nope"
    many = GitError("cannot do it", b"fatal: a\nhint: b\n")
    assert str(many) == "cannot do it:\n  fatal: a\n  hint: b"
    explained = GitError("first line\nsecond line", "fatal: x")
    assert str(explained).endswith("second line\ngit said:\n  fatal: x")
    assert re.match(r"^first line", str(explained))


def test_charter_log_gives_each_version_and_reads_it(history_repo: GitRepo, monkeypatch) -> None:
    """The same one-pass log as histories(), with each commit's content of the file."""
    paths = ["docs/models/fraud.yaml", "docs/models/customer-churn.yaml"]
    runs: list[list[str]] = []
    real_run = gitmod._run

    def spy(cwd, args, **kwargs):
        runs.append(list(args))
        return real_run(cwd, args, **kwargs)

    monkeypatch.setattr(gitmod, "_run", spy)
    with charter_log(history_repo.path, paths) as log:
        assert [args[0] for args in runs] == ["rev-parse", "log"]
        assert log.histories() == histories(history_repo.path, paths)
        churn = log.versions["docs/models/customer-churn.yaml"]
        assert [v.commit.subject for v in churn] == [
            "Churn: fix the id",
            "Rename churn | keep history",
            "Add two charters",
        ]
        # Each version is the file as that commit left it, under its name at the time.
        assert [log.read(v.blob) for v in churn] == [
            b"id: customer-churn\n",
            b"id: churn\n",
            b"id: churn\n",
        ]
        many = log.read_many([v.blob for v in churn] + ["0" * 40], limit=12)
        assert isinstance(many[0], InputError) and "19 bytes; the limit is 12" in str(many[0])
        assert many[1:3] == [b"id: churn\n", b"id: churn\n"]  # the oversized one was skipped
        assert isinstance(many[3], GitError)  # missing; nothing else is lost
        assert log.read(churn[0].blob) == b"id: customer-churn\n"  # the process goes on
        for version, name in zip(churn, ["customer-churn", "customer-churn", "churn"], strict=True):
            full = history_repo.git("rev-parse", f"{version.commit.sha}:docs/models/{name}.yaml")
            assert full.strip().startswith(version.blob)
        # The file as it is now, beside its committed versions.
        newest = log.versions["docs/models/fraud.yaml"][0]
        assert log.working("docs/models/fraud.yaml") == log.read(newest.blob)
        history_repo.write("docs/models/fraud.yaml", "id: fraud\nowner: y\n")
        assert log.working("docs/models/fraud.yaml") == b"id: fraud\nowner: y\n"
        assert log.working("docs/models/gone.yaml") is None
        assert not log.shallow
    assert [args[0] for args in runs].count("log") == 2  # histories() above: its own pass


def test_charter_log_marks_a_deletion(history_repo: GitRepo) -> None:
    history_repo.git("rm", "-q", "docs/models/fraud.yaml")
    history_repo.commit("Retire fraud", date=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    history_repo.write("docs/models/fraud.yaml", "id: fraud\nback: true\n")
    history_repo.commit("Restore fraud", date=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    log = charter_log(history_repo.path, ["docs/models/fraud.yaml"])
    assert log is not None
    versions = log.versions["docs/models/fraud.yaml"]
    assert [(v.commit.subject, v.blob is None) for v in versions] == [
        ("Restore fraud", False),
        ("Retire fraud", True),
        ("Fraud: name the owner", False),
        ("Add two charters", False),
    ]
    assert log.read(versions[0].blob) == b"id: fraud\nback: true\n"
    log.close()


def test_charter_log_outside_git(tmp_path: Path, git_env: dict) -> None:
    assert charter_log(tmp_path, ["x.yaml"]) is None
    empty = GitRepo.init(tmp_path / "empty")
    log = charter_log(empty.path, ["a.yaml"])
    assert log is not None and log.versions == {"a.yaml": []} and log.working("a.yaml") is None


def test_charter_log_sees_the_root_commit_whatever_the_config(history_repo: GitRepo) -> None:
    """`log.showRoot = false` in someone's git config would hide the commit that added the
    charters (and date every finding from the next one)."""
    history_repo.git("config", "log.showRoot", "false")
    log = charter_log(history_repo.path, ["docs/models/fraud.yaml"])
    assert log is not None
    assert [v.commit.subject for v in log.versions["docs/models/fraud.yaml"]] == [
        "Fraud: name the owner",
        "Add two charters",
    ]
