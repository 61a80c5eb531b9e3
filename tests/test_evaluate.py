"""evaluate_repository on several processes: the same results and errors, in the same order, as
in one; the charters' git history is read by each worker without disturbing the build's."""

from __future__ import annotations

import os

import pytest

import aipo_site.evaluate as evaluate
from aipo_site.errors import InputError, InputErrors
from aipo_site.evaluate import evaluate_repository
from aipo_site.load.repository import load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.pipeline import Provenance, read_charter_log, render_model
from aipo_site.render.pages import Paths
from tests.conftest import AS_OF, MINI_CHARTER


def _pages(repo, portfolio) -> dict[str, str]:
    """What a reader sees of each result: its page and files."""
    out = {}
    for result in portfolio.models:
        page, files = render_model(result, repo, Paths(), Provenance())
        out[result.id] = page + repr(sorted(files.items()))
    return out


def test_evaluating_on_two_processes_gives_the_same_portfolio(demo_git_repo, monkeypatch):
    root = demo_git_repo.path
    # A second version of a charter: its compliance findings are dated from the history.
    demo_git_repo.replace("content/models/customer-churn.yaml", "\nname: ", "\n# revised\nname: ")
    demo_git_repo.commit("Revise the churn charter")
    monkeypatch.setattr(evaluate, "PARALLEL_MIN", 1)
    calls: list[int] = []
    fork_map = evaluate.fork_map
    monkeypatch.setattr(
        evaluate, "fork_map", lambda *a, **k: calls.append(a[2]) or fork_map(*a, **k)
    )
    repo = load_repository(WorkingTree(root))
    log = read_charter_log(WorkingTree(root), repo)
    assert log is not None
    try:
        blob = next(v.blob for vs in log.versions.values() for v in vs)
        before = log.read(blob)  # the build's own git process is running
        parent_git = log._reader._batch
        two = evaluate_repository(repo, AS_OF, log, jobs=2)
        one = evaluate_repository(repo, AS_OF, log, jobs=1)
        # The workers started their own git processes; the build's is untouched.
        assert log._reader._batch is parent_git and parent_git.poll() is None
        assert log.read(blob) == before
    finally:
        log.close()
    assert calls == [2, 1]
    assert [m.id for m in two.models] == [m.id for m in one.models]
    assert all(a.charter is m.charter for a, m in zip(two.models, repo.models, strict=True))
    assert _pages(repo, two) == _pages(repo, one)
    assert [[f.since for f in m.findings] for m in two.models] == [
        [f.since for f in m.findings] for m in one.models
    ]
    assert any(f.since for m in two.models for f in m.findings)
    assert two.people == one.people


def _errors(root, jobs: int) -> list[str]:
    with pytest.raises((InputError, InputErrors)) as info:
        evaluate_repository(load_repository(WorkingTree(root)), AS_OF, jobs=jobs)
    errors = info.value.errors if isinstance(info.value, InputErrors) else [info.value]
    return [e.render() for e in errors]


def test_evaluation_errors_are_the_same_in_the_same_order(mini_repo, monkeypatch):
    monkeypatch.setattr(evaluate, "PARALLEL_MIN", 1)
    no_direction = "- metric: latency\n    thresholds: {warn: 1, breach: 2}"
    charters = {
        f"m{i}": MINI_CHARTER.format(id=f"m{i}", name=f"Model {i}").replace(
            "- metric: recall", no_direction if i % 2 else "- metric: recall"
        )
        for i in range(1, 8)
    }
    root = mini_repo(charters=charters, metrics={})
    errors = _errors(root, 2)
    assert errors == _errors(root, 1)
    assert len(errors) == 4 and all("direction: required" in e for e in errors)
    assert [e.split(":", 1)[0] for e in errors] == [
        f"content/models/m{i}.yaml" for i in (1, 3, 5, 7)
    ]


def test_a_forked_copy_of_a_git_reader_never_ends_the_parent_s_process(demo_git_repo):
    root = demo_git_repo.path
    repo = load_repository(WorkingTree(root))
    log = read_charter_log(WorkingTree(root), repo)
    blob = next(v.blob for vs in log.versions.values() for v in vs)
    try:
        expected = log.read(blob)
        parent_git = log._reader._batch
        pid = os.fork()
        if pid == 0:  # the child reads through its own process, then closes its copy
            code = 0 if log.read(blob) == expected and log._reader._batch is not parent_git else 1
            log.close()
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert parent_git.poll() is None and log.read(blob) == expected
    finally:
        log.close()
