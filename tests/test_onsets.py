"""Since when a compliance finding about a charter's text holds: from real git histories.

Each test builds a temporary git repository commit by commit (dated commits, see GitRepo) and
evaluates its working tree as `aipo check` and the portal do.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import AS_OF, MINI_CHARTER, MINI_POLICY, GitRepo, daily_csv, run_mkdocs

from aipo_site.cli.main import main
from aipo_site.evaluate import onsets as onsets_mod
from aipo_site.load import git as gitmod
from aipo_site.load.source import WorkingTree
from aipo_site.load.validate import validate_document
from aipo_site.load.yamlfile import parse_yaml
from aipo_site.model.charter import Charter
from aipo_site.model.inputs import Layout
from aipo_site.model.policy import Policy
from aipo_site.pipeline import PortalOptions, build_portal, evaluate_source

UTC = dt.UTC
CHARTER = "content/models/m1.yaml"
CONTRACT = "    contract: https://example.com/contract\n"
OWNER = "incident_owner: {name: Ivan Incident}\n"
MINI_POLICY_OBJECT = Policy.model_validate(parse_yaml(MINI_POLICY.encode(), "policy.yaml").data)


class Parser:
    """The parsing half of the CharterHistory interface, as the git loader implements it."""

    parse = staticmethod(parse_yaml)

    @staticmethod
    def validate_charter(doc):
        return validate_document(doc, Charter, "charter")[0]


PARSER = Parser()


def at(day: str, hour: int = 10, tz: dt.tzinfo = UTC) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=tz)


@pytest.fixture
def repo(mini_repo, git_env) -> GitRepo:
    """The mini repository (one healthy production model m1) as a git work tree, not committed."""
    return GitRepo.init(mini_repo())


def healthy() -> str:
    return MINI_CHARTER.format(id="m1", name="Model one")


def without(*parts: str, text: str | None = None) -> str:
    text = healthy() if text is None else text
    for part in parts:
        assert text.count(part) == 1, part
        text = text.replace(part, "")
    return text


def since_of(root: Path, as_of: dt.date = AS_OF) -> dict[tuple[str, str], dt.date | None]:
    """(code, subject) -> since, for every finding of m1, evaluated like `aipo check` does."""
    _repo, portfolio = evaluate_source(WorkingTree(root), Layout(), as_of)
    return {(f.code, f.subject or ""): f.since for f in portfolio.models[0].findings}


def test_a_data_contract_removed_in_the_second_commit(repo: GitRepo) -> None:
    repo.write(CHARTER, healthy())
    repo.commit("m1 with a contract", date=at("2026-09-01"))
    repo.write(CHARTER, without(CONTRACT))
    repo.commit("m1: drop the contract", date=at("2026-10-01"))
    repo.replace(CHARTER, "A fixture model.", "A fixture model, reworded.")
    repo.commit("m1: reword", date=at("2026-11-01"))
    assert since_of(repo.path) == {("data-contract-missing", "Events"): dt.date(2026, 10, 1)}


def test_a_condition_present_since_the_first_commit(repo: GitRepo) -> None:
    repo.write(CHARTER, without(OWNER))
    repo.commit("m1 without an incident owner", date=at("2026-08-03"))
    repo.replace(CHARTER, "A fixture model.", "A fixture model, reworded.")
    repo.commit("m1: reword", date=at("2026-09-10"))
    repo.replace(CHARTER, "Testing", "Testing and QA")
    repo.commit("m1: business unit", date=at("2026-10-20"))
    assert since_of(repo.path) == {("incident-owner-missing", ""): dt.date(2026, 8, 3)}


def test_a_condition_fixed_then_reintroduced_starts_again(repo: GitRepo) -> None:
    repo.write(CHARTER, without(CONTRACT))
    repo.commit("m1 without a contract", date=at("2026-07-01"))
    repo.write(CHARTER, healthy())
    repo.commit("m1: contract signed", date=at("2026-08-01"))
    repo.write(CHARTER, without(CONTRACT))
    repo.commit("m1: contract withdrawn", date=at("2026-09-15"))
    assert since_of(repo.path) == {("data-contract-missing", "Events"): dt.date(2026, 9, 15)}


def test_a_renamed_charter_keeps_its_history(repo: GitRepo) -> None:
    legacy = without(OWNER).replace("id: m1", "id: legacy")
    (repo.path / CHARTER).unlink()
    repo.write("content/models/legacy.yaml", legacy)
    repo.commit("legacy model without an incident owner", date=at("2026-05-04"))
    repo.git("mv", "content/models/legacy.yaml", CHARTER)
    repo.replace(CHARTER, "id: legacy", "id: m1")
    repo.commit("Rename legacy to m1", date=at("2026-06-01"))
    assert since_of(repo.path) == {("incident-owner-missing", ""): dt.date(2026, 5, 4)}


def test_findings_are_recognised_by_subject_not_position_or_wording(repo: GitRepo) -> None:
    second = (
        "  - name: Clicks\n    categories: [behavioural]\n    regions: [US]\n"
        "    contract: https://example.com/clicks\n"
    )
    policy = MINI_POLICY + "max_retraining_interval_days: 60\n"
    repo.write("content/policy.yaml", policy)
    text = without(CONTRACT).replace("retraining:", second + "retraining:")
    repo.write(CHARTER, text)
    repo.commit("m1: Events without a contract, retraining every 90 days", date=at("2026-04-01"))
    # Events moves from data_sources[0] to [1]; the cadence changes but stays above the limit.
    events = text[text.index("  - name: Events") : text.index("  - name: Clicks")]
    text = text.replace(events, "").replace("retraining:", events + "retraining:")
    repo.write(CHARTER, text.replace("cadence_days: 90", "cadence_days: 120"))
    repo.commit("m1: reorder sources, retrain less often", date=at("2026-05-01"))
    assert since_of(repo.path) == {
        ("data-contract-missing", "Events"): dt.date(2026, 4, 1),
        ("retraining-cadence-too-long", ""): dt.date(2026, 4, 1),
    }
    # Renaming the source is another finding: it starts with the rename.
    repo.replace(CHARTER, "name: Events", "name: Event stream")
    repo.commit("m1: rename the source", date=at("2026-06-01"))
    assert since_of(repo.path)[("data-contract-missing", "Event stream")] == dt.date(2026, 6, 1)


def test_judged_by_todays_policy(repo: GitRepo) -> None:
    """A policy rule added today applies to every version: the finding dates from the charter's
    own history, not from the policy change."""
    repo.write(CHARTER, healthy().replace("cadence_days: 90", "cadence_days: 120"))
    repo.commit("m1 retrains every 120 days", date=at("2026-03-02"))
    repo.write("content/policy.yaml", MINI_POLICY + "max_retraining_interval_days: 60\n")
    repo.commit("Policy: retrain at least every 60 days", date=at("2026-10-05"))
    assert since_of(repo.path) == {("retraining-cadence-too-long", ""): dt.date(2026, 3, 2)}


def test_uncommitted_changes(repo: GitRepo) -> None:
    repo.write(CHARTER, healthy())
    repo.commit("m1", date=at("2026-09-01"))
    # Introduced by a change not committed yet: its start is unknown.
    repo.write(CHARTER, without(CONTRACT))
    assert since_of(repo.path) == {("data-contract-missing", "Events"): None}
    # Committed, then edited elsewhere without committing: dated from the commit.
    repo.commit("m1: drop the contract", date=at("2026-10-01"))
    repo.replace(CHARTER, "A fixture model.", "A fixture model, being reworded.")
    assert since_of(repo.path) == {("data-contract-missing", "Events"): dt.date(2026, 10, 1)}


def test_a_charter_never_committed_has_no_start(repo: GitRepo) -> None:
    repo.write("README.md", "governance\n")
    repo.commit("Start", date=at("2026-09-01"))
    repo.write(CHARTER, without(OWNER))  # untracked
    assert since_of(repo.path) == {("incident-owner-missing", ""): None}


def test_a_version_that_does_not_validate_ends_the_run(repo: GitRepo) -> None:
    repo.write(CHARTER, without(CONTRACT))
    repo.commit("m1 without a contract", date=at("2026-06-01"))
    repo.write(CHARTER, without(CONTRACT).replace("regions: [EU]", "regions: {EU: yes}"))
    repo.commit("m1: regions as a mapping", date=at("2026-07-01"))
    repo.write(CHARTER, without(CONTRACT))
    repo.commit("m1: fix the regions", date=at("2026-08-01"))
    assert since_of(repo.path) == {("data-contract-missing", "Events"): dt.date(2026, 8, 1)}


def test_a_broken_section_the_finding_does_not_read_does_not_end_the_run(repo: GitRepo) -> None:
    repo.write(CHARTER, without(CONTRACT))
    repo.commit("m1 without a contract", date=at("2026-06-01"))
    repo.write(CHARTER, without(CONTRACT).replace("cadence_days: 90", "cadence_days: ninety"))
    repo.commit("m1: broken cadence", date=at("2026-07-01"))
    repo.write(CHARTER, without(CONTRACT))
    repo.commit("m1: fix the cadence", date=at("2026-08-01"))
    assert since_of(repo.path) == {("data-contract-missing", "Events"): dt.date(2026, 6, 1)}
    # A finding that reads that section sees the broken version: its run ends there.
    repo.write("content/policy.yaml", MINI_POLICY + "max_retraining_interval_days: 60\n")
    repo.commit("Policy: retrain at least every 60 days", date=at("2026-09-01"))
    assert since_of(repo.path) == {
        ("data-contract-missing", "Events"): dt.date(2026, 6, 1),
        ("retraining-cadence-too-long", ""): dt.date(2026, 8, 1),
    }


def test_a_deleted_and_restored_charter_starts_again(repo: GitRepo) -> None:
    repo.write(CHARTER, without(OWNER))
    repo.commit("m1", date=at("2026-06-01"))
    repo.git("rm", "-q", CHARTER)
    repo.commit("Retire m1", date=at("2026-07-01"))
    repo.write(CHARTER, without(OWNER))
    repo.commit("Restore m1", date=at("2026-08-01"))
    assert since_of(repo.path) == {("incident-owner-missing", ""): dt.date(2026, 8, 1)}


def test_the_committers_calendar_day_in_their_own_time_zone(repo: GitRepo) -> None:
    tokyo = dt.timezone(dt.timedelta(hours=9))
    repo.write(CHARTER, without(OWNER))
    repo.commit("m1", date=at("2026-09-02", hour=1, tz=tokyo))  # 2026-09-01 16:00 UTC
    assert since_of(repo.path) == {("incident-owner-missing", ""): dt.date(2026, 9, 2)}


def test_a_commit_after_the_evaluation_date_gives_no_start(repo: GitRepo) -> None:
    repo.write(CHARTER, without(OWNER))
    repo.commit("m1", date=at("2026-11-25"))
    assert since_of(repo.path, as_of=dt.date(2026, 11, 20)) == {
        ("incident-owner-missing", ""): None
    }
    assert since_of(repo.path, as_of=dt.date(2026, 11, 25)) == {
        ("incident-owner-missing", ""): dt.date(2026, 11, 25)
    }


def test_date_based_findings_keep_their_date_in_git(repo: GitRepo) -> None:
    repo.write(CHARTER, without(OWNER))
    repo.commit("m1", date=at("2026-06-01"))
    found = since_of(repo.path, as_of=dt.date(2027, 2, 1))
    assert found == {
        ("incident-owner-missing", ""): dt.date(2026, 6, 1),
        ("retraining-overdue", ""): dt.date(2026, 12, 31),  # due 2026-12-30
    }


def test_a_shallow_clone_does_not_know_where_the_run_began(repo: GitRepo, tmp_path) -> None:
    repo.write(CHARTER, without(OWNER))
    repo.commit("m1", date=at("2026-06-01"))
    repo.replace(CHARTER, "A fixture model.", "A fixture model, reworded.")
    repo.commit("m1: reword", date=at("2026-07-01"))
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", repo.path.as_uri(), str(clone)], check=True
    )
    assert since_of(clone) == {("incident-owner-missing", ""): None}
    # A condition introduced inside the fetched history is still dated.
    full = since_of(repo.path)
    assert full == {("incident-owner-missing", ""): dt.date(2026, 6, 1)}


def test_a_version_git_cannot_give_leaves_the_start_unknown(repo: GitRepo) -> None:
    """A partial clone, or a damaged repository: the walk cannot go on, so it does not guess."""
    repo.write(CHARTER, without(OWNER))
    first = repo.commit("m1", date=at("2026-06-01"))
    repo.replace(CHARTER, "A fixture model.", "A fixture model, reworded.")
    repo.commit("m1: reword", date=at("2026-07-01"))
    blob = repo.git("rev-parse", f"{first}:{CHARTER}").strip()
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    assert since_of(repo.path) == {("incident-owner-missing", ""): None}


def test_outside_git_and_without_git(repo: GitRepo, tmp_path, monkeypatch) -> None:
    repo.write(CHARTER, without(OWNER))
    repo.commit("m1", date=at("2026-06-01"))
    plain = tmp_path / "plain"
    shutil.copytree(repo.path, plain, ignore=shutil.ignore_patterns(".git"))
    assert since_of(plain) == {("incident-owner-missing", ""): None}

    def no_git(*args, **kwargs):
        raise FileNotFoundError("git")

    monkeypatch.setattr(gitmod.subprocess, "run", no_git)
    monkeypatch.setattr(gitmod.subprocess, "Popen", no_git)
    assert since_of(repo.path) == {("incident-owner-missing", ""): None}


def test_one_git_log_for_the_history_sections_and_the_dates(
    mini_repo, git_env, monkeypatch
) -> None:
    """Three models; the build runs ONE git log over the charters and ONE cat-file process, and
    its History sections and finding dates come from the same pass. Old versions are parsed only
    where they changed what a finding depends on."""
    charters = {
        "m1": without(CONTRACT),
        "m2": MINI_CHARTER.format(id="m2", name="Model two"),  # no finding: never read
        "m3": without(OWNER, text=MINI_CHARTER.format(id="m3", name="Model three")),
    }
    root = mini_repo(charters=charters, metrics=_metrics(["m1", "m2", "m3"]))
    repo = GitRepo.init(root)
    repo.commit("Three models", date=at("2026-06-01"))
    for model_id in charters:
        repo.replace(f"content/models/{model_id}.yaml", "summary: ", "summary: Reworded. ")
    repo.commit("Reword", date=at("2026-07-01"))
    repo.replace("content/models/m1.yaml", "regions: [EU]", "regions: [EU, UK]")
    repo.commit("m1: UK data too", date=at("2026-08-01"))

    runs: list[list[str]] = []
    popens: list[list[str]] = []
    real_run, real_popen = gitmod._run, subprocess.Popen

    def spy_run(cwd, args, **kwargs):
        runs.append(list(args))
        return real_run(cwd, args, **kwargs)

    def spy_popen(cmd, *args, **kwargs):
        popens.append(list(cmd))
        return real_popen(cmd, *args, **kwargs)

    checked: list[str] = []
    real_check = onsets_mod._Checker._check

    def spy_check(self, text):
        checked.append(self.path)
        return real_check(self, text)

    monkeypatch.setattr(gitmod, "_run", spy_run)
    monkeypatch.setattr(gitmod.subprocess, "Popen", spy_popen)
    monkeypatch.setattr(onsets_mod._Checker, "_check", spy_check)
    portal = build_portal(WorkingTree(root), PortalOptions(assets=False), AS_OF)

    assert [args[0] for args in runs].count("log") == 2  # the revision (log -1) and the charters
    assert len([args for args in runs if args[0] == "log" and "--raw" in args]) == 1
    assert [cmd for cmd in popens if "cat-file" in cmd] == [["git", "cat-file", "--batch"]]
    # Only m1's version before its data sources changed is parsed: the rewording changed no
    # section either finding reads, and the working tree is the newest commit.
    assert checked == ["content/models/m1.yaml"]

    by_id = {m.id: m for m in portal.portfolio.models}
    assert [(f.code, f.since) for f in by_id["m1"].findings] == [
        ("data-contract-missing", dt.date(2026, 6, 1))
    ]
    assert [(f.code, f.since) for f in by_id["m3"].findings] == [
        ("incident-owner-missing", dt.date(2026, 6, 1))
    ]
    history = portal.provenance.histories
    assert history is not None
    assert [c.subject for c in history["content/models/m2.yaml"]] == ["Reword", "Three models"]
    page = portal.pages[portal.model_pages["m1"]]
    assert "<th>Since</th>" in page
    assert "<td>2026-06-01</td>" in page
    assert "m1: UK data too" in page  # the History section, from the same git log


def test_the_model_page_says_unknown_outside_git(mini_repo) -> None:
    root = mini_repo(charters={"m1": without(OWNER)})
    portal = build_portal(WorkingTree(root), PortalOptions(assets=False), AS_OF)
    page = portal.pages[portal.model_pages["m1"]]
    row = next(line for line in page.splitlines() if "incident-owner-missing" in line)
    assert ">unknown</span></td>" in row


def _metrics(ids: list[str]) -> dict[str, str]:
    return {f"{i}/kpis.csv": daily_csv([0.9] * 30) for i in ids}


# --- reading old versions a section at a time --------------------------------------------------


def test_sections_parse_like_the_whole_file(repo_root: Path) -> None:
    charters = sorted((repo_root / "content" / "models").glob("*.yaml"))
    assert charters
    tricky = (
        b"\xef\xbb\xbf# a comment before the first key\n\nid: a  # trailing comment\n"
        b"kpis:\n- metric: x\n  name: 'two\n    lines'\n# a comment at column 0\n"
        b"notes: |\n  text\n\n  more\r\nsummary: >-\n  folded\n  text\n"
    )
    for raw in [p.read_bytes() for p in charters] + [tricky]:
        text = onsets_mod._Text(raw)
        assert text.sections is not None
        checker = onsets_mod._Checker("x.yaml", MINI_POLICY_OBJECT, PARSER)
        assert checker._data(text) == parse_yaml(raw, "x.yaml").data
    assert list(onsets_mod._sections(tricky)) == ["id", "kpis", "notes", "summary"]


@pytest.mark.parametrize(
    "raw",
    [
        b"---\nid: a\n",  # a document marker
        b"%YAML 1.2\n---\nid: a\n",
        b"- a\n- b\n",  # a sequence at the top
        b"  id: a\n  name: b\n",  # an indented top level
        b"{id: a}\n",  # flow style
        b"id: a\nid: b\n",  # a repeated key: the whole-file parser reports it
        b"'id': a\n",  # a quoted key
        b"id:a\n",  # not a key
        b"id: a\rname: b\n",  # a lone CR
        b"id: a\nname: b\xc2\x85c\n",  # NEL
        b"\tid: a\n",
    ],
)
def test_text_that_is_not_plain_is_parsed_whole(raw: bytes) -> None:
    assert onsets_mod._sections(raw) is None


def test_a_version_that_does_not_parse_section_by_section_is_invalid() -> None:
    checker = onsets_mod._Checker("x.yaml", MINI_POLICY_OBJECT, PARSER)
    broken = onsets_mod._Text(b"id: a\nowner: {name: [unclosed\n")
    assert broken.sections is not None
    assert checker._data(broken) is None
    assert checker.conditions("abc1234", broken) is None


def test_todays_values_are_reused_only_while_the_file_is_as_loaded() -> None:
    raw = b"# prelude\nid: a\nname: A\nkpis:\n- metric: x\n"
    doc = parse_yaml(raw, "x.yaml")
    checker = onsets_mod._Checker("x.yaml", MINI_POLICY_OBJECT, PARSER)
    checker.seed(onsets_mod._Text(raw), doc)
    assert checker.parsed == {
        b"id: a\n": {"id": "a"},
        b"name: A\n": {"name": "A"},
        b"kpis:\n- metric: x\n": {"kpis": [{"metric": "x"}]},
    }
    # Edited on disk since it was loaded (a line added above 'name'): nothing is taken.
    moved = onsets_mod._Checker("x.yaml", MINI_POLICY_OBJECT, PARSER)
    moved.seed(onsets_mod._Text(raw.replace(b"name: A\n", b"\nname: B\n")), doc)
    assert moved.parsed == {}


def test_the_built_portal_dates_the_demo_findings_from_git(
    demo_git_repo: GitRepo, tmp_path
) -> None:
    """A real `mkdocs build` of the demo committed on 2026-11-02: the forecast model's findings
    about its charter date from that commit, the overdue ones from the day after they were due."""
    site = tmp_path / "site"
    result = run_mkdocs(demo_git_repo.path, site_dir=site)
    assert result.returncode == 0, result.stderr
    html = (site / "models" / "supply-chain-forecast.html").read_text()
    table = html[html.index("aipo-findings") :]
    table = table[: table.index("</table>")]
    assert "<th>Since</th>" in table
    since = dict(
        re.findall(r'<code class="aipo-quiet">([a-z-]+)</code></td><td>([^<]+)</td>', table)
    )
    assert since == {
        "data-contract-missing": "2026-11-02",
        "section-missing": "2026-11-02",
        "thresholds-missing": "2026-11-02",
        "retraining-overdue": "2026-03-16",  # last retrained 2025-12-15, every 90 days
        "ritual-overdue": "2026-07-14",  # the weekly review last held 2026-07-06
        "incident-open": "2026-11-17",  # the day the MAPE incident was opened
        "onboarding-open": "2025-12-04",  # production since 2025-11-03, plus 30 days' grace
        "risk-review-overdue": "2026-10-05",  # last reviewed 2026-07-06, every 90 days
    }


def test_aipo_check_reports_since_in_every_format(repo: GitRepo, capsys) -> None:
    repo.write(CHARTER, without(OWNER))
    repo.commit("m1", date=at("2026-06-01"))
    repo.write(CHARTER, without(OWNER, CONTRACT))  # not committed yet
    config = str(repo.path / "mkdocs.yml")

    def check(fmt: str) -> str:
        main(["check", "--config", config, "--format", fmt, "--as-of", "2027-02-01"])
        return capsys.readouterr().out

    doc = json.loads(check("json"))
    found = {f["code"]: f["since"] for f in doc["models"][0]["findings"]}
    assert found == {
        "incident-owner-missing": "2026-06-01",
        "data-contract-missing": None,  # an uncommitted change
        "retraining-overdue": "2026-12-31",
    }
    text = check("text")
    assert "incident-owner-missing (content/models/m1.yaml:5) since 2026-06-01: no incident" in text
    assert "data-contract-missing (content/models/m1.yaml:12) since unknown: data source" in text
    markdown = check("markdown")
    assert "nobody is named to own production incidents (since 2026-06-01)" in markdown
    assert "has no data contract (since unknown)" in markdown
    github = check("github")
    assert "retraining is 33 days overdue" in github and "(since 2026-12-31)" in github
