"""`aipo diff` on real temporary git repositories: commit the demo, change charters and the
policy, compare, and check the Markdown (golden file), the JSON and the exit codes.

Regenerate the golden file after an intended change with ``AIPO_UPDATE_GOLDEN=1 pytest
tests/test_diff.py`` and review its diff.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import markdown
import pytest
from conftest import GitRepo

from aipo_site.diff import (
    Change,
    GovernanceDiff,
    Kind,
    Severity,
    Side,
    State,
    compare,
    load_state,
    md_escape,
    run_diff,
    to_json,
    to_markdown,
)
from aipo_site.errors import ConfigError, GitError, InputError, InputErrors
from aipo_site.load.git import GitRevision
from aipo_site.load.source import WorkingTree
from aipo_site.model.charter import SPECIAL_CATEGORIES
from aipo_site.model.inputs import Layout

AS_OF = dt.date(2026, 11, 20)
GOLDEN = Path(__file__).parent / "data" / "golden" / "diff.md"

FRAUD = "content/models/fraud-prevention.yaml"
CHURN = "content/models/customer-churn.yaml"
SUPPLY = "content/models/supply-chain-forecast.yaml"
POLICY = "content/policy.yaml"

NEW_CHARTER = """\
id: credit-limit
name: "Credit limit <b>advisor</b> | beta [x](javascript:alert(1))"
summary: Suggests credit-limit increases for card holders.
business_unit: Lending
owner: {name: "@octocat <script>alert(1)</script>", email: lena@example.com}
lifecycle: {stage: pilot, since: 2026-10-01}
kpis:
  - metric: auc
    name: Ranking quality
data_sources:
  - name: Bureau data
    categories: [personal, financial]
    regions: [EU]
"""


def diff(
    repo: GitRepo, fmt: str = "markdown", base: str = "main", head: str | None = None
) -> tuple[str, int]:
    return run_diff(repo.path, Layout(), base, head, AS_OF, fmt)


def cut(repo: GitRepo, rel: str, after: str, start: str, end: str) -> None:
    """Delete from the first ``start`` following ``after`` up to (not including) ``end``."""
    text = repo.read(rel)
    i = text.index(after)
    a = text.index(start, i)
    b = text.index(end, a + len(start))
    repo.write(rel, text[:a] + text[b:])


def realistic_change(repo: GitRepo) -> None:
    """A pull request a reviewer should not wave through."""
    # Fraud: loosen the recall thresholds, drop the DPIA from the customer profile.
    repo.replace(
        FRAUD,
        "    thresholds:\n      warn: 0.85\n      breach: 0.80\n",
        "    thresholds:\n      warn: 0.80\n      breach: 0.75\n",
    )
    cut(repo, FRAUD, "  - name: Customer profile", "    authorisation:\n", "    contract:")
    # Churn: a new owner, a risk closed.
    repo.replace(
        CHURN,
        "\nowner: sofia-lindqvist\n",
        "\nowner:\n  name: Marta Nowak\n  email: sofia.lindqvist@example.com\n",
    )
    repo.replace(CHURN, "    status: mitigated\n\nescalation:", "    status: closed\n\nescalation:")
    # Supply chain: retrain less often, drop the top of the escalation ladder.
    repo.replace(SUPPLY, "retraining:\n  cadence_days: 90\n", "retraining:\n  cadence_days: 120\n")
    cut(repo, SUPPLY, "escalation:", "  - name: L3 — VP Supply Chain\n", "\ndecision_rights:")
    # A new model with untrusted text, and a looser policy default for AUC.
    repo.write("content/models/credit-limit.yaml", NEW_CHARTER)
    repo.replace(POLICY, "  auc:\n    direction: higher_is_better\n    warn: 0.75\n", "  auc:\n    direction: higher_is_better\n    warn: 0.72\n")  # fmt: skip


def normalise(text: str, repo: GitRepo) -> str:
    """The base commit's sha varies with the demo's content: pin it."""
    short = repo.git("rev-parse", "--short", "main").strip()
    return text.replace(short, "0000000")


def test_no_changes(demo_git_repo: GitRepo) -> None:
    text, code = diff(demo_git_repo)
    assert code == 0
    assert "No governance changes: the policy and 3 models are unchanged." in text
    data = json.loads(diff(demo_git_repo, "json")[0])
    assert data["summary"]["changes"] == 0 and data["summary"]["exit_code"] == 0
    assert data["unchanged"] == ["customer-churn", "fraud-prevention", "supply-chain-forecast"]
    # Metric CSVs written by pipelines change statuses, not governance: still compared.
    assert data["models"] == [] and data["policy"] == []


def test_realistic_change_markdown_matches_the_golden_file(demo_git_repo: GitRepo) -> None:
    realistic_change(demo_git_repo)
    text, code = diff(demo_git_repo)
    assert code == 1
    text = normalise(text, demo_git_repo)
    if os.environ.get("AIPO_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def review_list(text: str) -> list[str]:
    block = text.split("### Needs review", 1)[1].split("\n### ", 1)[0]
    return [line for line in block.splitlines() if re.match(r"^\d+\. ", line)]


def test_realistic_change_needs_review_first_most_severe_first(demo_git_repo: GitRepo) -> None:
    realistic_change(demo_git_repo)
    text, _ = diff(demo_git_repo)
    items = review_list(text)
    severities = [re.search(r"\*\*(critical|review)\*\*", line).group(1) for line in items]
    assert severities == sorted(severities, key=lambda s: s != "critical")
    assert "critical" in severities and "review" in severities
    assert text.index("### Needs review") < text.index("### Policy") < text.index("### Models")
    joined = "\n".join(items)
    # The policy comes first and names the models inheriting the loosened default.
    assert "**policy**: the policy loosens the default thresholds for 'auc'" in items[0]
    assert "inherited by: credit-limit, customer-churn" in items[0]
    for expected in [
        "`fraud-prevention`: authorisation record DPIA-2025-014 is removed from data source "
        "'Customer profile' (personal in EU, UK); the policy requires one for this data",
        "`fraud-prevention`: status worsens from WARN to BREACH",
        "`fraud-prevention`: KPI 'Fraud caught (recall)' thresholds loosened: "
        "warn 0.85 · breach 0.8 → warn 0.8 · breach 0.75",
        "`customer-churn`: the accountable AI Product Owner changes from Sofia Lindqvist",
        "`customer-churn`: risk 'Churn probabilities overstate the real risk' goes from "
        "mitigated to closed",
        "`supply-chain-forecast`: retraining cadence lengthened from every 90 to every 120 days",
        "`supply-chain-forecast`: escalation level 'L3 — VP Supply Chain' is removed",
        "`credit-limit`: new model",
    ]:
        assert expected in joined, expected
    # The inherited AUC change of customer-churn is in its table, not repeated in the list.
    assert "Ranking quality (ROC AUC) (auc)" not in joined
    churn_table = text.split("#### `customer-churn`", 1)[1].split("####", 1)[0]
    assert "threshold loosened (via policy)" in churn_table
    assert "warn 0.75 · breach 0.7 (policy) | warn 0.72 · breach 0.7 (policy)" in churn_table


def test_realistic_change_json(demo_git_repo: GitRepo) -> None:
    realistic_change(demo_git_repo)
    text, code = diff(demo_git_repo, "json")
    assert code == 1
    data = json.loads(text)
    assert data["format"] == 1 and data["as_of"] == "2026-11-20"
    assert data["base"] == {
        "label": "main",
        "commit": demo_git_repo.git("rev-parse", "--short", "main").strip(),
    }
    assert data["head"] == {"label": "working tree", "commit": None}
    summary = data["summary"]
    assert summary["exit_code"] == 1 and summary["policy_changed"] is True
    assert summary["models_changed"] == 4 and summary["models_unchanged"] == 0
    assert summary["changes"] == summary["critical"] + summary["review"] + summary["info"]
    models = {m["id"]: m for m in data["models"]}
    assert [m["id"] for m in data["models"]] == sorted(models)
    assert models["credit-limit"]["state"] == "added"
    assert models["credit-limit"]["status"] == {"base": None, "head": "BREACH"}
    assert models["fraud-prevention"]["status"] == {"base": "WARN", "head": "BREACH"}

    def kinds(model_id: str) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        for c in models[model_id]["changes"]:
            out.setdefault(c["kind"], []).append(c)
        return out

    fraud = kinds("fraud-prevention")
    assert fraud["threshold-loosened"][0] | {"message": ""} == {
        "severity": "review",
        "kind": "threshold-loosened",
        "model": "fraud-prevention",
        "item": "Fraud caught (recall)",
        "before": "warn 0.85 · breach 0.8",
        "after": "warn 0.8 · breach 0.75",
        "message": "",
        "via_policy": False,
        "sign_off": [
            {
                "key": "amara-okafor",
                "name": "Amara Okafor",
                "handle": "amara-okafor",
                "rules": ["Threshold changes"],
                "as": "accountable: Threshold changes",
                "note": None,
            },
            {
                "key": "model-risk-committee",
                "name": "Model Risk Committee",
                "handle": "aipo-demo/model-risk-committee",
                "rules": ["Threshold changes"],
                "as": None,
                "note": None,
            },
        ],
    }
    assert fraud["authorisation-removed"][0]["severity"] == "critical"
    assert fraud["authorisation-removed"][0]["before"] == "DPIA-2025-014"
    # The loosened recall thresholds make the production go/no-go stale.
    # The loosened recall thresholds also stale the age-band risk acceptance, so that risk is
    # above the production risk appetite again.
    assert [f["item"] for f in fraud["finding-new"]] == [
        "authorisation-missing",
        "decision-stale",
        "decision-stale",
        "risk-over-appetite",
    ]
    churn = kinds("customer-churn")
    assert churn["owner-changed"][0]["after"] == "Marta Nowak (sofia.lindqvist@example.com)"
    assert churn["risk-closed"][0]["severity"] == "review"
    assert churn["threshold-loosened"][0]["via_policy"] is True
    supply = kinds("supply-chain-forecast")
    assert supply["retraining-lengthened"][0]["before"] == "every 90 days"
    assert supply["escalation-level-removed"][0]["item"] == "L3 — VP Supply Chain"
    credit = kinds("credit-limit")
    assert credit["model-added"][0]["severity"] == "critical"  # it enters in BREACH
    assert credit["data-source-added"][0]["after"] == (
        "personal, financial in EU · no authorisation record"
    )
    assert data["policy"][0]["kind"] == "threshold-loosened"
    assert data["policy"][0]["severity"] == "critical"
    # The review list is ordered by severity and leaves out the changes the policy explains.
    order = ["critical", "review"]
    severities = [order.index(c["severity"]) for c in data["needs_review"]]
    assert severities == sorted(severities)
    assert not any(c["via_policy"] for c in data["needs_review"])


def test_fail_on_sets_the_severity_that_fails(demo_git_repo: GitRepo) -> None:
    """--fail-on review (the default) fails on review or critical; critical on critical only;
    the JSON summary says which, with the exit code that goes with it."""
    demo_git_repo.replace(
        SUPPLY, "retraining:\n  cadence_days: 90\n", "retraining:\n  cadence_days: 120\n"
    )  # a lengthened retraining cadence: review
    for fail_on, code in ((Severity.REVIEW, 1), (Severity.CRITICAL, 0)):
        text, got = run_diff(demo_git_repo.path, Layout(), "main", None, AS_OF, "json", fail_on)
        summary = json.loads(text)["summary"]
        assert (got, summary["exit_code"], summary["fail_on"]) == (code, code, fail_on.label)
        assert (summary["review"], summary["critical"]) == (1, 0)
    demo_git_repo.replace(POLICY, "freshness_days: 3\n", "freshness_days: 10\n")  # critical
    for fail_on in (Severity.REVIEW, Severity.CRITICAL):
        _, got = run_diff(demo_git_repo.path, Layout(), "main", None, AS_OF, "json", fail_on)
        assert got == 1


def test_only_tightening_needs_no_review(demo_git_repo: GitRepo) -> None:
    demo_git_repo.replace(
        FRAUD,
        "    thresholds:\n      warn: 0.85\n      breach: 0.80\n",
        "    thresholds:\n      warn: 0.86\n      breach: 0.82\n",
    )
    demo_git_repo.replace(SUPPLY, "retraining:\n  cadence_days: 90\n", "retraining:\n  cadence_days: 60\n")  # fmt: skip
    text, code = diff(demo_git_repo)
    assert code == 0, text
    assert "### Needs review (0)" in text
    assert "Nothing: every change adds or tightens a control." in text
    assert "| ⚪ info | threshold tightened | Fraud caught (recall) |" in text
    assert "| ⚪ info | retraining shortened | retraining.cadence\\_days |" in text


# Each edit on the demo, and the change it must produce: (file, old, new, model, kind, severity)
EDITS = [
    (CHURN, "lifecycle:\n  stage: production\n", "lifecycle:\n  stage: deprecated\n",
     "customer-churn", Kind.STAGE_CHANGED, Severity.REVIEW),
    (FRAUD, "    baseline:\n      value: 0.88\n", "    baseline:\n      value: 0.80\n",
     "fraud-prevention", Kind.BASELINE_CHANGED, Severity.REVIEW),
    (FRAUD, "    contract: https://contracts.example.com/payments/fraud-labels/v1\n", "",
     "fraud-prevention", Kind.CONTRACT_REMOVED, Severity.REVIEW),
    (FRAUD, "  - decision: Threshold changes\n    accountable: amara-okafor\n",
     "  - decision: Threshold changes\n    accountable: fraud-data-science\n",
     "fraud-prevention", Kind.DECISION_OWNER_CHANGED, Severity.REVIEW),
    (FRAUD, "    tiers: {warn: 0.004, breach: 0.008}\n", "    tiers: {warn: 0.01, breach: 0.02}\n",
     "fraud-prevention", Kind.SEGMENT_TIERS_CHANGED, Severity.REVIEW),
    (FRAUD, "    - {name: hour_band, method: psi}\n", "",
     "fraud-prevention", Kind.DRIFT_FEATURE_REMOVED, Severity.REVIEW),
    (SUPPLY, "  - ritual: Weekly metric review\n", "  - ritual: Weekly review of metrics\n",
     "supply-chain-forecast", Kind.RITUAL_REMOVED, Severity.REVIEW),
    (POLICY, "freshness_days: 3\n", "freshness_days: 10\n",
     None, Kind.FRESHNESS_LOOSENED, Severity.CRITICAL),
    (POLICY, "max_retraining_interval_days: 180\n", "max_retraining_interval_days: 365\n",
     None, Kind.RETRAINING_LIMIT_RELAXED, Severity.CRITICAL),
    (POLICY, "  - categories: [location]\n    regions: [EU]\n",
     "  - categories: [location]\n    regions: [US]\n",
     None, Kind.AUTHORISATION_RULE_RELAXED, Severity.CRITICAL),
]  # fmt: skip


def test_each_kind_of_change(demo_git_repo: GitRepo) -> None:
    """Many independent edits in one pull request: each is reported with its severity."""
    for rel, old, new, *_ in EDITS:
        demo_git_repo.replace(rel, old, new)
    # A KPI removed (with its outcome reference) and a data source added with its data use.
    text = demo_git_repo.read(SUPPLY)
    start = text.index("  - metric: service_level")
    end = text.index("\ndata_sources:", start)
    demo_git_repo.write(SUPPLY, text[:start] + text[end + 1 :])
    demo_git_repo.replace(SUPPLY, "model_kpis: [service_level, mape]", "model_kpis: [mape]")
    demo_git_repo.replace(
        SUPPLY,
        "data_sources:\n",
        "data_sources:\n  - name: Store staff rota\n    categories: [personal]\n"
        "    regions: [UK]\n    contract: https://example.com/rota\n",
    )
    # The incident owner leaves.
    cut(demo_git_repo, FRAUD, "incident_owner:", "incident_owner:\n", "\nlifecycle:")
    text, code = diff(demo_git_repo, "json")
    assert code == 1
    found = json.loads(text)
    changes = [*found["policy"], *(c for m in found["models"] for c in m["changes"])]
    got = {(c["model"], c["kind"]): c for c in changes}
    for _rel, _old, _new, model, kind, severity in EDITS:
        assert (model, kind.value) in got, (model, kind)
        assert got[model, kind.value]["severity"] == severity.label, (model, kind)
    assert (
        got["supply-chain-forecast", "kpi-removed"]["item"]
        == "Replenishment fill rate (service_level)"
    )
    added = got["supply-chain-forecast", "data-source-added"]
    assert added["severity"] == "review"
    assert added["after"] == "personal in UK · no authorisation record"
    assert got["fraud-prevention", "incident-owner-removed"]["severity"] == "review"
    fraud_findings = [
        c for c in changes if c["model"] == "fraud-prevention" and c["kind"] == "finding-new"
    ]
    assert {c["item"] for c in fraud_findings} >= {
        "incident-owner-missing",
        "data-contract-missing",
    }
    assert {c["severity"] for c in fraud_findings} == {"critical"}  # production: BREACH gaps
    # Only the stage changed in the lifecycle section: no second, vaguer row for it.
    assert ("customer-churn", "section-changed") not in got
    policy = got[None, "freshness-loosened"]
    assert policy["message"].endswith("inherited by: supply-chain-forecast")
    assert got[None, "authorisation-rule-extended"]["after"] == "location data in US"
    assert got[None, "authorisation-rule-relaxed"]["before"] == "location data in EU"


def test_head_can_be_a_ref(demo_git_repo: GitRepo) -> None:
    demo_git_repo.git("checkout", "-q", "-b", "feature")
    realistic_change(demo_git_repo)
    worktree = diff(demo_git_repo)
    demo_git_repo.commit("Governance changes")
    demo_git_repo.git("checkout", "-q", "main")
    demo_git_repo.write(FRAUD, "this is not YAML: [\n")  # uncommitted: must not matter
    text, code = diff(demo_git_repo, head="feature")
    assert code == 1
    head_sha = demo_git_repo.git("rev-parse", "--short", "feature").strip()
    assert text == worktree[0].replace("working tree", f"feature @ {head_sha}")
    # And the other way round: what the branch would undo.
    back, code = diff(demo_git_repo, base="feature", head="main")
    assert code == 1 and "model removed" in back and "threshold tightened" in back


def test_untrusted_text_cannot_inject_markup(demo_git_repo: GitRepo) -> None:
    realistic_change(demo_git_repo)
    text, _ = diff(demo_git_repo)
    html = markdown.markdown(text, extensions=["tables"])
    assert "<script" not in text and "<script" not in html and "<b>" not in html
    assert "<a " not in html and "href" not in html  # the [x](javascript:...) is no link
    assert "@octocat" not in text  # no GitHub mention
    # Every row keeps its table's cell borders: escaped pipes do not split cells.
    borders = None
    for line in text.splitlines():
        if not line.startswith("|"):
            borders = None
            continue
        count = len(re.findall(r"(?<!\\)\|", line))
        borders = borders or count
        assert count == borders, line
    assert "Credit limit &lt;b&gt;advisor&lt;/b&gt; \\| beta \\[x\\](javascript:alert(1))" in text


def test_md_escape() -> None:
    assert md_escape("a | b") == "a \\| b"
    assert md_escape("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert md_escape("*bold* _it_ `code` ~x~ [l](u)") == (
        "\\*bold\\* \\_it\\_ \\`code\\` \\~x\\~ \\[l\\](u)"
    )
    assert md_escape("ping @team about #12") == "ping @&#8203;team about #&#8203;12"
    assert md_escape("see GH-7, org/repo#3 and https://x.io or www.x.io") == (
        "see GH-&#8203;7, org/repo#&#8203;3 and https&#8203;://x.io or www&#8203;.x.io"
    )
    assert md_escape("a\nb\r\nc\td") == "a b c d"
    assert md_escape("rtl\u202eevil\x00\x1b[31m") == "rtlevil\\[31m"
    assert md_escape("x" * 500, 10) == "x" * 9 + "…"
    assert md_escape("AT&T") == "AT&amp;T"


def test_base_without_governance_files_shows_everything_added(
    tmp_path: Path, git_env: dict, demo_copy: Path
) -> None:
    repo = GitRepo.init(tmp_path / "fresh")
    repo.write("README.md", "A new repository\n")
    repo.commit("Initial commit")
    for name in ("content", "metrics"):
        (demo_copy / name).rename(repo.path / name)
    text, code = diff(repo, "json")
    assert code == 1
    data = json.loads(text)
    assert [m["state"] for m in data["models"]] == ["added"] * 3
    assert any(c["kind"] == "policy-metric-added" for c in data["policy"])


def test_neither_side_has_charters(tmp_path: Path, git_env: dict) -> None:
    repo = GitRepo.init(tmp_path / "empty")
    repo.write("README.md", "nothing\n")
    repo.commit("Initial commit")
    with pytest.raises(ConfigError, match="charters folder 'content/models' exists neither"):
        diff(repo)


def test_invalid_base_is_reported_at_its_ref(demo_git_repo: GitRepo) -> None:
    demo_git_repo.git("checkout", "-q", "-b", "broken")
    demo_git_repo.replace(FRAUD, "business_unit: Payments\n", "busines_unit: Payments\n")
    demo_git_repo.commit("Typo")
    demo_git_repo.git("checkout", "-q", "main")
    with pytest.raises(InputErrors) as errs:
        diff(demo_git_repo, base="broken")
    assert {e.path for e in errs.value.errors} == {f"broken:{FRAUD}"}
    assert f"broken:{FRAUD}:9:1: busines_unit: unknown field" in str(errs.value)
    # The working tree's own errors keep their plain paths.
    demo_git_repo.replace(FRAUD, "business_unit: Payments\n", "busines_unit: Payments\n")
    with pytest.raises(InputErrors) as errs:
        diff(demo_git_repo)
    assert {e.path for e in errs.value.errors} == {FRAUD}


def test_missing_base_in_a_shallow_clone(demo_git_repo: GitRepo, tmp_path: Path) -> None:
    import subprocess

    clone = tmp_path / "pr-checkout"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{demo_git_repo.path}", str(clone)],
        check=True,
    )
    with pytest.raises(GitError) as err:
        run_diff(clone, Layout(), "origin/release", None, AS_OF, "markdown")
    assert "shallow clone" in str(err.value) and "fetch-depth: 0" in str(err.value)


def test_unknown_format(demo_git_repo: GitRepo) -> None:
    with pytest.raises(ConfigError, match="unknown diff format 'html'"):
        diff(demo_git_repo, "html")


def test_compare_requires_the_same_evaluation_date(demo_git_repo: GitRepo) -> None:
    tree = WorkingTree(demo_git_repo.path)
    a = load_state(tree, Layout(), AS_OF)
    b = load_state(tree, Layout(), AS_OF + dt.timedelta(days=1))
    with pytest.raises(ValueError, match="same date"):
        compare(a, b)
    with GitRevision(demo_git_repo.path, "main") as rev:
        c = load_state(rev, Layout(), AS_OF)
    assert c.commit == demo_git_repo.git("rev-parse", "--short", "main").strip()
    assert isinstance(a, State) and a.commit is None
    assert compare(a, c).changes == []


def test_renderers_on_a_hand_made_diff() -> None:
    """The renderers need no repository: a typed diff is enough (and ordering is stable)."""
    changes = [
        Change(Kind.RISK_ADDED, Severity.INFO, "Risk", None, "bias", "new risk", "m1"),
        Change(Kind.OWNER_CHANGED, Severity.REVIEW, "owner", "A", "B", "owner A -> B", "m1"),
    ]
    from aipo_site.diff import ModelDiff
    from aipo_site.model.results import Level

    d = GovernanceDiff(
        base=Side("main", "abc1234"),
        head=Side("working tree"),
        as_of=AS_OF,
        policy=[],
        models=[ModelDiff("m1", "Model | one", "changed", Level.OK, Level.OK, changes)],
    )
    assert d.exit_code == 1 and [c.kind for c in d.needs_review] == [Kind.OWNER_CHANGED]
    text = to_markdown(d)
    assert "**Base** main @ abc1234 → **head** working tree" in text
    assert "| `m1` Model \\| one | changed | OK | 0 | 1 | 1 |" in text
    assert "1. 🟠 **review** · `m1`: owner A -&gt; B" in text
    assert json.loads(to_json(d))["needs_review"][0]["kind"] == "owner-changed"
    assert to_markdown(d) == text and to_json(d) == to_json(d)


def changes_by_kind(repo: GitRepo) -> tuple[dict[tuple[str | None, str, str], dict], int]:
    """Every change of the JSON report by (model, kind, item), and the exit code."""
    text, code = diff(repo, "json")
    found = json.loads(text)
    changes = [*found["policy"], *(c for m in found["models"] for c in m["changes"])]
    return {(c["model"], c["kind"], c["item"]): c for c in changes}, code


def test_special_categories_are_the_ones_the_docs_and_the_demo_policy_name() -> None:
    """One definition: the demo policy's worldwide authorisation rule names exactly it, and the
    publishing guide lists it exactly."""
    import yaml

    root = Path(__file__).parent.parent
    policy = yaml.safe_load((root / POLICY).read_text())
    worldwide = [r for r in policy["authorisation"] if r["regions"] == ["*"]]
    assert worldwide and set(worldwide[0]["categories"]) == SPECIAL_CATEGORIES
    guide = " ".join((root / "content/guide/publishing.md").read_text().split())
    named = ", ".join(f"`{c}`" for c in sorted(SPECIAL_CATEGORIES))
    assert named in guide


def extend_supply_categories(repo: GitRepo) -> None:
    """An existing supply-chain source extended to health data; another only to financial."""
    repo.replace(
        SUPPLY,
        "    lineage: [Promotion planning tool, Data warehouse (promo_calendar)]\n"
        "    categories: [commercial]\n",
        "    lineage: [Promotion planning tool, Data warehouse (promo_calendar)]\n"
        "    categories: [commercial, health]\n",
    )
    repo.replace(
        SUPPLY,
        "    lineage: [ERP (SAP S/4HANA), Data warehouse (shipments_daily)]\n"
        "    categories: [commercial]\n",
        "    lineage: [ERP (SAP S/4HANA), Data warehouse (shipments_daily)]\n"
        "    categories: [commercial, financial]\n",
    )


def test_special_category_data_added_is_critical(demo_git_repo: GitRepo) -> None:
    repo = demo_git_repo
    # An existing source extended to health data; another only to financial data.
    extend_supply_categories(repo)
    # New sources: one with children's data, one with personal data only.
    repo.replace(
        SUPPLY,
        "data_sources:\n",
        "data_sources:\n  - name: Loyalty app minors\n    categories: [personal, children]\n"
        "    regions: [US]\n  - name: Store staff rota\n    categories: [personal]\n"
        "    regions: [US]\n",
    )
    # A new model with genetic data.
    repo.write(
        "content/models/credit-limit.yaml",
        NEW_CHARTER.replace("categories: [personal, financial]", "categories: [genetic]"),
    )
    got, code = changes_by_kind(repo)
    assert code == 1
    model = "supply-chain-forecast"
    health = got[model, "data-source-changed", "Promotions calendar"]
    assert health["severity"] == "critical"
    assert health["message"] == (
        "data source 'Promotions calendar' extends its data use: commercial in no regions → "
        "commercial, health in no regions; it now includes special-category data (health)"
    )
    assert got[model, "data-source-changed", "Sales and shipments history"]["severity"] == "review"
    minors = got[model, "data-source-added", "Loyalty app minors"]
    assert minors["severity"] == "critical"
    assert minors["message"].endswith("; special-category data (children)")
    assert got[model, "data-source-added", "Store staff rota"]["severity"] == "review"
    # In a new model, reviewed as a whole, special-category data still stands out.
    genetic = got["credit-limit", "data-source-added", "Bureau data"]
    assert genetic["severity"] == "critical"
    assert genetic["message"].endswith("; special-category data (genetic)")


def test_removing_any_authorisation_is_critical(demo_git_repo: GitRepo) -> None:
    """Even a record the policy does not require: removing it is removing a control."""
    repo = demo_git_repo
    source = "    categories: [commercial]\n\nretraining:"
    repo.replace(
        SUPPLY,
        source,
        "    categories: [commercial]\n    authorisation: {record: DPA-2026-007}\n\nretraining:",
    )
    repo.commit("Record the supplier data processing agreement")
    repo.replace(SUPPLY, "    authorisation: {record: DPA-2026-007}\n", "")
    got, code = changes_by_kind(repo)
    assert code == 1
    removed = got["supply-chain-forecast", "authorisation-removed", "Supplier lead times"]
    assert removed["severity"] == "critical"
    assert removed["message"] == (
        "authorisation record DPA-2026-007 is removed from data source 'Supplier lead times' "
        "(commercial in no regions)"
    )


def test_segment_and_drift_status_flips_are_reported(demo_git_repo: GitRepo) -> None:
    """New metric data flips a segment check, the drift and a drift feature: each is reported
    as a KPI status flip is (info: the model's status change carries the severity)."""
    repo = demo_git_repo
    # Churn: the current inputs are the reference again, so nothing has drifted.
    repo.write(
        "metrics/customer-churn/drift/current.csv",
        repo.read("metrics/customer-churn/drift/reference.csv"),
    )
    # Fraud: every age band declines as often as all customers do, so there is no gap.
    rows = repo.read("metrics/fraud-prevention/kpis.csv").splitlines()
    overall = {(d, m): v for d, m, v, segment in (r.split(",") for r in rows[1:]) if not segment}
    repo.write(
        "metrics/fraud-prevention/kpis.csv",
        "\n".join(
            [rows[0]]
            + [
                ",".join((d, m, overall[d, m] if s else v, s))
                for d, m, v, s in (r.split(",") for r in rows[1:])
            ]
        )
        + "\n",
    )
    got, _ = changes_by_kind(repo)
    expected = {
        ("fraud-prevention", "segment-status-changed", "false_positive_rate by segment"): (
            "WARN", "OK", "the fairness check on 'false_positive_rate' goes from WARN to OK",
        ),
        ("customer-churn", "drift-status-changed", "data drift"): (
            "WARN", "OK", "data drift goes from WARN to OK",
        ),
        ("customer-churn", "drift-status-changed", "monthly_spend"): (
            "WARN", "OK", "drift of feature 'monthly_spend' goes from WARN to OK",
        ),
    }  # fmt: skip
    for key, (before, after, message) in expected.items():
        change = got[key]
        assert (change["before"], change["after"], change["message"]) == (before, after, message)
        assert change["severity"] == "info"
    flips = {k for k in got if k[1] in {"segment-status-changed", "drift-status-changed"}}
    assert flips == set(expected)  # features whose status holds are not listed
    text, _ = diff(repo)
    churn = text.split("#### `customer-churn`", 1)[1].split("####", 1)[0]
    assert "| ⚪ info | drift status changed | data drift | WARN | OK |" in churn


# -- sign-off routing ----------------------------------------------------------------------------

LOOSEN_FRAUD = (
    "    thresholds:\n      warn: 0.85\n      breach: 0.80\n",
    "    thresholds:\n      warn: 0.80\n      breach: 0.75\n",
)


def approvers(change: dict) -> list[str | None]:
    return [s["key"] for s in change["sign_off"]]


def test_sign_off_dpo_on_special_category_data(demo_git_repo: GitRepo) -> None:
    repo = demo_git_repo
    extend_supply_categories(repo)
    got, _ = changes_by_kind(repo)
    model = "supply-chain-forecast"
    health = got[model, "data-source-changed", "Promotions calendar"]
    assert approvers(health) == ["dpo"]
    assert health["sign_off"][0]["rules"] == ["Data protection"]
    # Financial data is not special-category: no rule covers the other source.
    assert approvers(got[model, "data-source-changed", "Sales and shipments history"]) == []
    text, _ = diff(repo)
    needed = text.split("### Sign-offs needed (1)", 1)[1].split("\n### ", 1)[0]
    assert "- @claire-dubois (Claire Dubois) · Data protection · 1 change: 🔴 " in needed
    data = json.loads(diff(repo, "json")[0])
    assert data["summary"]["sign_offs"] == 1
    assert data["sign_offs"] == [
        {
            "key": "dpo",
            "name": "Claire Dubois",
            "handle": "claire-dubois",
            "rules": ["Data protection"],
            "changes": [
                {
                    "severity": "critical",
                    "kind": "data-source-changed",
                    "model": model,
                    "item": "Promotions calendar",
                }
            ],
        }
    ]


def test_sign_off_accountable_and_model_risk_on_a_loosened_threshold(
    demo_git_repo: GitRepo,
) -> None:
    demo_git_repo.replace(FRAUD, *LOOSEN_FRAUD)
    got, _ = changes_by_kind(demo_git_repo)
    loosened = got["fraud-prevention", "threshold-loosened", "Fraud caught (recall)"]
    assert approvers(loosened) == ["amara-okafor", "model-risk-committee"]
    assert loosened["sign_off"][0]["as"] == "accountable: Threshold changes"
    text, _ = diff(demo_git_repo)
    assert "| Sign-off |" in text
    assert "| @amara-okafor, @aipo-demo/model-risk-committee |" in text
    assert "- @amara-okafor (Amara Okafor) · Threshold changes · 1 change:" in text
    assert "- @aipo-demo/model-risk-committee (Model Risk Committee) · Threshold changes" in text


def test_sign_off_falls_back_to_the_owner(demo_git_repo: GitRepo) -> None:
    """A charter without the decision right a rule names: its owner signs off, and it says so."""
    demo_git_repo.replace(FRAUD, *LOOSEN_FRAUD)
    demo_git_repo.replace(
        FRAUD,
        "  - decision: Threshold changes\n    accountable: amara-okafor\n",
        "  - decision: Cut-off changes\n    accountable: fraud-operations-lead\n",
    )
    got, _ = changes_by_kind(demo_git_repo)
    loosened = got["fraud-prevention", "threshold-loosened", "Fraud caught (recall)"]
    first = loosened["sign_off"][0]
    assert first["key"] == "amara-okafor" and first["as"] == "accountable: Threshold changes"
    assert first["note"] == (
        "no decision right 'Threshold changes' in the charter: its owner signs off"
    )
    text, _ = diff(demo_git_repo)
    assert "@amara-okafor (owner: fallback)" in text
    assert (
        "Fallback: `fraud-prevention`: no decision right 'Threshold changes' in the charter: "
        "its owner signs off." in text
    )


def test_sign_off_policy_changes_and_the_head_rules_apply(demo_git_repo: GitRepo) -> None:
    """A policy change is routed by the head's rules (owner tokens name nobody there)."""
    demo_git_repo.replace(
        POLICY,
        "  - name: Policy changes\n    policy: true\n    approvers: [model-risk-committee]\n",
        "  - name: Policy changes\n    policy: true\n    approvers: [owner, compliance]\n",
    )
    got, _ = changes_by_kind(demo_git_repo)
    (rule_change,) = [c for (m, _, _), c in got.items() if m is None]
    assert rule_change["kind"] == "policy-section-changed"
    assert approvers(rule_change) == ["compliance"]


def test_unknown_approver_is_a_one_line_error(demo_git_repo: GitRepo) -> None:
    demo_git_repo.replace(
        POLICY,
        "    data_categories: [special-category, health, biometric, genetic, children]\n"
        "    approvers: [dpo]\n",
        "    data_categories: [special-category, health, biometric, genetic, children]\n"
        "    approvers: [dop]\n",
    )
    with pytest.raises(InputError) as caught:
        load_state(WorkingTree(demo_git_repo.path), Layout(), AS_OF)
    rendered = caught.value.render()
    assert "\n" not in rendered
    line = demo_git_repo.read(POLICY).splitlines().index("    approvers: [dop]") + 1
    assert rendered.startswith(f"{POLICY}:{line}:")
    assert "sign_off[0].approvers[0]" in rendered or "sign_off.0.approvers.0" in rendered
    assert "'dop' is not a key of content/people.yaml; did you mean 'dpo'?" in rendered


def test_no_routing_without_a_people_directory(demo_git_repo: GitRepo) -> None:
    demo_git_repo.replace(FRAUD, *LOOSEN_FRAUD)
    (demo_git_repo.path / "content/people.yaml").unlink()
    text, code = diff(demo_git_repo)
    assert code == 1
    assert "Sign-off" not in text
    data = json.loads(diff(demo_git_repo, "json")[0])
    assert data["sign_offs"] == [] and data["summary"]["sign_offs"] == 0
    assert all(c["sign_off"] == [] for m in data["models"] for c in m["changes"])


def test_the_classification_and_its_decision_path_are_diffed(demo_git_repo: GitRepo) -> None:
    """Issue 11: a class raised, an answer of the decision path changed, a classification
    removed; each a row with its severity, the path answer by answer."""
    demo_git_repo.replace(
        CHURN,
        "  risk_class: minimal\n  role: provider-and-deployer\n",
        "  risk_class: high-risk\n  role: provider-and-deployer\n",
    )
    demo_git_repo.replace(
        CHURN,
        "    annex_iii: null\n    profiling: true\n",
        '    annex_iii: "5(b)"\n    profiling: true\n',
    )
    cut(demo_git_repo, FRAUD, "\neu_ai_act:", "eu_ai_act:\n", "\nrelease:")
    text, code = diff(demo_git_repo, "json")
    assert code == 1
    changes = [c for m in json.loads(text)["models"] for c in m["changes"]]
    got = {(c["model"], c["kind"], c["item"]): c for c in changes}
    raised = got["customer-churn", "risk-class-raised", "eu_ai_act.risk_class"]
    assert (raised["severity"], raised["before"], raised["after"]) == (
        "review",
        "minimal",
        "high-risk",
    )
    path = got["customer-churn", "decision-path-changed", "eu_ai_act.path.annex_iii"]
    assert (path["severity"], path["before"], path["after"]) == ("review", "none", "5(b)")
    removed = got["fraud-prevention", "classification-removed", "eu_ai_act"]
    assert (
        removed["severity"] == "critical" and removed["before"] == "minimal · provider-and-deployer"
    )
    # compared in detail: no generic 'section changed' row for it
    assert not [c for c in changes if c["kind"] == "section-changed" and c["item"] == "eu_ai_act"]
    markdown, _ = diff(demo_git_repo)
    assert "EU AI Act class raised from minimal to high-risk" in markdown


def test_a_changed_kpi_or_drift_source_needs_review(demo_git_repo: GitRepo) -> None:
    """Where the numbers come from is a control: a KPI read with another filter, and drift
    read without one, are each a review item naming both sides (the collected files are
    unchanged here, so nothing else about these KPIs changes)."""
    repo = demo_git_repo
    text = repo.read(SUPPLY)
    text = text.replace(
        "      value: abs_pct_error\n      where: {horizon_days: 7}\n",
        "      value: abs_pct_error\n      where: {horizon_days: [7, 14], region: EU}\n",
    )
    text = text.replace(
        "    date: measured_at\n    where: {horizon_days: 7}\n", "    date: measured_at\n"
    )
    repo.write(SUPPLY, text)
    got, _ = changes_by_kind(repo)
    sources = {k: v for k, v in got.items() if k[1].endswith("-source-changed")}
    mape = next(k for k in sources if k[1] == "kpi-source-changed")
    assert set(sources) == {mape, ("supply-chain-forecast", "drift-source-changed", "drift")}
    change = sources[mape]
    assert change["severity"] == "review"
    assert change["before"] == (
        "source 'forecast-log' (the mean of 'abs_pct_error' per day of 'measured_at', "
        "where horizon_days = 7)"
    )
    assert change["after"] == (
        "source 'forecast-log' (the mean of 'abs_pct_error' per day of 'measured_at', "
        'where horizon_days in [7, 14] and region = "EU")'
    )
    assert change["message"].startswith(f"KPI '{mape[2]}' values come from source 'forecast-log'")
    drift = sources["supply-chain-forecast", "drift-source-changed", "drift"]
    assert drift["severity"] == "review"
    assert drift["before"] == (
        "source 'forecast-log' (10 bins, day of 'measured_at', where horizon_days = 7)"
    )
    assert drift["after"] == "source 'forecast-log' (10 bins, day of 'measured_at')"
