"""render/hfcard.py: Hugging Face model cards, checked against the Hub's metadata spec and parsed
back with huggingface_hub's own ModelCard.

Hugging Face publishes no JSON Schema for model card metadata; tests/data/
hf-modelcard-metadata.schema.json transcribes the spec (its ``$comment`` names the documents)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import markdown
import pytest
import yaml
from huggingface_hub import ModelCard
from huggingface_hub.repocard_data import model_index_to_eval_results
from jsonschema import Draft202012Validator

from aipo_site.model.results import ModelResult
from aipo_site.render.hfcard import card_metadata, render_hf_card
from tests.conftest import (
    DEMO_MODELS,
    MINI_CHARTER,
    copy_demo,
    daily_csv,
    one_charter_repo,
)
from tests.conftest import evaluate_results as evaluate
from tests.hostile import build_hostile_repo

SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "hf-modelcard-metadata.schema.json").read_text("utf-8")
)
VALIDATOR = Draft202012Validator(SCHEMA)
# What aipo's own Markdown may produce: no HTML of the charters' (everything else is escaped).
BODY_TAGS = {"h1", "h2", "h3", "p", "table", "thead", "tbody", "tr", "th", "td", "ul", "li"}
BODY_TAGS |= {"strong", "em", "code"}


def flat(model_index: list[dict]) -> set[tuple]:
    """A model-index as huggingface_hub flattens it: one EvalResult per metric."""
    _, evals = model_index_to_eval_results(model_index)
    return {tuple(sorted(vars(e).items(), key=lambda kv: kv[0])) for e in evals}


def split(card: str) -> tuple[dict, str]:
    """The front matter (parsed with yaml.safe_load) and the body (as huggingface_hub's ModelCard
    splits them); huggingface_hub must read the same metadata and the same eval results."""
    parsed = ModelCard(card, ignore_metadata_errors=False)
    match = re.match(r"\A---\n(.*?)\n---\n", card, re.S)
    assert match, "the card must open with a YAML front matter block"
    meta = yaml.safe_load(match.group(1))
    theirs = parsed.data.to_dict()
    # huggingface_hub regroups model-index results by task and dataset: compare them flattened
    assert {k: v for k, v in theirs.items() if k != "model-index"} == {
        k: v for k, v in meta.items() if k != "model-index"
    }
    if "model-index" in meta:
        assert parsed.data.model_name == meta["model-index"][0]["name"]
        assert flat(theirs["model-index"]) == flat(meta["model-index"])
    else:
        assert "model-index" not in theirs
    return meta, parsed.text


def assert_valid(card: str, result: ModelResult) -> tuple[dict, str]:
    """The card's metadata is what card_metadata says, valid against the transcribed spec, and
    huggingface_hub reads the same model-index back; the body is what follows the front matter."""
    meta, body = split(card)
    assert meta == card_metadata(result)
    errors = sorted(VALIDATOR.iter_errors(meta), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    if "model-index" in meta:
        name, evals = model_index_to_eval_results(meta["model-index"])
        assert name == meta["model-index"][0]["name"]
        assert len(evals) == sum(len(r["metrics"]) for r in meta["model-index"][0]["results"])
    assert card.endswith("\n" + body) or card.endswith(body)
    return meta, body


def assert_inert(body: str) -> None:
    """Rendered as Markdown (raw HTML passes through Python-Markdown), the body holds only the
    structure aipo writes: no tag, attribute or link from a charter."""
    html = markdown.markdown(body, extensions=["tables"])
    tags = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", html))
    assert tags <= BODY_TAGS, tags - BODY_TAGS
    assert "<a " not in html and "<img" not in html and "<script" not in html.lower()
    assert html.count("<h1>") == 1
    assert "<" not in body  # every '<' of a charter is an entity


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return evaluate(copy_demo(tmp_path_factory.mktemp("hf") / "demo"))


@pytest.mark.parametrize("model_id", DEMO_MODELS)
def test_demo_cards_follow_the_hub_spec(demo, model_id):
    results, people = demo
    r = results[model_id]
    card = render_hf_card(r, people=people, revision="abc123", generator="0.1.0")
    meta, body = assert_valid(card, r)
    assert_inert(body)
    assert meta["tags"][:2] == ["aipo", "model-governance"]
    assert f"aipo-status-{r.status.slug}" in meta["tags"]
    assert meta["metrics"] == sorted(k.metric for k in r.charter.kpis)
    assert body.lstrip("\n").startswith(f"# {r.charter.name}\n")
    for heading in ("Model details", "Intended uses", "Evaluation", "Data", "Governance"):
        assert f"\n## {heading}\n" in body
    assert "`abc123`" in body and "aipo 0.1.0" in body


def test_kpis_become_model_index_results(demo):
    results, people = demo
    r = results["fraud-prevention"]
    meta, _ = split(render_hf_card(r, people=people))
    [entry] = meta["model-index"]
    assert entry["name"] == "Card payment fraud prevention"
    [result] = entry["results"]  # the four KPIs share their 7-day window
    assert result["task"] == {"type": "other", "name": "Production monitoring"}
    assert result["dataset"] == {
        "type": "fraud-prevention-production-metrics",
        "name": "Card payment fraud prevention production metrics, 2026-11-14 to 2026-11-20",
        "config": "2026-11-14/2026-11-20",
        "split": "production",
    }
    by_type = {m["type"]: m for m in result["metrics"]}
    assert list(by_type) == [
        "recall",
        "precision",
        "false_positive_rate",
        "expected_calibration_error",
    ]
    for k in r.kpis:
        assert by_type[k.metric]["value"] == pytest.approx(k.value, rel=1e-9)
    assert by_type["recall"]["name"] == "Fraud caught (recall), 7-day mean"
    # huggingface_hub's flattened view agrees
    _, evals = model_index_to_eval_results(meta["model-index"])
    assert {e.metric_type: e.metric_value for e in evals} == {
        t: m["value"] for t, m in by_type.items()
    }
    assert {e.task_type for e in evals} == {"other"}


def test_body_shows_status_kpis_fairness_data_owners_and_risks(demo):
    results, people = demo
    body = split(render_hf_card(results["fraud-prevention"], people=people))[1]
    assert "| Decline precision | `precision` | 0.668 | 0.7 | 0.6 | higher |" in body
    assert "**WARN**" in body
    assert "### Fairness across segments" in body and "65+: 0.01354" in body
    # data owners by key are named from the people directory
    assert "| Card authorisation stream | Card Platform team |" in body
    assert "**Older customers are declined about twice as often** (bias, accepted" in body
    # emails and mentions cannot ping or link anyone
    assert "amara.okafor@&#8203;example.com" in body


def test_cards_are_deterministic(demo):
    results, people = demo
    for r in results.values():
        assert render_hf_card(r, people=people) == render_hf_card(r, people=people)


def test_model_without_kpis_has_no_model_index(tmp_path):
    charter = MINI_CHARTER.format(id="m1", name="Model one")
    charter = re.sub(r"kpis:\n(  .*\n)+", "", charter)
    results, people = evaluate(one_charter_repo(tmp_path / "r", charter))
    r = results["m1"]
    assert r.kpis == []
    meta, body = assert_valid(render_hf_card(r, people=people), r)
    assert "model-index" not in meta and "metrics" not in meta
    assert "The charter defines no KPI" in body
    assert people is None  # no people directory: owners as written
    assert "| Events | — |" in body


def test_kpi_without_data_is_left_out_of_the_model_index(tmp_path):
    charter = MINI_CHARTER.format(id="m1", name="Model one")
    root = one_charter_repo(
        tmp_path / "r", charter, {"m1/kpis.csv": daily_csv([0.9] * 3, metric="x")}
    )
    results, _ = evaluate(root)
    r = results["m1"]
    assert r.kpis[0].value is None
    meta, body = assert_valid(render_hf_card(r), r)
    assert "model-index" not in meta and meta["metrics"] == ["recall"]
    assert "| recall | `recall` | — |" in body and "**NO DATA**" in body  # in the table


HOSTILE_CHARTER = """\
id: m1
name: "x\\n---\\nlicense: evil\\n<script>alert(1)</script>"
summary: "- list\\n# heading\\n---\\n<img src=x onerror=alert(1)> @org/team #12 https://evil.example"
business_unit: "Unit: with colon"
owner: {name: "'quoted' \\"double\\" & <b>bold</b>", email: ada@example.com}
lifecycle: {stage: production, since: 2026-01-01}
kpis:
  - metric: recall
    name: "1. ordered\\n| a | b |"
    unit: "<i>u</i>"
    direction: higher_is_better
    thresholds: {warn: 0.8, breach: 0.7}
outcomes:
  - outcome: "- starts like a list item"
    business_kpi: "---"
    model_kpis: [recall]
data_sources:
  - name: "[link](javascript:alert(1))"
    owner: "ada-owner"
    categories: [personal]
risks:
  - title: "**bold** `code`"
    kind: bias
    technical: "t"
    business: "<svg onload=alert(1)>"
    likelihood: 2
    impact: 2
    mitigation: "{: onclick=alert(1) }"
"""


def test_hostile_charter_text_stays_text(tmp_path):
    root = one_charter_repo(tmp_path / "r", HOSTILE_CHARTER, {"m1/kpis.csv": daily_csv([0.9] * 10)})
    results, _ = evaluate(root)
    r = results["m1"]
    card = render_hf_card(r)
    meta, body = assert_valid(card, r)
    assert_inert(body)
    # the name's line breaks could not end the front matter or add a key
    assert set(meta) == {"tags", "metrics", "model-index"}
    assert meta["model-index"][0]["name"] == ("x --- license: evil <script>alert(1)</script>")
    assert card.count("\n---\n") == 1  # the closing fence, nothing else
    assert "&lt;script&gt;" in body and "&lt;svg onload=alert(1)&gt;" in body
    assert "@&#8203;org/team" in body and "https&#8203;://" in body
    # no charter text starts a line: each one follows a label of aipo's own
    for line in body.splitlines():
        assert not line.startswith(("- list", "1. ", "---", "<", "- starts")), line


def test_hostile_repository_cards(tmp_path):
    hostile = build_hostile_repo(tmp_path / "hostile")
    results, people = evaluate(hostile.root)
    assert sorted(results) == hostile.model_ids
    for r in results.values():
        card = render_hf_card(r, people=people)
        meta, body = assert_valid(card, r)
        assert_inert(body)
        for value in meta.get("model-index", [{}])[0].get("results", []):
            assert all(isinstance(m["value"], int | float) for m in value["metrics"])
            assert all(math.isfinite(m["value"]) for m in value["metrics"])
