"""`aipo evidence build | verify`: evidence packs for a commit and a date, on a real git repository.

One demo repository with three commits is built once for the module (the demo, its decision
evidence pointed at this copy, then a rename of the fraud model); each test builds the packs it
needs and runs the real `aipo` command.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT, GitRepo, hermetic_git

pytestmark = pytest.mark.build

AIPO = Path(sys.executable).parent / "aipo"
OLD_NAME = "name: Card payment fraud prevention\n"
NEW_NAME = "name: Card fraud prevention (v2)\n"


def aipo(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(AIPO), *args], cwd=cwd, capture_output=True, text=True, timeout=600, env=env
    )


class Demo:
    def __init__(self, repo: GitRepo, first: str, second: str, head: str) -> None:
        self.repo = repo
        self.path = repo.path
        self.first = first  # the demo as committed
        self.second = second  # its decision evidence pointed at this copy
        self.head = head  # the fraud model renamed


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo as a git repository with history (what tests/conftest.py's demo_git_repo makes,
    plus a later charter change), with a hermetic git environment for the whole module."""
    with pytest.MonkeyPatch.context() as mp:
        hermetic_git(mp, tmp_path_factory.mktemp("home"))
        root = tmp_path_factory.mktemp("demo") / "demo"
        root.mkdir()
        shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
        shutil.copytree(ROOT / "content", root / "content")
        shutil.copytree(ROOT / "metrics", root / "metrics")
        repo = GitRepo.init(root)
        first = repo.commit("Demo governance repository")
        for path in sorted((root / "content" / "decisions").glob("*.yaml")):
            text = path.read_text()
            model = re.search(r"^model: (\S+)$", text, re.MULTILINE).group(1)
            charter = (root / "content" / "models" / f"{model}.yaml").read_bytes()
            text = re.sub(r'commit: "[0-9a-f]+"', f'commit: "{first}"', text)
            sha = hashlib.sha256(charter).hexdigest()
            text = re.sub(r'charter_sha256: "[0-9a-f]+"', f'charter_sha256: "{sha}"', text)
            path.write_text(text)
        second = repo.commit("Decision evidence of this copy")
        charter = root / "content" / "models" / "fraud-prevention.yaml"
        assert OLD_NAME in charter.read_text()
        charter.write_text(charter.read_text().replace(OLD_NAME, NEW_NAME))
        head = repo.commit("Rename the fraud model")
        yield Demo(repo, first, second, head)


def build(demo: Demo, out: Path, *args: str) -> Path:
    done = aipo("evidence", "build", "--out", str(out), *args, cwd=demo.path)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def pack(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pack of the working tree at HEAD (clean), as of the demo's pinned date."""
    return build(demo, tmp_path_factory.mktemp("packs") / "pack")


def copy_of(pack: Path, tmp_path: Path) -> Path:
    dest = tmp_path / pack.name
    shutil.copytree(pack, dest)
    return dest


def verify(target: Path) -> subprocess.CompletedProcess:
    return aipo("evidence", "verify", str(target), cwd=target.parent)


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- build and verify ----------------------------------------------------------------------------


def test_a_pack_holds_state_schema_portal_inputs_and_manifest(demo: Demo, pack: Path) -> None:
    files = files_of(pack)
    manifest = read_json(pack / "manifest.json")
    assert manifest["format"] == "aipo-evidence-pack"
    assert manifest["source"] == {
        "revision": demo.head,
        "date": demo.repo.git("log", "-1", "--format=%cI").strip(),
        "dirty": False,
        "requested": None,
    }
    assert manifest["as_of"] == "2026-11-20"
    assert manifest["generator"]["name"] == "aipo" and manifest["generator"]["version"]
    # Every file but the manifest is listed with its SHA-256.
    assert set(manifest["files"]) == set(files) - {"manifest.json"}
    for rel, digest in manifest["files"].items():
        assert hashlib.sha256(files[rel]).hexdigest() == digest

    # The inputs: exactly mkdocs.yml, the docs folder and the files the loader read.
    inputs = {rel.removeprefix("inputs/") for rel in files if rel.startswith("inputs/")}
    tracked = set(demo.repo.git("ls-files").split())
    assert inputs <= tracked
    docs = {rel for rel in tracked if rel.startswith("content/")}
    # `aipo collect`'s manifests (metrics/<id>/collected.json) are its bookkeeping, not read by
    # the evaluation; the collected files they describe are.
    metrics = {
        rel for rel in tracked if rel.startswith("metrics/") and not rel.endswith("/collected.json")
    }
    assert "metrics/supply-chain-forecast/drift/collected-bins.csv" in metrics
    assert inputs == {"mkdocs.yml"} | docs | metrics
    assert (
        (pack / "inputs" / "content" / "models" / "fraud-prevention.yaml")
        .read_text()
        .count(NEW_NAME)
    )

    # The state is the `aipo export` document of the same commit and date, and fits its schema.
    state = read_json(pack / "state.json")
    schema = read_json(pack / "state.schema.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(state)
    exported = aipo("export", "--out", str(pack.parent / "export"), cwd=demo.path)
    assert exported.returncode == 0, exported.stderr
    assert state == read_json(pack.parent / "export" / "aipo-evidence.json")
    assert state["source"]["revision"] == demo.head
    # Git told the evaluation since when charter findings hold; the pack keeps that.
    since = [f["since"] for m in state["models"] for f in m["findings"] if f["source"] != "lint"]
    assert any(since), "no finding dated from git: the history replay would be untested"

    # The portal opens from disk and is stamped with the commit and date.
    dashboard = (pack / "portal" / "dashboard.html").read_text()
    assert demo.head[:7] in dashboard and "2026-11-20" in dashboard
    assert "Card fraud prevention (v2)" in dashboard
    assert (pack / "portal" / "search" / "search_index.js").is_file()  # the offline plugin
    assert not (pack / "portal" / "models" / "fraud-prevention" / "index.html").exists()

    # The zip holds the same files under the pack's name.
    with zipfile.ZipFile(pack.parent / "pack.zip") as z:
        assert {n: z.read(n) for n in z.namelist()} == {f"pack/{k}": v for k, v in files.items()}


def test_a_built_pack_verifies_as_a_folder_and_as_a_zip(pack: Path) -> None:
    for target in (pack, pack.parent / "pack.zip"):
        done = verify(target)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "every hash matches and the inputs reproduce the state" in done.stdout


def test_verify_needs_no_git(pack: Path, tmp_path: Path) -> None:
    """The replay runs no git: with git off the PATH, the pack still verifies."""
    copy = copy_of(pack, tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text("#!/bin/sh\necho 'git must not run' >&2\nexit 97\n")
    (bin_dir / "git").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    done = aipo("evidence", "verify", str(copy), cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr


# --- what verify catches -------------------------------------------------------------------------


def test_one_changed_byte_is_named(pack: Path, tmp_path: Path) -> None:
    copy = copy_of(pack, tmp_path)
    csv = next((copy / "inputs" / "metrics" / "fraud-prevention").glob("*.csv"))
    data = bytearray(csv.read_bytes())
    data[-2] = ord("7") if data[-2] != ord("7") else ord("8")
    csv.write_bytes(bytes(data))
    done = verify(copy)
    assert done.returncode == 1
    rel = csv.relative_to(copy).as_posix()
    assert f"{rel}: SHA-256 differs from manifest.json (the file was changed)" in done.stdout


def test_a_changed_byte_in_the_zip_fails(pack: Path, tmp_path: Path) -> None:
    """The zip is checked the same way: a pack rebuilt into a zip with one file changed."""
    copy = copy_of(pack, tmp_path)
    (copy / "portal" / "index.html").write_bytes(
        (copy / "portal" / "index.html").read_bytes() + b" "
    )
    target = tmp_path / "pack.zip"
    with zipfile.ZipFile(target, "w") as z:
        for rel, data in files_of(copy).items():
            z.writestr(f"pack/{rel}", data)
    done = verify(target)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "portal/index.html: SHA-256 differs from manifest.json (the file was changed)"
    ]


def test_an_extra_and_a_missing_file(pack: Path, tmp_path: Path) -> None:
    copy = copy_of(pack, tmp_path)
    (copy / "inputs" / "content" / "models" / "extra.yaml").write_text("id: extra\n")
    (copy / "portal" / "risks.html").unlink()
    done = verify(copy)
    assert done.returncode == 1
    assert "inputs/content/models/extra.yaml: extra file (not in manifest.json)" in done.stdout
    assert "portal/risks.html: missing (listed in manifest.json)" in done.stdout


def test_a_state_edited_with_a_matching_manifest_is_caught_by_re_evaluation(
    pack: Path, tmp_path: Path
) -> None:
    copy = copy_of(pack, tmp_path)
    state = read_json(copy / "state.json")
    model = next(m for m in state["models"] if m["id"] == "supply-chain-forecast")
    assert model["status"] == "BREACH"
    model["status"] = "OK"
    text = json.dumps(state, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (copy / "state.json").write_text(text, encoding="utf-8")
    manifest = read_json(copy / "manifest.json")
    manifest["files"]["state.json"] = hashlib.sha256(text.encode()).hexdigest()
    (copy / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    done = verify(copy)
    assert done.returncode == 1, done.stdout
    i = [m["id"] for m in state["models"]].index("supply-chain-forecast")
    assert done.stdout.splitlines() == [
        f'state.json: re-evaluation differs at models[{i}].status: "OK" in state.json, '
        're-evaluation gives "BREACH"'
    ]


def test_a_changed_input_with_a_matching_manifest_is_caught(pack: Path, tmp_path: Path) -> None:
    """Inputs re-hashed after an edit: the state no longer follows from them."""
    copy = copy_of(pack, tmp_path)
    charter = copy / "inputs" / "content" / "models" / "fraud-prevention.yaml"
    charter.write_text(charter.read_text().replace(NEW_NAME, "name: Something else\n"))
    manifest = read_json(copy / "manifest.json")
    rel = "inputs/content/models/fraud-prevention.yaml"
    manifest["files"][rel] = hashlib.sha256(charter.read_bytes()).hexdigest()
    (copy / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    done = verify(copy)
    assert done.returncode == 1
    assert '"Card fraud prevention (v2)" in state.json, re-evaluation gives "Something else"' in (
        done.stdout
    )


def test_unusable_input_exits_2(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "not.zip").write_text("hello")
    for target in (tmp_path / "folder", tmp_path / "not.zip", tmp_path / "nothing"):
        done = verify(target)
        assert done.returncode == 2, target
        assert done.stderr.startswith("error: ") and len(done.stderr.splitlines()) == 1


# --- reproducible, any commit, any date ----------------------------------------------------------


def test_two_builds_are_byte_identical(demo: Demo, pack: Path, tmp_path: Path) -> None:
    """Another folder, another day (libfaketime moves the clock when it is installed)."""
    again = tmp_path / "pack"
    faketime = shutil.which("faketime")
    cmd = [str(AIPO), "evidence", "build", "--out", str(again)]
    if faketime:
        cmd = [faketime, "2031-07-04 23:59:00", *cmd]
    done = subprocess.run(cmd, cwd=demo.path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    a, b = files_of(again), files_of(pack)
    assert sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k)) == []
    assert (tmp_path / "pack.zip").read_bytes() == (pack.parent / "pack.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "pack.zip") as z:
        infos = z.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert (again / "portal" / "sitemap.xml.gz").is_file()


def test_a_past_commit(demo: Demo, tmp_path: Path) -> None:
    out = build(demo, tmp_path / "old", "--rev", "HEAD~1")
    manifest = read_json(out / "manifest.json")
    assert manifest["source"]["revision"] == demo.second
    assert manifest["source"]["requested"] == "HEAD~1"
    assert manifest["source"]["dirty"] is False
    charter = (out / "inputs" / "content" / "models" / "fraud-prevention.yaml").read_text()
    assert OLD_NAME in charter and NEW_NAME not in charter
    state = read_json(out / "state.json")
    assert state["source"]["revision"] == demo.second
    assert "Card payment fraud prevention" in {m["name"] for m in state["models"]}
    assert "Card payment fraud prevention" in (out / "portal" / "dashboard.html").read_text()
    done = verify(out)
    assert done.returncode == 0, done.stdout
    # The temporary worktree is gone.
    assert len(demo.repo.git("worktree", "list").splitlines()) == 1
    # --rev of the commit HEAD is gives the working tree's pack (the tree is clean).
    at_head = build(demo, tmp_path / "pack", "--rev", demo.head)
    assert read_json(at_head / "state.json") == read_json(
        build(demo, tmp_path / "h" / "pack") / "state.json"
    )


def test_a_past_date(demo: Demo, tmp_path: Path) -> None:
    out = build(demo, tmp_path / "june", "--as-of", "2026-06-30")
    manifest = read_json(out / "manifest.json")
    state = read_json(out / "state.json")
    assert manifest["as_of"] == state["as_of"] == "2026-06-30"
    later = read_json(build(demo, tmp_path / "nov", "--as-of", "2026-11-20") / "state.json")
    assert [m["status"] for m in state["models"]] != [m["status"] for m in later["models"]]
    assert "2026-06-30" in (out / "portal" / "dashboard.html").read_text()
    done = verify(out)
    assert done.returncode == 0, done.stdout


def test_a_dirty_working_tree_is_said(demo: Demo, tmp_path: Path) -> None:
    policy = demo.path / "content" / "policy.yaml"
    original = policy.read_text()
    try:
        policy.write_text(original + "\n# an uncommitted comment\n")
        out = build(demo, tmp_path / "dirty")
    finally:
        policy.write_text(original)
    assert read_json(out / "manifest.json")["source"]["dirty"] is True
    assert read_json(out / "state.json")["source"]["dirty"] is True
    assert "# an uncommitted comment" in (out / "inputs" / "content" / "policy.yaml").read_text()
    assert verify(out).returncode == 0


# --- usage errors --------------------------------------------------------------------------------


def test_build_errors(demo: Demo, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(demo.path, plain, ignore=shutil.ignore_patterns(".git"))
    cases = [
        (plain, ["--rev", "HEAD", "--out", str(tmp_path / "a")], "is not in a git repository"),
        (
            demo.path,
            ["--rev", "no-such-rev", "--out", str(tmp_path / "b")],
            "--rev: git revision 'no-such-rev' is not in the repository",
        ),
        (demo.path, ["--out", str(demo.path / "content" / "pack")], "is inside the inputs"),
        (demo.path, ["--out", str(demo.path / "metrics")], "is inside the inputs"),
        (demo.path, ["--as-of", "soon", "--out", str(tmp_path / "c")], "--as-of"),
    ]
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    cases.append((demo.path, ["--out", str(full)], "is not empty"))
    for cwd, args, message in cases:
        done = aipo("evidence", "build", *args, cwd=cwd)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert done.stderr.startswith("error: ") and message in done.stderr, done.stderr
        # One line, but for git's own advice after an unknown revision (as in `aipo diff`).
        assert len(done.stderr.splitlines()) == 1 or "no-such-rev" in args
    assert (full / "keep.txt").read_text() == "mine" and len(list(full.iterdir())) == 1
    assert not (demo.path / "content" / "pack").exists()
    assert not (tmp_path / "b").exists() and not (tmp_path / "b.zip").exists()
    assert len(demo.repo.git("worktree", "list").splitlines()) == 1
    assert demo.repo.git("status", "--porcelain").strip() == ""


def test_an_empty_out_folder_is_used(demo: Demo, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    build(demo, empty, "--rev", "HEAD")
    assert (empty / "manifest.json").is_file() and (tmp_path / "empty.zip").is_file()
