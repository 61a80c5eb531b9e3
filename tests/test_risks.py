"""The live risk register (issue 10, point 6) and onboarding that counts (point 7): a risk's
measuring check and current rating, the risk appetite and acceptance records, risk reviews, the
policy's risk defaults, the onboarding checklist per stage, the risk register page."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from conftest import AS_OF, MINI_CHARTER, MINI_MKDOCS, MINI_POLICY, GitRepo, daily_csv, run_mkdocs

from aipo_site.cli.main import main
from aipo_site.errors import InputError
from aipo_site.evaluate import evaluate_repository
from aipo_site.evaluate.risks import current_rating
from aipo_site.load.repository import load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.model.charter import Risk
from aipo_site.model.results import Level, Status

POLICY = (
    MINI_POLICY
    + """\
risk_appetite: {production: 9}
risk_review_days: 30
decisions:
  - kind: risk-acceptance
    decision_right: Production go/no-go
"""
)
RISK = (
    "  - {{title: Misses fraud, kind: other, technical: t, business: b, likelihood: 3, "
    "impact: 4, residual: {{likelihood: 1, impact: 4}}, measured_by: {{kpi: recall}}, "
    "last_reviewed: 2026-11-01{extra}}}\n"
)


def charter(risks: str = RISK.format(extra=""), extra: str = "") -> str:
    return (
        MINI_CHARTER.format(id="m1", name="Model one").replace("    baseline: {value: 0.9}\n", "")
        + "decision_rights:\n  - {decision: Production go/no-go, accountable: Dana Decider}\n"
        + "risks:\n"
        + risks
        + extra
    )


def evaluate(root, as_of: dt.date = AS_OF):
    return evaluate_repository(load_repository(WorkingTree(root)), as_of).models[0]


def codes(m, code: str):
    return [f for f in m.findings if f.code == code]


# --- the current rating ------------------------------------------------------------------------


RATED = Risk(
    title="r",
    kind="other",
    technical="t",
    business="b",
    likelihood=3,
    impact=4,
    residual={"likelihood": 1, "impact": 2},
)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, (1, 2)),
        (Status.OK, (1, 2)),
        (Status.WARN, (3, 4)),
        (Status.BREACH, (5, 4)),
        (Status.NO_DATA, (1, 2)),
        (Status.STALE, (1, 2)),
        (Status.UNSET, (1, 2)),
    ],
)
def test_current_rating_follows_the_check(status, expected) -> None:
    residual, current, basis = current_rating(RATED, status)
    assert (residual.likelihood, residual.impact) == (1, 2)
    assert (current.likelihood, current.impact) == expected
    if status in (Status.NO_DATA, Status.STALE, Status.UNSET):
        assert "cannot tell" in basis


def test_without_residual_the_inherent_rating_is_residual() -> None:
    risk = RATED.model_copy(update={"residual": None})
    residual, current, _ = current_rating(risk, Status.OK)
    assert (residual.score, current.score) == (12, 12)


@pytest.mark.parametrize(
    ("values", "status", "score", "over"),
    [
        ([0.9] * 30, Status.OK, 4, False),
        ([0.78] * 30, Status.WARN, 12, True),
        ([0.7] * 30, Status.BREACH, 20, True),
    ],
)
def test_a_kpi_sets_the_rating_and_the_appetite_judges_it(
    mini_repo, values, status, score, over
) -> None:
    root = mini_repo(
        charters={"m1": charter()}, metrics={"m1/kpis.csv": daily_csv(values)}, policy=POLICY
    )
    m = evaluate(root)
    (r,) = m.risks
    assert r.check_status is status
    assert r.check == "KPI recall"
    assert r.current.score == score
    assert r.appetite == 9
    found = codes(m, "risk-over-appetite")
    assert bool(found) is over
    if over:
        (f,) = found
        assert f.level is Level.BREACH
        assert f.field == "risks[0]" and f.subject == "misses fraud"
        assert f"scores {score} now" in f.message and "appetite of 9" in f.message


def test_a_check_that_cannot_tell_keeps_the_residual_rating(mini_repo) -> None:
    stale = daily_csv([0.7] * 30, end=AS_OF - dt.timedelta(days=20))
    root = mini_repo(charters={"m1": charter()}, metrics={"m1/kpis.csv": stale}, policy=POLICY)
    (r,) = evaluate(root).risks
    assert r.check_status is Status.STALE and r.cannot_tell
    assert r.current.score == 4


def test_closed_risks_are_not_judged(mini_repo) -> None:
    risks = RISK.format(extra=", status: closed")
    root = mini_repo(
        charters={"m1": charter(risks)},
        metrics={"m1/kpis.csv": daily_csv([0.7] * 30)},
        policy=POLICY,
    )
    m = evaluate(root)
    assert not codes(m, "risk-over-appetite")
    assert not m.risks[0].carried


# --- acceptance records ----------------------------------------------------------------------


@pytest.fixture
def git_repo(tmp_path, git_env) -> GitRepo:
    r = GitRepo.init(tmp_path / "repo")
    r.write("mkdocs.yml", MINI_MKDOCS)
    r.write("content/index.md", "# Home\n")
    r.write("content/policy.yaml", POLICY)
    r.write("content/models/m1.yaml", charter(RISK.format(extra=", status: accepted")))
    r.write("metrics/m1/kpis.csv", daily_csv([0.78] * 30))
    r.commit("Model one")
    return r


def accept(r: GitRepo, decided_by: str = "Dana Decider", expires: str = "") -> None:
    commit = r.git("rev-parse", "HEAD").strip()
    sha = hashlib.sha256((r.path / "content/models/m1.yaml").read_bytes()).hexdigest()
    r.write(
        "content/decisions/accept.yaml",
        f"model: m1\nkind: risk-acceptance\nrisk: misses FRAUD\ndecided_by: {decided_by}\n"
        f"date: 2026-11-10\nsummary: Accepted.\n{expires}"
        f'evidence: {{commit: "{commit}", charter_sha256: "{sha}"}}\n',
    )


def test_accepted_status_without_a_record_still_counts(git_repo) -> None:
    (f,) = codes(evaluate(git_repo.path), "risk-over-appetite")
    assert "its status says accepted, but no valid risk-acceptance decision" in f.message


def test_a_valid_acceptance_record_covers_the_risk(git_repo) -> None:
    accept(git_repo)
    m = evaluate(git_repo.path)
    assert not codes(m, "risk-over-appetite")
    assert m.risks[0].accepted_by == "content/decisions/accept.yaml"
    assert m.risks[0].over_appetite


@pytest.mark.parametrize(
    ("decided_by", "expires"), [("Someone Else", ""), ("Dana Decider", "expires: 2026-11-15\n")]
)
def test_an_invalid_acceptance_record_does_not(git_repo, decided_by, expires) -> None:
    accept(git_repo, decided_by, expires)
    m = evaluate(git_repo.path)
    assert codes(m, "risk-over-appetite")
    assert m.risks[0].accepted_by is None


# --- reviews ---------------------------------------------------------------------------------


def test_review_overdue_from_the_day_after_the_interval(mini_repo) -> None:
    risks = RISK.format(extra="").replace("2026-11-01", "2026-10-01")
    root = mini_repo(charters={"m1": charter(risks)}, policy=POLICY)
    assert not codes(evaluate(root, dt.date(2026, 10, 31)), "risk-review-overdue")
    (f,) = codes(evaluate(root), "risk-review-overdue")
    assert f.level is Level.WARN
    assert f.since == dt.date(2026, 11, 1)
    assert f.field == "risks[0].last_reviewed"
    assert "20 days overdue for review (last reviewed 2026-10-01" in f.message


def test_a_risk_never_reviewed_is_due_after_the_stage_entry(mini_repo) -> None:
    risks = RISK.format(extra="").replace(", last_reviewed: 2026-11-01", "")
    root = mini_repo(charters={"m1": charter(risks)}, policy=POLICY)
    (f,) = codes(evaluate(root), "risk-review-overdue")
    assert f.since == dt.date(2026, 2, 1)  # production since 2026-01-01, every 30 days
    assert "never reviewed" in f.message


# --- the policy's defaults --------------------------------------------------------------------

DEFAULTS = (
    POLICY
    + """\
risk_defaults:
  calibration_error:
    measured_by: {kpi: recall}
    business: "{model} ({title}): {kpi} warns past {warn}, breaches past {breach}."
"""
)
BARE = (
    "  - {title: Miscalibrated, kind: calibration_error, technical: t, likelihood: 2, impact: 2}\n"
)


def test_a_technical_risk_starts_from_the_policy_default(mini_repo) -> None:
    root = mini_repo(charters={"m1": charter(BARE)}, policy=DEFAULTS)
    (r,) = evaluate(root).risks
    assert r.measure_source == "policy" and r.measured_by.kpi == "recall"
    assert r.business_source == "policy"
    assert r.business == "Model one (Miscalibrated): recall warns past 0.8, breaches past 0.75."


def test_a_default_measure_the_charter_lacks_is_left_out(mini_repo) -> None:
    policy = DEFAULTS.replace("{kpi: recall}", "{kpi: expected_calibration_error}")
    root = mini_repo(charters={"m1": charter(BARE)}, policy=policy)
    (r,) = evaluate(root).risks
    assert r.measured_by is None and r.check_status is None
    assert "not measured" in r.business


def test_business_is_required_without_a_template(mini_repo) -> None:
    root = mini_repo(charters={"m1": charter(BARE)}, policy=POLICY)
    with pytest.raises(InputError) as e:
        evaluate(root)
    assert "business: required" in str(e.value)
    assert "content/models/m1.yaml:" in str(e.value)


def test_a_template_with_an_unknown_placeholder_is_refused(mini_repo) -> None:
    policy = DEFAULTS.replace("{title}", "{owner}")
    root = mini_repo(charters={"m1": charter(BARE)}, policy=policy)
    with pytest.raises(InputError) as e:
        load_repository(WorkingTree(root))
    assert "unknown placeholder '{owner}'" in str(e.value)


# --- bad measured_by ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        ("{kpi: recal}", "risks[0].measured_by.kpi: 'recal' is not a KPI of m1; did you mean "),
        ("{segment: recall}", "is not a fairness check (segments) of m1 (it has no fairness"),
        ("{drift_feature: age}", "m1 has no drift section, so no drift feature"),
        ("{drift_share: true}", "m1 has no drift section, so no dataset drift share"),
        ("{kpi: recall, segment: recall}", "give exactly one of kpi, segment"),
    ],
)
def test_a_bad_measure_is_one_line_at_its_line(
    mini_repo, capsys, monkeypatch, measure, expected
) -> None:
    risks = RISK.format(extra="").replace("{kpi: recall}", measure)
    root = mini_repo(charters={"m1": charter(risks)}, policy=POLICY)
    monkeypatch.chdir(root)
    code = main(["check", "--as-of", AS_OF.isoformat()])
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err
    assert "Traceback" not in err
    line = next(x for x in err.splitlines() if expected.split(":")[0][:20] in x)
    assert re.match(r"^(error: )?content/models/m1\.yaml:\d+", line.strip()), err


# --- onboarding ------------------------------------------------------------------------------

ONBOARDING_POLICY = (
    POLICY
    + """\
onboarding:
  production: [Charter reviewed, Game day held, DPIA signed]
  pilot: [Charter reviewed]
"""
)
CHECKLIST = """\
onboarding:
  - {item: charter REVIEWED, done: true}
  - {item: Game day held, done: false}
  - {item: Something else, done: true}
"""


def test_required_onboarding_items_still_open_after_the_grace_period(mini_repo) -> None:
    root = mini_repo(charters={"m1": charter(extra=CHECKLIST)}, policy=ONBOARDING_POLICY)
    found = {f.subject: f for f in codes(evaluate(root), "onboarding-open")}
    assert sorted(found) == ["dpia signed", "game day held"]
    assert all(f.level is Level.WARN for f in found.values())
    # production since 2026-01-01, 30 days of grace (the last one 2026-01-31)
    assert {f.since for f in found.values()} == {dt.date(2026, 2, 1)}
    assert "not in the charter's checklist" in found["dpia signed"].message
    assert found["game day held"].field == "onboarding[1]"
    assert not codes(evaluate(root, dt.date(2026, 1, 31)), "onboarding-open")


def test_onboarding_grace_days_and_stage(mini_repo) -> None:
    policy = ONBOARDING_POLICY + "onboarding_grace_days: 400\n"
    root = mini_repo(charters={"m1": charter(extra=CHECKLIST)}, policy=policy)
    assert not codes(evaluate(root), "onboarding-open")


PEOPLE = """\
people:
  ada: {name: Ada Owner, role: AI Product Owner}
  dana: {name: Dana Decider}
  ivan: {name: Ivan Incident}
"""


def test_onboarding_progress_is_rolled_up_per_owner(mini_repo) -> None:
    text = (
        charter(extra=CHECKLIST)
        .replace("owner: {name: Ada Owner, email: ada@example.com}", "owner: ada")
        .replace("incident_owner: {name: Ivan Incident}", "incident_owner: ivan")
        .replace("accountable: Dana Decider", "accountable: dana")
    )
    two = text.replace("id: m1", "id: m2").replace("Model one", "Model two")
    root = mini_repo(
        charters={"m1": text, "m2": two},
        metrics={"m1/kpis.csv": daily_csv([0.9] * 30), "m2/kpis.csv": daily_csv([0.9] * 30)},
        policy=ONBOARDING_POLICY,
    )
    (root / "content" / "people.yaml").write_text(PEOPLE)
    repo = load_repository(WorkingTree(root))
    people = {p.key: p for p in evaluate_repository(repo, AS_OF).people}
    # Each model: 3 listed (2 done) + 1 required item missing from the checklist.
    assert (people["ada"].onboarding_done, people["ada"].onboarding_total) == (4, 8)
    assert (people["dana"].onboarding_done, people["dana"].onboarding_total) == (0, 0)
    site = root / "site"
    result = run_mkdocs(root, site_dir=site)
    assert result.returncode == 0, result.stderr
    index = next(site.glob("people/index.html"), None) or next(site.glob("people.html"))
    assert "4 of 8 done" in index.read_text()
    ada = next(p for p in site.rglob("*.html") if "ada" in p.name or p.parent.name == "ada")
    assert "4 of 8 items done" in ada.read_text()


# --- the risk register page ----------------------------------------------------------------------

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">'


def test_the_risk_register_lists_carried_risks_and_escapes_text(mini_repo) -> None:
    risks = (
        RISK.format(extra="").replace("Misses fraud", f"'{HOSTILE}'")
        + "  - {title: Low one, kind: other, technical: t, business: b, likelihood: 1, "
        "impact: 2}\n"
        + "  - {title: Closed one, kind: other, technical: t, business: b, likelihood: 5, "
        "impact: 5, status: closed}\n"
    )
    root = mini_repo(
        charters={"m1": charter(risks)},
        metrics={"m1/kpis.csv": daily_csv([0.7] * 30)},
        policy=POLICY,
    )
    site = root / "site"
    result = run_mkdocs(root, site_dir=site)
    assert result.returncode == 0, result.stderr
    page = (site / "risks" / "index.html").read_text()
    assert "<script>window.__pwned" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    rows = re.findall(r'<tr data-model="m1" data-risk="(R\d)" data-score="(\d+)"', page)
    assert rows == [("R1", "20"), ("R2", "2")]  # highest current score first; closed left out
    assert "Risk register" in page and "Model one" in page
    model = (site / "models" / "m1" / "index.html").read_text()
    assert "current 5 × 4 = <strong>20</strong>" in model
    assert "over appetite 9" in model


# --- the demo's risk register in a browser -------------------------------------------------------


@pytest.mark.browser
def test_demo_risk_register_in_a_browser(portal) -> None:
    page = portal.page
    for path in ("risks.html", "risks/"):
        response = page.goto(portal.url(path), wait_until="load")
        if response is not None and response.status == 200:
            break
    rows = page.eval_on_selector_all(
        ".aipo-risk-register tbody tr",
        """rows => rows.map(r => ({model: r.dataset.model, score: Number(r.dataset.score),
            text: r.textContent, model_href: r.querySelector('td[data-label=Model] a')
            .getAttribute('href'), owner: r.querySelector('td[data-label=Owner] a')}))""",
    )
    assert len(rows) >= 9
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert {r["model"] for r in rows} == {
        "customer-churn",
        "fraud-prevention",
        "supply-chain-forecast",
    }
    bias = next(r for r in rows if "Older customers are declined" in r["text"])
    assert bias["score"] == 16 and "fairness gap in False decline rate" in bias["text"]
    assert "2026-11-10-fraud-prevention-age-band-risk.yaml" in bias["text"]
    calibration = next(r for r in rows if "Fraud probabilities drift" in r["text"])
    assert (
        "KPI Score calibration error (ECE)" in calibration["text"] and "OK" in calibration["text"]
    )
    page.click(".aipo-risk-register tbody tr:first-child td[data-label=Model] a")
    page.wait_for_load_state("load")
    assert page.evaluate("location.hash") == "#risks"
    assert rows[0]["model"] in page.evaluate("location.pathname")
    assert not portal.page_errors
