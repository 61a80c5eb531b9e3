"""Incident records (content/incidents/*.yaml): loading them, checking them against the charters
and the people directory, open incidents as findings, escalation deadlines, and the pages."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from conftest import AS_OF, MINI_CHARTER, ROOT, daily_csv, load_errors, run_mkdocs

from aipo_site.evaluate import evaluate_repository
from aipo_site.evaluate.incidents import add_response_time, read_response_time
from aipo_site.load.repository import load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.model.inputs import Layout
from aipo_site.model.results import Level
from aipo_site.pipeline import REFERENCE_PAGES
from aipo_site.render.reference import SCHEMA_MODELS

PEOPLE = """\
people:
  ada:
    name: Ada Owner
  ivan:
    name: Ivan Incident
"""

RECORD = """\
model: m1
title: Recall dropped after the release
severity: high
opened: 2026-11-18T07:40:00Z
acknowledged: 2026-11-18T09:15:00+01:00
owner: ivan
concerns:
  - kpi: recall
  - finding: retraining-overdue
summary: Recall fell under its breach level after release 2.1.
actions:
  - action: Roll back to 2.0
    owner: ada
    due: 2026-11-19
review: https://wiki.example.com/pir/1
"""

UTC = dt.UTC


def charter() -> str:
    text = MINI_CHARTER.format(id="m1", name="Model one")
    text = text.replace("incident_owner: {name: Ivan Incident}", "incident_owner: ivan")
    # Judged on each day's value against the thresholds alone.
    text = text.replace("    baseline: {value: 0.9}\n", "    window_days: 1\n")
    return text.replace("owner: {name: Ada Owner, email: ada@example.com}", "owner: ada")


@pytest.fixture
def repo_with(mini_repo):
    """A fixture repository with a people directory, one model (L1 on warn within 2 days, L2 on
    breach within 4 hours) and the given incident records (file name -> text); ``values``: the
    model's daily recall (healthy by default)."""
    made = []

    def make(records: dict[str, str], values: list[float] | None = None, folder: bool = True):
        made.append(records)
        root = mini_repo(
            charters={"m1": charter()},
            metrics={"m1/kpis.csv": daily_csv(values or [0.9] * 30)},
            name=f"repo{len(made)}",
        )
        (root / "content" / "people.yaml").write_text(PEOPLE)
        if folder:
            (root / "content" / "incidents").mkdir()
        for name, text in records.items():
            path = root / "content" / "incidents" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return root

    return make


def load(root):
    return load_repository(WorkingTree(root))


def errors_of(root) -> list[str]:
    # file:line: field: message (the column, where there is one, left out)
    return [re.sub(r"^([^:]+:\d+):\d+:", r"\1:", x) for x in load_errors(root)]


def evaluate(root, as_of: dt.date = AS_OF):
    return evaluate_repository(load(root), as_of).models[0]


def codes(result) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in result.findings:
        out.setdefault(f.code, []).append(f)
    return out


# --- loading and checking ---------------------------------------------------------------------


def test_the_layout_has_an_incidents_folder_and_records_load_below_it(repo_with):
    assert Layout().incidents == "content/incidents"
    root = repo_with({"a.yaml": RECORD, "2026/b.yml": RECORD.replace("high", "low")})
    m = load(root).models[0]
    assert [i.path for i in m.incidents] == [
        "content/incidents/2026/b.yml",
        "content/incidents/a.yaml",
    ]
    r = m.incidents[0].record
    # Times are kept in UTC; an offset is converted.
    assert r.opened == dt.datetime(2026, 11, 18, 7, 40, tzinfo=UTC)
    assert r.acknowledged == dt.datetime(2026, 11, 18, 8, 15, tzinfo=UTC)
    assert m.incident_log_start == r.opened


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("opened: 2026-11-18T07:40:00Z", "opened: 2026-11-18T07:40:00"),
            "content/incidents/a.yaml:4: opened: a date-time needs a time zone",
        ),
        (
            ("opened: 2026-11-18T07:40:00Z", "opened: yesterday"),
            "content/incidents/a.yaml:4: opened: expected a date-time with a time zone",
        ),
        (
            ("severity: high", "severity: severe"),
            "content/incidents/a.yaml:3: severity: ",
        ),
        (
            ("acknowledged: 2026-11-18T09:15:00+01:00", "acknowledged: 2026-11-17"),
            "`acknowledged` is before `opened`",
        ),
        (
            ("review: https://wiki.example.com/pir/1", "review: javascript:alert(1)"),
            "`review` must be an http:// or https:// link",
        ),
        (
            ("  - kpi: recall\n", "  - {kpi: recall, finding: kpis-missing}\n"),
            "content/incidents/a.yaml:8: concerns[0]: give exactly one of kpi, segment, "
            "drift_feature or finding (found kpi, finding)",
        ),
        (("title:", "titel:"), "titel"),
    ],
)
def test_bad_values_are_one_line_errors(repo_with, change, expected):
    errors = errors_of(repo_with({"a.yaml": RECORD.replace(*change)}))
    assert any(expected in e for e in errors), errors
    assert all("\n" not in e for e in errors)


def test_references_are_checked_across_files_with_did_you_mean(repo_with):
    record = (
        RECORD.replace("model: m1", "model: m1")
        .replace("  - kpi: recall", "  - kpi: recal\n  - segment: recall\n  - drift_feature: age")
        .replace("finding: retraining-overdue", "finding: retraining-overdeu")
        .replace("owner: ivan", "owner: ivann")
    )
    errors = errors_of(repo_with({"a.yaml": record}))
    assert any("concerns[0].kpi: 'recal' is not a KPI metric of m1; did you mean 'recall'?" in e
               for e in errors), errors  # fmt: skip
    assert any("concerns[1].segment: 'recall' is not a segment check of m1" in e for e in errors)
    assert any("concerns[2].drift_feature: 'age' is not a drift feature of m1" in e for e in errors)
    assert any(
        "concerns[3].finding: 'retraining-overdeu' is not a finding code aipo reports; did you "
        "mean 'retraining-overdue'?" in e
        for e in errors
    ), errors
    errors = errors_of(repo_with({"a.yaml": RECORD.replace("model: m1", "model: m2")}))
    assert errors == ["content/incidents/a.yaml:1: model: 'm2' is not the id of a model "
                      "(models: m1)"]  # fmt: skip
    errors = errors_of(repo_with({"a.yaml": RECORD.replace("owner: ivan", "owner: ivann")}))
    assert errors == ["content/incidents/a.yaml:6: owner: 'ivann' is not a key of "
                      "content/people.yaml; did you mean 'ivan'?"]  # fmt: skip


def test_a_plain_name_is_allowed_with_a_warning(repo_with):
    repo = load(repo_with({"a.yaml": RECORD.replace("owner: ada", "owner: Ada Owner")}))
    assert any("'Ada Owner' is a plain name" in w and "write 'ada'" in w for w in repo.warnings)


def test_the_json_schema_and_the_reference_page_exist():
    assert "incident.schema.json" in SCHEMA_MODELS
    assert "incident" in REFERENCE_PAGES
    on_disk = json.loads((ROOT / "schema" / "incident.schema.json").read_text())
    assert on_disk["title"] == "aipo incident record"
    for nav in (ROOT / "mkdocs.yml", ROOT / "aipo_site/cli/templates/mkdocs.yml.j2"):
        text = nav.read_text()
        assert "Incident log: incidents.md" in text and "reference/incident.md" in text


# --- evaluation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "deadline"),
    [
        ("4 hours", "2026-11-20T00:00", "2026-11-20T04:00"),
        ("30 minutes", "2026-11-20T00:00", "2026-11-20T00:30"),
        ("2 days", "2026-11-20T00:00", "2026-11-22T00:00"),
        ("1 week", "2026-11-20T00:00", "2026-11-27T00:00"),
        ("24 Hours", "2026-11-20T00:00", "2026-11-21T00:00"),
        # business time counts Monday to Friday only
        ("1 business day", "2026-11-20T00:00", "2026-11-23T00:00"),  # Friday -> Monday
        ("1 business day", "2026-11-21T00:00", "2026-11-24T00:00"),  # Saturday -> Tuesday
        ("4 business hours", "2026-11-21T00:00", "2026-11-23T04:00"),
        ("4 business hours", "2026-11-20T22:00", "2026-11-23T02:00"),
        ("within 2 business days", "2026-11-19T00:00", "2026-11-23T00:00"),
        ("1 business week", "2026-11-18T00:00", "2026-11-25T00:00"),
        ("an hour", "2026-11-20T00:00", "2026-11-20T01:00"),
    ],
)
def test_the_response_time_grammar(text, start, deadline):
    begin = dt.datetime.fromisoformat(start).replace(tzinfo=UTC)
    assert add_response_time(begin, text) == dt.datetime.fromisoformat(deadline).replace(tzinfo=UTC)


@pytest.mark.parametrize("text", ["asap", "0 hours", "4 hours or so", "two days", "-1 day", ""])
def test_an_unreadable_response_time_has_no_deadline(text):
    assert read_response_time(text) is None


def test_an_open_incident_is_a_dated_finding_that_feeds_status_and_escalation(repo_with):
    m = evaluate(repo_with({"a.yaml": RECORD}))
    (f,) = codes(m)["incident-open"]
    assert f.level is Level.BREACH and f.since == dt.date(2026, 11, 18)
    assert f.section == "incidents" and f.field == "incident_owner"
    assert f.message.startswith("content/incidents/a.yaml: high incident 'Recall dropped")
    assert m.status is Level.BREACH and m.since == dt.date(2026, 11, 18)
    assert m.escalation.level is not None and m.escalation.level.name == "L2"
    assert m.escalation.activated == dt.datetime(2026, 11, 18, tzinfo=UTC)
    assert m.escalation.deadline == dt.datetime(2026, 11, 18, 4, tzinfo=UTC)
    # The log began with this incident, after L2 activated: that level is not judged.
    assert "escalation-unacknowledged" not in codes(m)
    (i,) = m.incidents
    assert i.is_open and i.owner == "ivan"
    assert i.time_to_acknowledge == dt.timedelta(minutes=35)


def test_severity_sets_the_level_and_a_resolved_incident_is_no_finding(repo_with):
    low = RECORD.replace("severity: high", "severity: low").replace(
        "acknowledged: 2026-11-18T09:15:00+01:00", "acknowledged: 2026-11-18T07:50:00Z"
    )
    m = evaluate(repo_with({"a.yaml": low}))
    assert [f.level for f in codes(m)["incident-open"]] == [Level.WARN]
    assert m.status is Level.WARN
    resolved = low + "resolved: 2026-11-19T10:00:00Z\n"
    m = evaluate(repo_with({"a.yaml": resolved}))
    assert "incident-open" not in codes(m) and m.status is Level.OK
    (i,) = m.incidents
    assert i.time_to_resolve == dt.timedelta(days=1, hours=2, minutes=20)
    assert i.time_to_acknowledge == dt.timedelta(minutes=10)
    # Pinned to the day before it was resolved, it is still open.
    m = evaluate(repo_with({"a.yaml": resolved}), dt.date(2026, 11, 18))
    assert "incident-open" in codes(m) and m.incidents[0].resolved is None


def test_records_opened_after_the_evaluation_date_are_left_out(repo_with):
    m = evaluate(repo_with({"a.yaml": RECORD}), dt.date(2026, 11, 17))
    assert m.incidents == [] and "incident-open" not in codes(m)
    assert m.status is Level.OK


BREACH_DAYS = [0.9] * 27 + [0.5] * 3  # recall in BREACH from 2026-11-18


def test_an_unacknowledged_level_past_its_deadline_moves_up_the_ladder(repo_with):
    # The log began with an old, resolved incident; nobody acknowledged anything since.
    old = RECORD.replace("opened: 2026-11-18T07:40:00Z", "opened: 2026-10-01T07:40:00Z").replace(
        "acknowledged: 2026-11-18T09:15:00+01:00",
        "acknowledged: 2026-10-01T08:00:00Z\nresolved: 2026-10-01T09:00:00Z",
    )
    m = evaluate(repo_with({"old.yaml": old}, BREACH_DAYS))
    (f,) = codes(m)["escalation-unacknowledged"]
    assert f.level is Level.BREACH and f.since == dt.date(2026, 11, 18)
    assert f.field == "escalation[1]" and f.subject == "L2"
    assert "'L2' (active since 2026-11-18 00:00 UTC) was not acknowledged within 4 hours" in (
        f.message
    )
    assert "it is the top of the ladder" in f.message
    assert m.escalation.missed == ("L2",)
    # Acknowledged in time: no finding.
    ack = RECORD.replace("acknowledged: 2026-11-18T09:15:00+01:00", "acknowledged: "
                         "2026-11-18T03:59:00Z").replace("opened: 2026-11-18T07:40:00Z",
                         "opened: 2026-11-18T03:00:00Z")  # fmt: skip
    m = evaluate(repo_with({"old.yaml": old, "a.yaml": ack}, BREACH_DAYS))
    assert "escalation-unacknowledged" not in codes(m)
    assert m.escalation.deadline == dt.datetime(2026, 11, 18, 4, tzinfo=UTC)


def test_a_missed_warn_level_moves_up_one_level_and_says_why(repo_with):
    old = RECORD.replace("opened: 2026-11-18T07:40:00Z", "opened: 2026-10-01T07:40:00Z").replace(
        "acknowledged: 2026-11-18T09:15:00+01:00", "resolved: 2026-10-01T09:00:00Z"
    )
    warn = [0.9] * 25 + [0.78] * 5  # WARN from 2026-11-16 (Monday): L1, 2 days
    m = evaluate(repo_with({"old.yaml": old}, warn))
    l1, l2 = sorted(codes(m)["escalation-unacknowledged"], key=lambda f: f.subject)
    assert l1.subject == "L1" and l1.since == dt.date(2026, 11, 18)
    assert "moved up to 'L2'" in l1.message
    assert "'L1' not acknowledged by 2026-11-18 00:00 UTC" in m.escalation.reason
    # L2 activated at L1's deadline; its 4 hours passed too, so it is missed as well.
    assert "(active since 2026-11-18 00:00 UTC)" in l2.message
    assert m.escalation.level.name == "L2" and m.escalation.missed == ("L1", "L2")
    assert m.escalation.activated == dt.datetime(2026, 11, 18, tzinfo=UTC)
    assert m.status is Level.BREACH
    # An acknowledgement within L1's 2 days stops it there.
    ack = (
        old.replace("opened: 2026-10-01T07:40:00Z", "opened: 2026-11-16T09:00:00Z")
        .replace("resolved: 2026-10-01T09:00:00Z", "acknowledged: 2026-11-17T10:00:00Z")
        .replace("severity: high", "severity: low")
    )
    m = evaluate(repo_with({"old.yaml": old, "ack.yaml": ack}, warn))
    assert "escalation-unacknowledged" not in codes(m)
    assert m.escalation.level.name == "L1" and m.status is Level.WARN


def test_without_incident_records_the_escalation_is_as_before(repo_with):
    for folder in (False, True):
        m = evaluate(repo_with({}, BREACH_DAYS, folder=folder))
        assert "escalation-unacknowledged" not in codes(m)
        assert m.escalation.level.name == "L2" and m.escalation.missed == ()
        assert m.escalation.deadline == dt.datetime(2026, 11, 18, 4, tzinfo=UTC)
        assert "records no incidents" in m.escalation.deadline_note


def test_a_level_active_before_the_log_began_is_not_judged(repo_with):
    late = RECORD.replace("opened: 2026-11-18T07:40:00Z", "opened: 2026-11-19T07:40:00Z").replace(
        "acknowledged: 2026-11-18T09:15:00+01:00", "resolved: 2026-11-19T09:00:00Z"
    )
    m = evaluate(repo_with({"a.yaml": late}, BREACH_DAYS))
    assert "escalation-unacknowledged" not in codes(m)
    assert "activated before the incident log began" in m.escalation.deadline_note


def test_an_unreadable_response_time_says_so(repo_with, mini_repo):
    root = repo_with({}, BREACH_DAYS)
    path = root / "content" / "models" / "m1.yaml"
    path.write_text(path.read_text().replace("response_time: 4 hours", "response_time: asap"))
    m = evaluate(root)
    assert m.escalation.deadline is None
    assert "'asap' is not a response time aipo reads" in m.escalation.deadline_note


# --- the pages --------------------------------------------------------------------------------

HOSTILE = '<script>alert(1)</script> & "quotes"'


def test_the_incident_log_and_the_model_page_show_incidents_escaped(repo_with):
    record = RECORD.replace("Recall dropped after the release", json.dumps(HOSTILE)).replace(
        "Roll back to 2.0", "Roll back <b>now</b>"
    )
    resolved = (
        RECORD.replace("severity: high", "severity: medium")
        .replace("opened: 2026-11-18T07:40:00Z", "opened: 2026-10-01T07:40:00Z")
        .replace("acknowledged: 2026-11-18T09:15:00+01:00", "acknowledged: 2026-10-01T08:00:00Z")
        .replace("review:", "resolved: 2026-10-01T09:10:00Z\nreview:")
        .replace("Recall dropped after the release", "Old and resolved")
    )
    root = repo_with({"a.yaml": record, "b.yaml": resolved})
    result = run_mkdocs(root, env={"AIPO_AS_OF": AS_OF.isoformat()})
    assert result.returncode == 0, result.stderr
    log = (root / "site" / "incidents" / "index.html").read_text()
    assert "<script>alert" not in log and "<b>now</b>" not in log
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; " in log
    assert "Roll back &lt;b&gt;now&lt;/b&gt;" in log
    assert 'href="../people/ivan/">Ivan Incident</a>' in log
    assert 'href="https://wiki.example.com/pir/1"' in log
    # newest first, and the response-time tables
    assert log.index("&lt;script&gt;alert(1)") < log.index("Old and resolved")
    assert 'id="per-model"' in log and 'id="per-business-unit"' in log
    assert "20 min" in log and "1 h 30 min" in log  # b: acknowledged after 20 min, resolved 1 h 30
    page = (root / "site" / "models" / "m1" / "index.html").read_text()
    section = page[page.index('id="incidents"') : page.index('id="decision-rights"')]
    assert 'data-state="open"' in section and "Old and resolved" in section
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert 'href="../../incidents/"' in section
    assert "escalation-unacknowledged" in page or "not acknowledged in time" in page
    assert (root / "site" / "reference" / "incident" / "index.html").is_file()
    assert (root / "site" / "schema" / "incident.schema.json").is_file()


def test_a_bad_record_fails_the_build_with_one_line_and_no_traceback(repo_with):
    root = repo_with({"a.yaml": RECORD.replace("kpi: recall", "kpi: recal")})
    result = run_mkdocs(root, env={"AIPO_AS_OF": AS_OF.isoformat()})
    assert result.returncode != 0
    assert "content/incidents/a.yaml:8:10: concerns[0].kpi: 'recal' is not a KPI metric" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_the_demo_has_an_open_incident_on_the_supply_chain_model():
    repo = load_repository(WorkingTree(ROOT))
    portfolio = evaluate_repository(repo, AS_OF)
    supply = portfolio.model("supply-chain-forecast")
    (f,) = [f for f in supply.findings if f.code == "incident-open"]
    assert f.level is Level.BREACH and f.since == dt.date(2026, 11, 17)
    fraud = portfolio.model("fraud-prevention")
    assert [i.is_open for i in fraud.incidents] == [False]
    assert fraud.status is Level.WARN  # the demo's other stories are intact
    assert not any(f.code == "escalation-unacknowledged" for m in portfolio.models
                   for f in m.findings)  # fmt: skip


def test_the_demo_incident_log_in_a_browser(portal):
    portal.goto("incidents.html")
    page = portal.page
    rows = page.locator(".aipo-incidents tbody tr")
    rows.first.wait_for(state="visible")
    assert rows.count() == 2
    assert rows.first.get_attribute("data-model") == "supply-chain-forecast"
    assert rows.first.get_attribute("data-state") == "open"
    per_unit = page.locator(".aipo-incident-times-per-business-unit tbody tr")
    assert per_unit.count() == 2
    assert "4 h 40 min" in page.locator("#per-model + div").inner_text()
    page.locator(".aipo-incidents a", has_text="Distribution-centre demand forecast").click()
    page.wait_for_url("**/models/supply-chain-forecast.html")
    section = page.locator(".aipo-incidents")
    assert section.is_visible()
    assert "Forecast error far above its breach level" in section.inner_text()
    owner = section.locator("a.aipo-person").first
    assert owner.inner_text() == "Operations ML on-call"
    assert portal.console_errors == [] and portal.page_errors == []


def test_every_finding_code_is_documented_and_can_be_an_incident_concern():
    """FINDING_CODES (what an incident may concern) and the findings table of the reading guide
    list the same codes: a new finding is documented and can be named by an incident."""
    from pathlib import Path

    from aipo_site.model.incidents import FINDING_CODES

    guide = (Path(__file__).parent.parent / "content/guide/reading-the-portal.md").read_text()
    table = guide.split("## Compliance findings", 1)[1].split("### Since when", 1)[0]
    documented = set()
    for row in table.splitlines():
        if row.startswith("| `"):
            documented |= set(re.findall(r"`([a-z-]+)`", row.split(" | ", 1)[0]))
    assert documented == FINDING_CODES
