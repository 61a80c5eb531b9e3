"""Search: every model is found by its name, id, KPI names, data sources, owners, decisions and
risks, while the tables of numbers stay out of the index (render/blocks.py), and charter text
stays escaped in it (Material's search renders the index as HTML)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import MINI_CHARTER, MINI_MKDOCS, ROOT, OpenPortal, SiteServer, build_site

MODELS = sorted((ROOT / "content" / "models").glob("*.yaml"))


def index_docs(site: Path) -> list[dict[str, Any]]:
    return json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]


def page_text(docs: list[dict[str, Any]], model_id: str) -> tuple[str, str]:
    """The text of a model page's first entry (the hero) and of all its entries, unescaped."""
    location = f"models/{model_id}.html"
    entries = [d for d in docs if d["location"].split("#", 1)[0] == location]
    assert entries, f"{location} is not in the search index"
    first = next(d for d in entries if d["location"] == location)

    def plain(d: dict[str, Any]) -> str:
        return html.unescape(re.sub(r"<[^>]*>", " ", d["title"] + " " + d["text"]))

    return plain(first), " ".join(plain(d) for d in entries)


def person_name(contact: str | dict[str, Any]) -> str:
    """An owner as the portal shows it: a key of the demo's people directory is its name."""
    people = yaml.safe_load((ROOT / "content" / "people.yaml").read_text())["people"]
    key = contact if isinstance(contact, str) else contact.get("person")
    if isinstance(contact, dict) and contact.get("name"):
        return contact["name"]
    return people[key]["name"] if key in people else str(key)


def search_terms(charter: dict[str, Any]) -> dict[str, list[str]]:
    return {
        "name": [charter["name"]],
        "id": [charter["id"]],
        "KPI": [k.get("name") or k["metric"] for k in charter.get("kpis", [])],
        "metric": [k["metric"] for k in charter.get("kpis", [])],
        "data source": [s["name"] for s in charter.get("data_sources", [])],
        "owner": [person_name(charter["owner"])]
        + ([person_name(charter["incident_owner"])] if charter.get("incident_owner") else []),
        "decision": [d["decision"] for d in charter.get("decision_rights", [])],
        "risk": [r["title"] for r in charter.get("risks", [])],
    }


@pytest.mark.build
@pytest.mark.parametrize("charter_path", MODELS, ids=lambda p: p.stem)
def test_every_model_is_found_by_its_names(demo_site: Path, charter_path: Path) -> None:
    charter = yaml.safe_load(charter_path.read_text(encoding="utf-8"))
    first, everything = page_text(index_docs(demo_site), charter["id"])
    terms = search_terms(charter)
    for kind in ("KPI", "metric", "data source", "decision", "risk"):
        assert terms[kind], f"the demo charter {charter['id']} has no {kind}: the test is weak"
    for kind, values in terms.items():
        for value in values:
            assert value in everything, f"{kind} {value!r} of {charter['id']} is not indexed"
    # The names from deferred sections sit in the page's own entry, so a hit lands on the page.
    for kind in ("id", "KPI", "data source", "decision", "owner"):
        for value in terms[kind]:
            assert value in first, f"{kind} {value!r} is not in the entry of {charter['id']}"


@pytest.mark.build
def test_a_kpi_that_is_ok_is_indexed(demo_site: Path) -> None:
    docs = index_docs(demo_site)
    found = 0
    for charter_path in MODELS:
        charter = yaml.safe_load(charter_path.read_text(encoding="utf-8"))
        page = (demo_site / "models" / f"{charter['id']}.html").read_text(encoding="utf-8")
        ok = set(re.findall(r'<tr class="aipo-row-ok" data-metric="([^"]+)"', page))
        first, _ = page_text(docs, charter["id"])
        for k in charter["kpis"]:
            if k["metric"] in ok:
                found += 1
                assert (k.get("name") or k["metric"]) in first
    assert found, "no KPI of the demo is OK: the test checks nothing"


@pytest.mark.build
def test_search_terms_are_hidden_and_the_numbers_stay_out_of_the_index(demo_site: Path) -> None:
    docs = index_docs(demo_site)
    page = (demo_site / "models" / "customer-churn.html").read_text(encoding="utf-8")
    assert re.search(r'<div class="aipo-search-terms" hidden>', page)
    for doc in docs:
        if not doc["location"].startswith("models/"):
            continue
        # Headers of the KPI, data source and decision tables (deferred HTML).
        for header in ("Warn / breach", "Authorisation", "Accountable", "Lineage"):
            assert header not in doc["text"], f"{header!r} indexed in {doc['location']}"
    # A compact index: the demo's three model pages stay far below a model page's HTML size.
    model_text = sum(len(d["text"]) for d in docs if d["location"].startswith("models/"))
    assert model_text < 3 * 12_000, model_text


PAYLOAD = "<img src=x onerror=alert(1)>"
HOSTILE_EXTRA = f"""\
decision_rights:
  - decision: "Go {PAYLOAD} live"
    accountable: Ada Owner
"""


@pytest.mark.build
def test_copies_for_print_and_phones_stay_out_of_the_index(demo_site: Path) -> None:
    """The print-only section summaries, the KPI captions' notes and the dashboard's phone list
    of risks repeat what is indexed elsewhere: they are data-search-exclude."""
    docs = index_docs(demo_site)
    text = " ".join(d["text"] for d in docs)
    page = (demo_site / "models" / "fraud-prevention.html").read_text(encoding="utf-8")
    assert "full detail in the portal" in page and "full detail in the portal" not in text
    assert "which also judge every past day" in page
    assert "which also judge every past day" not in text
    dashboard = " ".join(d["text"] for d in docs if d["location"].startswith("dashboard"))
    assert "likelihood 4 likely × impact 4 major" not in dashboard  # the phone list
    assert "Older customers are declined about twice as often" in dashboard  # the grid


def test_charter_text_stays_escaped_in_the_index(mini_repo, tmp_path: Path) -> None:
    charter = (
        MINI_CHARTER.format(id="m1", name="Model one")
        .replace("  - name: Events", f'  - name: "Events {PAYLOAD}"')
        .replace("  - metric: recall\n", f'  - metric: recall\n    name: "Recall {PAYLOAD}"\n')
    )
    mkdocs_yml = MINI_MKDOCS.replace("plugins:\n", "plugins:\n  - search\n")
    assert "  - search\n" in mkdocs_yml
    root = mini_repo(charters={"m1": charter + HOSTILE_EXTRA}, mkdocs_yml=mkdocs_yml)
    site = build_site(root, tmp_path / "site")
    entry = next(d for d in index_docs(site) if d["location"] == "models/m1/")
    assert "<img" not in entry["text"].lower()
    unescaped = html.unescape(entry["text"])
    for value in ("Model id: m1", f"Recall {PAYLOAD}", f"Events {PAYLOAD}", f"Go {PAYLOAD} live"):
        assert value in unescaped, value


@pytest.mark.browser
def test_search_box_finds_a_model_by_a_data_source(
    open_portal: OpenPortal, demo_server: SiteServer
) -> None:
    portal = open_portal(demo_server)
    portal.goto("dashboard.html")
    page = portal.page
    box = page.locator("input.md-search__input")
    box.click()
    # Only the model's hidden search terms name this data source (its table is deferred HTML).
    box.press_sequentially("Promotions calendar")
    page.locator(".md-search-result__item").first.wait_for()
    hrefs = page.eval_on_selector_all(
        ".md-search-result__item a", "els => els.map(a => a.getAttribute('href'))"
    )
    assert any("models/supply-chain-forecast.html" in (h or "") for h in hrefs), hrefs
    assert portal.page_errors == []
