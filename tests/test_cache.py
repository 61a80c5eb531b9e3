"""The build cache (aipo_site/cache.py, aipo_site/incremental.py): it only ever skips work.

A cached build must produce exactly what an uncached build of the same inputs produces, and
re-evaluate exactly the models whose inputs changed. The tests count the models evaluated and
rendered (spies on the pipeline's functions) and compare every generated page and file with an
uncached build; one build test compares a cold and a warm `mkdocs build` byte for byte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import time
from pathlib import Path
from typing import Any

import pytest

from aipo_site import evaluate as evaluate_module
from aipo_site import incremental
from aipo_site.cache import FORMAT, PortalCache, input_keys
from aipo_site.incremental import ModelPage, build_portal_cached
from aipo_site.load.source import WorkingTree
from aipo_site.model.inputs import Layout
from aipo_site.pipeline import Portal, PortalOptions, build_portal
from aipo_site.render.pages import Paths
from tests.conftest import AS_OF, MINI_CHARTER, GitRepo, daily_csv, run_mkdocs

MODELS = {"customer-churn", "fraud-prevention", "supply-chain-forecast"}
OPTIONS = PortalOptions(paths=Paths(docs_prefix="content/"), assets=False, split_blocks=True)


class Spy:
    """Counts the models evaluated and rendered, and whether the repository was loaded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.evaluated: list[str] = []
        self.rendered: list[str] = []
        self.loads = 0
        evaluate_model = evaluate_module.evaluate_model
        render_model = incremental.render_model
        load_repository = incremental.load_repository

        def evaluated(model: Any, *args: Any, **kwargs: Any) -> Any:
            self.evaluated.append(model.id)
            return evaluate_model(model, *args, **kwargs)

        def rendered(result: Any, *args: Any, **kwargs: Any) -> Any:
            self.rendered.append(result.id)
            return render_model(result, *args, **kwargs)

        def loaded(*args: Any, **kwargs: Any) -> Any:
            self.loads += 1
            return load_repository(*args, **kwargs)

        monkeypatch.setattr(evaluate_module, "evaluate_model", evaluated)
        monkeypatch.setattr(incremental, "render_model", rendered)
        monkeypatch.setattr(incremental, "load_repository", loaded)

    def reset(self) -> None:
        self.evaluated.clear()
        self.rendered.clear()
        self.loads = 0


def snapshot(portal: Portal) -> dict[str, Any]:
    """Everything a build writes from the portal."""
    return {
        "pages": portal.pages,
        "files": portal.files,
        "indexed": portal.indexed,
        "deferred": portal.deferred,
        "stamp": portal.stamp,
        "warnings": portal.repository.warnings,
        "model_pages": portal.model_pages,
        "counts": portal.portfolio.counts(),
    }


def cached(root: Path, as_of: dt.date = AS_OF, jobs: int = 1) -> Portal:
    return build_portal_cached(
        WorkingTree(root), OPTIONS, as_of, cache=PortalCache(root / ".cache/aipo"), jobs=jobs
    )


def uncached(root: Path, as_of: dt.date = AS_OF) -> Portal:
    return build_portal(WorkingTree(root), OPTIONS, as_of)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    return Spy(monkeypatch)


def test_a_warm_build_loads_nothing_and_equals_an_uncached_build(demo_git_repo, spy):
    root = demo_git_repo.path
    cold = snapshot(cached(root))
    assert sorted(spy.evaluated) == sorted(MODELS) == sorted(spy.rendered)
    assert spy.loads == 1
    spy.reset()
    warm = snapshot(cached(root))
    assert (spy.evaluated, spy.rendered, spy.loads) == ([], [], 0)
    assert warm == cold
    assert warm == snapshot(uncached(root))


def edit_charter(repo: GitRepo) -> None:
    repo.replace(
        "content/models/fraud-prevention.yaml",
        "name: Card payment fraud prevention",
        "name: Card payment fraud prevention (EU)",
    )


def edit_csv(repo: GitRepo) -> None:
    path = repo.path / "metrics/customer-churn/kpis.csv"
    lines = path.read_text().splitlines()
    date, metric, value = lines[-1].split(",")
    lines[-1] = f"{date},{metric},{float(value) * 0.5:.4f}"
    path.write_text("\n".join(lines) + "\n")


def edit_review(repo: GitRepo) -> None:
    repo.replace(
        "content/reviews/fraud-prevention-2026-11-16-weekly.yaml",
        "no threshold change.",
        "no threshold change yet.",
    )


def edit_policy(repo: GitRepo) -> None:
    path = repo.path / "content/policy.yaml"
    path.write_text(path.read_text() + "\n# a comment changes the policy's bytes\n")


def commit_charter(repo: GitRepo) -> None:
    # The file's bytes stay the same: only its history (the page's History section) changes.
    repo.commit("Reword the forecast's notes", date=None)


def commit_elsewhere(repo: GitRepo) -> None:
    repo.write("README.md", "# governance\n")
    repo.commit("A readme")


# change -> the models it must re-evaluate, and the model pages that must change (None: every
# model is re-evaluated; which pages change then depends on what the change does).
CHANGES = {
    "charter": (edit_charter, {"fraud-prevention"}),
    "metric CSV": (edit_csv, {"customer-churn"}),
    "review record": (edit_review, MODELS),
    "policy": (edit_policy, MODELS),
    "git commit touching a charter": (commit_charter, {"supply-chain-forecast"}),
    "git commit touching no input": (commit_elsewhere, set()),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_changed_input_re_evaluates_exactly_its_models(demo_git_repo, spy, change):
    repo = demo_git_repo
    root = repo.path
    if change == "git commit touching a charter":
        # Edited first and built, so the commit itself changes only the history.
        repo.replace(
            "content/models/supply-chain-forecast.yaml",
            "name: Distribution-centre demand forecast",
            "name: Distribution-centre demand forecasting",
        )
    before = cached(root)
    spy.reset()
    edit, expected = CHANGES[change]
    edit(repo)
    after = cached(root)
    assert set(spy.evaluated) == expected
    assert sorted(spy.rendered) == sorted(spy.evaluated)
    assert spy.loads == (1 if expected else 0)
    # Exactly what an uncached build of the changed inputs gives.
    assert snapshot(after) == snapshot(uncached(root))
    # The pages of the models not re-evaluated are the same as before the change.
    for model_id in MODELS - expected:
        src = after.model_pages[model_id]
        assert after.pages[src] == before.pages[src], model_id
    if expected != MODELS:
        for model_id in expected:
            src = after.model_pages[model_id]
            changed = (after.pages[src], after.deferred[src], after.indexed[src])
            assert changed != (before.pages[src], before.deferred[src], before.indexed[src])


def test_the_evaluation_date_is_part_of_every_key(demo_git_repo, spy):
    root = demo_git_repo.path
    cached(root)
    spy.reset()
    later = AS_OF + dt.timedelta(days=1)
    portal = cached(root, as_of=later)
    assert sorted(spy.evaluated) == sorted(MODELS)
    assert snapshot(portal) == snapshot(uncached(root, as_of=later))
    # And back: the first date's entries are still there.
    spy.reset()
    cached(root)
    assert spy.evaluated == []


def test_the_key_depends_on_history_and_on_each_input(demo_git_repo):
    root = demo_git_repo.path
    source = WorkingTree(root)
    layout = Layout()
    charters = [f"content/models/{m}.yaml" for m in sorted(MODELS)]
    a = input_keys(source, layout, charters, None, {"as_of": "2026-11-20"})
    b = input_keys(source, layout, charters, None, {"as_of": "2026-11-21"})
    assert a is not None and b is not None
    assert a.models.keys() == b.models.keys() == set(charters)
    assert not set(a.models.values()) & set(b.models.values())
    assert a.portfolio != b.portfolio
    # A file under a model's metrics folder that no charter names still changes that model's key.
    (root / "metrics/fraud-prevention/extra.csv").write_text(daily_csv([0.9] * 3))
    c = input_keys(source, layout, charters, None, {"as_of": "2026-11-20"})
    assert c is not None
    changed = {p for p in charters if a.models[p] != c.models[p]}
    assert changed == {"content/models/fraud-prevention.yaml"}


def test_corrupt_partial_and_foreign_entries_are_misses(demo_git_repo, spy):
    root = demo_git_repo.path
    expected = snapshot(cached(root))
    entries = sorted((root / ".cache/aipo").glob("*.pickle"))
    assert len(entries) == len(MODELS) + 1
    for i, path in enumerate(entries):
        data = path.read_bytes()
        if i % 3 == 0:
            path.write_bytes(data[: len(data) // 2])  # a partial write
        elif i % 3 == 1:
            path.write_bytes(b"\x00garbage")
        else:  # a valid pickle under another entry's header
            header = data.split(b"\n", 1)[0] + b"\n"
            path.write_bytes(header + pickle.dumps({"not": "an entry"}))
    spy.reset()
    assert snapshot(cached(root)) == expected
    assert sorted(spy.evaluated) == sorted(MODELS)
    # ... and were replaced by good ones.
    spy.reset()
    cached(root)
    assert spy.evaluated == []


def test_an_entry_is_what_the_build_uses(demo_git_repo):
    # The test above could pass with a cache that is never read; this one could not.
    root = demo_git_repo.path
    first = cached(root)
    src = first.model_pages["customer-churn"]
    (path,) = [
        p
        for p in (root / ".cache/aipo").glob("model-*.pickle")
        if _entry(p).result.id == "customer-churn"
    ]
    header, body = path.read_bytes().split(b"\n", 1)
    assert header.startswith(f"aipo-cache:{FORMAT}:model:".encode())
    entry = pickle.loads(body)
    marked = ModelPage(entry.result, entry.page + "\n<!-- from the cache -->\n", entry.files)
    path.write_bytes(header + b"\n" + pickle.dumps(marked))
    (root / ".cache/aipo" / next(iter(_portfolio_entries(root)))).unlink()  # a partial hit
    second = cached(root)
    assert "from the cache" in second.pages[src] + "".join(second.deferred[src].values())


def _entry(path: Path) -> Any:
    return pickle.loads(path.read_bytes().split(b"\n", 1)[1])


def _portfolio_entries(root: Path) -> list[str]:
    return [p.name for p in (root / ".cache/aipo").glob("portfolio-*.pickle")]


def test_render_workers_give_the_same_portal_and_fill_the_cache(demo_git_repo, spy, monkeypatch):
    root = demo_git_repo.path
    monkeypatch.setattr(incremental, "PARALLEL_MIN", 1)
    parallel = snapshot(cached(root, jobs=2))
    assert parallel == snapshot(uncached(root))
    # The workers wrote the model entries: the next build evaluates nothing.
    spy.reset()
    assert snapshot(cached(root, jobs=2)) == parallel
    assert spy.evaluated == []


def test_prune_keeps_this_builds_entries_and_as_many_recent_others(tmp_path):
    cache = PortalCache(tmp_path)
    old = time.time() - 3600
    for i in range(6):
        cache.put("model", f"old{i}", i)
        os.utime(tmp_path / f"model-old{i}.pickle", (old + i, old + i))
    (tmp_path / ".tmp-interrupted").write_bytes(b"half")
    os.utime(tmp_path / ".tmp-interrupted", (old, old))
    (tmp_path / ".tmp-in-progress").write_bytes(b"a concurrent build's")
    cache = PortalCache(tmp_path)
    assert cache.get("model", "old0") == 0
    cache.put("model", "new", "n")
    removed = cache.prune()
    left = sorted(p.name for p in tmp_path.iterdir())
    # Used: old0 and new; kept besides: the two most recently used of the others (and the
    # folder's own .gitignore).
    assert left == [
        ".gitignore",
        ".tmp-in-progress",
        "model-new.pickle",
        "model-old0.pickle",
        "model-old4.pickle",
        "model-old5.pickle",
    ]
    assert removed == 4


def test_get_checks_the_entry_is_for_its_key(tmp_path):
    cache = PortalCache(tmp_path)
    cache.put("model", "a", [1, 2])
    (tmp_path / "model-b.pickle").write_bytes((tmp_path / "model-a.pickle").read_bytes())
    assert cache.get("model", "a") == [1, 2]
    assert cache.get("model", "b") is None
    assert cache.get("portfolio", "a") is None


@pytest.mark.build
def test_cold_and_warm_mkdocs_builds_are_byte_identical(demo_git_repo, tmp_path):
    root = demo_git_repo.path
    cold, warm = tmp_path / "cold", tmp_path / "warm"
    result = run_mkdocs(root, site_dir=cold)
    assert result.returncode == 0, result.stderr
    entries = list((root / ".cache/aipo").glob("model-*.pickle"))
    assert len(entries) == len(MODELS)
    result = run_mkdocs(root, site_dir=warm)
    assert result.returncode == 0, result.stderr
    assert _hashes(cold) == _hashes(warm)
    # Nothing of the cache is in the site, and nothing was written into the docs folder.
    assert not any(".cache" in p for p in _hashes(warm))
    assert not (root / "content" / ".cache").exists()
    # The cache ignores itself (a `.gitignore` of `*`, as pytest's cache has): a build leaves
    # the working tree clean, so `aipo export` and evidence packs do not call it dirty.
    assert demo_git_repo.git("status", "--porcelain", "--untracked-files=all") == ""


@pytest.mark.build
def test_cache_dir_false_writes_no_cache(mini_repo, tmp_path):
    root = mini_repo(
        charters={"m1": MINI_CHARTER.format(id="m1", name="Model one")},
        mkdocs_yml=(
            "site_name: fixture portal\ndocs_dir: content\ntheme:\n  name: material\n"
            "  font: false\nplugins:\n  - aipo:\n      as_of: '2026-11-20'\n"
            "      cache_dir: false\n"
        ),
    )
    result = run_mkdocs(root, site_dir=tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert not (root / ".cache").exists()
    assert (tmp_path / "site" / "models").is_dir()


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
