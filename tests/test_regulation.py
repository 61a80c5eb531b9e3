"""Regulation (issue 11, points 1 and 3): the EU AI Act classification and its decision path,
the findings a classification raises, and each model's coverage of the crosswalk, on the demo
(minimal-risk and profiling models) and on a credit-scoring copy of it (high-risk, Annex III 5(b))."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import AS_OF, copy_demo, load_errors

from aipo_site.evaluate import evaluate_repository
from aipo_site.load.repository import load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.model.inputs import Layout
from aipo_site.model.regulation import Annex, Coverage, DecisionPath, RiskClass
from aipo_site.model.results import Level
from aipo_site.render.pages import Paths
from aipo_site.render.regulation import render_regulation

LAYOUT = Layout(
    charters="content/models", policy="content/policy.yaml", people="content/people.yaml"
)

CREDIT = """\
eu_ai_act:
  risk_class: high-risk
  role: deployer
  path:
    prohibited_practice: false
    annex_iii: "5(b)"
    profiling: true
  reason: Scores the creditworthiness of natural persons.
  classified_by: amara-okafor
  classified_on: 2026-10-01
"""


def evaluate(root: Path, as_of: dt.date = AS_OF):
    return evaluate_repository(load_repository(WorkingTree(root), LAYOUT), as_of)


def model(portfolio, model_id: str):
    return next(m for m in portfolio.models if m.id == model_id)


def codes(m, prefix: str = "") -> list[str]:
    return [f.code for f in m.findings if f.code.startswith(prefix)]


def set_classification(root: Path, model_id: str, block: str) -> None:
    """Replace the charter's eu_ai_act section with ``block`` (YAML, may be empty)."""
    path = root / "content" / "models" / f"{model_id}.yaml"
    lines = path.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("eu_ai_act:"))
    end = next(
        i
        for i in range(start + 1, len(lines))
        if lines[i].strip() and not lines[i].startswith((" ", "#"))
    )
    path.write_text("".join(lines[:start]) + block + "".join(lines[end:]))


def set_policy(root: Path, regulation: str) -> None:
    path = root / "content" / "policy.yaml"
    text = path.read_text()
    text = text[: text.index("\nregulation:")] + "\nregulation:\n" + regulation
    path.write_text(text)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path / "demo")


# --- the decision path ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"prohibited_practice": True, "profiling": False}, (RiskClass.prohibited, None)),
        (
            {"prohibited_practice": False, "annex_i_product": True, "profiling": False},
            (RiskClass.high_risk, Annex.annex_i),
        ),
        (
            {"prohibited_practice": False, "annex_iii": "4(a)", "profiling": False},
            (RiskClass.high_risk, Annex.annex_iii),
        ),
        # Art. 6(3): an Annex III use with a derogation is not high-risk...
        (
            {
                "prohibited_practice": False,
                "annex_iii": "4(a)",
                "profiling": False,
                "art_6_3": "preparatory-task",
            },
            (RiskClass.minimal, None),
        ),
        # ...unless it profiles natural persons.
        (
            {
                "prohibited_practice": False,
                "annex_iii": "4(a)",
                "profiling": True,
                "art_6_3": "preparatory-task",
            },
            (RiskClass.high_risk, Annex.annex_iii),
        ),
        (
            {
                "prohibited_practice": False,
                "profiling": False,
                "transparency": ["interacts-with-people"],
            },
            (RiskClass.limited_risk, None),
        ),
        ({"prohibited_practice": False, "profiling": True}, (RiskClass.minimal, None)),
    ],
)
def test_the_path_leads_to_a_class(answers, expected):
    assert DecisionPath.model_validate(answers).derived() == expected


def test_a_derogation_needs_an_annex_iii_use_and_a_justification(demo):
    set_classification(
        demo,
        "supply-chain-forecast",
        "eu_ai_act:\n  risk_class: minimal\n  role: provider\n  path:\n"
        "    prohibited_practice: false\n    profiling: false\n    art_6_3: preparatory-task\n"
        "  classified_by: rahul-mehta\n  classified_on: 2026-01-01\n",
    )
    errors = load_errors(demo)
    assert any("the Art. 6(3) derogation applies only to an Annex III system" in e for e in errors)
    set_classification(
        demo,
        "supply-chain-forecast",
        "eu_ai_act:\n  risk_class: minimal\n  role: provider\n  path:\n"
        "    prohibited_practice: false\n    profiling: false\n    annex_iii: '4(a)'\n"
        "    art_6_3: preparatory-task\n  classified_by: rahul-mehta\n"
        "  classified_on: 2026-01-01\n",
    )
    errors = load_errors(demo)
    assert any("an Art. 6(3) claim (path.art_6_3) needs its justification" in e for e in errors)


def test_an_unknown_annex_iii_point_is_refused(demo):
    set_classification(demo, "customer-churn", CREDIT.replace('"5(b)"', '"5(z)"'))
    errors = load_errors(demo)
    assert any("'5(z)' is not an Annex III point" in e for e in errors)


# --- findings ---------------------------------------------------------------------------------


def test_the_demo_classifications(demo):
    p = evaluate(demo)
    churn = model(p, "customer-churn")
    # minimal, profiles EU subscribers, no reason: unexplained (dated from its classification)
    [f] = [f for f in churn.findings if f.code == "classification-unexplained"]
    assert f.level is Level.WARN and f.since == dt.date(2026, 1, 9)
    assert f.field == "eu_ai_act.risk_class" and f.line is not None
    # GDPR Art. 6 applies (personal data) and no source has an authorisation record
    [missing] = [f for f in churn.findings if f.code == "obligation-missing"]
    assert "GDPR Art. 6 (Lawful basis) applies" in missing.message
    assert "data authorisations (charter: data_sources[].authorisation)" in missing.message
    assert missing.level is Level.WARN
    fraud = model(p, "fraud-prevention")
    assert codes(fraud, "classification") == [] and "obligation-missing" not in codes(fraud)
    supply = model(p, "supply-chain-forecast")
    assert codes(supply, "classification") == [] and "obligation-missing" not in codes(supply)


def test_a_class_that_contradicts_its_path(demo):
    set_classification(
        demo, "customer-churn", CREDIT.replace("risk_class: high-risk", "risk_class: minimal")
    )
    m = model(evaluate(demo), "customer-churn")
    [f] = [f for f in m.findings if f.code == "classification-contradiction"]
    assert f.level is Level.BREACH
    assert "classified minimal, but its decision path leads to high-risk" in f.message
    assert "Annex III 5(b)" in f.message
    assert m.coverage.derived == (RiskClass.high_risk, Annex.annex_iii)


def test_profiling_with_an_art_6_3_claim_is_a_contradiction(demo):
    set_classification(
        demo,
        "customer-churn",
        CREDIT.replace('annex_iii: "5(b)"', 'annex_iii: "5(b)"\n    art_6_3: preparatory-task')
        + "  justification: Only prepares a file for a loan officer.\n",
    )
    m = model(evaluate(demo), "customer-churn")
    messages = [f.message for f in m.findings if f.code == "classification-contradiction"]
    assert any(
        "Art. 6(3) is claimed (preparatory-task) for a model that profiles" in x for x in messages
    )
    # the class it records (high-risk) is the one the path leads to: one finding, not two
    assert len(messages) == 1


def test_a_reason_explains_a_minimal_class(demo):
    set_classification(
        demo,
        "customer-churn",
        CREDIT.replace("risk_class: high-risk", "risk_class: minimal")
        .replace('annex_iii: "5(b)"', "annex_iii: null")
        .replace("Scores the creditworthiness of natural persons.", "Churn is not in Annex III."),
    )
    m = model(evaluate(demo), "customer-churn")
    assert codes(m, "classification") == []


def test_the_policy_requires_a_classification_by_stage(demo):
    set_classification(demo, "supply-chain-forecast", "")
    m = model(evaluate(demo), "supply-chain-forecast")
    [f] = [f for f in m.findings if f.code == "classification-missing"]
    assert f.level is Level.WARN and "production" in f.message
    set_policy(demo, "  classify: [pilot]\n")
    m = model(evaluate(demo), "supply-chain-forecast")
    assert "classification-missing" not in codes(m)


# --- coverage ---------------------------------------------------------------------------------


def by_id(m) -> dict[str, object]:
    return {o.obligation.id: o for o in m.coverage.obligations}


def test_a_minimal_risk_model_without_personal_data(demo):
    m = model(evaluate(demo), "supply-chain-forecast")
    frameworks = {o.obligation.framework for o in m.coverage.obligations}
    # no EU AI Act obligation for a minimal model, no GDPR without personal data
    assert frameworks == {"nist-ai-rmf", "iso-42001"}
    cov = by_id(m)
    # its drift is at BREACH: the monitoring subcategory is partial, and says why
    measure = cov["nist-ai-rmf/measure-2.4"]
    assert measure.coverage is Coverage.partial
    assert any(e.state == "failing" for e in measure.elements)


def test_the_profiling_model_owes_gdpr_art_22_and_35(demo):
    m = model(evaluate(demo), "fraud-prevention")
    cov = by_id(m)
    assert {"gdpr/art-22", "gdpr/art-35"} <= set(cov)
    assert cov["gdpr/art-22"].coverage is Coverage.evidenced
    assert not any(k.startswith("eu-ai-act/") for k in cov)  # minimal: none of the Act's
    churn = by_id(model(evaluate(demo), "customer-churn"))
    assert churn["gdpr/art-6"].coverage is Coverage.missing
    assert churn["gdpr/art-35"].coverage is Coverage.partial  # risks present, no DPIA


def test_a_credit_scoring_deployer_before_and_after_the_annex_iii_date(demo):
    set_classification(demo, "customer-churn", CREDIT)
    before = model(evaluate(demo), "customer-churn")
    cov = by_id(before)
    # a deployer: Arts. 26 and 27 (5(b) is one of Art. 27's points), not the provider's duties
    assert {"eu-ai-act/art-26", "eu-ai-act/art-27"} <= set(cov)
    assert "eu-ai-act/art-9" not in cov and "eu-ai-act/art-49" not in cov
    # Annex III obligations apply from 2 December 2027 (Digital Omnibus; 2 August 2026 before)
    assert cov["eu-ai-act/art-26"].coverage is Coverage.not_yet
    assert cov["eu-ai-act/art-26"].applies_from == dt.date(2027, 12, 2)
    assert not [f for f in before.findings if "EU AI Act" in f.message]
    eve = model(evaluate(demo, dt.date(2027, 12, 1)), "customer-churn")
    assert by_id(eve)["eu-ai-act/art-27"].coverage is Coverage.not_yet
    day = model(evaluate(demo, dt.date(2027, 12, 2)), "customer-churn")
    cov = by_id(day)
    assert cov["eu-ai-act/art-26"].coverage in (Coverage.evidenced, Coverage.partial)
    assert cov["eu-ai-act/art-27"].coverage in (Coverage.evidenced, Coverage.partial)


def provider_without_data(demo: Path) -> None:
    """customer-churn as a credit-scoring provider whose charter lists no data sources: nothing
    evidences EU AI Act Art. 10 (data sources, lineage, fairness checks)."""
    set_classification(demo, "customer-churn", CREDIT.replace("role: deployer", "role: provider"))
    path = demo / "content" / "models" / "customer-churn.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("\ndata_sources:")] + text[text.index("\nretraining:") :])


def test_a_missing_obligation_is_a_finding_from_the_day_it_applies(demo):
    provider_without_data(demo)
    eve = model(evaluate(demo, dt.date(2027, 12, 1)), "customer-churn")
    assert by_id(eve)["eu-ai-act/art-10"].coverage is Coverage.not_yet
    assert not [f for f in eve.findings if "Art. 10 " in f.message]
    day = model(evaluate(demo, dt.date(2027, 12, 2)), "customer-churn")
    assert by_id(day)["eu-ai-act/art-10"].coverage is Coverage.missing
    [f] = [f for f in day.findings if f.code == "obligation-missing" and "Art. 10 " in f.message]
    assert f.level is Level.WARN and f.since == dt.date(2027, 12, 2)
    assert "EU AI Act Art. 10 (Data and data governance) applies since 2027-12-02" in f.message
    assert f.field == "data_sources"
    # without data sources no personal data is declared: of the GDPR, only what profiling
    # alone brings (Art. 22; Art. 35 needs personal data too)
    assert sorted(k for k in by_id(day) if k.startswith("gdpr/")) == ["gdpr/art-22"]


@pytest.mark.parametrize(
    ("regulation", "expected"),
    [
        ("  missing: breach\n", Level.BREACH),
        ("  missing: off\n", None),
        ("  gate: [gdpr]\n", None),
        ("  frameworks: [gdpr, nist-ai-rmf]\n", None),
    ],
)
def test_the_policy_sets_the_level_and_the_gated_frameworks(demo, regulation, expected):
    provider_without_data(demo)
    set_policy(demo, regulation)
    m = model(evaluate(demo, dt.date(2027, 12, 2)), "customer-churn")
    found = [f for f in m.findings if f.code == "obligation-missing" and "Art. 10 " in f.message]
    assert [f.level for f in found] == ([expected] if expected else [])


def test_outside_charter_obligations_are_listed_never_found_missing(demo):
    provider_without_data(demo)
    m = model(evaluate(demo, dt.date(2028, 1, 1)), "customer-churn")
    cov = by_id(m)
    assert cov["eu-ai-act/art-43"].coverage is Coverage.outside
    assert cov["eu-ai-act/art-49"].coverage is Coverage.outside
    assert not [f for f in m.findings if "Art. 49" in f.message or "Arts. 43" in f.message]


# --- the coverage page ------------------------------------------------------------------------


def test_the_coverage_page(demo):
    set_classification(demo, "customer-churn", CREDIT)
    path = demo / "content" / "models" / "fraud-prevention.yaml"
    path.write_text(
        path.read_text().replace("name: Card payment fraud prevention", 'name: "<b>x</b>"', 1)
    )
    page = render_regulation(evaluate(demo, dt.date(2028, 1, 1)), Paths())
    assert '<h2 id="eu-ai-act">EU AI Act</h2>' in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    # the laws: one column per obligation that applies to some model, a cell per model
    eu = page[page.index('data-framework="eu-ai-act"') : page.index('<h2 id="gdpr">')]
    assert eu.count('<th scope="row">') == 3
    assert '<abbr title="Obligations of deployers">Art. 26</abbr>' in eu
    churn = eu[eu.index('data-model="customer-churn"') :].split("</tr>", 1)[0]
    assert churn.count("<td") == eu.count("<abbr") and '<td data-c="' in churn
    fraud = eu[eu.index('data-model="fraud-prevention"') :].split("</tr>", 1)[0]
    assert "data-c=" not in fraud  # minimal: none of the Act's obligations applies
    # the standards: per subcategory, how many models; the summary counts per framework
    nist = page[page.index('<h2 id="nist-ai-rmf">') :]
    assert 'data-obligation="nist-ai-rmf/measure-2.11"' in nist and "data-c=" not in nist
    assert 'data-label="GDPR"' in page and "evidenced" in page


def test_the_model_page_shows_the_classification_and_coverage(demo):
    from aipo_site.pipeline import PortalOptions, build_portal

    set_classification(
        demo,
        "customer-churn",
        CREDIT.replace(
            "Scores the creditworthiness of natural persons.", '"<script>alert(1)</script>"'
        ),
    )
    portal = build_portal(WorkingTree(demo), PortalOptions(layout=LAYOUT), AS_OF)
    page = portal.pages["models/customer-churn.md"]
    assert '<h2 id="regulation">' in page or "## Regulation" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert 'data-obligation="eu-ai-act/art-26" data-coverage="not-yet"' in page
    assert "applies from 2027-12-02" in page or "applies from 2 Dec 2027" in page
    assert 'data-obligation="gdpr/art-6" data-coverage="missing"' in page
    # the evidence links to the sections of the page that hold it
    assert '<a href="#data-sources">Data authorisations</a>' in page
    assert "regulation.md" in portal.pages and "crosswalk/crosswalk.yaml" in portal.files
