"""render/mlbom.py: CycloneDX 1.6 ML-BOMs, validated with cyclonedx-python-lib's bundled strict
1.6 JSON schema (the one the module uses too, re-run here on the written text)."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from aipo_site.errors import AipoError
from aipo_site.model.results import ModelResult
from aipo_site.render import mlbom
from aipo_site.render.mlbom import BOM_NAMESPACE, BomValidationError, render_mlbom
from tests.conftest import (
    DEMO_MODELS,
    MINI_CHARTER,
    copy_demo,
    daily_csv,
    one_charter_repo,
)
from tests.conftest import evaluate_results as evaluate
from tests.hostile import build_hostile_repo

STRICT = JsonStrictValidator(SchemaVersion.V1_6)


def valid(text: str) -> dict:
    """The document, after the library's strict 1.6 validator found nothing wrong with it."""
    errors = STRICT.validate_str(text, all_errors=True)
    assert errors is None, [str(e) for e in errors]
    return json.loads(text)


def props(component: dict) -> dict[str, str]:
    return {p["name"]: p["value"] for p in component.get("properties", [])}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return evaluate(copy_demo(tmp_path_factory.mktemp("bom") / "demo"))


@pytest.mark.parametrize("model_id", DEMO_MODELS)
def test_demo_boms_are_valid_cyclonedx_1_6(demo, model_id):
    results, people = demo
    r = results[model_id]
    doc = valid(render_mlbom(r, people=people, revision="abc123", generator="0.1.0"))
    assert (doc["bomFormat"], doc["specVersion"], doc["version"]) == ("CycloneDX", "1.6", 1)
    assert doc["metadata"]["timestamp"] == "2026-11-20T00:00:00+00:00"  # the evaluation date
    assert doc["metadata"]["tools"]["components"] == [
        {"type": "application", "name": "aipo", "version": "0.1.0"}
    ]
    assert props(doc["metadata"]) == {"aipo:as-of": "2026-11-20", "aipo:revision": "abc123"}
    model = doc["metadata"]["component"]
    c = r.charter
    assert model["type"] == "machine-learning-model"
    assert model["bom-ref"] == f"model/{model_id}"
    assert (model["name"], model["description"]) == (c.name, c.summary)
    assert model.get("version") == (c.release.version if c.release else None)
    assert model["supplier"]["name"] == c.business_unit
    assert model["authors"][0]["name"] == c.owner.label
    assert props(model)["aipo:status"] == r.status.label
    assert props(model)["aipo:performance"] == r.performance.answer.value
    assert "modelCard" in model and "considerations" in model["modelCard"]
    # every data source is a `data` component the model depends on, with its owner
    # (the library sorts components by name: they are found by their bom-ref)
    by_ref = {d["bom-ref"]: d for d in doc["components"]}
    refs = [f"model/{model_id}/data/{i}" for i in range(1, len(c.data_sources) + 1)]
    data = [by_ref[ref] for ref in refs]
    assert len(by_ref) == len(refs)
    assert [d["name"] for d in data] == [s.name for s in c.data_sources]
    assert {d["type"] for d in data} == {"data"}
    assert {"ref": model["bom-ref"], "dependsOn": refs} in doc["dependencies"]
    assert model["modelCard"]["modelParameters"]["datasets"] == [{"ref": ref} for ref in refs]
    for d, s in zip(data, c.data_sources, strict=True):
        [entry] = d["data"]
        assert entry["type"] == "dataset" and entry["name"] == s.name
        if s.owner:
            assert len(entry["governance"]["owners"]) == 1


def test_model_card_of_fraud_prevention(demo):
    results, people = demo
    r = results["fraud-prevention"]
    card = valid(render_mlbom(r, people=people))["metadata"]["component"]["modelCard"]
    metrics = card["quantitativeAnalysis"]["performanceMetrics"]
    overall = {m["type"]: m for m in metrics if m["slice"].startswith("overall")}
    assert list(overall) == [
        "recall",
        "precision",
        "false_positive_rate",
        "expected_calibration_error",
    ]
    for k in r.kpis:
        assert float(overall[k.metric]["value"]) == pytest.approx(k.value, rel=1e-9)
    assert overall["recall"]["slice"] == "overall, 7-day mean (2026-11-14 to 2026-11-20)"
    segments = [m for m in metrics if m["slice"].startswith("segment")]
    assert [m["slice"].split(" of ")[0] for m in segments] == [
        "segment 18-25",
        "segment 26-40",
        "segment 41-65",
        "segment 65+",
    ]
    considerations = card["considerations"]
    assert considerations["users"] == ["Payments"]
    assert considerations["useCases"][0] == r.charter.summary
    assert considerations["useCases"][1].startswith(
        "Stop fraudulent card payments before money leaves the bank (measured by"
    )
    assert [e["name"].split(" (")[0] for e in considerations["ethicalConsiderations"]] == [
        x.risk.title for x in r.risks if x.carried
    ]
    assert all("mitigationStrategy" in e for e in considerations["ethicalConsiderations"])
    [fairness] = considerations["fairnessAssessments"]
    assert fairness["groupAtRisk"] == "Segment 65+ (False decline rate)"
    assert fairness["mitigationStrategy"].startswith("Per-segment thresholds")
    assert any(
        t.startswith("Decline precision is WARN") for t in considerations["technicalLimitations"]
    )
    assert "recall, expected_calibration_error" in considerations["performanceTradeoffs"][0]


def test_kpi_thresholds_and_status_are_properties(demo):
    results, people = demo
    model = valid(render_mlbom(results["fraud-prevention"], people=people))["metadata"]["component"]
    p = props(model)
    assert p["aipo:kpi:precision:threshold:warn"] == "0.7"
    assert p["aipo:kpi:precision:threshold:breach"] == "0.6"
    assert p["aipo:kpi:precision:status"] == "WARN"
    assert p["aipo:kpi:precision:direction"] == "higher_is_better"
    assert p["aipo:release:artifact"].startswith("registry.example.com/")
    # the library sorts properties: the output does not depend on insertion order
    names = [x["name"] for x in model["properties"]]
    assert names == sorted(names)


def test_data_owners_come_from_the_people_directory(demo):
    results, people = demo
    doc = valid(render_mlbom(results["fraud-prevention"], people=people))
    owners = [d["data"][0]["governance"]["owners"] for d in doc["components"]]
    # card-platform, customer-data-office, fraud-operations are teams of the directory
    assert owners == [
        [{"organization": {"name": "Card Platform team"}}],
        [{"organization": {"name": "Customer Data Office"}}],
        [{"organization": {"name": "Fraud Operations"}}],
    ]
    contract = doc["components"][0]["externalReferences"]
    assert {"type": "documentation", "comment": "Data contract"}.items() <= contract[0].items()
    assert contract[1]["type"] == "risk-assessment"


def test_data_owner_that_is_a_person_is_a_contact(demo):
    results, people = demo
    r = results["fraud-prevention"]
    source = r.charter.data_sources[0].model_copy(update={"owner": "amara-okafor"})
    charter = r.charter.model_copy(update={"data_sources": [source]})
    r = ModelResult(**{**vars(r), "charter": charter})
    doc = valid(render_mlbom(r, people=people))
    assert doc["components"][0]["data"][0]["governance"]["owners"] == [
        {"contact": {"name": "Amara Okafor", "email": "amara.okafor@example.com"}}
    ]


def test_without_people_directory_and_without_kpis(tmp_path):
    charter = MINI_CHARTER.format(id="m1", name="Model one")
    charter = re.sub(r"kpis:\n(  .*\n)+", "", charter)
    charter = charter.replace("  - name: Events\n", "  - name: Events\n    owner: data-team\n")
    results, people = evaluate(one_charter_repo(tmp_path / "r", charter))
    assert people is None
    r = results["m1"]
    assert r.kpis == []
    doc = valid(render_mlbom(r))
    model = doc["metadata"]["component"]
    assert "quantitativeAnalysis" not in model["modelCard"]
    assert "version" not in model  # no release in the charter
    assert model["authors"] == [{"name": "Ada Owner", "email": "ada@example.com"}]
    # a key without a directory is shown as written
    assert doc["components"][0]["data"][0]["governance"]["owners"] == [
        {"contact": {"name": "data-team"}}
    ]
    assert not any(k.startswith("aipo:kpi:") for k in props(model))


def test_deterministic_with_a_content_serial_number(demo, tmp_path):
    results, people = demo
    r = results["supply-chain-forecast"]
    first = render_mlbom(r, people=people)
    assert render_mlbom(r, people=people) == first
    doc = json.loads(first)
    serial = doc.pop("serialNumber")
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert serial == uuid.uuid5(BOM_NAMESPACE, canonical).urn
    # any change to the content is a new serial number
    other = json.loads(render_mlbom(r, people=people, revision="def456"))
    assert other["serialNumber"] != serial


HOSTILE_CHARTER = """\
id: m1
name: "<script>alert(1)</script>\\n---\\nkey: value"
summary: "\\"},{\\"bomFormat\\": \\"injected\\"} ]]></x> {{7*7}}"
business_unit: "Unit: with colon"
owner: {name: "'quoted' \\"double\\" & <b>bold</b>", email: "x<svg>@example.com"}
lifecycle: {stage: production, since: 2026-01-01}
release: {version: "1.0\\n<img src=x onerror=alert(1)>"}
kpis:
  - metric: recall
    name: "1. ordered"
    direction: higher_is_better
    thresholds: {warn: 0.8, breach: 0.7}
data_sources:
  - name: "[link](javascript:alert(1))"
    owner: "<b>owner</b>"
    contract: "javascript:alert(1)"
    categories: [personal]
    authorisation: {record: "R-1", url: "https://example.com/<script>"}
  - name: second
    contract: "http://[::1"
"""


def test_hostile_charter_text_stays_data(tmp_path):
    root = one_charter_repo(tmp_path / "r", HOSTILE_CHARTER, {"m1/kpis.csv": daily_csv([0.9] * 10)})
    results, _ = evaluate(root)
    r = results["m1"]
    doc = valid(render_mlbom(r))
    model = doc["metadata"]["component"]
    assert doc["bomFormat"] == "CycloneDX"
    assert model["name"] == "<script>alert(1)</script> --- key: value"  # one line, verbatim
    assert model["description"] == r.charter.summary
    assert model["version"] == "1.0 <img src=x onerror=alert(1)>"
    data, second = sorted(doc["components"], key=lambda d: d["bom-ref"])
    assert props(second)["aipo:data:contract"] == "http://[::1"  # not an address: text
    # not an http(s) address: kept as text, never a link
    assert "externalReferences" not in data or all(
        ref["url"].startswith("https://") for ref in data["externalReferences"]
    )
    assert props(data)["aipo:data:contract"] == "javascript:alert(1)"
    assert data["data"][0]["governance"]["owners"] == [{"contact": {"name": "<b>owner</b>"}}]


def test_hostile_repository_boms(tmp_path):
    hostile = build_hostile_repo(tmp_path / "hostile")
    results, people = evaluate(hostile.root)
    assert sorted(results) == hostile.model_ids
    for r in results.values():
        doc = valid(render_mlbom(r, people=people))
        assert doc["metadata"]["component"]["name"] == " ".join(r.charter.name.split())


def test_an_invalid_document_is_a_bug_not_an_input_error(demo, monkeypatch):
    results, people = demo
    monkeypatch.setattr(mlbom, "_model_card", lambda r, refs: {"notAModelCardField": True})
    with pytest.raises(BomValidationError, match="this is a bug in aipo") as caught:
        render_mlbom(results["fraud-prevention"], people=people)
    assert not isinstance(caught.value, AipoError)  # the CLI exits 3, not 2
