"""The people directory: loading it, checking every person a charter names, owner pages."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from conftest import AS_OF, MINI_CHARTER, load_errors, run_mkdocs

from aipo_site.cli.main import main
from aipo_site.evaluate import evaluate_repository
from aipo_site.load.repository import load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.model.charter import Contact, is_person_key
from aipo_site.model.people import PeopleDirectory, person_refs

PEOPLE = """\
people:
  ada:
    name: Ada Owner
    role: AI Product Owner
    email: ada@example.com
    handle: ada-gh
  ivan:
    name: Ivan Incident
    handle: "@ivan"
  risk-team:
    name: Model Risk Committee
    kind: team
    handle: example/model-risk
"""

KEYED = (
    MINI_CHARTER.replace(
        "owner: {{name: Ada Owner, email: ada@example.com}}", "owner: ada"
    ).replace(
        "incident_owner: {{name: Ivan Incident}}",
        "incident_owner: {{person: ivan, on_call: pager}}",
    )
    + """\
risks:
  - {{title: Bias, kind: bias, technical: t, business: b, likelihood: 2, impact: 3, owner: {risk_owner}}}
decision_rights:
  - {{decision: Production go/no-go, accountable: {accountable}, consulted: [risk-team]}}
rhythm:
  - {{ritual: Weekly metric review, cadence_days: 7, last_held: 2026-11-18, attendees: [ada, ivan]}}
"""
)


def keyed(risk_owner: str = "ada", accountable: str = "risk-team") -> str:
    return KEYED.format(id="m1", name="Model one", risk_owner=risk_owner, accountable=accountable)


def write_people(root, text: str = PEOPLE) -> None:
    (root / "content" / "people.yaml").write_text(text)


def load(root):
    return load_repository(WorkingTree(root))


def errors_of(root) -> list[str]:
    return load_errors(root)


# --- the key rule -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("ada", True),
        ("amara-okafor", True),
        ("j.smith", True),
        ("team_2", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("Ada", False),
        ("Amara Okafor", False),
        ("amara--okafor", False),
        ("-ada", False),
        ("ada-", False),
        ("Amara Okafor (AIPO)", False),
        ("", False),
    ],
)
def test_a_value_is_a_key_exactly_when_written_as_one(value, key):
    assert is_person_key(value) is key


def test_a_contact_is_a_key_a_name_or_a_mapping():
    assert Contact.model_validate("ada").person == "ada"
    assert Contact.model_validate("ada").name is None
    assert Contact.model_validate("Ada Owner").name == "Ada Owner"
    assert Contact.model_validate("Ada Owner").person is None
    assert Contact.model_validate({"person": "ada", "on_call": "pager"}).on_call == "pager"
    with pytest.raises(ValueError, match="give a `person`"):
        Contact.model_validate({"email": "a@example.com"})


# --- loading the directory --------------------------------------------------------------------


def test_without_a_directory_names_are_plain_text_and_nothing_is_reported(mini_repo):
    root = mini_repo(charters={"m1": keyed(risk_owner="Somebody Else")})
    repo = load(root)
    assert repo.people is None
    assert repo.warnings == []
    m = repo.models[0].charter
    assert m.owner.name == "ada"  # a key-shaped value, without a directory, is shown as written
    assert evaluate_repository(repo, AS_OF).people == []


def test_keys_fill_in_the_owners_from_the_directory(mini_repo):
    root = mini_repo(charters={"m1": keyed()})
    write_people(root)
    repo = load(root)
    assert repo.warnings == []
    c = repo.models[0].charter
    assert (c.owner.person, c.owner.name, c.owner.email, c.owner.role) == (
        "ada", "Ada Owner", "ada@example.com", "AI Product Owner",
    )  # fmt: skip
    assert (c.incident_owner.name, c.incident_owner.on_call) == ("Ivan Incident", "pager")
    assert repo.people.people["ivan"].handle == "ivan"  # the '@' is optional


def test_what_the_charter_gives_wins_over_the_directory(mini_repo):
    charter = keyed().replace(
        "\nowner: ada\n", "\nowner: {person: ada, email: ada.other@example.com}\n"
    )
    root = mini_repo(charters={"m1": charter})
    write_people(root)
    c = load(root).models[0].charter
    assert (c.owner.name, c.owner.email) == ("Ada Owner", "ada.other@example.com")


def test_an_unknown_key_is_an_error_with_the_closest_key(mini_repo):
    root = mini_repo(charters={"m1": keyed(risk_owner="adaa", accountable="risk-teams")})
    write_people(root)
    found = errors_of(root)
    assert any(
        re.search(r"m1\.yaml:\d+:\d+: risks\[0\]\.owner: 'adaa' is not a key of "
                  r"content/people\.yaml; did you mean 'ada'\?", e)
        for e in found
    ), found  # fmt: skip
    assert any(
        "decision_rights[0].accountable: 'risk-teams'" in e and "'risk-team'" in e for e in found
    )


def test_index_is_not_a_key_of_the_directory(mini_repo):
    """people/index.html is the People page: an owner page keyed 'index' would replace it."""
    root = mini_repo(charters={"m1": keyed()})
    write_people(root, PEOPLE + "  index:\n    name: Index Person\n")
    (error,) = errors_of(root)
    assert re.search(
        r"content/people\.yaml:\d+:\d+: people\.index\.\[key\]: 'index' is the address of "
        r"the people index \(people/index\.html\); choose another key$",
        error,
    ), error
    write_people(root, PEOPLE + "  indexer:\n    name: Index Person\n")
    assert "indexer" in load(root).people.people


def test_an_unknown_owner_key_without_a_close_one_says_what_to_do(mini_repo):
    root = mini_repo(charters={"m1": keyed().replace("\nowner: ada\n", "\nowner: zed\n")})
    write_people(root)
    (error,) = errors_of(root)
    assert "owner: 'zed' is not a key of content/people.yaml; add it there, or write the " in error
    assert "\n" not in error


def test_a_plain_name_keeps_working_with_a_warning_naming_the_key(mini_repo):
    root = mini_repo(charters={"m1": keyed(risk_owner="Ada Owner (AIPO)", accountable="Dana Doe")})
    write_people(root)
    repo = load(root)
    assert repo.models[0].charter.risks[0].owner == "Ada Owner (AIPO)"
    assert len(repo.warnings) == 2
    ada, dana = repo.warnings
    assert re.fullmatch(
        r"content/models/m1\.yaml:\d+: risks\[0\]\.owner: 'Ada Owner \(AIPO\)' is a plain name, "
        r"not a key of content/people\.yaml; write 'ada'", ada
    ), ada  # fmt: skip
    assert dana.endswith("add the person to content/people.yaml and write their key")


def test_escalation_who_is_free_text(mini_repo):
    root = mini_repo(charters={"m1": keyed()})
    write_people(root)
    repo = load(root)
    assert repo.warnings == []  # "Data science", "AIPO": a rota, not a person
    assert all(r.loc[0] != "escalation" for r in person_refs(repo.models[0].charter))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("people:\n  Ada Owner: {name: Ada}\n", "people"),
        ("people:\n  ada: {name: Ada, emial: a@example.com}\n", "did you mean 'email'?"),
        ("people:\n  ada: {name: Ada, handle: 'not a handle'}\n", "people.ada.handle"),
        ("people:\n  ada: {name: Ada, kind: robot}\n", "people.ada.kind"),
        ("people:\n  ada: {role: AIPO}\n", "people.ada.name: required field is missing"),
        ("- ada\n", "expected a people directory mapping"),
        ("people:\n  ada: {name: Ada}\n  ada: {name: Other}\n", "duplicate key 'ada'"),
    ],
)
def test_a_bad_directory_is_a_one_line_error_at_its_line(mini_repo, text, expected):
    root = mini_repo()
    write_people(root, text)
    found = errors_of(root)
    assert any(e.startswith("content/people.yaml") and expected in e for e in found), found
    assert all("\n" not in e for e in found)


def test_an_empty_directory_file_is_an_empty_directory(mini_repo):
    root = mini_repo()
    write_people(root, "# nobody yet\n")
    repo = load(root)
    assert repo.people == PeopleDirectory()


def test_check_reports_an_unknown_key_as_one_line_and_exit_2(mini_repo, capsys, monkeypatch):
    root = mini_repo(charters={"m1": keyed(risk_owner="adaa")})
    write_people(root)
    monkeypatch.chdir(root)
    assert main(["check", "--as-of", AS_OF.isoformat()]) == 2
    err = capsys.readouterr().err
    assert "risks[0].owner: 'adaa' is not a key of content/people.yaml; did you mean 'ada'?" in err
    assert "Traceback" not in err


# --- owner views ------------------------------------------------------------------------------


def test_each_person_gets_what_they_answer_for(mini_repo):
    root = mini_repo(charters={"m1": keyed(), "m2": keyed().replace("id: m1", "id: m2")})
    (root / "metrics" / "m2").mkdir()
    (root / "metrics" / "m2" / "kpis.csv").write_text((root / "metrics/m1/kpis.csv").read_text())
    write_people(root)
    people = {p.key: p for p in evaluate_repository(load(root), AS_OF).people}
    assert list(people) == ["ada", "ivan", "risk-team"]
    ada = people["ada"]
    assert ada.models == ["m1", "m2"]
    assert [
        (r.model_id, r.role, r.accountable) for r in ada.responsibilities if r.model_id == "m1"
    ] == [
        ("m1", "AI Product Owner", True),
        ("m1", "Risk owner: Bias", False),
        ("m1", "Attends: Weekly metric review", False),
    ]
    assert [r.role for r in people["risk-team"].responsibilities][:2] == [
        "Accountable: Production go/no-go",
        "Consulted: Production go/no-go",
    ]


def test_overdue_items_are_the_owners_dated_findings(mini_repo):
    charter = keyed().replace("last_retrained: 2026-10-01", "last_retrained: 2026-01-01")
    root = mini_repo(charters={"m1": charter})
    write_people(root)
    people = {p.key: p for p in evaluate_repository(load(root), AS_OF).people}
    (item,) = people["ada"].overdue
    assert item.code == "retraining-overdue"
    assert item.since == dt.date(2026, 4, 2)  # the day after it was due
    assert people["ivan"].overdue == ()


# --- the built portal -------------------------------------------------------------------------


def test_owner_pages_the_index_and_linked_names(mini_repo):
    root = mini_repo(charters={"m1": keyed()})
    write_people(root)
    result = run_mkdocs(root, env={"AIPO_AS_OF": AS_OF.isoformat()})
    assert result.returncode == 0, result.stderr
    site = root / "site"
    ada = (site / "people" / "ada" / "index.html").read_text()
    assert "<h1" in ada and "Ada Owner" in ada
    assert "<code>@ada-gh</code>" in ada
    assert 'href="../../models/m1/"' in ada
    assert "AI Product Owner" in ada and "Risk owner: Bias" in ada
    index = (site / "people" / "index.html").read_text()
    assert index.index("Ada Owner") < index.index("Ivan Incident") < index.index("Model Risk")
    model = (site / "models" / "m1" / "index.html").read_text()
    assert '<a class="aipo-person" href="../../people/risk-team/">Model Risk Committee</a>' in model
    assert '<a class="aipo-person" href="../../people/ada/">Ada Owner</a>' in model
    schema = json.loads((site / "schema" / "people.schema.json").read_text())
    assert schema["title"] == "aipo people directory"
    assert (site / "reference" / "people" / "index.html").is_file()


def test_a_portal_without_a_directory_has_no_people_pages(mini_repo):
    root = mini_repo()
    result = run_mkdocs(root, env={"AIPO_AS_OF": AS_OF.isoformat()})
    assert result.returncode == 0, result.stderr
    assert not (root / "site" / "people").exists()


def test_directory_text_is_escaped(mini_repo):
    root = mini_repo(charters={"m1": keyed()})
    write_people(
        root,
        PEOPLE.replace("name: Ada Owner", 'name: "<script>alert(1)</script>"').replace(
            "role: AI Product Owner", 'role: "<img src=x onerror=alert(1)>"'
        ),
    )
    result = run_mkdocs(root, env={"AIPO_AS_OF": AS_OF.isoformat()})
    assert result.returncode == 0, result.stderr
    for page in ("people/ada/index.html", "people/index.html", "models/m1/index.html"):
        html = (root / "site" / page).read_text()
        assert "<script>alert(1)" not in html and "<img src=x" not in html, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page
