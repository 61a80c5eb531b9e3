"""Review records (content/reviews/*.yaml): loading them, checking them against the charters and
the people directory, when a ritual was last held, overdue actions, and the pages."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from conftest import AS_OF, MINI_CHARTER, MINI_POLICY, ROOT, load_errors, run_mkdocs

from aipo_site.evaluate import evaluate_repository
from aipo_site.evaluate.compliance import DATED_BY_DATA
from aipo_site.load.repository import load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.model.inputs import Layout
from aipo_site.render.reference import SCHEMA_MODELS

PEOPLE = """\
people:
  ada:
    name: Ada Owner
  ivan:
    name: Ivan Incident
"""

RHYTHM = """\
rhythm:
  - {{ritual: Weekly metric review, cadence_days: 7{last_held}, attendees: [ada]}}
"""

POLICY_RITUAL = """\
rituals:
  - ritual: Weekly metric review
    max_cadence_days: 7
"""

RECORD = """\
model: m1
ritual: weekly metric review
date: 2026-11-16
attendees: [ada, Guest Speaker]
decisions:
  - Keep the thresholds.
actions:
  - action: Relabel the sample
    owner: ivan
    due: 2026-11-13
  - action: Write the report
    owner: ada
    due: 2026-11-30
  - action: Done already
    owner: ada
    due: 2026-11-10
    done: true
    done_on: 2026-11-09
"""


def charter(last_held: str | None = "2026-07-06", owner: str = "ada") -> str:
    held = f", last_held: {last_held}" if last_held else ""
    text = MINI_CHARTER.format(id="m1", name="Model one") + RHYTHM.format(last_held=held)
    text = text.replace("incident_owner: {name: Ivan Incident}", "incident_owner: ivan")
    return text.replace("owner: {name: Ada Owner, email: ada@example.com}", f"owner: {owner}")


@pytest.fixture
def repo_with(mini_repo):
    """A fixture repository with a people directory, one model with a weekly ritual, and the
    given review records (file name -> text)."""

    made = []

    def make(records: dict[str, str], *, last_held: str | None = "2026-07-06", policy_extra=""):
        made.append(records)
        root = mini_repo(
            charters={"m1": charter(last_held)},
            policy=MINI_POLICY + policy_extra,
            name=f"repo{len(made)}",
        )
        (root / "content" / "people.yaml").write_text(PEOPLE)
        folder = root / "content" / "reviews"
        for name, text in records.items():
            path = folder / name
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
    return evaluate_repository(load(root), as_of)


def codes(result) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in result.findings:
        out.setdefault(f.code, []).append(f)
    return out


# --- loading and checking ---------------------------------------------------------------------


def test_the_layout_has_a_reviews_folder_and_no_folder_means_no_records(repo_with):
    assert Layout().reviews == "content/reviews"
    repo = load(repo_with({}))
    assert repo.models[0].reviews == []


def test_records_load_from_any_yaml_file_below_the_folder(repo_with):
    root = repo_with({"a.yaml": RECORD, "2026/b.yml": RECORD.replace("11-16", "11-09")})
    (root / "content" / "reviews" / "README.md").write_text("# not a record\n")
    reviews = load(root).models[0].reviews
    assert [r.path for r in reviews] == ["content/reviews/2026/b.yml", "content/reviews/a.yaml"]
    assert reviews[1].record.actions[2].done_on == dt.date(2026, 11, 9)


def test_a_misspelt_field_is_one_line_with_did_you_mean(repo_with):
    root = repo_with({"a.yaml": RECORD.replace("decisions:", "decisons:")})
    assert errors_of(root) == [
        "content/reviews/a.yaml:5: decisons: unknown field 'decisons'; did you mean 'decisions'?"
    ]


def test_bad_values_are_one_line_errors_with_file_line_and_field(repo_with):
    bad = (
        RECORD.replace("date: 2026-11-16", "date: 16/11/2026")
        .replace("    due: 2026-11-13", "    due: soon")
        .replace("    due: 2026-11-30\n", "    due: 2026-11-30\n    done: yes please\n")
        .replace("    done: true\n", "    done: false\n")
    )
    found = errors_of(repo_with({"a.yaml": bad}))
    assert found[0].startswith("content/reviews/a.yaml:3: date: expected a date YYYY-MM-DD")
    assert found[1].startswith("content/reviews/a.yaml:10: actions[0].due: expected a date")
    assert found[2].startswith("content/reviews/a.yaml:14: actions[1].done: expected true or fals")
    assert found[3] == (
        "content/reviews/a.yaml:15: actions[2]: done_on is given but done is false; set done: true"
    )
    assert all("\n" not in e and "Traceback" not in e for e in found)


def test_an_empty_file_and_a_list_are_errors(repo_with):
    found = errors_of(repo_with({"a.yaml": "", "b.yaml": "- model: m1\n"}))
    assert found == [
        "content/reviews/a.yaml: the file is empty; expected a review record mapping",
        "content/reviews/b.yaml:1: expected a review record mapping at the top level, found a list",
    ]


def test_a_model_that_does_not_exist_is_an_error_with_did_you_mean(repo_with):
    found = errors_of(repo_with({"a.yaml": RECORD.replace("model: m1", "model: m-1")}))
    assert found == [
        "content/reviews/a.yaml:1: model: 'm-1' is not the id of a model; did you mean 'm1'?"
    ]
    found = errors_of(repo_with({"a.yaml": RECORD.replace("model: m1", "model: zzzz")}))
    assert found == [
        "content/reviews/a.yaml:1: model: 'zzzz' is not the id of a model (models: m1)"
    ]


def test_a_record_of_a_charter_with_errors_is_not_reported_again(mini_repo):
    root = mini_repo(charters={"m1": charter().replace("name: Model one", "name: [x]")})
    (root / "content" / "reviews").mkdir()
    (root / "content" / "reviews" / "a.yaml").write_text(RECORD)
    (root / "content" / "reviews" / "b.yaml").write_text(RECORD.replace("date:", "dated:"))
    found = errors_of(root)
    assert len(found) == 3, found
    assert found[0].startswith("content/models/m1.yaml")
    assert [e.split(": ", 2)[1] for e in found[1:]] == ["date", "dated"]
    assert all(e.startswith("content/reviews/b.yaml") for e in found[1:])


def test_a_ritual_the_charter_does_not_have_is_an_error_with_did_you_mean(repo_with):
    found = errors_of(repo_with({"a.yaml": RECORD.replace("weekly metric", "Weekly metrics")}))
    assert found == [
        "content/reviews/a.yaml:2: ritual: 'Weekly metrics review' is not a ritual of m1; "
        "did you mean 'Weekly metric review'?"
    ]
    found = errors_of(repo_with({"a.yaml": RECORD.replace("weekly metric review", "Board")}))
    assert found == [
        "content/reviews/a.yaml:2: ritual: 'Board' is not a ritual of m1 (its rhythm has: "
        "'Weekly metric review')"
    ]


def test_person_keys_must_be_in_the_directory_and_plain_names_are_allowed(repo_with):
    root = repo_with({"a.yaml": RECORD.replace("owner: ivan", "owner: ivna")})
    assert errors_of(root) == [
        "content/reviews/a.yaml:9: actions[0].owner: 'ivna' is not a key of content/people.yaml; "
        "did you mean 'ivan'?"
    ]
    root = repo_with({"a.yaml": RECORD.replace("[ada, Guest Speaker]", "[adda]")})
    assert errors_of(root)[0].startswith("content/reviews/a.yaml:4: attendees[0]: 'adda' is not")
    repo = load(repo_with({"a.yaml": RECORD}))
    assert repo.models[0].reviews[0].record.attendees == ["ada", "Guest Speaker"]
    assert any("attendees[1]: 'Guest Speaker' is a plain name" in w for w in repo.warnings)


def test_without_a_directory_any_person_value_is_fine(mini_repo):
    root = mini_repo(charters={"m1": charter()})
    (root / "content" / "reviews").mkdir()
    (root / "content" / "reviews" / "a.yaml").write_text(RECORD.replace("ivan", "nobody-known"))
    repo = load(root)
    assert repo.warnings == [] and len(repo.models[0].reviews) == 1


def test_two_records_of_one_meeting_are_an_error(repo_with):
    found = errors_of(repo_with({"a.yaml": RECORD, "b.yaml": RECORD}))
    assert found == [
        "content/reviews/b.yaml:3: date: a 'Weekly metric review' of m1 on 2026-11-16 is also "
        "recorded in content/reviews/a.yaml; write one file per meeting"
    ]


def test_hostile_text_in_an_error_is_quoted_short_and_escaped(repo_with):
    evil = "x\u202e\n" * 30
    found = errors_of(
        repo_with({"a.yaml": RECORD.replace("weekly metric review", json.dumps(evil))})
    )
    assert len(found) == 1 and "\u202e" not in found[0] and "\n" not in found[0]


def test_the_json_schema_and_the_reference_page_exist():
    assert "review.schema.json" in SCHEMA_MODELS
    schema = json.loads((ROOT / "schema" / "review.schema.json").read_text())
    assert set(schema["required"]) == {"model", "ritual", "date"}
    assert schema["$id"] == "https://aipo.dev/schema/review.schema.json"


# --- evaluation -------------------------------------------------------------------------------


def test_last_held_is_the_latest_record_and_clears_the_overdue_ritual(repo_with):
    before = evaluate(repo_with({})).models[0]
    assert [f.message for f in codes(before)["ritual-overdue"]] == [
        "'Weekly metric review' is 130 days overdue (last held 2026-07-06, every 7 days)"
    ]
    after = evaluate(repo_with({"a.yaml": RECORD})).models[0]
    assert "ritual-overdue" not in codes(after)
    (r,) = after.reviews
    assert (r.last_held, r.from_record, r.records) == (dt.date(2026, 11, 16), True, 1)


def test_the_charter_date_is_the_fallback_and_the_later_of_the_two_wins(repo_with):
    old = RECORD.replace("2026-11-16", "2026-06-01")
    m = evaluate(repo_with({"a.yaml": old})).models[0]
    assert (m.reviews[0].last_held, m.reviews[0].from_record) == (dt.date(2026, 7, 6), False)
    (f,) = codes(m)["ritual-overdue"]
    assert (
        f.message
        == "'Weekly metric review' is 130 days overdue (last held 2026-07-06, every 7 days)"
    )
    assert f.since == dt.date(2026, 7, 14)


def test_an_overdue_ritual_from_a_record_names_the_record(repo_with):
    old = RECORD.replace("2026-11-16", "2026-11-01")
    m = evaluate(repo_with({"a.yaml": old}, last_held=None)).models[0]
    (f,) = codes(m)["ritual-overdue"]
    assert f.message == (
        "'Weekly metric review' is 12 days overdue (last held 2026-11-01 per "
        "content/reviews/a.yaml, every 7 days)"
    )
    assert f.since == dt.date(2026, 11, 9) and f.field == "rhythm[0]"


def test_a_record_dated_after_the_evaluation_date_is_left_out(repo_with):
    root = repo_with({"a.yaml": RECORD}, last_held=None, policy_extra=POLICY_RITUAL)
    early = evaluate(root, dt.date(2026, 11, 15)).models[0]
    assert early.reviews[0].last_held is None and early.reviews[0].last is None
    assert "ritual-never-held" in codes(early)
    assert early.open_actions == []
    on_the_day = evaluate(root, dt.date(2026, 11, 16)).models[0]
    assert "ritual-never-held" not in codes(on_the_day)
    assert on_the_day.reviews[0].last_held == dt.date(2026, 11, 16)


def test_an_open_action_past_its_due_day_is_a_dated_finding(repo_with):
    m = evaluate(repo_with({"a.yaml": RECORD})).models[0]
    assert "action-overdue" in DATED_BY_DATA
    (f,) = codes(m)["action-overdue"]
    assert f.level.label == "WARN"
    assert f.since == dt.date(2026, 11, 14)
    assert f.message == (
        "action 'Relabel the sample' of the 'Weekly metric review' of 2026-11-16 is 7 days "
        "overdue (owner ivan, due 2026-11-13; content/reviews/a.yaml)"
    )
    assert f.field == "rhythm[0]" and f.section == "rhythm"
    assert [(a.action, a.overdue_days) for a in m.open_actions] == [
        ("Relabel the sample", 7),
        ("Write the report", 0),
    ]
    assert m.status.label == "WARN"


def test_an_action_done_later_than_a_pinned_date_is_still_open_then(repo_with):
    done_later = RECORD.replace("    done_on: 2026-11-09", "    done_on: 2026-11-19")
    root = repo_with({"a.yaml": done_later})
    assert "Done already" not in [a.action for a in evaluate(root).models[0].open_actions]
    pinned = evaluate(root, dt.date(2026, 11, 18)).models[0]
    assert [a.action for a in pinned.open_actions][:2] == ["Done already", "Relabel the sample"]
    assert len(codes(pinned)["action-overdue"]) == 2


def test_owners_see_their_open_and_overdue_actions(repo_with):
    p = {x.key: x for x in evaluate(repo_with({"a.yaml": RECORD})).people}
    assert [a.action for a in p["ivan"].actions] == ["Relabel the sample"]
    assert [o.code for o in p["ivan"].overdue] == ["action-overdue"]
    assert [a.action for a in p["ada"].actions] == ["Write the report"]
    # Ada is the AI Product Owner: the model's dated findings, the overdue action included.
    assert [o.code for o in p["ada"].overdue] == ["action-overdue"]


# --- the pages --------------------------------------------------------------------------------

HOSTILE = '<script>alert(1)</script> & "quotes"'


def test_the_model_and_owner_pages_show_the_last_review_and_open_actions(repo_with):
    record = RECORD.replace("Keep the thresholds.", json.dumps(HOSTILE)).replace(
        "Relabel the sample", "Relabel <b>the</b> sample"
    )
    root = repo_with({"a.yaml": record.replace(", Guest Speaker", "")})
    result = run_mkdocs(root, env={"AIPO_AS_OF": AS_OF.isoformat()})
    assert result.returncode == 0, result.stderr
    page = (root / "site" / "models" / "m1" / "index.html").read_text()
    section = page[page.index('id="operating-rhythm"') :]
    section = section[: section.index('id="onboarding"')]
    assert "<td>2026-11-16</td>" in section  # Last held, from the record
    assert "<strong>Last Weekly metric review</strong>: 2026-11-16" in section
    assert 'href="../../people/ada/">Ada Owner</a>' in section
    assert "<li>&lt;script&gt;alert(1)&lt;/script&gt; &amp; " in section
    assert "<script>alert" not in page and "<b>the</b>" not in page
    assert "Relabel &lt;b&gt;the&lt;/b&gt; sample" in section
    assert "7 d overdue" in section and "Write the report" in section
    assert "Done already" not in section
    owner = (root / "site" / "people" / "ivan" / "index.html").read_text()
    actions = owner[owner.index('id="actions"') :]
    assert "Relabel &lt;b&gt;the&lt;/b&gt; sample" in actions and "7 d overdue" in actions
    assert (root / "site" / "reference" / "review" / "index.html").is_file()
    assert (root / "site" / "schema" / "review.schema.json").is_file()


def test_a_plain_name_in_a_record_fails_a_strict_build_with_a_warning(repo_with):
    root = repo_with({"a.yaml": RECORD})
    result = run_mkdocs(root, env={"AIPO_AS_OF": AS_OF.isoformat()})
    assert result.returncode != 0
    assert "'Guest Speaker' is a plain name" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_record_fails_the_build_with_one_line_and_no_traceback(repo_with):
    root = repo_with({"a.yaml": RECORD.replace("model: m1", "model: m2")})
    result = run_mkdocs(root, env={"AIPO_AS_OF": AS_OF.isoformat()})
    assert result.returncode != 0
    assert "content/reviews/a.yaml:1:8: model: 'm2' is not the id of a model" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_demo_has_review_records_with_an_overdue_action():
    repo = load_repository(WorkingTree(ROOT))
    portfolio = evaluate_repository(repo, AS_OF)
    fraud = portfolio.model("fraud-prevention")
    assert fraud is not None
    assert [f.subject for f in fraud.findings if f.code == "action-overdue"]
    assert portfolio.model("customer-churn").reviews[0].from_record
    supply = portfolio.model("supply-chain-forecast")
    assert any(f.code == "ritual-overdue" for f in supply.findings)


def test_the_demo_page_shows_the_review_section_in_a_browser(portal):
    portal.goto("models/fraud-prevention.html")
    page = portal.page
    review = page.locator(".aipo-review").first
    review.wait_for(state="visible")
    assert "Last Weekly metric review" in review.inner_text()
    actions = page.locator(".aipo-review-actions table")
    assert actions.is_visible()
    overdue = actions.locator("tr.aipo-row-warn")
    assert overdue.count() == 1
    assert "d overdue" in overdue.inner_text()
    owner = overdue.locator("a.aipo-person")
    assert owner.inner_text() == "Jonas Weber"
    owner.click()
    page.wait_for_url("**/people/jonas-weber.html")
    assert page.locator("#actions").is_visible()
    assert portal.console_errors == [] and portal.page_errors == []
