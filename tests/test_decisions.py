"""Decision records: loading them with their evidence, the policy's rules, staleness, the page."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from conftest import (
    AS_OF,
    MINI_CHARTER,
    MINI_MKDOCS,
    MINI_POLICY,
    GitRepo,
    daily_csv,
    load_errors,
    run_mkdocs,
)

from aipo_site.cli.main import main
from aipo_site.evaluate import evaluate_repository
from aipo_site.load.repository import load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.model.results import Level

POLICY = (
    MINI_POLICY
    + """\
decisions:
  - kind: stage-transition
    stage: production
    decision_right: Production go/no-go
  - kind: risk-acceptance
    decision_right: Production go/no-go
"""
)

CHARTER = (
    MINI_CHARTER.format(id="m1", name="Model one")
    + """\
release: {version: 1.0.0}
risks:
  - {title: Bias, kind: bias, technical: t, business: b, likelihood: 2, impact: 3}
decision_rights:
  - {decision: Production go/no-go, accountable: Dana Decider}
"""
)
CHARTER_PATH = "content/models/m1.yaml"


def record(commit: str, sha: str, **fields: str) -> str:
    values = {
        "model": "m1",
        "kind": "stage-transition",
        "stage": "production",
        "decided_by": "Dana Decider",
        "date": "2025-12-01",
        "summary": "Go.",
    } | fields
    lines = [f"{k}: {v}" for k, v in values.items() if v is not None]
    lines.append(f'evidence: {{commit: "{commit}", charter_sha256: "{sha}"}}')
    return "\n".join(lines) + "\n"


@pytest.fixture
def repo(tmp_path, git_env) -> GitRepo:
    """A git repository with one production model, committed; no decision yet."""
    r = GitRepo.init(tmp_path / "repo")
    r.write("mkdocs.yml", MINI_MKDOCS)
    r.write("content/index.md", "# Home\n")
    r.write("content/policy.yaml", POLICY)
    r.write(CHARTER_PATH, CHARTER)
    r.write("metrics/m1/kpis.csv", daily_csv([0.9] * 30))
    r.commit("Model one")
    return r


def approve(r: GitRepo, name: str = "go.yaml", **fields: str) -> str:
    """A decision record on the committed charter at HEAD; returns the commit."""
    commit = r.git("rev-parse", "HEAD").strip()
    sha = hashlib.sha256((r.path / CHARTER_PATH).read_bytes()).hexdigest()
    r.write(f"content/decisions/{name}", record(commit, sha, **fields))
    return commit


def evaluate(r: GitRepo, as_of: dt.date = AS_OF):
    return evaluate_repository(load_repository(WorkingTree(r.path)), as_of).models[0]


def codes(m) -> dict[str, object]:
    return {f.code: f for f in m.findings if f.code.startswith("decision-")}


def errors_of(root) -> list[str]:
    return load_errors(root)


# --- what a stage needs -------------------------------------------------------------------------


def test_production_without_its_decision_is_a_breach(repo):
    m = evaluate(repo)
    f = codes(m)["decision-missing"]
    assert f.level is Level.BREACH
    assert f.since is None  # unknown: neither the records nor the policy say since when
    assert f.field == "lifecycle.stage"
    assert "taken by the accountable for 'Production go/no-go'" in f.message
    assert m.status is Level.BREACH
    assert m.governance.answer == "no"


def test_a_valid_decision_satisfies_the_stage(repo):
    approve(repo)
    m = evaluate(repo)
    assert codes(m) == {}
    (d,) = m.decisions
    assert (d.state, d.level, d.accountable) == ("valid", Level.OK, "Dana Decider")


def test_without_a_rule_no_decision_is_needed(repo):
    repo.write("content/policy.yaml", MINI_POLICY)
    assert codes(evaluate(repo)) == {}


@pytest.mark.parametrize(
    ("fields", "code", "level"),
    [
        ({"decided_by": "Someone Else"}, "decision-unauthorised", Level.BREACH),
        ({"expires": "2026-06-30"}, "decision-expired", Level.BREACH),
        ({"date": "2026-02-01"}, "decision-late", Level.WARN),
    ],
)
def test_the_decision_of_the_stage_must_hold(repo, fields, code, level):
    approve(repo, **fields)
    found = codes(evaluate(repo))
    assert set(found) == {code}
    assert found[code].level is level
    assert "content/decisions/go.yaml" in found[code].message


def test_an_expired_decision_dates_from_the_day_after_it_expired(repo):
    approve(repo, expires="2026-06-30")
    assert codes(evaluate(repo))["decision-expired"].since == dt.date(2026, 7, 1)


def test_a_rejected_or_future_decision_does_not_count(repo):
    approve(repo, name="no.yaml", outcome="rejected")
    approve(repo, name="later.yaml", date="2026-12-01")  # after the evaluation date
    m = evaluate(repo)
    assert set(codes(m)) == {"decision-missing"}
    assert [d.state for d in m.decisions] == ["rejected"]


def test_a_charter_without_the_decision_right_cannot_authorise(repo):
    repo.replace(CHARTER_PATH, "Production go/no-go, accountable", "Go-live, accountable")
    repo.commit("rename the decision right")
    approve(repo)
    f = codes(evaluate(repo))["decision-unauthorised"]
    assert "the charter names nobody accountable for 'Production go/no-go'" in f.message


# --- stale: what it approved has changed ---------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("freshness_days: 3\n", "freshness_days: 3\n    thresholds: {warn: 0.7, breach: 0.6}\n",
         "the thresholds of recall were loosened (warn 0.8 → 0.7, breach 0.75 → 0.6)"),
        ("regions: [EU]", "regions: [EU, US]", "data source 'Events' was extended to US"),
        ("categories: [personal]", "categories: [personal, health]",
         "data source 'Events' was extended to health"),
        ("release: {version: 1.0.0}", "release: {version: 1.1.0}",
         "the release changed (1.0.0 → 1.1.0)"),
    ],
)  # fmt: skip
def test_a_decision_goes_stale_when_what_it_approved_changes(repo, old, new, reason):
    approve(repo)
    repo.replace(CHARTER_PATH, old, new)
    m = evaluate(repo)
    f = codes(m)["decision-stale"]
    assert f.level is Level.WARN
    assert f.message.endswith("what it approved has changed since: " + reason)
    assert m.decisions[0].stale == (reason,)
    assert m.governance.sentence.startswith("The approval it runs on is stale: " + reason)


def test_other_changes_and_tightening_leave_it_valid(repo):
    approve(repo)
    repo.replace(CHARTER_PATH, "summary: A fixture model.", "summary: A better summary.")
    repo.replace(
        CHARTER_PATH,
        "freshness_days: 3\n",
        "freshness_days: 3\n    thresholds: {warn: 0.85, breach: 0.8}\n",
    )
    repo.commit("edit")
    assert codes(evaluate(repo)) == {}


def test_evidence_whose_hash_differs_is_a_breach(repo):
    commit = repo.git("rev-parse", "HEAD").strip()
    repo.write("content/decisions/go.yaml", record(commit, "0" * 64))
    f = codes(evaluate(repo))["decision-evidence"]
    assert f.level is Level.BREACH
    assert re.search(
        r"content/models/m1\.yaml at commit [0-9a-f]{7} has SHA-256 [0-9a-f]{12}…, not the recorded 000000000000…",
        f.message,
    )


def test_evidence_git_cannot_read_is_a_warning_unless_the_charter_is_unchanged(repo):
    sha = hashlib.sha256((repo.path / CHARTER_PATH).read_bytes()).hexdigest()
    repo.write("content/decisions/go.yaml", record("1234567", sha))
    assert codes(evaluate(repo)) == {}  # the working tree's charter has the recorded hash
    repo.replace(CHARTER_PATH, "summary: A fixture model.", "summary: Changed.")
    f = codes(evaluate(repo))["decision-evidence"]
    assert f.level is Level.WARN
    assert "the charter at commit 1234567 cannot be read" in f.message


def test_outside_git_the_hash_of_the_current_charter_verifies(repo):
    approve(repo)
    import shutil

    shutil.rmtree(repo.path / ".git")
    assert codes(evaluate(repo)) == {}
    (repo.path / CHARTER_PATH).write_text(CHARTER.replace("A fixture model.", "Changed."))
    f = codes(evaluate(repo))["decision-evidence"]
    assert "there is no git history to read the charter at the evidence commit from" in f.message


def test_a_stale_risk_acceptance_is_a_warning(repo):
    approve(repo)
    approve(repo, name="risk.yaml", kind="risk-acceptance", stage=None, risk="bias")
    repo.replace(CHARTER_PATH, "release: {version: 1.0.0}", "release: {version: 2.0.0}")
    found = [f for f in evaluate(repo).findings if f.code == "decision-stale"]
    assert [f.level for f in found] == [Level.WARN, Level.WARN]
    assert {f.field for f in found} == {"lifecycle.stage", "risks.0"}


# --- bad records -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"model": "m2"}, "model: no model 'm2'"),
        ({"model": "m11"}, "model: no model 'm11'; did you mean 'm1'?"),
        ({"stage": None}, "a stage-transition decision needs `stage`"),
        ({"risk": "Bias"}, "`risk` does not belong to a stage-transition decision"),
        ({"kind": "risk-acceptance", "stage": None, "risk": "Bais"},
         "risk: m1 has no risk 'Bais'; did you mean 'Bias'?"),
        ({"kind": "go-live"}, "kind"),
        ({"expires": "2025-01-01"}, "`expires` is before the decision's `date`"),
        ({"decidd_by": "x"}, "did you mean 'decided_by'?"),
        ({"date": "2025-02-30"}, "date"),
    ],
)  # fmt: skip
def test_a_bad_record_is_a_one_line_error_at_its_file(repo, fields, expected):
    approve(repo, **fields)
    found = errors_of(repo.path)
    assert any(e.startswith("content/decisions/go.yaml:") and expected in e for e in found), found
    assert all("\n" not in e for e in found)


def test_a_bad_commit_is_refused(repo):
    repo.write("content/decisions/go.yaml", record("HEAD", "0" * 64))
    (error,) = errors_of(repo.path)
    assert error.startswith("content/decisions/go.yaml:") and "evidence.commit" in error


def test_an_unquoted_hash_that_reads_as_a_number_says_to_quote_it(repo):
    repo.write(
        "content/decisions/go.yaml",
        record("abc1234", "0" * 64).replace('"abc1234"', "1234567"),
    )
    (error,) = errors_of(repo.path)
    assert "evidence.commit: expected text, found 1234567; put it in quotes" in error


def test_an_unknown_person_key_is_an_error(repo):
    repo.write("content/people.yaml", "people:\n  dana: {name: Dana Decider}\n")
    approve(repo, decided_by="dan")
    found = errors_of(repo.path)
    assert any(
        "decided_by: 'dan' is not a key of content/people.yaml; did you mean 'dana'?" in e
        for e in found
    )


def test_a_rule_names_a_stage_only_for_stage_transitions(repo):
    repo.write(
        "content/policy.yaml",
        MINI_POLICY
        + "decisions:\n  - {kind: risk-acceptance, stage: production, decision_right: X}\n",
    )
    (error,) = errors_of(repo.path)
    assert "`stage` is given for, and only for, a stage-transition rule" in error


def test_check_exits_2_with_one_line_on_a_bad_record(repo, capsys, monkeypatch):
    approve(repo, model="m2")
    monkeypatch.chdir(repo.path)
    assert main(["check", "--as-of", AS_OF.isoformat()]) == 2
    err = capsys.readouterr().err
    assert "content/decisions/go.yaml" in err and "no model 'm2'" in err
    assert "Traceback" not in err


# --- the page --------------------------------------------------------------------------------------


def test_the_model_page_lists_the_records_escaped(repo):
    approve(repo, summary='"<script>alert(1)</script> go"')
    repo.replace(CHARTER_PATH, "release: {version: 1.0.0}", "release: {version: 1.1.0}")
    result = run_mkdocs(repo.path, env={"AIPO_AS_OF": AS_OF.isoformat()})
    assert result.returncode == 0, result.stderr
    html = (repo.path / "site" / "models" / "m1" / "index.html").read_text()
    assert '<h3 id="decision-records">Decision records</h3>' in html
    assert 'data-decision="go" data-state="stale"' in html
    assert "the release changed (1.0.0 → 1.1.0)" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; go" in html
    assert (repo.path / "site" / "reference" / "decision" / "index.html").is_file()


def test_a_renewal_after_the_stage_began_is_not_late(repo):
    approve(repo, name="first.yaml", date="2025-12-01")
    approve(repo, name="renewal.yaml", date="2026-06-01")
    m = evaluate(repo)
    assert codes(m) == {}
    assert [d.id for d in m.decisions] == ["first", "renewal"]


# --- aipo decide ---------------------------------------------------------------------------------


def decide(r: GitRepo, *args: str) -> int:
    return main(
        ["decide", "m1", "--root", str(r.path), "--config", str(r.path / "mkdocs.yml"), *args]
    )


def test_decide_writes_a_record_whose_evidence_is_the_commit(repo, capsys):
    code = decide(
        repo, "--stage", "production", "--by", "Dana Decider", "--summary", "Go.",
        "--date", "2025-12-01", "--condition", "Monthly review", "--expires", "2027-06-30",
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    path = repo.path / "content/decisions/2025-12-01-m1-production.yaml"
    text = path.read_text()
    head = repo.git("rev-parse", "HEAD").strip()
    sha = hashlib.sha256((repo.path / CHARTER_PATH).read_bytes()).hexdigest()
    assert f'commit: "{head}"' in text and f'charter_sha256: "{sha}"' in text
    assert "date: 2025-12-01\n" in text and "expires: 2027-06-30\n" in text
    m = evaluate(repo)
    assert codes(m) == {}
    assert m.decisions[0].record.conditions == ["Monthly review"]
    assert "created content/decisions/2025-12-01-m1-production.yaml" in capsys.readouterr().out


def test_decide_says_when_the_charter_has_uncommitted_changes(repo, capsys):
    repo.replace(CHARTER_PATH, "release: {version: 1.0.0}", "release: {version: 1.1.0}")
    args = ["--stage", "production", "--by", "Dana Decider", "--summary", "Go."]
    assert decide(repo, *args, "--date", "2025-12-01") == 0
    err = capsys.readouterr().err
    assert "content/models/m1.yaml has changes since commit" in err
    assert "decision-stale" in codes(evaluate(repo))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--stage", "production", "--by", "D", "--summary", "Go.", "--rev", "nope"],
         "a decision's evidence is a commit, and git cannot give 'nope'"),
        (["--risk", "Bais", "--by", "D", "--summary", "Go."],
         "the record was not written: content/decisions/"),
        (["--stage", "live", "--by", "D", "--summary", "Go."], "the record would be invalid"),
        (["--stage", "production", "--by", "D", "--summary", "Go.", "--expires", "soon"],
         "--expires: expected a date YYYY-MM-DD, found 'soon'"),
    ],
)  # fmt: skip
def test_decide_refuses_what_would_be_invalid_in_one_line(repo, capsys, args, expected):
    assert decide(repo, *args) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (repo.path / "content/decisions").exists() or not any(
        (repo.path / "content/decisions").iterdir()
    )


def test_decide_never_overwrites(repo, capsys):
    args = [
        "--stage",
        "production",
        "--by",
        "Dana Decider",
        "--summary",
        "Go.",
        "--date",
        "2025-12-01",
    ]
    assert decide(repo, *args) == 0
    assert decide(repo, *args) == 2
    assert "already exists; decisions are never overwritten" in capsys.readouterr().err
