"""The two answers: "Is this model performing as intended?" and "Is this model governed as
required?" — their values, when each is given, and the executive wording of their sentences."""

from __future__ import annotations

import datetime as dt
import json
import re

from aipo_site import WorkingTree, evaluate_repository, load_repository
from aipo_site.cli.main import main
from aipo_site.evaluate.verdict import governance_verdict, is_monitored, performance_verdict
from aipo_site.fmt import fmt_round
from aipo_site.model.charter import (
    Charter,
    Direction,
    DropTiers,
    SegmentGap,
    Stage,
    Thresholds,
    Tiers,
)
from aipo_site.model.policy import Policy
from aipo_site.model.results import (
    DriftResult,
    FeatureDrift,
    Finding,
    KpiResult,
    Level,
    SegmentResult,
    SegmentValue,
    Status,
)
from aipo_site.model.verdict import Answer, Question, Verdict
from aipo_site.render.reference import json_schema
from tests.conftest import MINI_CHARTER, daily_csv

AS_OF = dt.date(2026, 11, 20)
POLICY = Policy()
METHOD_WORDS = ("ks", "psi", "wasserstein", "chi_square", "chi-square", "jensen", "kolmogorov")


def charter(stage: str = "production", since: str = "2026-01-01") -> Charter:
    return Charter.model_validate(
        {
            "id": "m",
            "name": "M",
            "summary": "s",
            "business_unit": "u",
            "owner": {"name": "o"},
            "lifecycle": {"stage": stage, "since": since},
        }
    )


def kpi(
    status: Status = Status.OK,
    *,
    metric: str = "rcl_v2",
    name: str | None = "Recall",
    value: float | None = 0.9,
    thresholds: Thresholds | None = Thresholds(warn=0.8, breach=0.75),  # noqa: B008
    direction: Direction | None = Direction.higher_is_better,
    baseline: float | None = None,
    drop: float | None = None,
    drop_status: Status | None = None,
    threshold_status: Status | None = None,
    newest: dt.date | None = AS_OF,
    since: dt.date | None = None,
    unit: str | None = None,
) -> KpiResult:
    return KpiResult(
        metric=metric,
        name=name or metric,
        unit=unit,
        direction=direction,
        window_days=7,
        aggregation="mean",
        freshness_days=3,
        thresholds=thresholds,
        threshold_source="policy" if thresholds else None,
        status=status,
        value=value,
        newest=newest,
        since=since,
        message=f"{metric}: technical message, p = 0.001 (ks)",
        baseline=baseline,
        max_drop=DropTiers(warn=0.05, breach=0.1) if baseline is not None else None,
        drop=drop,
        drop_status=drop_status,
        threshold_status=threshold_status or status,
    )


def perf(kpis=(), segments=(), drift=None, stage="production", policy=POLICY) -> Verdict:
    return performance_verdict(charter(stage), policy, list(kpis), list(segments), drift, AS_OF)


def feature(name: str, method: str, status: Status, importance: float = 1.0) -> FeatureDrift:
    p = 0.0004 if method in ("ks", "chi_square") else None
    return FeatureDrift(
        name=name,
        kind="numeric",
        method=method,
        value=0.31,
        p_value=p,
        tiers=Tiers(warn=0.1, breach=0.25),
        status=status,
        reading=f"{method} statistic 0.31, p = 0.0004",
        importance=importance,
        n_reference=1000,
        n_current=500,
    )


def drift(features, share, share_status) -> DriftResult:
    return DriftResult(
        features=features,
        share=share,
        share_status=share_status,
        share_tiers=Tiers(warn=0.25, breach=0.5),
        reference_label="2026-05-05 to 2026-07-31",
        current_label="last 28 days",
        summary="Inputs moved (psi 0.31, ks p = 0.0004).",
    )


def segment(status: Status, gap: float | None = 0.0068, unit: str | None = None) -> SegmentResult:
    worst, best = SegmentValue("65+", 0.013541, 900), SegmentValue("26-40", 0.006757, 4000)
    return SegmentResult(
        check=SegmentGap(metric="fpr", tiers=Tiers(warn=0.004, breach=0.008)),
        name="False decline rate",
        unit=unit,
        status=status,
        gap=gap,
        worst=worst if gap is not None else None,
        best=best if gap is not None else None,
        values=[worst, best] if gap is not None else [],
        newest=AS_OF - dt.timedelta(days=9) if status is Status.STALE else AS_OF,
        message="gap 0.006784 between '65+' and '26-40'; tolerated up to 0.004 / 0.008",
    )


def finding(code: str, level: Level, message: str, subject: str | None = None) -> Finding:
    return Finding(code, level, message, "section", subject=subject)


def assert_executive(sentence: str) -> None:
    """No metric id, method name or p-value; a full sentence."""
    words = set(re.findall(r"[a-z_\-]+", sentence.lower()))
    assert not words & set(METHOD_WORDS), sentence
    assert "p =" not in sentence and "p-value" not in sentence, sentence
    assert "rcl_v2" not in sentence, sentence
    assert not sentence[:1].islower() and sentence.endswith("."), sentence


# --- performance ----------------------------------------------------------------------------------


def test_all_ok_is_yes():
    v = perf([kpi(Status.OK, baseline=0.92, drop=0.02, drop_status=Status.OK)])
    assert v.question is Question.performance and v.answer is Answer.yes
    assert (
        v.sentence == "Recall is 0.9, within its thresholds and baseline tolerance, on fresh data."
    )
    assert v.text.startswith("Yes — Recall is 0.9")
    assert_executive(v.sentence)


def test_yes_names_every_check_it_passed():
    kpis = [kpi(Status.OK), kpi(Status.OK, metric="auc", name="Ranking quality")]
    d = drift([feature("amount", "psi", Status.OK)], 0.0, Status.OK)
    v = perf(kpis, [segment(Status.OK, gap=0.001)], d)
    assert v.answer is Answer.yes
    assert v.sentence == (
        "All 2 KPIs (Recall and Ranking quality) are within their thresholds, on fresh data; "
        "the gaps between groups are within tolerance; the inputs have not drifted beyond "
        "tolerance."
    )


def test_warn_kpi_is_at_risk_with_its_numbers():
    k = kpi(Status.WARN, value=0.781234, since=dt.date(2026, 11, 2))
    v = perf([k, kpi(Status.OK, metric="auc", name="AUC")])
    assert v.answer is Answer.at_risk
    assert v.sentence == "Recall is 0.781, below its warn level of 0.8, since 2026-11-02."
    assert_executive(v.sentence)


def test_breach_kpi_is_no_and_says_both_the_threshold_and_the_baseline():
    k = kpi(
        Status.BREACH,
        metric="mape",
        name="Forecast error",
        value=0.29981,
        thresholds=Thresholds(warn=0.15, breach=0.25),
        direction=Direction.lower_is_better,
        baseline=0.08,
        drop=2.7476,
        drop_status=Status.BREACH,
        since=dt.date(2026, 5, 6),
    )
    v = perf([k, kpi(Status.WARN, value=0.79)])
    assert v.answer is Answer.no
    assert v.sentence == (
        "Forecast error is 0.3, above its breach level of 0.25 and 275% worse than at approval "
        "(0.08), since 2026-05-06; Recall is 0.79, below its warn level of 0.8."
    )


def test_baseline_drop_alone_is_named_as_such():
    k = kpi(
        Status.BREACH,
        value=0.8,
        baseline=0.9,
        drop=0.111,
        drop_status=Status.BREACH,
        threshold_status=Status.OK,
    )
    v = perf([k])
    assert v.answer is Answer.no
    assert v.sentence == "Recall is 0.8, 11% worse than at approval (0.9)."


def test_numbers_are_rounded_with_units_but_never_equal_to_the_threshold_they_crossed():
    k = kpi(
        Status.WARN,
        name="Latency",
        value=250.4321,
        unit="ms",
        thresholds=Thresholds(warn=200, breach=300),
        direction=Direction.lower_is_better,
    )
    assert perf([k]).sentence == "Latency is 250 ms, above its warn level of 200 ms."
    close = kpi(Status.BREACH, value=0.74996)
    assert perf([close]).sentence == "Recall is 0.74996, below its breach level of 0.75."
    assert fmt_round(0.123456) == "0.123"
    assert fmt_round(4.1234, "%") == "4.12%"
    assert fmt_round(12345.6) == "12,346"


def test_a_model_without_kpis_cannot_be_judged():
    v = perf([])
    assert v.answer is Answer.cannot_judge
    assert v.sentence == "No KPI is defined, so there is nothing to judge its performance against."


def test_kpis_without_thresholds_or_baseline_are_not_monitored():
    bare = kpi(Status.UNSET, thresholds=None, metric="forecast_bias", name=None)
    assert not is_monitored(bare)
    assert is_monitored(
        kpi(Status.OK, thresholds=None, baseline=0.9, drop=0.0, drop_status=Status.OK)
    )
    assert not is_monitored(kpi(Status.OK, thresholds=None, baseline=0.9, direction=None))
    v = perf([bare])
    assert v.answer is Answer.cannot_judge
    assert v.sentence == (
        "Its only KPI, forecast bias, has no thresholds or baseline to judge it against."
    )
    v = perf([bare, kpi(Status.UNSET, thresholds=None, name="Other")])
    assert v.sentence == "None of its 2 KPIs has thresholds or a baseline to judge it against."
    # next to a monitored KPI, it is mentioned, not judged
    v = perf([kpi(Status.OK), bare])
    assert v.answer is Answer.yes
    assert v.sentence.endswith("(forecast bias is not judged: no thresholds or baseline).")


def test_stale_and_missing_data_say_what_is_unknown():
    stale = kpi(Status.STALE, newest=AS_OF - dt.timedelta(days=12))
    v = perf([stale])
    assert v.answer is Answer.cannot_judge
    assert v.sentence == "Cannot tell for Recall: newest data is 12 days old."
    v = perf([kpi(Status.NO_DATA, value=None, newest=None)])
    assert v.answer is Answer.cannot_judge
    assert v.sentence == "Cannot tell for Recall: no data has arrived yet."
    # one KPI unknown among known ones: at risk, and the unknown one is named
    other = kpi(Status.OK, metric="auc", name="AUC")
    v = perf([other, stale])
    assert v.answer is Answer.at_risk
    assert v.sentence == "Cannot tell for Recall: newest data is 12 days old."
    both = [stale, kpi(Status.NO_DATA, metric="fill", name="Fill rate", value=None, newest=None)]
    assert perf([other, *both]).sentence == (
        "Cannot tell for Recall (newest data is 12 days old) and Fill rate (no data has arrived "
        "yet)."
    )


def test_a_breach_outweighs_what_cannot_be_told():
    v = perf(
        [
            kpi(Status.BREACH, value=0.7),
            kpi(Status.STALE, name="AUC", metric="auc", newest=AS_OF - dt.timedelta(days=5)),
        ]
    )
    assert v.answer is Answer.no
    assert v.sentence == (
        "Recall is 0.7, below its breach level of 0.75; cannot tell for AUC: newest data is 5 "
        "days old."
    )


def test_fairness_gap_in_plain_words():
    v = perf([kpi(Status.OK)], [segment(Status.WARN)])
    assert v.answer is Answer.at_risk
    assert v.sentence == (
        "False decline rate differs between groups: 0.0135 for '65+' against 0.00676 for "
        "'26-40', a gap of 0.0068 (its warn level is 0.004)."
    )
    assert perf([kpi(Status.OK)], [segment(Status.BREACH, gap=0.0091)]).answer is Answer.no
    v = perf([kpi(Status.OK)], [segment(Status.NO_DATA, gap=None)])
    assert v.answer is Answer.at_risk
    assert v.sentence == (
        "Cannot tell whether False decline rate is fair across groups: fewer than two groups "
        "have data."
    )
    v = perf([kpi(Status.OK)], [segment(Status.STALE)])
    assert "newest data is 9 days old" in v.sentence


def test_drift_without_method_names_or_p_values():
    features = [
        feature("lead_time_days", "ks", Status.BREACH, importance=2),
        feature("channel", "chi_square", Status.BREACH),
        feature("amount", "psi", Status.WARN),
        feature("weekly_demand", "wasserstein", Status.BREACH, importance=3),
        feature("promo", "jensen_shannon", Status.OK),
    ]
    v = perf([kpi(Status.OK)], drift=drift(features, 0.875, Status.BREACH))
    assert v.answer is Answer.no
    assert v.sentence == (
        "88% of the inputs have drifted from the reference data (weekly demand, lead time days, "
        "channel and 1 more)."
    )
    assert_executive(v.sentence)
    # features drifted, but the share is within tolerance: at risk, naming them
    v = perf([kpi(Status.OK)], drift=drift([feature("amount", "ks", Status.WARN)], 0.2, Status.OK))
    assert v.answer is Answer.at_risk
    assert v.sentence == "Amount has drifted from the reference data."
    # a feature that cannot be evaluated
    blind = [feature("amount", "psi", Status.OK), feature("ghost", "psi", Status.NO_DATA)]
    v = perf([kpi(Status.OK)], drift=drift(blind, 0.0, Status.OK))
    assert v.answer is Answer.at_risk
    assert v.sentence == "Cannot tell whether ghost drifted: too little usable data."


def test_the_sentence_spells_out_three_problems_and_counts_the_rest():
    kpis = [kpi(Status.WARN, metric=f"m{i}", name=f"KPI {i}", value=0.79) for i in range(5)]
    v = perf(kpis)
    assert v.sentence.count("below its warn level") == 3
    assert v.sentence.endswith("; and 2 more problems.")


# --- stages ---------------------------------------------------------------------------------------


def test_a_sunset_model_is_not_judged():
    v = perf([kpi(Status.STALE, newest=AS_OF - dt.timedelta(days=90))], stage="sunset")
    assert v.answer is Answer.not_judged
    assert v.sentence == "Retired (sunset since 2026-01-01): its performance is no longer judged."


def test_a_deprecated_model_is_judged_and_says_it_is_deprecated():
    v = perf([kpi(Status.WARN, value=0.79)], stage="deprecated")
    assert v.answer is Answer.at_risk
    assert v.sentence == "Deprecated since 2026-01-01: Recall is 0.79, below its warn level of 0.8."


def test_the_policy_decides_which_stages_are_judged():
    assert Policy().performance_stages == [
        Stage.prototype,
        Stage.pilot,
        Stage.production,
        Stage.deprecated,
    ]
    only_live = Policy.model_validate({"performance_stages": ["pilot", "production"]})
    v = perf([kpi(Status.BREACH, value=0.5)], stage="prototype", policy=only_live)
    assert v.answer is Answer.not_judged
    assert v.sentence == (
        "Prototype since 2026-01-01: the policy does not judge the performance of prototype models."
    )
    assert (
        perf([kpi(Status.WARN)], stage="deprecated", policy=only_live).answer is Answer.not_judged
    )
    everything = Policy.model_validate({"performance_stages": list(Stage)})
    assert perf([kpi(Status.BREACH, value=0.5)], stage="sunset", policy=everything).answer is (
        Answer.no
    )


def test_the_policy_schema_documents_the_stages():
    schema = json.loads(json_schema(Policy))
    field = schema["properties"]["performance_stages"]
    assert "not judged" in field["description"]
    assert field["default"] == ["prototype", "pilot", "production", "deprecated"]


# --- governance -----------------------------------------------------------------------------------


def test_governance_yes_gaps_no():
    c = charter()
    v = governance_verdict(c, [])
    assert v.question is Question.governance and v.answer is Answer.yes
    assert (
        v.sentence == "No open compliance findings under the policy's rules for production models."
    )
    warn = finding(
        "ritual-overdue",
        Level.WARN,
        "'Weekly metric review' is 130 days overdue (last held 2026-07-06, every 7 days)",
        "weekly metric review",
    )
    v = governance_verdict(c, [warn])
    assert v.answer is Answer.gaps
    assert v.sentence == "'Weekly metric review' is 130 days overdue."
    owner = finding("incident-owner-missing", Level.BREACH, "no incident owner: nobody is named")
    v = governance_verdict(c, [warn, owner])
    assert v.answer is Answer.no
    assert v.sentence == "No incident owner is named; 'Weekly metric review' is 130 days overdue."


def test_governance_groups_findings_and_names_kpis_by_name():
    msg = "data source '{0}' holds personal data in EU without an authorisation record (GDPR (x))"
    found = [
        finding("authorisation-missing", Level.BREACH, msg.format(s), s) for s in ("CRM", "Web")
    ]
    found.append(
        finding(
            "thresholds-missing",
            Level.BREACH,
            "KPI 'rcl_v2' has no warn/breach thresholds (none in the charter, no default)",
            "rcl_v2",
        )
    )
    found.append(
        finding(
            "section-missing",
            Level.BREACH,
            "the policy requires 'data_contracts' for production models",
            "data_contracts",
        )
    )
    found.append(finding("retraining-unknown", Level.WARN, "the date of the last retraining..."))
    v = governance_verdict(charter(), found, [kpi(Status.UNSET, thresholds=None)])
    assert v.answer is Answer.no
    assert v.sentence == (
        "Data sources 'CRM' and 'Web' hold sensitive data without an authorisation record; "
        "Recall has no warn/breach thresholds; the charter lacks data contracts, required by the "
        "policy for this stage; and 1 more finding."
    )
    assert_executive(v.sentence)
    three = [
        finding("data-contract-missing", Level.WARN, f"data source '{x}' has no data contract", x)
        for x in "ABC"
    ]
    assert governance_verdict(charter(), three).sentence == "3 data sources have no data contract."
    single = governance_verdict(charter(), found[:1])
    assert single.sentence == (
        "Data source 'CRM' holds personal data in EU without an authorisation record."
    )


def test_answers_have_labels_slugs_and_a_sort_order():
    assert [a.label for a in Question.performance.answers] == [
        "Yes",
        "At risk",
        "No",
        "Cannot judge",
        "Not judged",
    ]
    assert [a.value for a in Question.governance.answers] == ["yes", "gaps", "no"]
    assert Answer.cannot_judge.slug == "cannot-judge"
    order = sorted(Answer, key=lambda a: a.rank)
    assert order[0] is Answer.not_judged and order[-1] is Answer.no
    assert Answer.yes.rank < Answer.cannot_judge.rank < Answer.at_risk.rank < Answer.no.rank


# --- end to end -----------------------------------------------------------------------------------


def evaluate(root):
    return {m.id: m for m in evaluate_repository(load_repository(WorkingTree(root)), AS_OF).models}


def test_a_new_model_from_aipo_new_cannot_be_judged(demo_copy, capsys):
    assert main(["new", "pricing", "--config", str(demo_copy / "mkdocs.yml")]) == 0
    m = evaluate(demo_copy)["pricing"]
    assert m.charter.kpis == []
    assert m.performance.answer is Answer.cannot_judge
    assert "No KPI is defined" in m.performance.sentence


def test_performance_and_governance_are_separate(mini_repo):
    bad_kpi = mini_repo(metrics={"m1/kpis.csv": daily_csv([0.7] * 30)}, name="a")
    m = evaluate(bad_kpi)["m1"]
    assert (m.performance.answer, m.governance.answer) == (Answer.no, Answer.yes)
    no_owner = MINI_CHARTER.format(id="m1", name="x").replace(
        "incident_owner: {name: Ivan Incident}\n", ""
    )
    m = evaluate(mini_repo(charters={"m1": no_owner}, name="b"))["m1"]
    assert (m.performance.answer, m.governance.answer) == (Answer.yes, Answer.no)
    assert m.status is Level.BREACH  # the model's status is still the worst of everything


def test_a_sunset_model_in_a_repository(mini_repo):
    text = MINI_CHARTER.format(id="m1", name="x").replace(
        "{stage: production, since: 2026-01-01}", "{stage: sunset, since: 2026-10-01}"
    )
    old = daily_csv([0.9] * 30, end=dt.date(2026, 9, 30))
    m = evaluate(mini_repo(charters={"m1": text}, metrics={"m1/kpis.csv": old}))["m1"]
    assert m.performance.answer is Answer.not_judged
    assert m.performance.sentence.startswith("Retired (sunset since 2026-10-01)")
