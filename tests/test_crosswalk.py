"""The crosswalk bundled with aipo (aipo_site/crosswalk/): its data, its cross-checks, its schemas."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from aipo_site.load.crosswalk import check_crosswalk, load_crosswalk
from aipo_site.load.yamlfile import parse_yaml
from aipo_site.model.regulation import Annex, Crosswalk, Obligation, Sources
from aipo_site.render.reference import json_schema

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "aipo_site" / "crosswalk"
SCHEMAS = ROOT / "schema"

# NIST AI 100-1, Tables 1-4: the subcategories of each category of the AI RMF Core.
NIST_SUBCATEGORIES = {
    "govern": {1: 7, 2: 3, 3: 2, 4: 3, 5: 2, 6: 2},
    "map": {1: 6, 2: 3, 3: 5, 4: 2, 5: 2},
    "measure": {1: 3, 2: 13, 3: 3, 4: 3},
    "manage": {1: 4, 2: 4, 3: 2, 4: 3},
}
NIST_TABLE = {"govern": 1, "map": 2, "measure": 3, "manage": 4}

# ISO/IEC 42001:2023, Annex A, Table A.1: the controls of each control objective.
ISO_CONTROLS = {
    "a.2": range(2, 5),
    "a.3": range(2, 4),
    "a.4": range(2, 7),
    "a.5": range(2, 6),
    "a.6.1": range(2, 4),
    "a.6.2": range(2, 9),
    "a.7": range(2, 7),
    "a.8": range(2, 6),
    "a.9": range(2, 5),
    "a.10": range(2, 5),
}


@pytest.fixture(scope="module")
def bundled() -> tuple[Crosswalk, Sources]:
    return load_crosswalk()


def _framework(sources: Sources, framework: str):
    return next(f for f in sources.frameworks if f.id == framework)


def _obligations(crosswalk: Crosswalk, framework: str) -> list[Obligation]:
    return [o for o in crosswalk.obligations if o.framework == framework]


def _raw(name: str) -> Any:
    """A data file as the YAML reader gives it (dates stay strings), for the JSON Schemas."""
    return parse_yaml((DATA / name).read_bytes(), f"aipo_site/crosswalk/{name}").data


def _changed(crosswalk: Crosswalk, obligation_id: str, **changes: Any) -> Crosswalk:
    """A validated copy of the crosswalk with one obligation's fields replaced."""
    data = crosswalk.model_dump(mode="json", by_alias=True)
    (entry,) = [o for o in data["obligations"] if o["id"] == obligation_id]
    entry.update(changes)
    return Crosswalk.model_validate(data)


# --- The data ---------------------------------------------------------------------------------


def test_the_bundled_data_loads(bundled):
    crosswalk, sources = bundled
    assert [f.id for f in sources.frameworks] == ["eu-ai-act", "gdpr", "nist-ai-rmf", "iso-42001"]
    frameworks = {o.framework for o in crosswalk.obligations}
    assert frameworks == {"eu-ai-act", "gdpr", "nist-ai-rmf", "iso-42001"}


def test_every_id_the_crosswalk_uses_is_declared(bundled):
    crosswalk, sources = bundled
    assert check_crosswalk(crosswalk, sources) == []


def test_ids_are_unique(bundled):
    crosswalk, sources = bundled
    framework_ids = [f.id for f in sources.frameworks]
    assert len(framework_ids) == len(set(framework_ids))
    for framework in sources.frameworks:
        ids = [i.id for i in framework.items]
        assert len(ids) == len(set(ids)), framework.id
    element_ids = [e.id for e in crosswalk.elements]
    assert len(element_ids) == len(set(element_ids))
    obligation_ids = [o.id for o in crosswalk.obligations]
    assert len(obligation_ids) == len(set(obligation_ids))


def test_nist_lists_all_72_subcategories(bundled):
    _, sources = bundled
    nist = _framework(sources, "nist-ai-rmf")
    expected = [
        f"{function}-{category}.{n}"
        for function, categories in NIST_SUBCATEGORIES.items()
        for category, count in categories.items()
        for n in range(1, count + 1)
    ]
    assert len(expected) == 72
    assert [i.id for i in nist.items] == expected
    assert nist.binding is False
    assert nist.url == "https://doi.org/10.6028/NIST.AI.100-1"


def test_iso_42001_lists_all_38_annex_a_controls(bundled):
    _, sources = bundled
    iso = _framework(sources, "iso-42001")
    expected = [f"{objective}.{n}" for objective, ns in ISO_CONTROLS.items() for n in ns]
    assert len(expected) == 38
    assert [i.id for i in iso.items] == expected
    assert iso.binding is False
    assert iso.url == "https://www.iso.org/standard/81230.html"
    assert iso.note is not None and "not reproduced" in iso.note


def test_standard_titles_are_short(bundled):
    _, sources = bundled
    for framework in ("nist-ai-rmf", "iso-42001"):
        for item in _framework(sources, framework).items:
            assert len(item.title) <= 120, item.id
    titles = {i.id: i.title for i in _framework(sources, "iso-42001").items}
    assert titles["a.3.2"] == "AI roles and responsibilities"
    assert titles["a.6.2.6"] == "AI system operation and monitoring"
    assert titles["a.7.5"] == "Data provenance"


def test_every_obligation_names_its_source_and_why(bundled):
    crosswalk, _ = bundled
    for o in crosswalk.obligations:
        assert o.source.strip() and o.why.strip(), o.id
        assert o.id == f"{o.framework}/{o.refs[0]}", o.id


def test_standards_obligations_cite_their_table_and_label(bundled):
    crosswalk, _ = bundled
    nist = _obligations(crosswalk, "nist-ai-rmf")
    iso = _obligations(crosswalk, "iso-42001")
    assert nist and iso
    for o in nist:
        (ref,) = o.refs
        function, number = ref.split("-")
        assert o.label == f"{function.upper()} {number}", o.id
        assert o.source == f"NIST AI 100-1, Table {NIST_TABLE[function]} ({o.label})", o.id
    for o in iso:
        (ref,) = o.refs
        assert o.label == ref.upper(), o.id
        assert o.source == f"ISO/IEC 42001:2023, Annex A, Table A.1, {o.label}", o.id


def test_standards_obligations_apply_to_every_model(bundled):
    crosswalk, _ = bundled
    for o in [*_obligations(crosswalk, "nist-ai-rmf"), *_obligations(crosswalk, "iso-42001")]:
        assert o.applies.model_dump(exclude_none=True) == {}, o.id
        assert o.from_ is None and o.changed is None, o.id
        assert o.scope == "charter" and o.evidenced_by, o.id
        assert not o.annex_iv, o.id


def test_every_element_evidences_some_obligation(bundled):
    crosswalk, _ = bundled
    used = {e for o in crosswalk.obligations for e in o.evidenced_by}
    assert [e.id for e in crosswalk.elements if e.id not in used] == []


def test_high_risk_dates_follow_the_digital_omnibus(bundled):
    crosswalk, _ = bundled
    by_id = {o.id: o for o in crosswalk.obligations}
    assert by_id["eu-ai-act/art-5"].from_ == dt.date(2025, 2, 2)
    assert by_id["eu-ai-act/art-50"].from_ == dt.date(2026, 8, 2)
    per_annex = [o for o in crosswalk.obligations if isinstance(o.from_, dict)]
    assert per_annex
    new = {Annex.annex_iii: dt.date(2027, 12, 2), Annex.annex_i: dt.date(2028, 8, 2)}
    old = {Annex.annex_iii: dt.date(2026, 8, 2), Annex.annex_i: dt.date(2027, 8, 2)}
    for o in per_annex:
        assert isinstance(o.changed, dict) and set(o.changed) == set(o.from_), o.id
        for annex, date in o.from_.items():
            assert date == new[annex], o.id
            assert o.changed[annex].original == old[annex], o.id
            assert o.changed[annex].by == "digital-omnibus", o.id


# --- check_crosswalk finds what is not declared ----------------------------------------------


def test_a_made_up_ref_is_reported(bundled):
    crosswalk, sources = bundled
    broken = _changed(crosswalk, "nist-ai-rmf/measure-2.11", refs=["measure-2.14"])
    assert check_crosswalk(broken, sources) == [
        "nist-ai-rmf/measure-2.11: 'measure-2.14' is not an id of nist-ai-rmf"
    ]


def test_a_made_up_annex_iv_section_is_reported(bundled):
    crosswalk, sources = bundled
    broken = _changed(crosswalk, "eu-ai-act/art-9", annex_iv=["annex-iv-10"])
    assert check_crosswalk(broken, sources) == [
        "eu-ai-act/art-9: 'annex-iv-10' is not an id of eu-ai-act"
    ]


def test_a_ref_of_another_framework_is_reported(bundled):
    crosswalk, sources = bundled
    broken = _changed(crosswalk, "iso-42001/a.7.5", refs=["govern-1.1"])
    assert check_crosswalk(broken, sources) == [
        "iso-42001/a.7.5: 'govern-1.1' is not an id of iso-42001"
    ]


def test_an_unknown_element_is_reported(bundled):
    crosswalk, sources = bundled
    broken = _changed(crosswalk, "iso-42001/a.6.2.6", evidenced_by=["kpis", "dashboards"])
    assert check_crosswalk(broken, sources) == [
        "iso-42001/a.6.2.6: element 'dashboards' is not in `elements`"
    ]


def test_an_unknown_framework_is_reported(bundled):
    crosswalk, sources = bundled
    broken = _changed(crosswalk, "gdpr/art-6", id="uk-gdpr/art-6", framework="uk-gdpr")
    assert check_crosswalk(broken, sources) == [
        "uk-gdpr/art-6: framework 'uk-gdpr' is not in sources.yaml"
    ]


def test_an_id_outside_its_framework_is_reported(bundled):
    crosswalk, sources = bundled
    broken = _changed(crosswalk, "nist-ai-rmf/map-1.1", id="iso-42001/map-1.1")
    assert check_crosswalk(broken, sources) == [
        "iso-42001/map-1.1: its id must start with 'nist-ai-rmf/'"
    ]


def test_an_unknown_amendment_is_reported(bundled):
    crosswalk, sources = bundled
    broken = _changed(
        crosswalk,
        "eu-ai-act/art-27",
        changed={"annex-iii": {"original": "2026-08-02", "by": "stop-the-clock"}},
    )
    assert check_crosswalk(broken, sources) == [
        "eu-ai-act/art-27: amendment 'stop-the-clock' is not in sources.yaml"
    ]
    without = sources.model_copy(update={"amendments": []})
    problems = check_crosswalk(crosswalk, without)
    assert problems and all("amendment 'digital-omnibus'" in p for p in problems)


def test_a_duplicate_obligation_is_reported(bundled):
    crosswalk, sources = bundled
    data = crosswalk.model_dump(mode="json", by_alias=True)
    data["obligations"].append(
        next(o for o in data["obligations"] if o["id"] == "nist-ai-rmf/manage-4.3")
    )
    broken = Crosswalk.model_validate(data)
    assert check_crosswalk(broken, sources) == ["nist-ai-rmf/manage-4.3: listed twice"]


def test_a_framework_without_an_id_is_reported(bundled):
    crosswalk, sources = bundled
    data = sources.model_dump(mode="json")
    nist = next(f for f in data["frameworks"] if f["id"] == "nist-ai-rmf")
    nist["items"] = [i for i in nist["items"] if i["id"] != "govern-2.1"]
    problems = check_crosswalk(crosswalk, Sources.model_validate(data))
    assert problems == ["nist-ai-rmf/govern-2.1: 'govern-2.1' is not an id of nist-ai-rmf"]


# --- The JSON Schemas ------------------------------------------------------------------------

SCHEMA_FILES = {
    "crosswalk.schema.json": (Crosswalk, "crosswalk.yaml"),
    "crosswalk-sources.schema.json": (Sources, "sources.yaml"),
}


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_the_bundled_schema_is_the_models(name):
    model, _ = SCHEMA_FILES[name]
    text = (SCHEMAS / name).read_text(encoding="utf-8")
    assert text == json_schema(model), f"run `aipo schema` to update schema/{name}"
    schema = json.loads(text)
    assert schema["$id"] == f"https://aipo.dev/schema/{name}"
    assert schema == {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **model.model_json_schema(by_alias=True),
    }


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_the_bundled_schema_validates_the_data(name):
    _, data_file = SCHEMA_FILES[name]
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(_raw(data_file))
    ]
    assert errors == []


def test_the_crosswalk_schema_refuses_a_broken_obligation():
    schema = json.loads((SCHEMAS / "crosswalk.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    data = _raw("crosswalk.yaml")
    data["obligations"][0]["evidenced_by_all"] = ["risks"]
    data["obligations"][1]["refs"] = []
    data["obligations"][2]["id"] = "Art 9"
    paths = sorted(tuple(e.absolute_path) for e in validator.iter_errors(data))
    assert paths == [
        ("obligations", 0),
        ("obligations", 1, "refs"),
        ("obligations", 2, "id"),
    ]


def test_the_sources_schema_refuses_a_bad_item():
    schema = json.loads((SCHEMAS / "crosswalk-sources.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    data = _raw("sources.yaml")
    nist = next(f for f in data["frameworks"] if f["id"] == "nist-ai-rmf")
    nist["items"][0]["id"] = "GOVERN 1.1"
    nist["binding"] = "no"
    messages = sorted(e.message for e in validator.iter_errors(data))
    assert len(messages) == 2
    assert any(re.search(r"'GOVERN 1\.1' does not match", m) for m in messages)
    assert any("'no' is not of type 'boolean'" in m for m in messages)


def test_the_guide_states_each_element_as_the_crosswalk_does():
    """content/guide/regulation.md's element table is the crosswalk's `evidenced_when`."""
    from aipo_site.evaluate.regulation import ELEMENTS

    guide = (Path(__file__).resolve().parent.parent / "content/guide/regulation.md").read_text()
    crosswalk, _ = load_crosswalk()
    assert {e.id for e in crosswalk.elements} == ELEMENTS
    for e in crosswalk.elements:
        assert (
            f"| `{e.id}` | {e.where.replace('<', '&lt;').replace('>', '&gt;')} | {e.evidenced_when} |"
            in guide
        ), e.id
