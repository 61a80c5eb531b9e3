"""When a KPI's thresholds changed, from the charter's git history (issue 9, point 2: threshold
changes over time are shown): evaluate/threshold_history.py, the KPI chart's dotted rules, its
caption and its text alternative. Real git repositories in temp folders (conftest.GitRepo)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import AS_OF, MINI_CHARTER, GitRepo, SiteServer, build_site

from aipo_site.load.source import WorkingTree
from aipo_site.model.inputs import Layout
from aipo_site.model.results import ThresholdChange
from aipo_site.pipeline import PortalOptions, build_portal, evaluate_source

UTC = dt.UTC
OWN = "    freshness_days: 3\n"


def at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(10), tzinfo=UTC)


def charter(warn: float | None = None, breach: float | None = None, summary: str = "s") -> str:
    text = MINI_CHARTER.format(id="m1", name="Model one").replace(
        "summary: A fixture model.", f"summary: {summary}"
    )
    if warn is not None:
        text = text.replace(OWN, OWN + f"    thresholds: {{warn: {warn}, breach: {breach}}}\n")
    return text


@pytest.fixture
def repo(mini_repo: Any, git_env: dict) -> GitRepo:
    return GitRepo.init(mini_repo())


def changes(root: Path, as_of: dt.date = AS_OF) -> tuple[ThresholdChange, ...]:
    _repo, portfolio = evaluate_source(WorkingTree(root), Layout(), as_of)
    (kpi,) = portfolio.models[0].kpis
    return kpi.threshold_changes


def commit(repo: GitRepo, text: str, day: str) -> str:
    repo.write("content/models/m1.yaml", text)
    return repo.commit(f"charter on {day}", date=at(day))[:7]


def test_a_charter_that_sets_its_own_thresholds(repo: GitRepo) -> None:
    commit(repo, charter(), "2026-03-01")  # the policy's 0.80 / 0.75
    sha = commit(repo, charter(0.85, 0.8), "2026-07-01")
    commit(repo, charter(0.85, 0.8, summary="Reworded."), "2026-08-01")  # no threshold change
    assert changes(repo.path) == (
        ThresholdChange(dt.date(2026, 7, 1), sha, (0.8, 0.75), (0.85, 0.8)),
    )


def test_changes_are_listed_oldest_first(repo: GitRepo) -> None:
    commit(repo, charter(0.85, 0.8), "2026-02-01")
    first = commit(repo, charter(0.87, 0.8), "2026-05-01")
    second = commit(repo, charter(0.82, 0.78), "2026-09-01")
    assert [(c.commit, c.before, c.after) for c in changes(repo.path)] == [
        (first, (0.85, 0.8), (0.87, 0.8)),
        (second, (0.87, 0.8), (0.82, 0.78)),
    ]


def test_no_history_no_commit_and_uncommitted_changes_report_nothing(repo: GitRepo) -> None:
    assert changes(repo.path) == ()  # nothing committed yet
    commit(repo, charter(), "2026-03-01")
    repo.write("content/models/m1.yaml", charter(0.85, 0.8))  # not committed: no date
    assert changes(repo.path) == ()


def test_a_commit_after_the_evaluation_date_does_not_exist_yet(repo: GitRepo) -> None:
    commit(repo, charter(), "2026-03-01")
    sha = commit(repo, charter(0.85, 0.8), "2026-07-01")
    commit(repo, charter(0.9, 0.85), "2026-12-01")
    (change,) = changes(repo.path, as_of=dt.date(2026, 11, 20))
    assert (change.commit, change.after) == (sha, (0.85, 0.8))


def test_a_version_that_does_not_parse_ends_the_walk(repo: GitRepo) -> None:
    commit(repo, charter(0.7, 0.6), "2026-02-01")
    commit(repo, "id: m1\nkpis: [unclosed\n", "2026-03-01")
    commit(repo, charter(0.8, 0.75), "2026-04-01")
    sha = commit(repo, charter(0.85, 0.8), "2026-07-01")
    # The 0.7 -> broken -> 0.8 steps are not reported: before the broken version is unknown.
    assert [c.commit for c in changes(repo.path)] == [sha]


def test_adding_a_kpi_is_not_a_threshold_change(repo: GitRepo) -> None:
    text = charter()
    without_kpis = text[: text.index("kpis:")] + text[text.index("data_sources:") :]
    commit(repo, without_kpis, "2026-03-01")
    commit(repo, text, "2026-07-01")
    assert changes(repo.path) == ()


# --- drawn and said ------------------------------------------------------------------------------

SPECS = re.compile(
    r'data-chart="(kpi-[^"]+)">.*?<script type="application/json">(.*?)</script>', re.S
)


def kpi_spec(page: str) -> dict[str, Any]:
    ((_, text),) = SPECS.findall(page)
    return json.loads(text)


def test_the_chart_marks_the_change_and_says_it(repo: GitRepo) -> None:
    commit(repo, charter(), "2026-03-01")
    sha = commit(repo, charter(0.85, 0.8), "2026-11-10")
    portal = build_portal(WorkingTree(repo.path), PortalOptions(assets=False), AS_OF)
    page = portal.pages["models/m1.md"]
    spec = kpi_spec(page)
    detail = f"2026-11-10 ({sha}): warn 0.8 → 0.85, breach 0.75 → 0.8"
    # The rule and its label read the same rows.
    found = [d for d in _datasets(spec) if d.get("values") and "detail" in d["values"][0]]
    assert len(found) == 2
    assert all([row["detail"] for row in d["values"]] == [detail] for d in found)
    assert f"thresholds changed on {detail}" in spec["description"]
    assert f"dotted line: the charter changed the thresholds, {detail}" in page


def _datasets(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [d for item in node for d in _datasets(item)]
    if isinstance(node, dict):
        found = [node["data"]] if isinstance(node.get("data"), dict) else []
        return found + [d for key, v in node.items() if key != "data" for d in _datasets(v)]
    return []


@pytest.mark.browser
def test_the_drawn_chart_has_one_dotted_rule_at_the_change(
    repo: GitRepo, open_portal: Any, tmp_path: Path
) -> None:
    commit(repo, charter(), "2026-03-01")
    commit(repo, charter(0.85, 0.8), "2026-11-10")
    site = build_site(repo.path, tmp_path / "site")
    server = SiteServer(site)
    try:
        portal = open_portal(server)
        portal.goto("models/m1/")
        portal.page.wait_for_function(
            "() => document.querySelector('.aipo-chart').getAttribute('data-aipo-drawn') === 'done'"
        )
        # The dotted rule is the second-to-last layer; its label the last.
        geometry = portal.page.evaluate(
            """() => {
              const svg = document.querySelector('.aipo-chart svg');
              const rules = [...svg.querySelectorAll('g.mark-rule.layer_6_marks line')];
              const labels = [...svg.querySelectorAll('g.mark-text.layer_7_marks text')];
              const plot = svg.querySelector('g.mark-rect.layer_0_marks') || svg;
              const frame = svg.querySelector('.role-frame path').getBoundingClientRect();
              return {rules: rules.map(r => r.getBoundingClientRect().x - frame.x),
                      width: frame.width, labels: labels.map(t => t.textContent)};
            }"""
        )
        assert len(geometry["rules"]) == 1, geometry
        # The series runs 30 days to 2026-11-20: 2026-11-10 is about two thirds along.
        assert 0.55 < geometry["rules"][0] / geometry["width"] < 0.8, geometry
        assert geometry["labels"] == ["thresholds changed"]
        assert portal.page_errors == []
    finally:
        server.close()
